# The two commands of the README, and the documentation site:
#   make run    set up .venv with what rendering needs, render the default picture to out/landscape.png
#   make test   add the dev tools, torch, the 'explore' and 'big' extras, Leaflet and Chromium; lint; test
#   make docs   add the documentation tools to .venv and build the site into site/ (strict)
#   make explore  add the explorer's packages and Leaflet (npm ci), start attndyn explore
#   make publish  add the big renders' packages and Leaflet, publish the picture of make run
#                 at 1024x1024 as a static gallery in out/site/ (open out/site/index.html)
#   make doc-pictures  draw again every documentation picture whose code changed since it was
#                 drawn (docs/pictures.py; ALL=1: every picture), and record it in docs/pictures.json
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per set of extras: each target installs only what it needs, once, and again when
# pyproject.toml changes.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs
EXPLORE_STAMP := $(VENV)/.installed-explore
PUBLISH_STAMP := $(VENV)/.installed-publish
# Leaflet from the npm registry (package.json, package-lock.json), copied into the package so
# the server serves it from there: no CDN, the page works offline. (A wheel or sdist build does
# the same copy itself, in hatch_build.py.)
LEAFLET := src/attndyn/explorer/static/leaflet/leaflet.js
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint docs bench explore publish doc-pictures clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip compiles the bytecode of what it installs into site-packages, but not of an editable
# install's src/; with PYTHONDONTWRITEBYTECODE set (as on the development machines) every
# command would compile the package's ~60 modules again (about 60 ms of its start-up).
COMPILE := $(BIN)/python -m compileall -q src

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(COMPILE)
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,explore,big]'
# torch for the torch engine's tests. The pin matches the CPU build on this machine's local
# disk (the wheels folder pip is configured with), so pip installs that; an unpinned torch
# would pull a multi-GB CUDA build instead.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(COMPILE)
	touch $@

$(EXPLORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[explore]'
	$(COMPILE)
	touch $@

$(PUBLISH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[big]'
	$(COMPILE)
	touch $@

$(LEAFLET): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(LEAFLET))
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
		node_modules/leaflet/dist/images $(dir $(LEAFLET))

# The browser test drives Debian's Chromium (Playwright's own browser download fails here).
$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

# warmup compiles the float32 kernels for this CPU, saying so (once: cached after that).
run: $(RUN_STAMP)
	mkdir -p out
	$(BIN)/attndyn warmup --precision float32
	$(BIN)/attndyn render --size 768 -o out/landscape.png --save out/landscape.npz

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks docs/hooks
	$(BIN)/ruff format --check src tests benchmarks docs/hooks

test: lint $(LEAFLET) $(CHROMIUM)
	$(BIN)/python -m pytest -q

# Strict: a broken link, a bad cross-reference or maths that does not convert fails the build.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(RUN_STAMP)
	$(BIN)/python benchmarks/bench_engines.py --size 256

# Both precisions' kernels (float64: the deep zooms) are compiled here, once per checkout, with
# a notice, rather than inside the server on its first tiles; cached, this takes about 1 s.
explore: $(EXPLORE_STAMP) $(LEAFLET)
	$(BIN)/attndyn warmup
	$(BIN)/attndyn explore

# The store goes to out/site.zarr; run it again after an interruption to resume.
publish: $(PUBLISH_STAMP) $(LEAFLET)
	mkdir -p out
	$(BIN)/attndyn warmup --precision float32
	$(BIN)/attndyn publish --size 1024 -o out/site

# The stale groups of docs/pictures.py (tests/test_doc_pictures.py names them), or every group
# with ALL=1; the explorer's screenshot drives Chromium. Kernels compiled first, as make run.
doc-pictures: $(TEST_STAMP) $(LEAFLET) $(CHROMIUM)
	$(BIN)/attndyn warmup --precision float32
	$(BIN)/python docs/pictures.py $(if $(ALL),--all)

clean:
	rm -rf $(VENV) out site dist node_modules $(dir $(LEAFLET))
