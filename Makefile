# Two commands: `make lab` runs vnkit in JupyterLab, `make test` runs every test.
# Both create .venv on first use and reinstall only when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Jupyter refuses to run as root unless told; these machines and many containers are root.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test sandbox clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[lab,test]'
	touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/00-start-here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

sandbox: $(STAMP)
	$(BIN)/vnkit sandbox

clean:
	rm -rf $(VENV) .pytest_cache
