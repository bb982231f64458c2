"""Fixtures of the write tests: a real sandbox on the demo data, over loopback HTTP.

The working database is a fresh temporary copy per session, so writes made here never
reach other test folders' sandboxes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from vnkit_writes_helpers import Http  # noqa: E402

from vnkit import sandbox  # noqa: E402

ARTICLE_COMPANY = 2310401  # Nordlys Handel AS: the articles' examples


@pytest.fixture(scope="session")
def box(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("writes")
    handle = sandbox.start(db=tmp / "writes.sqlite3", reset=True, generation_timeout=1800,
                           quiet=True)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def http(box) -> Http:
    return Http(box, ARTICLE_COMPANY)
