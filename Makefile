# The two commands of the README:
#   make run    set up .venv, install attndyn, render the default picture to out/landscape.png
#   make test   set up .venv with the dev tools, lint, and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
# torch for the torch engine's tests. The pin matches the CPU build on this machine's local
# disk (the wheels folder pip is configured with), so pip installs that; an unpinned torch
# would pull a multi-GB CUDA build instead.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	touch $(STAMP)

run: $(STAMP)
	mkdir -p out
	$(BIN)/attndyn render --size 768 \
		--wq 1.1646,-0.0278,-0.8054,-0.9405 --wv=-1.9675,-2.0948,0.3671,1.4580 \
		--init shared --seed 1679700 -o out/landscape.png --save out/landscape.npz

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

test: lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engines.py --size 256

clean:
	rm -rf $(VENV) out
