#!/usr/bin/env bash
# Regenerates the documentation's pictures; `make doc-pictures` is the usual way in. The
# commands of every picture are in docs/pictures.py, which also records in docs/pictures.json
# the source files each picture was drawn from (tests/test_doc_pictures.py fails when a picture
# is older than the code that draws it). Arguments go to docs/pictures.py: none redraws the
# stale groups, --all every group, GROUP ... those groups, --check lists the stale ones.
# Run from the repository root after `make test` (or any install of the dev extras into .venv).
set -euo pipefail
exec "${PYTHON:-.venv/bin/python}" docs/pictures.py "$@"
