"""Helpers of the sandbox server tests (a module of its own, so test files can import
it by a name no other test folder uses)."""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

import requests

from vnkit import sandbox

SCOPES = {op: f"vismanet_erp_service_api:{op}" for op in ("create", "read", "update", "delete")}
ALL_SCOPES = " ".join(SCOPES.values())


@contextlib.contextmanager
def env(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Api:
    """A thin HTTP helper around one sandbox (tokens, GETs, raw URLs)."""

    def __init__(self, box: sandbox.Sandbox):
        self.box = box
        self.url = box.url
        self.http = requests.Session()
        self._tokens: dict[tuple, str] = {}

    def token_response(self, *, tenant: str | None, scope: str | None = SCOPES["read"],
                       client_id: str | None = None, secret: str | None = None,
                       basic: bool = False, grant_type: str = "client_credentials",
                       extra: dict | None = None) -> requests.Response:
        creds = self.box.credentials
        client_id = creds.client_id if client_id is None else client_id
        secret = creds.client_secret if secret is None else secret
        form = {"grant_type": grant_type}
        if scope is not None:
            form["scope"] = scope
        if tenant is not None:
            form["tenant_id"] = tenant
        headers = {}
        if basic:
            pair = f"{client_id}:{secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form.update(client_id=client_id, client_secret=secret)
        form.update(extra or {})
        return self.http.post(f"{self.url}/connect/token", data=form, headers=headers)

    def token(self, company: str | int, scope: str = SCOPES["read"]) -> str:
        """A cached token for the tenant of ``company`` (name or id)."""
        tenant = self.box.credentials.tenant_id(company)
        key = (tenant, scope)
        if key not in self._tokens:
            answer = self.token_response(tenant=tenant, scope=scope)
            answer.raise_for_status()
            self._tokens[key] = answer.json()["access_token"]
        return self._tokens[key]

    def get(self, path: str, *, token: str | None, company: int | str | None = None,
            params: dict | None = None, headers: dict | None = None,
            method: str = "GET", root: str = "/v1") -> requests.Response:
        all_headers = {"Accept": "application/json"}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if company is not None:
            all_headers["ipp-company-id"] = str(company)
        all_headers.update(headers or {})
        return self.http.request(method, f"{self.url}{root}/{path.lstrip('/')}",
                                 params=params, headers=all_headers)

    def raw(self, path_and_query: str, *, token: str | None,
            company: int | None = None) -> requests.Response:
        """GET with the path and query sent exactly as written (no re-encoding)."""
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if company is not None:
            headers["ipp-company-id"] = str(company)
        prepared = requests.Request("GET", self.url + "/", headers=headers).prepare()
        prepared.url = self.url + path_and_query
        return self.http.send(prepared)

    def records(self, path: str, *, token: str, company: int | None = None,
                **params) -> list[dict]:
        answer = self.get(path, token=token, company=company, params=params or None)
        assert answer.status_code == 200, answer.text
        return answer.json()


def start_tiny(tmp: Path, name: str, **settings) -> sandbox.Sandbox:
    with env(VNKIT_CACHE_DIR=str(tmp / "cache")):
        return sandbox.start(db=tmp / f"{name}.sqlite3", data_module="vnkit_tinydata",
                             quiet=True, **settings)
