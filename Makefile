# Two commands: `make lab` runs vnkit in JupyterLab, `make test` runs every test.
# Both create .venv on first use and reinstall only when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Jupyter refuses to run as root unless told; these machines and many containers are root.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)
# uv (from PyPI, into the new environment) installs in seconds where pip takes minutes;
# without it (no uv wheel for this platform, say) pip does the same install.
# Bytecode is compiled at install time: without it every kernel start is about 2x slower.
INSTALL_UV  := $(BIN)/python -m pip install --quiet uv
WITH_UV     := $(BIN)/python -m uv pip install --quiet --python $(BIN)/python --compile-bytecode
WITH_PIP    := $(BIN)/python -m pip install --quiet

.PHONY: lab test sandbox clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	if $(INSTALL_UV) 2>/dev/null && $(BIN)/python -m uv --version >/dev/null 2>&1; then \
	    $(WITH_UV) -e '.[lab,test]'; \
	else \
	    echo "uv is not available; installing with pip (slower)"; \
	    $(WITH_PIP) --upgrade pip && $(WITH_PIP) -e '.[lab,test]'; \
	fi
	touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/00-start-here.ipynb

# Lint and type checks first: they take seconds and catch what a test run would take minutes to.
test: $(STAMP)
	$(BIN)/ruff check vnkit
	$(BIN)/mypy
	$(BIN)/python -m pytest

sandbox: $(STAMP)
	$(BIN)/vnkit sandbox

clean:
	rm -rf $(VENV) .pytest_cache
