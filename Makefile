# Two commands: `make lab` runs vnkit in JupyterLab, `make test` runs every test.
# Both create .venv on first use and reinstall only when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Jupyter refuses to run as root unless told; these machines and many containers are root.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)
# uv (from PyPI, into the new environment) installs in seconds where pip takes minutes;
# without it (no uv wheel for this platform, say) pip does the same install.
# Bytecode is compiled at install time: without it every kernel start is about 2x slower.
INSTALL_UV  := $(BIN)/python -m pip install --quiet uv
WITH_UV     := $(BIN)/python -m uv pip install --quiet --python $(BIN)/python --compile-bytecode
WITH_PIP    := $(BIN)/python -m pip install --quiet

.PHONY: lab test sandbox clean

# `make lab` installs what the notebooks need; `make test` adds the test tools on top (the
# browser driver, type checker and fuzzers are about half the download a learner would
# otherwise wait for). Each list of extras has its own stamp, redone when pyproject changes.
$(VENV)/.installed-%: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	if $(INSTALL_UV) 2>/dev/null && $(BIN)/python -m uv --version >/dev/null 2>&1; then \
	    $(WITH_UV) -e '.[$(EXTRAS_$*)]'; \
	else \
	    echo "uv is not available; installing with pip (slower)"; \
	    $(WITH_PIP) --upgrade pip && $(WITH_PIP) -e '.[$(EXTRAS_$*)]'; \
	fi
	touch $@

EXTRAS_lab  := lab,sync
EXTRAS_test := lab,test

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/00-start-here.ipynb

# Lint and type checks first: they take seconds and catch what a test run would take minutes to.
test: $(VENV)/.installed-test
	$(BIN)/ruff check vnkit
	$(BIN)/mypy
	$(BIN)/python -m pytest

sandbox: $(VENV)/.installed-lab
	$(BIN)/vnkit sandbox

clean:
	rm -rf $(VENV) .pytest_cache
