"""Helpers of the resilience tests: admin calls of the sandbox and raw API calls.

A module with a name no other test folder uses, so test files can import it.
"""

from __future__ import annotations

import requests

READ = "vismanet_erp_service_api:read"
TEST_CLIENT = ("isv_vnkit_demo_test", "vnkit-demo-test-secret")
ARTICLE_COMPANY = "Nordlys Handel AS"


class Admin:
    """The sandbox's ``/sandbox/admin/*`` calls and raw, unretried API calls."""

    def __init__(self, box):
        self.box = box
        self.url = box.url
        self.http = requests.Session()

    # -- admin --------------------------------------------------------------------------
    def faults(self) -> dict:
        return self.http.get(f"{self.url}/sandbox/admin/faults").json()

    def set_faults(self, plan: dict) -> requests.Response:
        return self.http.post(f"{self.url}/sandbox/admin/faults", json=plan)

    def rate(self) -> dict:
        return self.http.get(f"{self.url}/sandbox/admin/rate-limit").json()

    def set_rate(self, **changes) -> requests.Response:
        return self.http.post(f"{self.url}/sandbox/admin/rate-limit", json=changes)

    def used(self, client_id: str, company_id: int) -> int:
        for window in self.rate()["windows"]:
            if window["client_id"] == client_id and window["company_id"] == company_id:
                return window["used"]
        return 0

    def ledger(self) -> list[dict]:
        return self.http.get(f"{self.url}/sandbox/ledger").json()

    def clear_ledger(self) -> None:
        self.http.delete(f"{self.url}/sandbox/ledger").raise_for_status()

    # -- raw API ------------------------------------------------------------------------
    def company(self, name: str = ARTICLE_COMPANY):
        return self.box.credentials.company(name)

    def token(self, company: str = ARTICLE_COMPANY, client=None) -> str:
        client_id, secret = client or (self.box.credentials.client_id,
                                       self.box.credentials.client_secret)
        answer = self.http.post(f"{self.url}/connect/token", data={
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": secret, "tenant_id": self.company(company).tenant_id,
            "scope": READ})
        answer.raise_for_status()
        return answer.json()["access_token"]

    def get(self, path: str, token: str, company: str = ARTICLE_COMPANY,
            **params) -> requests.Response:
        """One GET on the legacy layout, exactly as the articles write it."""
        return requests.get(f"{self.url}/API/controller/api/v1/{path}", params=params,
                            headers={"Accept": "application/json",
                                     "Authorization": f"Bearer {token}",
                                     "ipp-company-id": str(self.company(company).company_id),
                                     "ipp-application-type": "Visma.net Financials"})
