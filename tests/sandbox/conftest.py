"""Fixtures of the sandbox server tests: real servers on loopback, real HTTP.

* ``tiny`` — a sandbox on the hand-made data of ``vnkit_tinydata`` (its template lives
  in pytest's temporary area), with ``customer`` capped at 200 per page so clamping is
  visible.
* ``tiny_short`` — the same data with one-second tokens and 150 ms latency.
* ``real`` — the session's shared sandbox on the real demo data (``vnkit.sandbox._seed``,
  tests/conftest.py). Its template is the one in the user cache (``VNKIT_CACHE_DIR`` to
  move it), so generation happens once per machine, not once per run; its working
  database is a temporary copy.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The child process must import the tiny data module by name.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(HERE), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])

import vnkit_tinydata as tiny_data  # noqa: E402
from vnkit_sandbox_helpers import Api, start_tiny  # noqa: E402


@pytest.fixture(scope="session")
def tiny_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny")


@pytest.fixture(scope="session")
def tiny(tiny_tmp):
    box = start_tiny(tiny_tmp, "tiny", max_page_size={"customer": 200})
    yield box
    box.stop()


@pytest.fixture(scope="session")
def tiny_short(tiny_tmp, tiny):  # after `tiny`, so the template exists
    box = start_tiny(tiny_tmp, "short", token_ttl=1, latency_ms=150)
    yield box
    box.stop()


@pytest.fixture(scope="session")
def api(tiny) -> Api:
    return Api(tiny)


@pytest.fixture(scope="session")
def article(api) -> tuple[str, int]:
    """``(token, company_id)`` of the tiny data's article company (one-company tenant)."""
    return api.token(tiny_data.ARTICLE), tiny_data.ARTICLE


def real_data_available() -> bool:
    return importlib.util.find_spec("vnkit.sandbox._seed") is not None


@pytest.fixture(scope="session")
def real(standard_sandbox):
    if not real_data_available():
        pytest.skip("vnkit.sandbox._seed (the real demo data) is not there yet")
    return standard_sandbox


@pytest.fixture(scope="session")
def real_api(real) -> Api:
    return Api(real)
