"""Fixtures of the sign-in tests: sandboxes on the real demo data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from vnkit_sandboxes import own_sandbox  # noqa: E402


@pytest.fixture(scope="session")
def box(standard_sandbox):
    """The shared sandbox (tests/conftest.py): codes live 600 s, tokens 3600 s."""
    return standard_sandbox


@pytest.fixture(scope="session")
def short_box(tmp_path_factory, box):  # after `box`, so the demo data exists
    """A sandbox whose codes live 1 s and whose tokens live 2 s (expiry and refresh).

    A process of its own: the lifetimes are start-time settings, with no admin call to
    change them on the shared sandbox.
    """
    with own_sandbox(tmp_path_factory.mktemp("signin-short"), code_ttl=1,
                     token_ttl=2) as handle:
        yield handle
