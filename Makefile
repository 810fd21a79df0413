# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app govern
PORT ?= 5000

.PHONY: run test ci translations messages clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

translations: $(VENV)/.base
	$(VENV)/bin/pybabel compile -d govern/translations --statistics 2>&1 | tail -1

## Serve the cooperative on http://127.0.0.1:$(PORT) (SQLite under instance/, demo data on first run).
run: translations
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) audit keygen --if-missing
	$(FLASK) demo --if-empty
	$(FLASK) audit checkpoint --reason start >/dev/null
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## Run the whole suite (set TEST_DATABASE_URL to run it on PostgreSQL).
test: $(VENV)/.dev translations
	@if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then npm install --prefix tests/browser --silent --no-audit --no-fund || true; fi
	$(PY) -m pytest

## Extract the strings to translate and merge them into the catalogues.
messages: $(VENV)/.base
	$(VENV)/bin/pybabel extract -F govern/translations/babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o govern/translations/messages.pot .
	$(VENV)/bin/pybabel update -i govern/translations/messages.pot -d govern/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache
