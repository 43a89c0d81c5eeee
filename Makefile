# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint clean-demo soak

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian run 'apt-get install python3-venv'"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_users
	$(BIN)/python manage.py ingest_seeds
	@echo "Sign in at http://127.0.0.1:8000/admin/ with one of the users above (Ctrl-C stops)."
	DEBUG=1 DJANGO_RUNSERVER_HIDE_WARNING=true $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest

# mypy: strict on the modules listed in pyproject.toml ([tool.mypy]), lenient elsewhere.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Longer reliability runs (docs/benchmarks.md): PostgreSQL restarted under a
# stream of commands, on a throwaway server of its own (port 55432); needs the
# PostgreSQL server binaries (PG_BIN, default /usr/lib/postgresql/15/bin). Then, on the
# PostgreSQL at BENCH_PG (bench_* databases): 50 conflicting API clients for 60 s and
# schemathesis against gunicorn; and the whole hostile corpus, 20 MiB lines included.
soak: install
	$(BIN)/python bench/soak_pg_restart.py
	$(BIN)/python bench/api_conflicts.py --seconds 60 --clients 50
	$(BIN)/python bench/api_fuzz.py
	HOSTILE_BIG=1 $(BIN)/python -m pytest tests/reliability/test_hostile_corpus.py -q -p no:randomly -k refused_with_a_reason
