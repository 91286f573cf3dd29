# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
TSTAMP  = $(VENV)/.installed-test

.PHONY: install install-test demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

install-test: $(TSTAMP)

demo: install
	$(BIN)/python -m nfdp_ingest.demo

test: install-test
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: install-test
	$(BIN)/python bench/run.py

lint: install-test
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check nfdp_ingest tests bench

clean:
	rm -rf $(VENV) var build dist .pytest_cache
