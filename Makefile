# Helpdesk: `make run` serves the app on the embedded default, `make test` runs the suite.
# Both work on a fresh Debian/Ubuntu machine with Python 3.11 and Node.js; as root they
# install the missing system packages with apt-get.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
MARIADB_URL ?= mysql://root@127.0.0.1:3306/helpdesk
STACK_DATABASE_URL ?= $(MARIADB_URL)
STACK_REDIS_URL ?= redis://127.0.0.1:6379/0
SYSTEM_PACKAGES := default-libmysqlclient-dev pkg-config build-essential gettext chromium chromium-driver
PYTEST_FLAGS ?=

.PHONY: help run test setup system-packages python-deps frontend messages migrate seed \
	messages-update lint format test-sqlite test-mariadb stack clean redmine-server

help:
	@echo "make run    - set up and serve the app on http://$(HOST):$(PORT) (SQLite, no other server)"
	@echo "make test   - set up and run the whole test suite (SQLite pass, then MariaDB pass)"
	@echo "make stack  - daphne + Celery worker + beat against local Redis and MariaDB"
	@echo "make lint   - ruff lint and format check;  make format - apply ruff format"

# --- setup ----------------------------------------------------------------------------

# Chromium is only needed by the browser tests; the rest is needed to build and run.
system-packages:
	@missing=""; optional=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ "$$($(PYTHON) -c 'import sys; print(sys.prefix)' 2>/dev/null)" = "/usr" ]; then \
		$(PYTHON) -c 'import ensurepip' 2>/dev/null || missing="$$missing $(PYTHON)-venv"; \
		$(PYTHON) -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' \
			|| missing="$$missing $(PYTHON)-dev"; \
	fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		required=$$(echo "$$missing" | tr ' ' '\n' | grep -v '^chromium' | tr '\n' ' '); \
		echo "Missing system packages:$$missing"; \
		echo "Install them with: sudo apt-get install$$missing"; \
		if [ -n "$$(echo $$required)" ]; then exit 1; fi; \
		echo "(only the browser tests need Chromium; they will be skipped)"; \
	fi

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"' \
		|| { echo "Set PYTHON to a Python 3.11 interpreter"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.deps: requirements/base.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $@

python-deps: system-packages $(VENV)/.deps

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/vendor/.copied: node_modules/.package-lock.json scripts/copy-vendor.mjs
	npm run --silent vendor
	@touch $@

frontend: static/vendor/.copied

messages: python-deps
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# After changing user-facing strings: refresh the catalogs, translate locale/ru, commit.
messages-update: python-deps
	$(PY) manage.py makemessages -l ru -l en --no-obsolete --ignore=.venv --ignore=node_modules \
		--ignore=static/vendor --ignore=staticfiles --ignore=var

setup: python-deps frontend messages

migrate: setup
	@mkdir -p var
	$(PY) manage.py migrate --no-input -v 0

seed: migrate
	$(PY) manage.py seed_demo --tickets 60

# --- the two commands -----------------------------------------------------------------

run: seed
	@echo
	@echo "Helpdesk is starting on http://$(HOST):$(PORT)/"
	@echo "Demo sign-ins (password: demo): admin (superuser), manager, agent1..agent3, requester1..requester3"
	@echo "Demo data: queues HD, NET, ERP, HW with 60 tickets (more: $(PY) manage.py seed_demo --tickets 2000)"
	@echo "Operator console: http://$(HOST):$(PORT)/admin/   Health: http://$(HOST):$(PORT)/healthz"
	@echo
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) helpdesk.asgi:application

test: setup lint redmine-server
	$(PY) manage.py makemigrations --check --dry-run accounts tickets notifications integrations
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-mariadb

test-sqlite:
	@echo "=== Test pass 1/2: SQLite (with Redis, Celery worker and Chromium tests) ==="
	DJANGO_ENV_FILE= $(VENV)/bin/pytest -m "not mariadb and not redmine" --screenshot only-on-failure --output test-results $(PYTEST_FLAGS)

test-mariadb:
	@echo "=== Test pass 2/2: MariaDB ($(MARIADB_URL)), the whole suite again, with the real Redmine ==="
	@status=0; $(PY) scripts/check_service.py "$(MARIADB_URL)" || status=$$?; \
	if [ $$status = 0 ]; then \
		DJANGO_ENV_FILE= DATABASE_URL="$(MARIADB_URL)" $(VENV)/bin/pytest --screenshot only-on-failure --output test-results/mariadb $(PYTEST_FLAGS); \
	elif [ $$status = 3 ]; then \
		echo "SKIPPED: the MariaDB pass (server not reachable; CI would fail here)"; \
	else exit $$status; fi

# The Redmine sync's integration tests use a real Redmine (Debian's package) on 127.0.0.1.
redmine-server:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		scripts/redmine-server.sh start; \
	else \
		echo "SKIPPED: real Redmine server (needs root with apt-get); its tests will be skipped"; \
	fi

lint: python-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: python-deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# --- full stack: daphne + worker + beat on Redis and MariaDB --------------------------

stack: setup
	@$(PY) scripts/check_service.py "$(STACK_DATABASE_URL)" --create
	@$(PY) scripts/check_service.py "$(STACK_REDIS_URL)"
	@export DATABASE_URL="$(STACK_DATABASE_URL)" REDIS_URL="$(STACK_REDIS_URL)"; \
	$(PY) manage.py migrate --no-input -v 0 && $(PY) manage.py seed_demo --tickets 60 || exit 1; \
	echo "Full stack on http://$(HOST):$(PORT)/ (Ctrl-C stops all three)"; \
	trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	$(VENV)/bin/celery -A helpdesk worker --loglevel=INFO & \
	$(VENV)/bin/celery -A helpdesk beat --loglevel=INFO & \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) helpdesk.asgi:application & \
	wait -n; echo "a process of the stack stopped; stopping the others"

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles test-results var/test*.sqlite3
