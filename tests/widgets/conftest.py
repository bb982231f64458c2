"""Fixtures of the widget tests: the session's shared sandbox (demo data) on loopback.

The widgets are exercised through their Python side (the values a browser would set, the
methods their buttons call); tests/browser drives the same widgets in JupyterLab.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sandbox(standard_sandbox):
    return standard_sandbox
