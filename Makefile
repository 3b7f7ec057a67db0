# The front door: `make report` renders every notebook on the bundled data, `make test` runs the
# tests. Both create .venv with python3 when it is missing and install the kit into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTAG  := $(shell $(PYTHON) -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
# Pinned versions for this Python, when the kit has them (CI uses Python 3.11).
CONSTRAINTS := $(wildcard .ci/constraints-$(PYTAG).txt)
STAMP  := $(VENV)/.installed-$(PYTAG)
# The suite runs on this many pytest-xdist workers; tests sharing an expensive fixture stay on
# one worker (tests/conftest.py). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: setup report test lab bench constraints clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(if $(CONSTRAINTS),echo "Installing pinned versions from $(CONSTRAINTS)",echo "No pinned versions for $(PYTAG): installing the newest versions pyproject.toml allows")
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[test]"  # test includes pyspark for the Spark engine tests
	@touch $@

report: setup
	$(BIN)/cx report

test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15  # the slowest tests, for keeping the suite short

lab: setup
	$(BIN)/jupyter lab notebooks/

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

constraints: setup
	@(echo "# Versions that \`make\` and CI install on Python 3.11 (pip install -c this file)."; \
	  echo "# Regenerate: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e') > .ci/constraints-$(PYTAG).txt

clean:
	rm -rf $(VENV) .pytest_cache
