"""Fixtures of the attachment tests: a sandbox on the real demo data, over loopback.

The working database is a temporary copy (``db=`` under pytest's temporary area), so
uploads never reach other tests' sandboxes. The template is the machine's cached one.
"""

from __future__ import annotations

import sqlite3

import pytest

import vnkit
from vnkit import sandbox

WRITE_SCOPES = ("read", "create", "update")


@pytest.fixture(scope="session")
def att_box(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attachments")
    box = sandbox.start(db=tmp / "attachments.sqlite3", reset=True, generation_timeout=1800)
    box.info["db"] = str(tmp / "attachments.sqlite3")
    yield box
    box.stop()


@pytest.fixture(scope="session")
def att_client(att_box):
    with vnkit.connect(att_box, scopes=WRITE_SCOPES, progress=False) as client:
        yield client


@pytest.fixture(scope="session")
def docs(att_client) -> dict[str, dict]:
    """One record of each attachable resource (read once)."""
    out = {}
    for resource in ("customerinvoice", "customerCreditNote", "customerDebitNote",
                     "supplierInvoice", "inventory"):
        out[resource] = att_client.get(resource, pageSize=3)[0]
    out["customerinvoice2"] = att_client.get("customerinvoice", pageSize=3)[1]
    return out


@pytest.fixture
def db_rows(att_box):
    """``db_rows(sql, *args)``: rows of the sandbox's working database (read-only)."""

    def query(sql: str, *args):
        conn = sqlite3.connect(f"file:{att_box.info['db']}?mode=ro", uri=True)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    return query
