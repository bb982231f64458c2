"""Fixtures of the widget tests: one real sandbox (demo data) on loopback for the module.

The widgets are exercised through their Python side (the values a browser would set, the
methods their buttons call); tests/browser drives the same widgets in JupyterLab.
"""

from __future__ import annotations

import pytest

import vnkit


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    box = vnkit.sandbox.start(db=tmp_path_factory.mktemp("widgets") / "widgets.sqlite3",
                              reset=True)
    yield box
    box.stop()
