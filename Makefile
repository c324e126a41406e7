# Volna: `make demo` and `make test` are the two commands a newcomer needs (README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# npm writes this file on every install: newer than the lock file means axe-core is current.
AXE_STAMP := tests/browser/node_modules/.package-lock.json
HOST ?= 127.0.0.1
PORT ?= 8000

# Plain `make test` needs no configuration; real deploys set their own keys.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-volna-test-secret} VOLNA_TOKEN_KEY=$${VOLNA_TOKEN_KEY:-volna-test-token-key} STATIC_MANIFEST=0
DEMO_ENV := DEBUG=$${DEBUG:-1}

.PHONY: install messages demo test lint bench clean

install: $(STAMP) messages $(AXE_STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Volna needs $(PYTHON) (Debian: apt-get install python3 python3-venv)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# axe-core for the accessibility browser tests (tests/browser/package.json); optional without npm.
$(AXE_STAMP): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else echo "Note: npm not found, so axe-core is not installed and the accessibility tests will report that they could not run (Debian: apt-get install npm)."; fi

# Volna's own interface strings (English, Russian) are compiled at build time, not committed.
messages: $(STAMP)
	$(BIN)/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v '^$$' || true

demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py load_demo
	$(DEMO_ENV) $(BIN)/python manage.py demo_dashboard
	@echo "Volna demo: http://$(HOST):$(PORT)/admin/  (Celery tasks run eagerly in this process)"
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	@if [ -n "$$DATABASE_URL" ]; then echo "Database: $${DATABASE_URL%%@*}@…"; else echo "Database: SQLite (set DATABASE_URL for PostgreSQL)"; fi
	@if [ -n "$$REDIS_URL" ]; then echo "Broker: $$REDIS_URL"; else echo "Broker: none, Celery tasks run eagerly (set REDIS_URL for Redis)"; fi
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
