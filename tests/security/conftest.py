"""Fixtures of the hostile-probe tests: the shared sandbox on the real demo data (tests
that check start-up and storage start their own)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The sign-in tests' page walker and demo values are reused here.
for folder in (HERE, HERE.parent / "signin"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture(scope="session")
def box(standard_sandbox):
    """The session's shared sandbox (tests/conftest.py), default settings."""
    return standard_sandbox
