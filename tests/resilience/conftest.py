"""Fixtures of the resilience tests: one real sandbox for the folder, over real HTTP.

Tests here change the sandbox's limits, fault plan and ledger: ``admin`` puts them back
before and after every test. They also move records (customers turn Active while a
client pages, article 08) and move them back; the status is restored, but the records'
``lastModifiedDateTime`` is not, and the shared sandbox's tests page by it. So the
folder has a sandbox of its own, and the seeded fault suite another (see its module).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from vnkit_resilience_helpers import Admin  # noqa: E402
from vnkit_sandboxes import own_sandbox  # noqa: E402


@pytest.fixture(scope="session")
def box(tmp_path_factory):
    with own_sandbox(tmp_path_factory.mktemp("resilience")) as handle:
        yield handle


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
