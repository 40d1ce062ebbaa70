# Two entry points: `make run` (the default pipeline) and `make test`.
# Both create .venv with the pinned environment first.

PYTHON ?= python3
VENV := .venv
CORES ?= $(shell nproc)
STAMP := $(VENV)/.installed

.PHONY: run quick test lint format clean-venv

run: $(STAMP)
	$(VENV)/bin/snakemake --cores $(CORES)

quick: $(STAMP)
	$(VENV)/bin/snakemake --cores $(CORES) --configfile config/quick.yaml

test: $(STAMP)
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests workflow/scripts
	$(VENV)/bin/ruff format --check src tests workflow/scripts
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules
	$(VENV)/bin/snakemake --lint

format: $(STAMP)
	$(VENV)/bin/ruff format src tests workflow/scripts
	$(VENV)/bin/snakefmt Snakefile workflow/rules

$(STAMP): envs/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -r envs/requirements.txt
	$(VENV)/bin/pip install --no-deps -e .
	touch $(STAMP)

clean-venv:
	rm -rf $(VENV)
