# The documented entry points: `make run` (the service on SQLite with demo data) and
# `make test` (the whole suite). Both create .venv and install the project when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format install bench bench-serve clean worker beat serve screenshots messages compilemessages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Production-style web server: gunicorn with config/gunicorn.conf.py and config.production.
serve: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.production $(BIN)/python manage.py collectstatic --noinput -v 0
	DJANGO_SETTINGS_MODULE=config.production $(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi

# Background tasks on a broker (Redis by default). Without one, `make run` runs tasks in-process.
CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
worker: $(STAMP)
	CELERY_BROKER_URL=$(CELERY_BROKER_URL) $(BIN)/celery -A config worker --queues=marquee --loglevel=INFO

beat: $(STAMP)
	CELERY_BROKER_URL=$(CELERY_BROKER_URL) $(BIN)/celery -A config beat --loglevel=INFO --schedule=/tmp/marquee-celerybeat-schedule

# Load scenarios and ceilings on PostgreSQL + gunicorn (never part of `make test`); rewrites the
# results block of docs/benchmarks.md. RUNS=3 (medians); QUICK=1 for short scenarios.
RUNS ?= 3
bench: $(STAMP)
	@$(BIN)/python -c 'import uvloop, orjson' 2>/dev/null && test -x $(BIN)/py-spy || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py --runs $(RUNS) $(if $(QUICK),--quick)

# The bench's server and scenario data, left serving for another load generator (SERVE_SECONDS=600).
SERVE_SECONDS ?= 600
bench-serve: $(STAMP)
	@$(BIN)/python -c 'import uvloop, orjson' 2>/dev/null && test -x $(BIN)/py-spy || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py --runs 1 --serve $(SERVE_SECONDS)

# docs/screenshots/*.png: the key pages at 360 px and 1280 px, from the browser test that takes them.
screenshots: $(STAMP)
	MARQUEE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/web/test_browser.py -k screenshots

# Translations (locale/): `messages` extracts strings (needs GNU gettext, for translators only);
# `compilemessages` compiles the .po files with Babel (pure Python). The compiled .mo files are
# committed, so `make run` needs neither; tests/web/test_translations.py checks they are current.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l de --no-location --no-obsolete \
		--ignore=.venv --ignore=tests --ignore=bench --ignore=staticfiles --ignore=docs

compilemessages: $(STAMP)
	$(BIN)/python manage.py compile_translations

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 .test-db.sqlite3* .pytest_cache
