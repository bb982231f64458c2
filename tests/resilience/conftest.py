"""Fixtures of the resilience tests: a real sandbox per test module, on its own database.

Tests here change the sandbox's limits, fault plan and data, so every module gets a
fresh sandbox (about a second to start once the demo data is cached), and the plan
and limits are put back after every test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from vnkit_resilience_helpers import Admin  # noqa: E402


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    from vnkit import sandbox

    db = tmp_path_factory.mktemp("resilience") / "sandbox.sqlite3"
    handle = sandbox.start(db=db, reset=True, generation_timeout=1800)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def admin(box):
    helper = Admin(box)
    helper.set_faults({}).raise_for_status()
    helper.set_rate(test=500, production=15000, window_seconds=3600, enabled=True,
                    reset=True).raise_for_status()
    helper.clear_ledger()
    yield helper
    helper.set_faults({})
    helper.set_rate(test=500, production=15000, window_seconds=3600, enabled=True,
                    reset=True)
