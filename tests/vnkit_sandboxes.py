"""Sandboxes for tests: a process on a working copy of its own, or the app in-process
(a module with a name no test folder uses, so any test file can import it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from vnkit import sandbox
from vnkit.sandbox import Settings


@contextlib.contextmanager
def own_sandbox(folder: Path, **settings) -> Iterator[sandbox.Sandbox]:
    """A sandbox process on a fresh working copy in ``folder``, stopped on exit.

    ``settings`` are :class:`~vnkit.sandbox.Settings` fields. A first start on a machine
    generates the demo data, hence the long allowance.
    """
    handle = sandbox.start(db=folder / "sandbox.sqlite3", reset=True, generation_timeout=1800,
                           quiet=True, **settings)
    try:
        yield handle
    finally:
        handle.stop()


class AppSandbox:
    """A sandbox app served in-process, with the parts of a :class:`Sandbox` handle that
    tests use (``url``, ``credentials``, ``companies``, ``info["db"]``).

    ``client`` is the ``TestClient``; its base URL is ``http://127.0.0.1``, because the
    admin routes answer only to a loopback host. Answers that carry URLs (``Location``)
    name that base.
    """

    def __init__(self, client, db: Path):
        from vnkit.sandbox import CompanyRef, Credentials

        store = client.app.state.store
        self.client = client
        self.url = str(client.base_url).rstrip("/")
        demo = next(iter(store.clients.values()))
        self.companies = tuple(CompanyRef(c.name, c.company_id, c.tenant_id)
                               for c in store.companies)
        self.credentials = Credentials(demo.client_id, demo.client_secret, self.companies)
        self.info = {"db": str(db)}


@contextlib.contextmanager
def in_process_app(folder: Path, **settings) -> Iterator[AppSandbox]:
    """A sandbox app built in this process on a working copy of its own in ``folder``.

    ``settings`` are :class:`~vnkit.sandbox.Settings` fields.
    """
    from fastapi.testclient import TestClient

    from vnkit.sandbox._app import create_app

    db = folder / "app.sqlite3"
    app = create_app(Settings(**settings), db=str(db), reset=True)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield AppSandbox(client, db)
