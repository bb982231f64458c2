"""HTTP helper of the write tests (its own module name, so no other test folder clashes)."""

from __future__ import annotations

import json

import requests

ALL_SCOPES = " ".join(f"vismanet_erp_service_api:{op}"
                      for op in ("create", "read", "update", "delete"))


class Http:
    """Raw requests to one sandbox as the article company, with every scope.

    ``box`` is a sandbox process (called over loopback HTTP) or an in-process app
    (``vnkit_sandboxes.AppSandbox``, called through its ``TestClient``).
    """

    def __init__(self, box, company: int, scope: str = ALL_SCOPES):
        self.box = box
        self.url = box.url
        self.company = company
        self.in_process = hasattr(box, "client")
        self.session = box.client if self.in_process else requests.Session()
        tenant = box.credentials.tenant_id(company)
        answer = self.session.post(f"{self.url}/connect/token", data={
            "grant_type": "client_credentials", "client_id": box.credentials.client_id,
            "client_secret": box.credentials.client_secret, "tenant_id": tenant,
            "scope": scope})
        answer.raise_for_status()
        self.token = answer.json()["access_token"]

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "ipp-company-id": str(self.company),
                "ipp-application-type": "Visma.net Financials", "Accept": "application/json"}

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None,
             root: str = "/API/controller/api/v1") -> requests.Response:
        headers = self.headers()
        data = raw
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        # The TestClient (httpx) takes raw bytes as content=, requests as data=.
        payload = {"content" if self.in_process else "data": data}
        return self.session.request(method, f"{self.url}{root}/{path}", headers=headers,
                                    **payload)

    def get(self, path: str, **kw) -> requests.Response:
        return self.call("GET", path, **kw)

    def one(self, path: str) -> dict:
        answer = self.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()
