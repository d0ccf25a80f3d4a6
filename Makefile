# sociale_kaart — set-up, run and test. `make run` and `make test` install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py
# PostgreSQL run of the suite: set by .ci/run; leave empty to test on SQLite only.
SOCIALE_KAART_TEST_DATABASE_URL ?=

.PHONY: install run lint test test-sqlite test-postgres test-moved-clock test-moved-clock-browser test-moved-clock-rest test-sqlite-stream test-postgres-stream browser-deps bench translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## run: install, migrate, load the demo data into an empty database (or move an earlier demo's dates
## to today), demo accounts; serve http://127.0.0.1:5000 with an e-mail sender beside it that writes
## every queued e-mail to instance/mail/ within 5 seconds (Ctrl-C stops both)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo --if-empty --refresh-dates
	$(BIN)/flask seed workspace
	@echo "E-mail: written to instance/mail/ (one .eml file a message) by 'flask notify send --loop'."
	$(BIN)/flask notify send --loop --interval 5 & sender=$$!; \
	  trap 'kill $$sender 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port 5000

## lint: ruff's lint rules and format check, and mypy's type check of the package (pyproject.toml's
## [tool.ruff] and [tool.mypy]); .ci/run runs it before the tests
LINT_PATHS := sociale_kaart tests bench
lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

## test: install (with headless Chromium for the browser tests) and run the whole suite, in two
## streams on the 2 cores: (1) on SQLite with the browser tests, the app clock at its pinned Monday;
## (2) beside it on PostgreSQL when SOCIALE_KAART_TEST_DATABASE_URL is set, with the app clock 400 days
## ahead (every test then runs on a pinned and on a moved date, and on both databases), then the
## browser tests that build dated help requests once more with the moved clock. Without PostgreSQL,
## stream (2) starts with the moved-clock run on SQLite. Each run prints its report when it ends;
## make fails when any run fails.
test: install browser-deps
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite-stream test-postgres-stream

PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# The clock 400 days ahead: a Tuesday instead of a Monday, in another month and year.
MOVED := SOCIALE_KAART_CLOCK_OFFSET_DAYS=400
# The moved-clock run on SQLite takes only the tests that can depend on the date: marked "dated" or in a
# module that mentions time (tests/conftest.py); browser tests only when marked "dated".
MOVED_CLOCK := SOCIALE_KAART_TEST_DATABASE_URL= $(MOVED) $(PYTEST) -m "not browser or dated" --time-dependent

.pytest-tmp:
	mkdir -p .pytest-tmp

test-sqlite: install | .pytest-tmp
	@echo "== the whole suite on a SQLite file, browser tests included =="
	SOCIALE_KAART_TEST_DATABASE_URL= $(PYTEST) --basetemp=.pytest-tmp/sqlite

test-postgres: install | .pytest-tmp
	@if [ -n "$(SOCIALE_KAART_TEST_DATABASE_URL)" ]; then \
	  echo "== the suite again on PostgreSQL ($(SOCIALE_KAART_TEST_DATABASE_URL)), browser tests excluded, the app clock 400 days ahead ($(MOVED)) =="; \
	  SOCIALE_KAART_TEST_DATABASE_URL="$(SOCIALE_KAART_TEST_DATABASE_URL)" $(MOVED) $(PYTEST) --basetemp=.pytest-tmp/postgres -m "not browser"; \
	else echo "SOCIALE_KAART_TEST_DATABASE_URL not set: PostgreSQL run skipped."; fi

## test-moved-clock: the suite on SQLite with the app clock 400 days ahead (a Tuesday instead of a
## Monday): catches tests and code that mix the app clock with the real date or assume a weekday.
## Browser tests excluded, except those that build dated help requests (marker "dated"); modules that
## never mention time are left out (--time-dependent, tests/conftest.py). `make test` runs the dated
## browser tests this way, and the rest on PostgreSQL with the same moved clock.
test-moved-clock: test-moved-clock-browser test-moved-clock-rest

test-moved-clock-browser: install | .pytest-tmp
	@echo "== the dated browser tests on SQLite, the app clock 400 days ahead ($(MOVED)) =="
	$(MOVED_CLOCK) --basetemp=.pytest-tmp/moved-clock-browser tests/browser

test-moved-clock-rest: install | .pytest-tmp
	@echo "== the suite but the browser tests on SQLite, the app clock 400 days ahead ($(MOVED)) =="
	$(MOVED_CLOCK) --basetemp=.pytest-tmp/moved-clock-rest --ignore=tests/browser

test-sqlite-stream: test-sqlite

# The second stream: PostgreSQL with the moved clock (or without PostgreSQL the moved-clock run on SQLite),
# then the dated browser tests with the moved clock (the PostgreSQL run ends first).
ifneq ($(strip $(SOCIALE_KAART_TEST_DATABASE_URL)),)
test-postgres-stream: test-postgres
else
test-postgres-stream: test-moved-clock-rest
endif
	@$(MAKE) --no-print-directory test-moved-clock-browser

## browser-deps: Debian's Chromium and ChromeDriver for the browser tests (needs root; skipped otherwise)
browser-deps:
	@if [ -x /usr/bin/chromium ]; then echo "chromium present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "WARNING: /usr/bin/chromium missing and not root: browser tests will be skipped"; fi

BENCH_STAMP := $(VENV)/.installed-bench

# The bench extra: SciPy for the exact optimum in bench/matching.py.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

## bench: search relevance on the judged queries against an FTS5 baseline; search benchmarks: the engine at 2,000 and 50,000 synthetic services vs SQLite FTS5,
## then the whole search service call (place, radius, facets, database) at 2,000 services,
## the HSDS API, and matching (rank one request among 10,000 volunteers; a batch of 2,000 requests and its
## exact optimum through SciPy, which it installs: the `bench` extra), the area analysis page with 3 years
## of one municipality's data on SQLite and PostgreSQL (through the app and under gunicorn), and the public
## pages over HTTP against gunicorn (2 workers) on a demo database with 2,000 services: req/s, p50, p99 and the
## ratio to a bare page per page type, a worker's first request, CPU and SQL statements per page (its load
## client is in bench/http.py: asyncio from the standard library, nothing to install)
bench: install $(BENCH_STAMP)
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/search_service.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/insights.py
	$(BIN)/python bench/http.py

## translations: extract, update and compile the English catalogue
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs=".venv node_modules" -o sociale_kaart/translations/messages.pot .
	$(BIN)/pybabel update -i sociale_kaart/translations/messages.pot -d sociale_kaart/translations -l en --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d sociale_kaart/translations

clean:
	rm -rf $(VENV) instance/search-index .pytest-tmp
