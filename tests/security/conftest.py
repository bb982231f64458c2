"""Fixtures of the hostile-probe tests: sandboxes on the real demo data, own databases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The sign-in tests' page walker and demo values are reused here.
for folder in (HERE, HERE.parent / "signin"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from vnkit import sandbox as sandbox_module  # noqa: E402


@pytest.fixture(scope="session")
def box(tmp_path_factory):
    """A default sandbox on a database of its own."""
    db = tmp_path_factory.mktemp("security") / "sandbox.sqlite3"
    handle = sandbox_module.start(db=db, reset=True, generation_timeout=1800, quiet=True)
    yield handle
    handle.stop()
