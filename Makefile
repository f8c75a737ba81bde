# driftscale: `make demo` runs the main job, `make test` installs everything and runs lint + tests,
# `make docs` builds the documentation site.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test lint docs install install-dev browser bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: the CPU wheel lies on disk; a bare "torch" requirement pulls several GB.
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,torch,docs]'
	touch $@

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(VENV)/bin/driftscale demo --out driftscale-out --force

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/lint-imports

# Chromium and its driver for the browser test of the HTML report (tests/report/test_browser.py),
# installed with apt-get where missing (CI runs as root). Elsewhere, without them, that test skips;
# under CI=true it fails.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	else \
		echo "chromium/chromedriver missing: the browser test will skip (fail under CI=true);" \
		     "install them with: sudo apt-get install chromium chromium-driver"; \
	fi

test: $(VENV)/.installed-dev lint browser
	$(PY) -m pytest -q

# the documentation site with its gallery, warnings as errors -> docs/_build/html/index.html
# (about a minute; the test suite builds it without running the gallery)
docs: $(VENV)/.installed-dev
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

# the references (fplanck, py-pde, diffusers) are benchmark-only extras, never runtime dependencies
$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(PIP) install --quiet -e '.[dev,torch,bench-fp,bench-diffusers,bench-cv]'
	touch $@

# every benchmark in turn (about 20 minutes: the learned-vs-diffusers one trains 2 x 300 s)
bench: $(VENV)/.installed-bench
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
	rm -rf docs/_build docs/generated docs/auto_examples docs/sg_execution_times.rst
