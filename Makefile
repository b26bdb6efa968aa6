# Wangge: `make run` serves the demo town, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Bytecode is cached (__pycache__, ignored by git), even where the environment says not to: the tests
# start some forty Python processes (command line, worker, server), each 0.4 s slower compiling the
# project from source.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test lint bench install frontend messages clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

frontend: node_modules/.installed

run: install
	WANGGE_DEBUG=1 $(BIN)/wangge manage migrate --no-input -v 0
	WANGGE_DEBUG=1 $(BIN)/wangge demo load --if-empty
	WANGGE_DEBUG=1 $(BIN)/wangge demo logins
	# The background worker (imports, sweeps) runs beside the web server and stops with it.
	WANGGE_DEBUG=1 $(BIN)/wangge worker & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	  WANGGE_DEBUG=1 $(BIN)/wangge manage runserver 127.0.0.1:8000

# one worker per core (pytest-xdist); a test file's tests stay on one worker (its module fixtures once)
test: install
	$(BIN)/pytest -n auto --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	WANGGE_DEBUG=1 $(BIN)/mypy wangge/*/services.py wangge/cases/services wangge/command/services wangge/engagement/services wangge/grids/jurisdiction.py
	WANGGE_DEBUG=1 $(BIN)/wangge manage makemigrations --check --dry-run

BENCH ?=
bench: install
	$(PY) -m bench $(BENCH)

# Needs gettext's msgfmt; the compiled .mo files are committed so that `make run` does not.
messages: install
	cd wangge && WANGGE_DEBUG=1 ../$(BIN)/django-admin makemessages -l en --settings=wangge.settings --ignore "*/tests/*"
	cd wangge && WANGGE_DEBUG=1 ../$(BIN)/django-admin compilemessages --settings=wangge.settings

clean:
	rm -rf $(VENV) node_modules var
