# kpiboard: two commands on a fresh machine. `make run` serves the demo; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install messages static migrate demo lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	$(PY) manage.py compile_catalogs

static: $(STAMP)
	$(PY) manage.py collectstatic --noinput --verbosity 0

migrate: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --noinput --verbosity 0

demo: migrate messages
	$(PY) manage.py seed_demo

run: demo static
	$(PY) manage.py runserver 127.0.0.1:8000

test: messages
	$(PY) manage.py makemigrations --check --dry-run --verbosity 0
	$(PY) -m pytest -m "not celery_worker" -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf var
