# One command per goal; every target bootstraps .venv itself (pip only, no conda).
#   make figures  - set up, then regenerate every figure, metric and the scorecard (dvc repro)
#   make test     - set up, restore data and trained models offline, then unit tests + every notebook through nbval
#   make lab      - set up (with JupyterLab), then open the notebooks
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.setup-stamp
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SOURCE_DATE_EPOCH := 0
export PYTHONHASHSEED := 0

.PHONY: setup data models figures test unit notebooks lab strip clean-build

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[pipeline,test]"
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

data: setup
	dvc pull --quiet data.dvc

# Trained checkpoints the notebooks evaluate (cached outputs of the training stages), restored offline.
models: setup
	dvc pull --quiet train_odeformer

# Restore what the in-repo DVC store holds (data, trained models), then rerun only what changed.
# (`dvc repro --pull` is not used: it reports missing cache:false outputs as up to date.)
figures: data
	dvc pull --quiet --allow-missing
	dvc repro

test: setup unit notebooks

unit: data
	pytest -q tests

notebooks: data models
	pytest -q --nbval-lax --nbval-current-env notebooks/

lab: setup
	$(VENV)/bin/pip install --quiet -e ".[all]"
	jupyter lab --no-browser --allow-root notebooks/

strip: setup
	nbstripout notebooks/*/*.ipynb

clean-build:
	rm -rf build/
