# One command per goal; every target bootstraps .venv itself (pip only, no conda).
#   make figures  - set up, then regenerate every figure, metric and the scorecard (dvc repro)
#   make test     - set up, lint, restore data and trained models offline, then unit tests + every notebook through nbval
#   make lab      - set up (with JupyterLab), then open the notebooks
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.setup-stamp
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SOURCE_DATE_EPOCH := 0
export PYTHONHASHSEED := 0
# Idle OpenMP threads sleep instead of spinning (paper_code/common/threads.py; `make bench`, Thread behaviour).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: help setup data models figures test lint unit notebooks lab strip clean-build report paper-scale bench
.DEFAULT_GOAL := help

## help: list the targets with what each does (`make` alone prints this)
help:
	@grep -E '^## [a-z-]+: ' $(MAKEFILE_LIST) | sed -E 's/^## ([a-z-]+): /\1\t/' | awk -F'\t' '{printf "  make %-12s %s\n", $$1, $$2}'

## setup: create .venv and install the project with the pipeline and test tools (reruns when pyproject.toml changes)
setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[pipeline,test]"
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# DVC commands run through a wrapper that shows DVC's own message and, on failure, the cause and the fix.
DVC := python -m paper_code.pipeline.dvc_run

## data: restore the datasets offline from the in-repo DVC store (dvc-store/), then verify them
data: setup
	$(DVC) pull data.dvc
	python -m paper_code.data.integrity

# Trained checkpoints the notebooks evaluate: the cached outputs of every train_* stage of dvc.yaml
# (found with `dvc stage list`, so a new paper's training stage is picked up without editing this file).
## models: restore every trained checkpoint (the train_* stages' cached outputs) offline from dvc-store/
models: setup
	@stages="$$(dvc stage list --name-only)" || exit 1; \
	stages="$$(grep '^train_' <<< "$$stages" || true)"; \
	if [ -z "$$stages" ]; then echo "no train_* stages in dvc.yaml"; else echo "dvc pull" $$stages; $(DVC) pull $$stages; fi

# Restore what the in-repo DVC store holds (data, trained models), then rerun only what changed.
# (`dvc repro --pull` is not used: it reports missing cache:false outputs as up to date.)
## figures: regenerate every figure, metric and the scorecard (dvc repro; restores data and models first)
figures: data
	$(DVC) pull --allow-missing
	$(DVC) repro

## test: lint (ruff), the unit tests, then every notebook through nbval
test: setup lint unit notebooks

## lint: ruff (pyflakes, pycodestyle, import order, bugbear; settings in pyproject.toml) on code, tests and notebooks
lint: setup
	ruff check .

## unit: the unit tests (pytest -q tests), after restoring data and trained checkpoints (some tests load them)
unit: data models
	pytest -q tests

## notebooks: run every notebook through nbval (outputs go to a temporary folder)
notebooks: data models
	pytest -q --nbval-lax --nbval-current-env notebooks/

## lab: install JupyterLab and open the notebooks
lab: setup
	$(VENV)/bin/pip install --quiet -e ".[all]"
	jupyter lab --no-browser --allow-root notebooks/

## report: build the HTML report (scorecard + executed notebooks, figures embedded) into build/site/; open build/site/index.html
report: setup
	python -m paper_code.pipeline.report --out build/site

## strip: remove outputs from the source notebooks before committing
strip: setup
	nbstripout notebooks/*/*.ipynb

# Paper scale: one paper at its published preset, into paper_scale/ (never run by figures, test or CI).
# The paper name is checked before anything else runs (an unknown one gets the valid list).
## paper-scale: run one paper at its paper preset into paper_scale/ (PAPER=<paper>; long: see README, Paper scale)
paper-scale: setup
	@python -m paper_code.pipeline.paper_scale --check "$(PAPER)"
	@$(MAKE) --no-print-directory data
	python -m paper_code.pipeline.paper_scale "$(PAPER)"

# Benchmark report (never part of figures/test/CI): every benchmarks/<name>.py module, the pipeline timings,
# nbval and unit-test times; BENCH_ARGS passes options (e.g. BENCH_ARGS="--only odeformer --quick").
## bench: write reports/benchmarks.md + .json: training, inference, numerics, threads, pipeline (long: runs nbval)
bench: data models
	python -m paper_code.pipeline.bench $(BENCH_ARGS)

## clean-build: delete build/ (staging, scratch outputs, failed runs, timings)
clean-build:
	rm -rf build/
