# The documented entry points: `make run` (the service on SQLite with demo data) and
# `make test` (the whole suite). Both create .venv and install the project when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Where `make run` serves (HOST=0.0.0.0 listens on every interface). The URLs it prints, and
# the links in the emails it sends (SITE_URL, unless set in the environment or .env), follow.
HOST ?= 127.0.0.1
PORT ?= 8000
URL_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST))
RUN_URL := http://$(URL_HOST):$(PORT)
RUN_SITE_URL := $(if $(or $(SITE_URL),$(shell grep -s '^SITE_URL=' .env)),,SITE_URL=$(RUN_URL))

.PHONY: run test lint format install bench bench-serve clean migrate worker beat serve live screenshots messages compilemessages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# MySQL/MariaDB's driver builds against the client library, so it is installed only when
# DATABASE_URL asks for it (Debian: apt install libmariadb-dev pkg-config).
MYSQL_STAMP := $(VENV)/.mysql-stamp
DB_STAMP := $(if $(findstring mysql://,$(DATABASE_URL)),$(MYSQL_STAMP))
$(MYSQL_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,mysql]'
	@touch $(MYSQL_STAMP)

install: $(STAMP) $(DB_STAMP)

# Served by uvicorn (ASGI): the site and the live seat map in one process, with the seat
# changes fanned out in-process; it restarts when a Python file or a template changes (open
# event streams are cut after a second: the pages reconnect).
run: $(STAMP) $(DB_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --base-url $(RUN_URL)
	@echo "Serving Marquee on $(RUN_URL)/ (Ctrl-C stops it)"
	$(RUN_SITE_URL) $(BIN)/python -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) \
		--lifespan off --timeout-graceful-shutdown 1 \
		--reload --reload-dir marquee --reload-dir config --reload-include '*.html'

test: $(STAMP) $(DB_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The production processes, all with config.production (docs/operations.md): `make migrate`
# first, then `make serve` (gunicorn), `make live` (the live seat map's ASGI server, beside it:
# a proxy routes /live/ there), `make worker` and `make beat` (Celery; they need the
# CELERY_BROKER_URL the web processes send tasks to, and beat keeps its schedule in STATE_DIR).
PRODUCTION := DJANGO_SETTINGS_MODULE=config.production
migrate: $(STAMP) $(DB_STAMP)
	$(PRODUCTION) $(BIN)/python manage.py migrate --noinput

serve: $(STAMP) $(DB_STAMP)
	$(PRODUCTION) $(BIN)/python manage.py collectstatic --noinput -v 0
	$(PRODUCTION) $(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi

LIVE_BIND ?= 0.0.0.0
LIVE_PORT ?= 8001
LIVE_WORKERS ?= 1
live: $(STAMP) $(DB_STAMP)
	$(PRODUCTION) $(BIN)/uvicorn config.asgi:application --host $(LIVE_BIND) --port $(LIVE_PORT) --workers $(LIVE_WORKERS) --lifespan off --no-access-log --timeout-graceful-shutdown 5

worker: $(STAMP) $(DB_STAMP)
	$(PRODUCTION) $(BIN)/celery -A config worker --queues=marquee --loglevel=INFO

beat: $(STAMP) $(DB_STAMP)
	$(PRODUCTION) $(BIN)/celery -A config beat --loglevel=INFO

# Load scenarios and ceilings on PostgreSQL + gunicorn (never part of `make test`); rewrites the
# results block of docs/benchmarks.md. RUNS=3 (medians); QUICK=1 for short scenarios.
# DB=mariadb runs the same scenarios on MariaDB/MySQL (root@127.0.0.1:3306 unless
# BENCH_DATABASE_URL says otherwise) and writes its own results block.
RUNS ?= 3
comma := ,
BENCH_ENV := $(if $(filter mariadb mysql,$(DB)),BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-mysql://root@127.0.0.1:3306/marquee_bench})
BENCH_EXTRAS := dev,bench$(if $(filter mariadb mysql,$(DB)),$(comma)mysql)
bench: $(STAMP)
	@$(BIN)/python -c 'import uvloop, orjson' 2>/dev/null && test -x $(BIN)/py-spy $(if $(filter mariadb mysql,$(DB)),&& $(BIN)/python -c 'import MySQLdb' 2>/dev/null) || $(BIN)/python -m pip install --quiet -e '.[$(BENCH_EXTRAS)]'
	$(BENCH_ENV) $(BIN)/python bench/run.py --runs $(RUNS) $(if $(QUICK),--quick)

# The bench's server and scenario data, left serving for another load generator (SERVE_SECONDS=600).
SERVE_SECONDS ?= 600
bench-serve: $(STAMP)
	@$(BIN)/python -c 'import uvloop, orjson' 2>/dev/null && test -x $(BIN)/py-spy || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py --runs 1 --serve $(SERVE_SECONDS)

# docs/screenshots/*.png: the key pages (the staff's too) at 360 px and 1280 px, from the browser test that takes them.
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
	$(BIN)/mypy marquee/*/services.py marquee/*/selectors.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 .test-db.sqlite3* .pytest_cache var
