"""A swap-in transport for the client's unit tests: a fake API behind a ``BaseAdapter``.

``FakeApi`` serves the token endpoint, the context list and list endpoints with the
API's paging rules (``pageSize`` clamped to ``maxPageSize``, ``metadata`` on every
record), records every request it gets, and lets a test change the data or fail a page
while a fetch runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

ROOT = "http://fake.test"
SECRET = "s3cr3t-VALUE-never-shown"
CLIENT_ID = "isv_fake"


@dataclass
class Dataset:
    """One list endpoint of the fake API."""

    records: list[dict[str, Any]]
    max_page_size: int = 100
    metadata: bool = True
    paged: bool = True


@dataclass
class Call:
    method: str
    url: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: str


@dataclass
class FakeApi:
    """State and behaviour of the fake API; ``adapter`` is the transport to mount."""

    datasets: dict[str, Dataset] = field(default_factory=dict)
    companies: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": 1001, "name": "Nordic Widgets AS", "type": "Company"},
        {"id": 1002, "name": "Fjord Foods AB", "type": "Company"}])
    expires_in: int | None = 3600
    token_error: dict[str, Any] | None = None  # an OAuth error body for /connect/token
    token_status: int = 400
    reject_tokens: set[str] = field(default_factory=set)  # tokens the API answers 401
    reject_all_tokens: bool = False
    granted_scope: str | None = None  # answer another scope than the one asked for
    # page hooks: before serving page N of any endpoint (mutate data, fail, sleep)
    before_page: Callable[[str, int], Any] | None = None
    page_delay: Callable[[int], float] | None = None
    fail_pages: dict[int, tuple[int, Any]] = field(default_factory=dict)
    errors: dict[str, tuple[int, Any, dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.calls: list[Call] = []
        self.tokens_issued = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.adapter = FakeAdapter(self)

    # -- what tests look at --------------------------------------------------------------
    def api_calls(self, path: str | None = None) -> list[Call]:
        return [c for c in self.calls if "/v1/" in c.path or "/v2/" in c.path
                if path is None or c.path.endswith("/" + path)]

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path.endswith("/connect/token")]

    # -- serving -------------------------------------------------------------------------
    def handle(self, request: requests.PreparedRequest) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(request.url)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = request.body or ""
        if isinstance(body, bytes):
            body = body.decode()
        call = Call(request.method, request.url, parts.path, params, dict(request.headers), body)
        with self._lock:
            self.calls.append(call)
        if parts.path.endswith("/connect/token"):
            return self._token(dict(parse_qsl(body)))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer ") or token in self.reject_tokens or self.reject_all_tokens:
            return 401, {"message": "Authorization has been denied for this request."}, {}
        if parts.path.endswith("/resources/v1/context"):
            return 200, self.companies, {}
        endpoint = parts.path.split("/v1/", 1)[-1]
        if endpoint in self.errors:
            return self.errors[endpoint]
        dataset = self.datasets.get(endpoint)
        if dataset is None:
            return 404, {"message": f"No endpoint {endpoint}"}, {}
        return self._page(endpoint, dataset, params)

    def _token(self, form: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if self.token_error is not None:
            return self.token_status, self.token_error, {}
        if form.get("client_secret") != SECRET or form.get("grant_type") != "client_credentials":
            return 400, {"error": "invalid_client"}, {}
        with self._lock:
            self.tokens_issued += 1
            n = self.tokens_issued
        body: dict[str, Any] = {"access_token": f"tok-{n}-{form.get('tenant_id')}",
                                "token_type": "Bearer",
                                "scope": self.granted_scope or form.get("scope", "")}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return 200, body, {}

    def _page(self, endpoint: str, dataset: Dataset, params: dict[str, str]
              ) -> tuple[int, Any, dict[str, str]]:
        number = int(params.get("pageNumber", 1))
        if self.before_page is not None:
            self.before_page(endpoint, number)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.page_delay is not None:
                time.sleep(self.page_delay(number))
            if number in self.fail_pages:
                status, body = self.fail_pages[number]
                return status, body, {}
            with self._lock:
                records = list(dataset.records)
            if not dataset.paged:
                chosen = records
            else:
                size = min(int(params.get("pageSize", dataset.max_page_size)),
                           dataset.max_page_size)
                chosen = records[(number - 1) * size: number * size]
            out = []
            for record in chosen:
                record = dict(record)
                if dataset.metadata:
                    record["metadata"] = {"totalCount": len(records),
                                          "maxPageSize": dataset.max_page_size}
                out.append(record)
            return 200, out, {}
        finally:
            with self._lock:
                self.in_flight -= 1


class FakeAdapter(BaseAdapter):
    """``requests`` transport that answers from a ``FakeApi`` instead of the network."""

    def __init__(self, api: FakeApi):
        super().__init__()
        self.api = api

    def send(self, request, stream=False, timeout=None, verify=True, cert=None,
             proxies=None):
        status, body, headers = self.api.handle(request)
        response = requests.Response()
        response.status_code = status
        response.reason = "fake"
        response._content = (json.dumps(body).encode() if not isinstance(body, bytes | str)
                             else body.encode() if isinstance(body, str) else body)
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", **headers})
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self):
        pass


def customers(n: int, start: int = 10001) -> list[dict[str, Any]]:
    """``n`` customer records in the read shape (nested address, attribute list)."""
    return [{
        "internalId": i,
        "number": str(start + i),
        "name": f"Customer {start + i}",
        "status": "Active" if i % 10 == 0 else "Inactive",
        "mainAddress": {"addressLine1": f"Gate {i}", "city": "Oslo",
                        "country": {"id": "NO", "name": "Norway"}},
        "attributes": [{"id": "COLOR", "value": "RED", "description": "Red"}],
        "lastModifiedDateTime": f"2020-03-{1 + i % 28:02d}T10:00:00.{i % 1000:03d}",
        "createdDateTime": "2019-01-01T00:00:00",
    } for i in range(n)]


def sandbox_like(url: str = ROOT):
    """An object shaped like ``vnkit.sandbox.start()``'s handle, for ``connect``."""
    from types import SimpleNamespace

    companies = (SimpleNamespace(name="Nordic Widgets AS", company_id=1001, tenant_id="t-1"),
                 SimpleNamespace(name="Fjord Foods AB", company_id=1002, tenant_id="t-2"),
                 SimpleNamespace(name="Fjord Foods Retail AB", company_id=1003,
                                 tenant_id="t-2"))

    def tenant_id(name_or_id):
        for c in companies:
            if str(c.company_id) == str(name_or_id) or c.name == name_or_id:
                return c.tenant_id
        raise KeyError(name_or_id)

    credentials = SimpleNamespace(client_id=CLIENT_ID, client_secret=SECRET,
                                  companies=companies, tenant_id=tenant_id)
    return SimpleNamespace(url=url, credentials=credentials)
