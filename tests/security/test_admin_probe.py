"""Hostile probes of /sandbox/admin/* (cross-site calls, DNS rebinding, odd JSON) and
of the legacy subscription API's ids."""

from __future__ import annotations

import json

import pytest
import requests

ADMIN_POSTS = [  # (path, a body the route accepts)
    ("faults", {}),
    ("rate-limit", {"reset": True}),
    ("webhooks", {"url": "http://127.0.0.1:9/hooks", "events": ["*"], "secret": "s"}),
    ("webhooks/emit", {"company": 2310401, "entity": "customer", "key": "10001",
                       "action": "Updated"}),
    ("automation", {"url": "http://127.0.0.1:9/a", "entity": "customerInvoice",
                    "status": "Open"}),
    ("move", {"entity": "customer", "company": 2310401, "set": {"name": "x"},
              "count": 1}),
]


def faults_plan(box) -> dict:
    return requests.get(f"{box.url}/sandbox/admin/faults").json()["plan"]


@pytest.mark.parametrize("path,body", ADMIN_POSTS)
def test_a_text_plain_body_is_refused(box, path, body):
    """What a cross-site <form enctype=text/plain> or a no-preflight fetch sends."""
    answer = requests.post(f"{box.url}/sandbox/admin/{path}", data=json.dumps(body),
                           headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415, answer.text
    assert "application/json" in answer.json()["message"]


def test_a_cross_site_page_cannot_change_the_fault_plan(box):
    evil_plan = json.dumps({"random": {"rate": 1.0, "statuses": [503]}})
    before = faults_plan(box)
    for headers in ({"Content-Type": "text/plain", "Origin": "https://evil.example"},
                    {"Content-Type": "application/json", "Origin": "https://evil.example"},
                    {"Content-Type": "application/json", "Origin": "null"},
                    {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}):
        answer = requests.post(f"{box.url}/sandbox/admin/faults", data=evil_plan,
                               headers=headers)
        assert answer.status_code in (403, 415), (headers, answer.text)
        assert "message" in answer.json()
    assert faults_plan(box) == before


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example",
                                  "localhost.evil.example"])
def test_a_rebound_host_name_is_refused(box, host):
    """DNS rebinding: a foreign name that resolves to 127.0.0.1 reaches the sandbox with
    that name in Host, and could then read the answers too."""
    for method, path in (("GET", "faults"), ("GET", "webhooks"), ("POST", "webhooks"),
                         ("DELETE", "faults"), ("GET", "rate-limit")):
        answer = requests.request(method, f"{box.url}/sandbox/admin/{path}",
                                  headers={"Host": host}, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        assert "loopback" in answer.json()["message"]


def test_same_origin_and_program_calls_still_work(box):
    port = box.url.rsplit(":", 1)[1]
    for origin in (None, box.url, f"http://localhost:{port}"):
        headers = {"Origin": origin} if origin else {}
        host = {"Host": f"localhost:{port}"} if origin and "localhost" in origin else {}
        answer = requests.post(f"{box.url}/sandbox/admin/faults", json={},
                               headers={**headers, **host})
        assert answer.status_code == 200, (origin, answer.text)
    # The handle's own calls send what is required.
    assert "injected" in box.faults({})
    assert box.rate_limit(reset=True) == box.rate_limit()
    assert requests.get(f"{box.url}/sandbox/admin/webhooks/events",
                        headers={"Host": f"[::1]:{port}"}).status_code == 200


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "NaN", "1e400", "-1e400"])
@pytest.mark.parametrize("path,field", [("rate-limit", "test"), ("rate-limit", "window_seconds"),
                                        ("faults", "seed"), ("webhooks/emit", "company"),
                                        ("move", "count")])
def test_non_finite_numbers_get_a_400_naming_them(box, path, field, text):
    answer = requests.post(f"{box.url}/sandbox/admin/{path}",
                           data=f'{{"{field}": {text}}}',
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert "JSON" in message and text.lstrip("-") in message


@pytest.mark.parametrize("body", [b"\xff\xfe", b"[" * 100_000, b'{"a": ' + b"9" * 5000 + b"}",
                                  b"{", b"[]", b'"text"', b"1"])
def test_odd_bodies_are_4xx_never_5xx(box, body):
    for path, _ in ADMIN_POSTS:
        answer = requests.post(f"{box.url}/sandbox/admin/{path}", data=body,
                               headers={"Content-Type": "application/json"})
        assert 400 <= answer.status_code < 500, (path, body[:20], answer.text)


def service_token(box) -> str:
    company = box.companies[0]
    answer = requests.post(f"{box.url}/connect/token", data={
        "grant_type": "client_credentials", "client_id": box.credentials.client_id,
        "client_secret": box.credentials.client_secret, "tenant_id": company.tenant_id,
        "scope": " ".join(f"vismanet_erp_service_api:{op}"
                          for op in ("create", "read", "update", "delete"))})
    return answer.json()["access_token"]


@pytest.mark.parametrize("segment", ["%C2%B2", "%D9%A5", "%EF%BC%91",
                                     "1" * 40, "-1", "%00"])
@pytest.mark.parametrize("root", ["/resources/v1", "/API/resources/v1"])
def test_legacy_subscription_ids_that_are_not_numbers_get_a_404(box, segment, root):
    headers = {"Authorization": f"Bearer {service_token(box)}",
               "ipp-company-id": str(box.companies[0].company_id)}
    for method in ("GET", "DELETE", "PUT"):
        answer = requests.request(method, f"{box.url}{root}/subscription/{segment}",
                                  headers=headers, json={})
        assert answer.status_code == 404, (method, answer.text)
        assert "was not found" in answer.json()["message"]


@pytest.mark.parametrize("body", [
    {"event": ["customer_changed"], "hookUri": "http://127.0.0.1:9/x"},   # unhashable
    {"event": {}, "hookUri": {}},
    {"event": "customer_changed", "hookUri": "http://[::1"},             # bad IPv6 literal
    {"event": "customer_changed", "hookUri": "http://127.0.0.1:abc/x"},  # bad port
    {"event": "customer_changed", "hookUri": "http://127.0.0.1:70000/x"},
])
def test_legacy_subscription_bodies_of_the_wrong_shape_get_a_400(box, body):
    headers = {"Authorization": f"Bearer {service_token(box)}",
               "ipp-company-id": str(box.companies[0].company_id)}
    created = requests.post(f"{box.url}/resources/v1/subscription", json=body,
                            headers=headers)
    assert created.status_code == 400, created.text
    assert created.json()["message"].split(":")[0] in ("event", "hookUri")


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:abc/x",
                                 "http://127.0.0.1:70000/x"])
def test_admin_webhook_urls_that_do_not_parse_get_a_400(box, url):
    for path, body in (("webhooks", {"url": url, "secret": "s"}),
                       ("automation", {"url": url, "entity": "customerInvoice",
                                       "status": "Open"})):
        answer = requests.post(f"{box.url}/sandbox/admin/{path}", json=body)
        assert answer.status_code == 400, answer.text
        assert "not a valid URL" in answer.json()["message"]
