# `make run` and `make test` work on a fresh machine with Python 3.11+: they build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-clocks lint bench soak screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing habitd into $(VENV) (about a minute the first time)..."
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## start the daemon in the foreground on the default config
	$(BIN)/habitd run -v

lint: $(STAMP)
	$(BIN)/ruff check habitd tests bench tools plugins
	$(BIN)/ruff format --check habitd tests bench tools plugins
	$(BIN)/mypy

# Tests run in WORKERS processes (pytest-xdist): most of their time is spent waiting on the
# daemons and clients they start, so more workers than cores pays.
WORKERS ?= 4

test: lint  ## ruff, mypy and the whole test suite
	$(BIN)/pytest -n $(WORKERS)

test-fast: lint  ## the same without the benchmarks and the package installs
	$(BIN)/pytest -n $(WORKERS) -m "not slow"

# Moments the tests marked `clock` must pass at, as ZONE@WHEN: inside day_starts, in UTC+14,
# just before midnight, and minutes before each 2026 DST change in Berlin and New York. Each
# test starts at the moment (habitd/testing/moment.py); TESTS= narrows the run.
CLOCK_MOMENTS ?= UTC@01:30 Pacific/Kiritimati@02:00 Europe/Berlin@23:59:50 \
	Europe/Berlin@2026-03-29T01:58 Europe/Berlin@2026-10-25T02:58 \
	America/New_York@2026-03-08T01:58 America/New_York@2026-11-01T01:58
TESTS ?=

test-clocks: $(STAMP)  ## the clock tests (less slow ones) at each of CLOCK_MOMENTS (needs faketime)
	@for moment in $(CLOCK_MOMENTS); do \
		echo "clock moment $$moment"; \
		HABITD_TEST_MOMENT=$$moment $(BIN)/pytest -q -p no:cacheprovider -n $(WORKERS) \
			-m "clock and not slow" $(TESTS) || exit 1; \
	done

bench: $(STAMP)
	$(BIN)/python bench/run.py

soak: $(STAMP)  ## 50 clients for 60 s, then 500 nudges for 10 minutes (figures as JSON)
	$(BIN)/python bench/soak.py

screenshot: $(STAMP)  ## docs/img: a nudge as dunst shows it, the tray in XFCE's panel, the report as Chromium does
	$(BIN)/python tools/screenshot.py
	$(BIN)/python tools/tray_screenshot.py
	$(BIN)/python tools/report_screenshot.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
