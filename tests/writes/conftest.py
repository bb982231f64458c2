"""Fixtures of the write tests: the demo data served in-process, and real sandboxes.

* ``box`` / ``http`` - the session's in-process app (``standard_app``, tests/conftest.py)
  on a working copy of its own: the server's write rules need nothing of a process, and
  what these tests create (customers of the article company among them) never reaches
  the shared sandbox, whose tests count them.
* ``net_http`` - raw HTTP to the shared sandbox process, for requests that must reach
  the server byte for byte (reads only).
* ``client_box`` - a sandbox process for the client's writes over the network.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from vnkit_sandboxes import own_sandbox  # noqa: E402
from vnkit_writes_helpers import Http  # noqa: E402

ARTICLE_COMPANY = 2310401  # Nordlys Handel AS: the articles' examples


@pytest.fixture(scope="session")
def box(standard_app):
    return standard_app


@pytest.fixture(scope="session")
def http(box) -> Http:
    return Http(box, ARTICLE_COMPANY)


@pytest.fixture(scope="session")
def net_http(standard_sandbox) -> Http:
    return Http(standard_sandbox, ARTICLE_COMPANY)


@pytest.fixture(scope="session")
def client_box(tmp_path_factory):
    """A process of its own: the client creates customers in the article company, which
    nothing can delete, and the shared sandbox's tests count that company's customers."""
    with own_sandbox(tmp_path_factory.mktemp("writes")) as handle:
        yield handle
