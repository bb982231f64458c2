"""Fixtures of the Background API and webhook tests: real sandboxes on loopback.

Not the session's shared sandbox: these tests need quick webhook retries, and the retry
delays are a start-time setting (no admin call changes them). Each sandbox works on its
own fresh database under pytest's temporary area, so jobs, subscriptions and deliveries
of these tests never meet anyone else's.
"""

from __future__ import annotations

import time

import pytest

import vnkit
from vnkit import sandbox as sandbox_module

from vnkit_background_helpers import ARTICLE, SCOPES


@pytest.fixture(scope="session")
def box(tmp_path_factory):
    """A sandbox with quick webhook retries (0.2, 0.5, 1 s: four attempts in all)."""
    db = tmp_path_factory.mktemp("background") / "sandbox.sqlite3"
    handle = sandbox_module.start(db=db, reset=True,
                                  webhook_retry_delays=[0.2, 0.5, 1.0])
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def client(box):
    with vnkit.connect(box, company=ARTICLE, scopes=SCOPES, progress=False) as c:
        yield c


@pytest.fixture
def admin(box):
    """POST/GET/DELETE on the sandbox's admin calls."""
    import requests

    class Admin:
        def post(self, path, body):
            return requests.post(f"{box.url}/sandbox/admin/{path}", json=body, timeout=10)

        def get(self, path):
            answer = requests.get(f"{box.url}/sandbox/admin/{path}", timeout=10)
            answer.raise_for_status()
            return answer.json()

        def delete(self, path):
            return requests.delete(f"{box.url}/sandbox/admin/{path}", timeout=10)

        def subscribe(self, url, events, secret="s3cret", **extra):
            answer = self.post("webhooks", {"url": url, "events": events, "secret": secret,
                                            **extra})
            assert answer.status_code == 201, answer.text
            return answer.json()

        def delivery(self, notification_id, state=None, timeout=15.0):
            """The delivery log entry of a notification (once it is in ``state``)."""
            deadline = time.monotonic() + timeout
            while True:
                items = [d for d in self.get("webhooks/deliveries")
                         if d["notificationId"] == notification_id]
                if items and (state is None or items[0]["state"] == state):
                    return items[0]
                if time.monotonic() > deadline:
                    raise AssertionError(f"delivery {notification_id}: {items}")
                time.sleep(0.05)

    made = Admin()
    yield made
    for sub in made.get("webhooks"):
        made.delete(f"webhooks/{sub['id']}")
    for rule in made.get("automation"):
        made.delete(f"automation/{rule['id']}")
