"""The Background API over real HTTP: 202, status, content, 24 h and ownership rules."""

from __future__ import annotations

import time

import pandas as pd
import pytest
import requests
from vnkit_background_helpers import ARTICLE, KALEVA, KALEVA_2, SCOPES

import vnkit
from vnkit import sandbox as sandbox_module

STATUS_FIELDS = {"id", "status", "statusCode", "receivedUtc", "startedUtc", "finishedUtc",
                 "webhookAddress", "errorMessage", "reference", "originalUri",
                 "hasResponseContent", "hasRequestContent", "contentLocation",
                 "responseHeaders"}


def raw(client, method, url, **kwargs):
    """A request on the client's signed-in session, without vnkit's error handling."""
    return client.session.request(method, url, timeout=10, **kwargs)


def wait_done(client, location, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        status = raw(client, "GET", location).json()
        if status["status"] != "Started" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_list_get_in_background_equals_the_direct_fetch(client):
    job = client.submit("GET", "customer", params={"status": "Active"})
    assert job.last_status["status"] in ("Started", "Finished")
    frame = job.wait(timeout=30, progress=False).result()
    direct = client.fetch("customer", status="Active")
    assert len(direct) >= 30  # the article company's 30 active customers (and new ones)
    pd.testing.assert_frame_equal(frame, direct)
    assert job.last_status["status"] == "Finished"
    assert job.last_status["statusCode"] == 200


def test_202_answer_carries_id_location_and_status_body(client, box):
    answer = raw(client, "GET", f"{box.url}/v1/customerinvoice",
                 params={"pageNumber": 1, "pageSize": 100},
                 headers={"erp-api-background": "none"})
    assert answer.status_code == 202
    body = answer.json()
    assert STATUS_FIELDS <= set(body)
    assert answer.headers["Location"] == f"{box.url}/v1/background/{body['id']}"
    assert body["stateLocation"] == answer.headers["Location"]
    assert body["originalUri"].endswith("/v1/customerinvoice?pageNumber=1&pageSize=100")
    status = wait_done(client, answer.headers["Location"])
    assert status["status"] == "Finished" and status["statusCode"] == 200
    assert status["hasResponseContent"] is True and status["hasRequestContent"] is False
    content = raw(client, "GET", status["contentLocation"])
    assert content.status_code == 200
    assert len(content.json()) == 100
    direct = raw(client, "GET", f"{box.url}/v1/customerinvoice",
                 params={"pageNumber": 1, "pageSize": 100})
    assert content.json() == direct.json()


@pytest.mark.parametrize("root", ["/API/controller/api/v1", "/api/v1"])
def test_status_location_follows_the_request_layout(client, box, root):
    # Article 15 writes its URLs as /api/v1/...; the legacy layout is /API/controller/...
    answer = raw(client, "GET", f"{box.url}{root}/customerinvoice",
                 params={"pageNumber": 1, "pageSize": 100},
                 headers={"erp-api-background": "None"})
    assert answer.status_code == 202
    job_id = answer.json()["id"]
    assert answer.headers["Location"] == f"{box.url}{root}/background/{job_id}"
    status = wait_done(client, answer.headers["Location"])
    assert status["contentLocation"] == f"{box.url}{root}/background/{job_id}/content"
    assert len(raw(client, "GET", status["contentLocation"]).json()) == 100


def test_failing_request_is_failed_with_stored_error(client):
    job = client.submit("GET", "customer/NO-SUCH-CUSTOMER").wait(timeout=30, progress=False)
    status = job.last_status
    assert status["status"] == "Failed"
    assert status["statusCode"] == 404
    assert "NO-SUCH-CUSTOMER" in status["errorMessage"]
    assert status["hasResponseContent"] is True
    assert b"NO-SUCH-CUSTOMER" in job.content()
    with pytest.raises(vnkit.NotFoundError, match="NO-SUCH-CUSTOMER"):
        job.result()


def test_bad_filter_in_background_fails_with_the_apis_400(client):
    job = client.submit("GET", "customer", params={"lastModifiedDateTime": "yesterday"})
    job.wait(timeout=30, progress=False)
    assert job.last_status["status"] == "Failed"
    assert job.last_status["statusCode"] == 400
    with pytest.raises(vnkit.BadRequestError):
        job.result()


def test_request_body_is_kept_and_replayed(client):
    # A PUT on a customer that does not exist: the body travels, no data changes.
    job = client.submit("PUT", "customer/NO-SUCH-CUSTOMER",
                        json={"name": {"value": "Background AS"}})
    job.wait(timeout=30, progress=False)
    assert job.last_status["hasRequestContent"] is True
    assert job.last_status["status"] == "Failed"
    assert job.last_status["statusCode"] in (404, 405)


def test_lookup_by_id_and_repr_without_secrets(client):
    job = client.submit("GET", "customer/10001")
    again = client.background.get(job.id)
    again.wait(timeout=30, progress=False)
    assert again.result()["number"] == "10001"
    text = repr(again)
    assert job.id in text and "Bearer" not in text
    assert "secret" not in text.lower()


def test_invalid_header_value_is_refused(client, box):
    for value in ("sometimes", "subscription:novalue", "ftp://127.0.0.1/x"):
        answer = raw(client, "GET", f"{box.url}/v1/customer",
                     headers={"erp-api-background": value})
        assert answer.status_code == 400, value
        assert "erp-api-background" in answer.json()["message"]


def test_article_15_webhook_url_is_taken_but_not_called(client, box):
    """The deprecated URL value still works (202); the sandbox never calls out."""
    answer = raw(client, "GET", f"{box.url}/api/v1/customerinvoice",
                 params={"pageNumber": 1, "pageSize": 100},
                 headers={"erp-api-background": "https://example.com/hook"})
    assert answer.status_code == 202, answer.text
    status = wait_done(client, answer.headers["Location"])
    assert status["status"] == "Finished" and status["statusCode"] == 200
    assert status["webhookAddress"] == "https://example.com/hook"
    deliveries = requests.get(f"{box.url}/sandbox/admin/webhooks/deliveries", timeout=5)
    assert deliveries.status_code == 200
    assert not any("example.com" in str(d) for d in deliveries.json())


def test_a_v2_job_is_followed_on_v1(client, box):
    answer = raw(client, "POST", f"{box.url}/api/v2/customerinvoice", json={},
                 headers={"erp-api-background": "none"})
    assert answer.status_code == 202, answer.text
    assert "/api/v1/background/" in answer.headers["Location"]
    assert answer.json()["stateLocation"] == answer.headers["Location"]


def test_bad_arguments_fail_before_any_request(client):
    with pytest.raises(vnkit.ConfigurationError, match="method"):
        client.submit("FETCH", "customer")
    with pytest.raises(vnkit.ConfigurationError, match="notify"):
        client.submit("GET", "customer", notify={"x-id": "a,b"})
    with pytest.raises(vnkit.ConfigurationError, match="notify"):
        client.submit("GET", "customer", notify=42)


def test_only_the_same_company_and_client_can_read_a_job(box):
    with vnkit.connect(box, company=KALEVA, progress=False) as kaleva:
        job = kaleva.submit("GET", "customer").wait(timeout=30, progress=False)
        assert job.last_status["status"] == "Finished"
        other_company = raw(kaleva, "GET", job.location,
                            headers={"ipp-company-id": str(KALEVA_2)})
        assert other_company.status_code == 404
    creds = box.credentials
    with vnkit.connect(box, company=KALEVA, client_id="isv_vnkit_demo_test",
                       client_secret="vnkit-demo-test-secret", progress=False) as other:
        assert creds.client_id != "isv_vnkit_demo_test"
        answer = raw(other, "GET", job.location)
        assert answer.status_code == 404
        assert raw(other, "GET", job.location + "/content").status_code == 404


def test_status_is_kept_for_the_retention_time_only(tmp_path):
    # 24 h in production; a short retention and a start delay make both visible here.
    with sandbox_module.start(db=tmp_path / "short.sqlite3", reset=True,
                              background_retention_s=4, background_delay_ms=1500) as box:
        with vnkit.connect(box, company=ARTICLE, scopes=SCOPES, progress=False) as c:
            job = c.submit("GET", "customer/10001")
            first = job.status()
            assert first["status"] == "Started" and first["statusCode"] == 0
            assert first["contentLocation"] is None and first["finishedUtc"] is None
            early = raw(c, "GET", job.location + "/content")
            assert early.status_code == 404 and "not finished" in early.json()["message"]
            job.wait(timeout=30, progress=False)
            assert job.result()["number"] == "10001"
            received = pd.Timestamp(job.last_status["receivedUtc"]).timestamp()
            time.sleep(max(0.0, received + 4.5 - time.time()))
            assert raw(c, "GET", job.location).status_code == 404
            with pytest.raises(vnkit.NotFoundError):
                c.background.get(job.id)


def test_background_without_token_is_401(box):
    answer = requests.get(f"{box.url}/v1/customer", headers={"erp-api-background": "none"},
                          timeout=10)
    assert answer.status_code == 401


def test_a_background_job_costs_one_call_not_two(tmp_path):
    from vnkit import sandbox as sandbox_module

    with sandbox_module.start(db=tmp_path / "budget.sqlite3", quiet=True) as box:
        client = vnkit.connect(box, company="Nordlys Handel AS", progress=False)
        client.get("customer", pageSize=1)
        before = int(client.budget.remaining)
        sent = []
        client.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.url))
        job = client.submit("GET", "customer", params={"pageSize": 5})
        job.wait(timeout=30, progress=False)
        client.get("customer", pageSize=1)
        # the 202, the status polls and the last GET are paid for; the job's own run
        # of the stored request is not
        assert before - int(client.budget.remaining) == len(sent)
