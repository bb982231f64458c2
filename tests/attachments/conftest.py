"""Fixtures of the attachment tests: the session's shared sandbox, over loopback.

Uploads attach files to existing documents; no other test counts attachments or reads
the documents' attachment lists, so they share the sandbox.
"""

from __future__ import annotations

import sqlite3

import pytest

import vnkit

WRITE_SCOPES = ("read", "create", "update")


@pytest.fixture(scope="session")
def att_box(standard_sandbox):
    return standard_sandbox  # its info["db"] is the working database


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
