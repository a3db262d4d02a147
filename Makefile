# One front door: make run, make test, make lint, make bench.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime

.PHONY: run test lint unit bench clean lock

# Running needs the product and its embedded servers; testing adds the dev tools.
# Both install the exact versions of the lock files (requirements/*.txt, every file
# checked against its hash), then the project itself without touching them.
PIP := $(BIN)/python -m pip install --quiet
$(RUNTIME): pyproject.toml requirements/run.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) --require-hashes -r requirements/run.txt
	$(PIP) --no-deps --no-build-isolation -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME) requirements/dev.txt
	$(PIP) --require-hashes -r requirements/dev.txt
	touch $(STAMP)

## Re-resolve the lock files after changing pyproject.toml's ranges (pins that still fit
## are kept); `make lock LOCK_FLAGS=--upgrade` takes every update the ranges allow.
## dev first, the others constrained to it, so that all three agree. Each holds the
## tracing extra: OTEL_* variables turn tracing on without a reinstall (docs/operations.md).
LOCK_FLAGS ?=
LOCK := $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --quiet
lock: $(STAMP)
	$(LOCK) pyproject.toml requirements/build.in --extra embedded --extra tracing --extra dev $(LOCK_FLAGS) -o requirements/dev.txt
	$(LOCK) pyproject.toml requirements/build.in --extra embedded --extra tracing -c requirements/dev.txt -o requirements/run.txt
	$(LOCK) pyproject.toml requirements/build.in --extra tracing -c requirements/dev.txt -o requirements/production.txt

## The browser tests drive Debian's Chromium (never a downloaded build); without it they fail.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "browser tests need Debian's chromium: sudo apt-get install chromium" >&2; \
	fi

## The deployment tests check the Prometheus config and alert rules with Debian's promtool.
PROMTOOL := /usr/bin/promtool
$(PROMTOOL):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; \
	else \
		echo "deployment tests need Debian's promtool: sudo apt-get install prometheus" >&2; \
	fi

## The CLI's flow pictures are laid out by Graphviz's dot when it is installed (tested).
DOT := /usr/bin/dot
$(DOT):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz; \
	else \
		echo "the diagram tests need Graphviz: sudo apt-get install graphviz" >&2; \
	fi

## Run the whole product (web + worker + scheduler) on embedded MongoDB-wire and Valkey servers.
run: $(RUNTIME)
	@$(BIN)/digitaly run

## Lint, type-check, the architecture contract, the test suite on real servers, then the
## reply model on the frozen test split (tests/data/replies/README.md).
test: lint unit

lint: $(STAMP)
	$(BIN)/ruff check bot workers reports tests bench
	$(BIN)/ruff format --check bot workers reports tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP) $(CHROMIUM) $(PROMTOOL) $(DOT)
	$(BIN)/pytest
	$(BIN)/digitaly flows evaluate tests/data/replies/test.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.985 --max-dangerous 1
	$(BIN)/digitaly flows evaluate tests/data/replies/test2.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.98 --max-dangerous 0
	$(BIN)/digitaly flows evaluate tests/data/replies/test3.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.965 --max-dangerous 1
	$(BIN)/digitaly flows evaluate tests/data/replies/test4.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.965 --max-dangerous 3
	$(BIN)/digitaly flows evaluate tests/data/replies/test5.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.96 --max-dangerous 0
	$(BIN)/digitaly flows evaluate tests/data/replies/test6.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.965 --max-dangerous 6
	$(BIN)/digitaly flows evaluate tests/data/replies/test7.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.955 --max-dangerous 4
	$(BIN)/digitaly flows evaluate tests/data/replies/test8.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.97 --max-dangerous 3
	$(BIN)/digitaly flows evaluate tests/data/replies/test9.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.935 --max-dangerous 9
	$(BIN)/digitaly flows evaluate tests/data/replies/test10.tsv --context reschedule_offer=cancelled \
		--min-accuracy 0.91 --max-dangerous 12

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
