# `make run` and `make test` work on a fresh machine with Python 3.11+: they build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench soak screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## start the daemon in the foreground on the default config
	$(BIN)/habitd run -v

lint: $(STAMP)
	$(BIN)/ruff check habitd tests bench tools plugins
	$(BIN)/ruff format --check habitd tests bench tools plugins
	$(BIN)/mypy

test: lint  ## ruff, mypy and the whole test suite
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

soak: $(STAMP)  ## 50 clients for 60 s, then 500 nudges for 10 minutes (figures as JSON)
	$(BIN)/python bench/soak.py

screenshot: $(STAMP)  ## a nudge as dunst shows it, in docs/img/nudge.png (needs xvfb, dunst, imagemagick)
	$(BIN)/python tools/screenshot.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
