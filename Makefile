# The two commands of the README: `make run` and `make test`. Each creates .venv on its own (and
# `make test` node_modules/ for ESLint).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DATA   ?= ./var
PORT   ?= 8080
# ESLint (npm) for the box's own scripts: installed once per package-lock.json, from npm's cache when it can
LINTED := node_modules/.installed-$(shell cat package-lock.json | sha1sum | cut -c1-12)

.PHONY: run test venv lint clean pictograms h5p-player

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

$(LINTED): package-lock.json
	npm ci --no-audit --no-fund --prefer-offline
	touch $(LINTED)

lint: $(LINTED)
	node_modules/.bin/eslint classbox

run: $(STAMP)
	$(BIN)/classbox serve --demo --data-dir $(DATA) --host 127.0.0.1 --port $(PORT)

# The suite on TEST_WORKERS pytest-xdist workers, each test file whole on one of them
# (docs/architecture.md, "Tests"); TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
test: $(STAMP) lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache node_modules

# The bundled pictograms (Twemoji, CC-BY 4.0), re-fetched from the npm package they come from.
pictograms:
	$(PYTHON) scripts/fetch_pictograms.py

# The H5P player (h5p-standalone, MIT), re-fetched from npm at its pinned version.
h5p-player:
	$(PYTHON) scripts/fetch_h5p_player.py
