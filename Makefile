# Helpdesk: `make run` serves the app on the embedded default, `make test` runs the suite.
# Both work on a fresh Debian/Ubuntu machine with Python 3.11 and Node.js; as root they
# install the missing system packages with apt-get. Each setup step prints one line; what
# apt, pip, npm and the migrations say goes to var/setup.log.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
MARIADB_URL ?= mysql://root@127.0.0.1:3306/helpdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
STACK_DATABASE_URL ?= $(MARIADB_URL)
STACK_REDIS_URL ?= redis://127.0.0.1:6379/0
# nginx serves https://127.0.0.1:$(STACK_HTTPS_PORT)/ (self-signed) in front of two daphne.
STACK_HTTP_PORT ?= 8080
STACK_HTTPS_PORT ?= 8443
STACK_DAPHNE_PORTS ?= 8001,8002
# What serving needs (mysqlclient is built from source; gettext compiles the messages) ...
RUN_PACKAGES := default-libmysqlclient-dev pkg-config build-essential gettext
# ... what the production stack adds (`make stack`; its test needs it too) ...
STACK_PACKAGES := nginx
# ... and what only the tests need (MariaDB and Redis are installed when none answers).
TEST_PACKAGES := chromium dovecot-imapd $(STACK_PACKAGES)
PYTEST_FLAGS ?=
STEP := scripts/step.sh

export MARIADB_URL TEST_REDIS_URL

.PHONY: help run test types setup test-setup run-packages test-packages python-deps test-deps \
	frontend messages migrate seed serve messages-update lint format test-passes \
	test-sqlite test-mariadb test-clock-ahead stack stack-packages clean

help:
	@echo "make run    - set up and serve the app on http://$(HOST):$(PORT) (SQLite, no other server)"
	@echo "make test   - set up and run the whole test suite (SQLite pass, then MariaDB pass)"
	@echo "make stack  - the production stack: nginx, two daphne, two Celery workers, beat (Redis, MariaDB)"
	@echo "make lint   - ruff, import contracts, django-upgrade, mypy;  make types - mypy alone;  make format - apply ruff format"

# --- setup ----------------------------------------------------------------------------

run-packages:
	@mkdir -p var; extra=""; command -v npm >/dev/null || extra="npm"; \
	if [ "$$($(PYTHON) -c 'import sys; print(sys.prefix)' 2>/dev/null)" = "/usr" ]; then \
		$(PYTHON) -c 'import ensurepip' 2>/dev/null || extra="$$extra $(PYTHON)-venv"; \
		$(PYTHON) -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' \
			|| extra="$$extra $(PYTHON)-dev"; \
	fi; \
	scripts/system-packages.sh "the system packages serving needs" $(RUN_PACKAGES) $$extra

test-packages: run-packages
	@scripts/system-packages.sh --optional "the browser for the browser tests" $(TEST_PACKAGES)

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"' \
		|| { echo "Set PYTHON to a Python 3.11 interpreter"; exit 1; }
	@$(STEP) "Creating the virtualenv $(VENV)" $(PYTHON) -m venv $(VENV)
	@$(STEP) "Upgrading pip" $(PY) -m pip install --upgrade pip

$(VENV)/.deps-base: requirements/base.txt | $(PY)
	@$(STEP) "Installing the Python packages (requirements/base.txt)" \
		$(PY) -m pip install --progress-bar off -r requirements/base.txt
	@touch $@

$(VENV)/.deps-dev: requirements/base.txt requirements/dev.txt | $(PY)
	@$(STEP) "Installing the test tools (requirements/dev.txt)" \
		$(PY) -m pip install --progress-bar off -r requirements/dev.txt
	@touch $@ $(VENV)/.deps-base

python-deps: run-packages $(VENV)/.deps-base

test-deps: test-packages $(VENV)/.deps-dev

node_modules/.package-lock.json: package.json package-lock.json
	@$(STEP) "Installing the front-end packages (npm ci)" \
		npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/vendor/.copied: node_modules/.package-lock.json scripts/copy-vendor.mjs
	@$(STEP) "Copying them into static/vendor/" npm run --silent vendor
	@touch $@

frontend: static/vendor/.copied

messages: python-deps
	@$(STEP) "Compiling the Russian and English messages" \
		$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# After changing user-facing strings: refresh the catalogs, translate locale/ru, commit.
messages-update: python-deps
	$(PY) manage.py makemessages -l ru -l en --no-obsolete --ignore=.venv --ignore=node_modules \
		--ignore=static/vendor --ignore=staticfiles --ignore=var

setup: python-deps frontend messages

test-setup: test-deps setup

migrate: setup
	@$(STEP) "Migrating the database (var/helpdesk.sqlite3)" $(PY) manage.py migrate --no-input -v 0

seed: migrate
	@$(STEP) "Loading the demo users, queues and 60 tickets" $(PY) manage.py seed_demo --tickets 60

# --- the two commands -----------------------------------------------------------------

run: seed serve

serve:
	@$(PY) scripts/serve.py --host $(HOST) --port $(PORT)

test: test-setup lint
	@$(STEP) "Checking that the models need no new migrations" \
		$(PY) manage.py makemigrations --check --dry-run accounts tickets notifications integrations sla reports
	@$(PY) scripts/suite_servers.py run -- $(MAKE) --no-print-directory test-passes

# Both passes with the date of the tests, their servers and workers, Chromium and Redmine a
# year ahead (time-machine, libfaketime): a test that depends on today's date fails here.
test-clock-ahead: test-setup
	@scripts/system-packages.sh "libfaketime, to move Chromium's and Redmine's clocks" faketime
	@$(PY) scripts/suite_servers.py run --clock-ahead 365 -- $(MAKE) --no-print-directory test-passes

# The two passes. scripts/suite_servers.py passes the servers it found or started as
# SUITE_MARIADB_URL (empty: none) and SUITE_REDIS_URL; run alone, the passes use the above.
test-passes:
	@status=0; $(MAKE) --no-print-directory test-sqlite || status=$$?; \
	$(MAKE) --no-print-directory test-mariadb || status=$$?; exit $$status

test-sqlite:
	@echo "=== Test pass 1/2: SQLite (with Redis, Celery worker and Chromium tests) ==="
	DJANGO_ENV_FILE= TEST_REDIS_URL="$${SUITE_REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(VENV)/bin/pytest -m "not mariadb and not redmine" --screenshot only-on-failure --output test-results $(PYTEST_FLAGS)

test-mariadb:
	@url="$${SUITE_MARIADB_URL-$(MARIADB_URL)}"; \
	echo "=== Test pass 2/2: MariaDB ($${url:-none}), the whole suite again, with the real Redmine ==="; \
	if [ -z "$$url" ]; then echo "SKIPPED: the MariaDB pass (no MariaDB, see above)"; exit 0; fi; \
	status=0; $(PY) scripts/check_service.py "$$url" || status=$$?; \
	if [ $$status = 0 ]; then \
		DJANGO_ENV_FILE= DATABASE_URL="$$url" MARIADB_URL="$$url" \
		TEST_REDIS_URL="$${SUITE_REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(VENV)/bin/pytest -m "not sqlite_pass_only" --screenshot only-on-failure \
			--output test-results/mariadb $(PYTEST_FLAGS); \
	elif [ $$status = 3 ]; then \
		echo "SKIPPED: the MariaDB pass (server not usable; CI would fail here)"; \
	else exit $$status; fi

lint: run-packages $(VENV)/.deps-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	git ls-files -z '*.py' ':!:*/migrations/*' | xargs -0 $(VENV)/bin/django-upgrade --target-version 5.2 --check
	$(VENV)/bin/mypy .

# Type checks alone (mypy, pyproject.toml; also part of `make lint`).
types: run-packages $(VENV)/.deps-dev
	$(VENV)/bin/mypy .

format: run-packages $(VENV)/.deps-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# --- the production stack on one machine ----------------------------------------------
# Production settings, collectstatic, migrations, the demo users with DEMO_PASSWORD (asked
# for when unset), then nginx (docker/nginx/helpdesk.conf.template rendered for the ports
# below) in front of two daphne --proxy-headers, two Celery workers and beat; everything
# of its own under var/stack/. Ctrl-C stops all (scripts/stack.py, docs/deployment.md).

stack-packages:
	@scripts/system-packages.sh "the web server of the stack" $(STACK_PACKAGES)

stack: setup stack-packages
	@$(PY) scripts/stack.py --database-url "$(STACK_DATABASE_URL)" --redis-url "$(STACK_REDIS_URL)" \
		--http-port $(STACK_HTTP_PORT) --https-port $(STACK_HTTPS_PORT) \
		--daphne-ports $(STACK_DAPHNE_PORTS)

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles test-results var/test*.sqlite3
