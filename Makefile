# Two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# The web server and the job consumer both see PORT: without BASE_URL, links in mails,
# feeds, QR codes and posters point at this port (config.py).
export PORT
# pytest-xdist workers: one per core ("auto"); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
# The tests keep Python's compiled modules (__pycache__, ignored by git) even where the
# environment says not to write them: otherwise every worker, every date rerun and every
# gunicorn worker of the tests compiles the app and the tests anew (~12 s of CPU each).
TEST_ENV := PYTHONDONTWRITEBYTECODE=
export FLASK_APP := wsgi.py

.PHONY: run test test-dates lint format translations extract-messages serve-only clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

# ical.js (pinned in tests/js/package-lock.json): the Thunderbird-parser reader of the feed tests.
# Without Node.js the ical.js tests skip locally (and fail in CI, where they are required).
tests/js/node_modules/.installed: tests/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the ical.js feed checks will be skipped"; fi

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d volunteer_app/translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract --ignore-dirs='.*' -F babel.cfg -k _l -k lazy_gettext -o volunteer_app/translations/messages.pot .
	$(BIN)/pybabel -q update -N -i volunteer_app/translations/messages.pot -d volunteer_app/translations

instance:
	mkdir -p instance

# Creates .venv, installs, migrates, loads demo data on first start, serves with the job consumer.
run: $(VENV)/.installed translations | instance
	$(BIN)/flask db upgrade
	@test -f instance/.demo-loaded || ($(BIN)/flask seed demo && touch instance/.demo-loaded)
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl+C stops the web server and the job consumer)"
	@echo "Jobs and outgoing mail (development: written to the log, not sent) go to instance/jobs.log"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	  $(BIN)/huey_consumer volunteer_app.jobs.huey --workers 1 --logfile instance/jobs.log & \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-test translations tests/js/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The date-sensitive tests (marker `dates`) again as of fixed days: Christmas closures and the
# year's end, the Fridays before the spring and autumn clock changes, and a leap day. On SQLite:
# the date rules are Python's (the app never asks the database for the time); PostgreSQL runs
# them at the real date in `make test`.
# One other day: `make test PYTEST_ARGS="--today=2027-07-01"` (see CONTRIBUTING.md).
TEST_DAYS ?= 2026-12-20 2027-03-26 2027-10-29 2028-02-29
# The modules that carry the marker (collecting only these is faster); one day per core.
DATE_TESTS = $(shell grep -l "mark.dates" tests/test_*.py)
DATE_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test-dates: $(VENV)/.installed-test translations tests/js/node_modules/.installed
	@printf '%s\n' $(TEST_DAYS) | xargs -P $(DATE_JOBS) -I{} sh -c \
	  '$(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider -m dates --backend=sqlite --today={} \
	    $(DATE_TESTS) $(PYTEST_ARGS) > .test-dates-{}.log 2>&1; rc=$$?; \
	  echo "== date-sensitive tests as of {}"; \
	  if [ $$rc -ne 0 ]; then cat .test-dates-{}.log; else tail -n 1 .test-dates-{}.log; fi; \
	  rm -f .test-dates-{}.log; exit $$rc' 

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance/*.db instance/*.db-* instance/.demo-loaded
