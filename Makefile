# `make test` and `make demo` work on a fresh clone: each creates the virtual environment first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HYPOTHESIS_PROFILE ?= quick
export HYPOTHESIS_PROFILE
export TZ := UTC

.PHONY: test lint typecheck pytest demo bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e . --group test --group lint
	touch $@

venv: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

pytest: $(VENV)/.installed
	$(PY) -m pytest --cov --cov-report=term

test: lint typecheck pytest

demo: $(VENV)/.installed
	$(PY) examples/demo.py

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage build dist
