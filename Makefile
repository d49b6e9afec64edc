# The two set-up commands of README.md: `make demo` and `make test` create .venv/ and install into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint docs bench bench-fair clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Screen the applicants first (who is left out and why), then match those who go on.
demo: $(STAMP)
	$(VENV)/bin/matcher screen data/spring-2026
	$(VENV)/bin/matcher match data/spring-2026 --objective fair --out out/spring-2026
	$(VENV)/bin/matcher explain out/spring-2026 --runner-ups 1
	$(VENV)/bin/matcher report out/spring-2026 --runner-ups 1
	@echo
	@echo "Startup cards (one A4 page each): out/spring-2026/startup-cards.html"
	@echo "Mentor pages:                     out/spring-2026/mentor-pages.html"
	@echo "Summary report:                   out/spring-2026/report.html"

lint: $(STAMP)
	$(PY) -m ruff check matcher tests $(wildcard benchmarks)
	$(VENV)/bin/lint-imports

test: $(STAMP) lint
	$(PY) -m pytest

# The documentation site, into build/docs/ (warnings are errors, as in the tests). The notebooks are
# shown as stored; `make docs MATCHER_DOCS_EXECUTE=auto` runs them first, to publish their outputs.
docs: $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	$(PY) -m sphinx -b html -W --keep-going -n -q -d build/docs-doctrees docs build/docs
	@echo "documentation: build/docs/index.html"

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run.py

# The fair objective against plain CP-SAT (about 10 minutes); prints the table of benchmarks/FAIR.md.
bench-fair: $(STAMP)
	$(PY) benchmarks/fair.py

clean:
	rm -rf $(VENV) out build *.egg-info
