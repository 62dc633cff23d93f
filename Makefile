# `make test` and `make demo` work on a fresh clone: each creates the virtual environment first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HYPOTHESIS_PROFILE ?= quick
export HYPOTHESIS_PROFILE
export TZ := UTC

.PHONY: test lint typecheck pytest docs demo bench clean test-versions dist smoke-wheel web \
	test-browser screenshots

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[webapp]' --group test --group lint --group docs --group dist
	touch $@

venv: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# coverage starts before pytest, so it also sees the modules our own pytest plugin imports
# when pytest loads it (pytest-cov would start too late for those).
pytest: $(VENV)/.installed
	$(PY) -m coverage run -m pytest
	$(PY) -m coverage report

# The documentation site: Sphinx with MyST Markdown, every warning an error.
docs: $(VENV)/.installed
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs build/docs

test: lint typecheck pytest docs

# The main job on the bundled example workspace: a Monday of generated helpdesk traffic (after a
# DST weekend) through the service on a fresh SQLite file, printed as a timeline.
# The suite on Python 3.12 and 3.13 too, where this machine has them (CI runs it after `make
# test`); see scripts/test-versions.sh.
test-versions:
	scripts/test-versions.sh

demo: $(VENV)/.installed
	rm -f build/demo.sqlite3 build/demo.sqlite3-wal build/demo.sqlite3-shm
	mkdir -p build
	$(VENV)/bin/notifpolicy simulate examples/workspace.toml --day 2026-03-30 --db build/demo.sqlite3

# The sdist and the wheel in dist/, checked as the package index would check them.
dist: $(VENV)/.installed
	rm -rf dist
	$(PY) -m build --sdist --wheel --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

# The built wheel (not the source tree) in a bare environment: see scripts/smoke-wheel.sh.
smoke-wheel: dist
	scripts/smoke-wheel.sh dist

# The example web app (examples/webapp/): a fresh seeded workspace on a SQLite file in
# build/webapp/, served on http://127.0.0.1:8000/ until Ctrl-C.
web: $(VENV)/.installed
	PYTHONPATH=examples $(PY) -m webapp --data build/webapp --reset --port 8000

# The web app's end-to-end tests in headless Chromium (/usr/bin/chromium; skipped with the
# reason when it or Playwright is missing). `make test` runs them too, inside pytest.
test-browser: $(VENV)/.installed
	$(PY) -m pytest -m browser -rs

# The same tests, writing their screenshots into docs/_static/ for the "example web app" page.
screenshots: $(VENV)/.installed
	WEBAPP_SCREENSHOTS=docs/_static $(PY) -m pytest -m browser -rs

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-3.* .pytest_cache .mypy_cache .ruff_cache .coverage build dist
