"""Fixtures of the client tests: a fake transport (unit) and a real sandbox (integration).

Integration tests are marked ``sandbox``; they run by default and fail (never skip)
when the sandbox cannot start. Deselect them with ``-m "not sandbox"``.
"""

from __future__ import annotations

import threading
from collections import Counter
from urllib.parse import urlsplit

import pytest
from requests.adapters import HTTPAdapter
from vnkit_client_fakes import Dataset, FakeApi, customers, sandbox_like

import vnkit


def pytest_configure(config):
    config.addinivalue_line("markers", "sandbox: runs against a real vnkit sandbox over HTTP")


# -- unit: fake transport ---------------------------------------------------------------------
@pytest.fixture
def api() -> FakeApi:
    """A fake API with 350 customers at 100 per page (article 08's example)."""
    return FakeApi(datasets={"customer": Dataset(customers(350), max_page_size=100)})


@pytest.fixture
def client(api: FakeApi):
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as c:
        yield c


# -- integration: a real sandbox over loopback ------------------------------------------------
class CountingAdapter(HTTPAdapter):
    """The real transport, counting requests per (method, path) and per query."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counts: Counter[tuple[str, str]] = Counter()
        self.queries: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def send(self, request, *args, **kwargs):
        parts = urlsplit(request.url)
        with self._lock:
            self.counts[(request.method, parts.path)] += 1
            self.queries.append((request.method, parts.path, parts.query))
        return super().send(request, *args, **kwargs)

    def api_gets(self, suffix: str = "") -> int:
        return sum(n for (method, path), n in self.counts.items()
                   if method == "GET" and "/v1/" in path and path.endswith(suffix))

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.queries.clear()


@pytest.fixture(scope="session")
def sandbox(standard_sandbox):
    """The session's shared sandbox (tests/conftest.py): default settings, no latency."""
    return standard_sandbox


@pytest.fixture
def counting() -> CountingAdapter:
    return CountingAdapter(pool_maxsize=16)


@pytest.fixture
def sandbox_client(sandbox, counting):
    """A client on the sandbox's first company, counting every request it sends."""
    with vnkit.connect(sandbox, adapter=counting, progress=False) as c:
        counting.reset()  # the sign-in is not part of what tests count
        yield c
