"""Fixtures of the sync tests: a sandbox of the accounting firm with four companies
(other demo data than the session's shared sandbox, so a process of its own).

The data module (``vnkit_firm_small``, the firm of ``vnkit.sandbox._firm`` cut to four
companies) is imported by name in the sandbox's child process, so this folder goes on
its ``PYTHONPATH``. Its template is cached like the demo data's (``VNKIT_CACHE_DIR``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(HERE), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])

import vnkit  # noqa: E402


@pytest.fixture(scope="session")
def firm(tmp_path_factory):
    """A sandbox with the firm's four companies in one tenant, on its own database."""
    db = tmp_path_factory.mktemp("firm") / "sandbox.sqlite3"
    handle = vnkit.sandbox.start(db=db, reset=True, data_module="vnkit_firm_small")
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def company_ids(firm):
    return [str(c.company_id) for c in firm.credentials.companies]


@pytest.fixture
def writer(firm):
    """A client allowed to write, on the firm's first company (``use_company`` to move)."""
    with vnkit.connect(firm, scopes="all", progress=False) as client:
        yield client
