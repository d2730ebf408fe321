# The two commands of the README, and the documentation site:
#   make run    set up .venv with what rendering needs, render the default picture to out/landscape.png
#   make test   add the dev tools, the 'big' extra and torch to .venv, lint, and run the test suite
#   make docs   add the documentation tools to .venv and build the site into site/ (strict)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per set of extras: each target installs only what it needs, once, and again when
# pyproject.toml changes.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: run test lint docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,big]'
# torch for the torch engine's tests. The pin matches the CPU build on this machine's local
# disk (the wheels folder pip is configured with), so pip installs that; an unpinned torch
# would pull a multi-GB CUDA build instead.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	touch $@

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

run: $(RUN_STAMP)
	mkdir -p out
	$(BIN)/attndyn render --size 768 \
		--wq 1.1646,-0.0278,-0.8054,-0.9405 --wv=-1.9675,-2.0948,0.3671,1.4580 \
		--init shared --seed 1679700 -o out/landscape.png --save out/landscape.npz

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks docs/hooks
	$(BIN)/ruff format --check src tests benchmarks docs/hooks

test: lint
	$(BIN)/python -m pytest -q

# Strict: a broken link, a bad cross-reference or maths that does not convert fails the build.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(RUN_STAMP)
	$(BIN)/python benchmarks/bench_engines.py --size 256

clean:
	rm -rf $(VENV) out site
