"""The working database is private (it holds the signing keys and client secrets), and
the access log logs requests without credentials."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import requests

from vnkit import sandbox as sandbox_module


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_working_database_and_templates_are_owner_only(box, tmp_path):
    db = Path(box.info["db"])
    assert mode(db) == 0o600
    wal = Path(f"{db}-wal")
    if wal.exists():
        assert mode(wal) & 0o077 == 0
    from vnkit.sandbox._store import cache_dir

    templates = list(cache_dir().glob("template-*.sqlite3"))
    assert templates and all(mode(t) == 0o600 for t in templates)
    # A database made by an earlier version (0644) is made private on the next start.
    old = tmp_path / "old.sqlite3"
    first = sandbox_module.start(db=old, quiet=True)
    first.stop()
    os.chmod(old, 0o644)
    again = sandbox_module.start(db=old, quiet=True)
    try:
        assert mode(old) == 0o600
    finally:
        again.stop()


def test_a_per_run_copy_is_owner_only_too():
    handle = sandbox_module.start(quiet=True)
    try:
        assert mode(handle.info["db"]) == 0o600
    finally:
        handle.stop()


def test_access_log_logs_requests_without_credentials(tmp_path):
    handle = sandbox_module.start(db=tmp_path / "log.sqlite3", access_log=True, quiet=True)
    try:
        token_answer = requests.post(f"{handle.url}/connect/token", data={
            "grant_type": "client_credentials", "client_id": handle.credentials.client_id,
            "client_secret": handle.credentials.client_secret,
            "tenant_id": handle.companies[0].tenant_id,
            "scope": "vismanet_erp_service_api:read"})
        token = token_answer.json()["access_token"]
        requests.get(f"{handle.url}/v1/customer", params={"pageSize": 2},
                     headers={"Authorization": f"Bearer {token}",
                              "ipp-company-id": str(handle.companies[0].company_id)})
        # Credentials in a query string (refused by the API, but logged before that).
        requests.post(f"{handle.url}/API/security/api/v2/token",
                      params={"client_secret": "qs-secret-1", "code": "qs-code-2",
                              "access_token": "qs-token-3"})
        requests.get(f"{handle.url}/connect/authorize",
                     params={"client_id": "x", "state": "qs-state-4"})
        text = ""
        for _ in range(50):  # the server writes its log lines as it answers
            text = handle.server_log()
            if "qs-state" in text or "authorize" in text:
                break
            import time

            time.sleep(0.05)
        assert '"POST /connect/token HTTP/1.1" 200' in text
        assert "GET /v1/customer?pageSize=2 HTTP/1.1" in text
        assert "/connect/authorize?client_id=x&state=***" in text
        for secret in (token, handle.credentials.client_secret, "qs-secret-1", "qs-code-2",
                       "qs-token-3", "qs-state-4"):
            assert secret not in text
    finally:
        handle.stop()


def test_no_access_log_by_default(box):
    requests.get(f"{box.url}/sandbox/health")
    assert "GET /sandbox/health" not in box.server_log()
