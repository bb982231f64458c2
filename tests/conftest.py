"""Fixtures every test folder shares: one sandbox process and the in-process app.

* ``standard_sandbox`` - the one sandbox process of the session: default settings, the
  standard demo data (its template is the cached one, ``VNKIT_CACHE_DIR``), on a fresh
  working copy under pytest's temporary area. The folders' conftests hand it out under
  their own names (``box``, ``sandbox``, ``real``, ``att_box``).
* ``standard_app`` - the same data served in-process through FastAPI's ``TestClient``
  (no process, no port), on a working copy of its own: for server tests that need
  nothing of a real process. ``in_process_app`` makes another one with other settings.

Tests on the shared sandbox follow three rules, so that no test depends on which ran
before it:

* settings changed at run time (rate limits, the fault plan, webhook subscriptions and
  automation rules) are put back; ``_shared_settings_put_back`` restores whatever a test
  left changed, so one careless test cannot spoil the next;
* records a test adds get keys or names of their own;
* a test that adds records other tests count exactly (customers of the article company,
  which nothing can delete) or changes stored records (``/sandbox/admin/move`` puts a
  status back, not the ``lastModifiedDateTime`` other tests filter on) works on the
  in-process app or keeps a sandbox of its own, with the reason next to its fixture.
  So do tests whose settings can only be given at start (token lifetimes, webhook
  retry delays, other demo data).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from vnkit_sandboxes import AppSandbox, in_process_app, own_sandbox

from vnkit import sandbox as sandbox_module
from vnkit.sandbox import Settings

#: The rate-limit settings of a default start, as ``/sandbox/admin/rate-limit`` takes them.
_DEFAULTS = Settings()
DEFAULT_RATE = {"test": _DEFAULTS.rate_limit_test,
                "production": _DEFAULTS.rate_limit_production,
                "window_seconds": _DEFAULTS.rate_window_seconds,
                "policy": _DEFAULTS.rate_limit_policy,
                "enabled": _DEFAULTS.rate_limit_enabled}


@pytest.fixture(scope="session")
def standard_sandbox(tmp_path_factory) -> Iterator[sandbox_module.Sandbox]:
    """The session's shared sandbox process (default settings, standard demo data)."""
    with own_sandbox(tmp_path_factory.mktemp("standard")) as handle:
        yield handle


def _rate_settings(state: dict) -> dict:
    return {"test": state["limits"]["test"], "production": state["limits"]["production"],
            "window_seconds": state["window_seconds"], "policy": state["policy"],
            "enabled": state["enabled"]}


def _admin_items(url: str, kind: str) -> list[dict]:
    answer = requests.get(f"{url}/sandbox/admin/{kind}", timeout=10)
    answer.raise_for_status()
    return answer.json()


@pytest.fixture(scope="session")
def _standard_baseline(standard_sandbox) -> dict:
    """What the shared sandbox holds at start: its fault plan and admin items."""
    return {"plan": standard_sandbox.faults()["plan"],
            **{kind: {item["id"] for item in _admin_items(standard_sandbox.url, kind)}
               for kind in ("webhooks", "automation")}}


@pytest.fixture(autouse=True)
def _shared_settings_put_back(request) -> Iterator[None]:
    """After a test on the shared sandbox: default limits, the first fault plan, and
    none of the webhook subscriptions or automation rules it added.

    Only for tests that use ``standard_sandbox`` (directly or through a folder's
    fixture); the others pay nothing.
    """
    if "standard_sandbox" not in request.fixturenames:
        yield
        return
    box = request.getfixturevalue("standard_sandbox")
    baseline = request.getfixturevalue("_standard_baseline")
    yield
    if _rate_settings(box.rate_limit()) != DEFAULT_RATE:
        # The budgets start afresh too: a lowered limit may have used them up.
        box.rate_limit(**DEFAULT_RATE, reset=True)
    if box.faults()["plan"] != baseline["plan"]:
        box.faults(baseline["plan"])
    for kind in ("webhooks", "automation"):
        for item in _admin_items(box.url, kind):
            if item["id"] not in baseline[kind]:
                requests.delete(f"{box.url}/sandbox/admin/{kind}/{item['id']}",
                                timeout=10).raise_for_status()


@pytest.fixture(scope="session")
def standard_app(tmp_path_factory) -> Iterator[AppSandbox]:
    """The standard demo data served in-process, default settings (a session's copy)."""
    with in_process_app(tmp_path_factory.mktemp("standard-app")) as app:
        yield app
