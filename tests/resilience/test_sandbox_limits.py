"""The sandbox's throttling over real HTTP: budget headers, 429, windows, time warp."""

from __future__ import annotations

import time

import pytest
import requests
from vnkit_resilience_helpers import TEST_CLIENT

from vnkit import ConfigurationError, sandbox

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                "X-RateLimit-Policy")


def test_every_api_answer_carries_the_budget_headers(admin):
    token = admin.token()
    ok = admin.get("customer", token, status="Active", pageSize=10, pageNumber=1)
    one = admin.get("customer/" + ok.json()[0]["number"], token)
    missing = admin.get("customer/NO-SUCH-CUSTOMER", token)
    bad = admin.get("customer", token, lastModifiedDateTime="yesterday")
    assert [r.status_code for r in (ok, one, missing, bad)] == [200, 200, 404, 400]
    remaining = []
    for answer in (ok, one, missing, bad):
        assert all(h in answer.headers for h in RATE_HEADERS), answer.headers
        assert answer.headers["X-RateLimit-Limit"] == "15000"  # the demo client: production
        assert answer.headers["X-RateLimit-Policy"] == "4-fixed-window"
        assert 0 < int(answer.headers["X-RateLimit-Reset"]) <= 3600
        remaining.append(int(answer.headers["X-RateLimit-Remaining"]))
    assert remaining == [14999, 14998, 14997, 14996]  # errors are calls too


def test_token_context_and_sandbox_calls_are_free(admin, box):
    token = admin.token()
    context = requests.get(f"{box.url}/resources/v1/context",
                           headers={"Authorization": f"Bearer {token}"})
    health = requests.get(f"{box.url}/sandbox/health")
    assert context.status_code == 200 and health.status_code == 200
    assert "X-RateLimit-Remaining" not in health.headers
    company = admin.company()
    assert admin.used(box.credentials.client_id, company.company_id) == 0
    admin.get("customer", token, pageSize=1, pageNumber=1)
    assert admin.used(box.credentials.client_id, company.company_id) == 1


def test_a_test_client_gets_500_calls_per_window(admin):
    answer = admin.get("customer", admin.token(client=TEST_CLIENT), pageSize=1, pageNumber=1)
    assert answer.headers["X-RateLimit-Limit"] == "500"
    assert answer.headers["X-RateLimit-Remaining"] == "499"


def test_over_the_limit_is_429_with_retry_after_and_counts_nothing(admin):
    admin.set_rate(test=3).raise_for_status()
    token = admin.token(client=TEST_CLIENT)
    answers = [admin.get("customer", token, pageSize=1, pageNumber=1) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    assert refused.json() == {"message": refused.json()["message"]}
    assert "Rate limit" in refused.json()["message"]
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"]
    assert admin.used(TEST_CLIENT[0], admin.company().company_id) == 3


def test_budgets_are_per_client_and_per_company(admin, box):
    admin.set_rate(test=2, production=2).raise_for_status()
    test_token = admin.token(client=TEST_CLIENT)
    demo_token = admin.token()
    other = "Limfjord Design ApS"
    other_token = admin.token(company=other, client=TEST_CLIENT)
    for _ in range(2):
        assert admin.get("customer", test_token, pageSize=1, pageNumber=1).ok
    assert admin.get("customer", test_token, pageSize=1, pageNumber=1).status_code == 429
    # Another client on the same company, and the same client on another company,
    # still have their whole budget.
    assert admin.get("customer", demo_token, pageSize=1, pageNumber=1).headers[
        "X-RateLimit-Remaining"] == "1"
    assert admin.get("customer", other_token, company=other, pageSize=1,
                     pageNumber=1).headers["X-RateLimit-Remaining"] == "1"


def test_time_warp_resets_the_window(admin):
    admin.set_rate(test=2, window_seconds=0.5).raise_for_status()
    token = admin.token(client=TEST_CLIENT)
    statuses = [admin.get("customer", token, pageSize=1, pageNumber=1).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    time.sleep(0.6)
    again = admin.get("customer", token, pageSize=1, pageNumber=1)
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "1"


def test_admin_reset_refills_every_budget(admin):
    admin.set_rate(test=1).raise_for_status()
    token = admin.token(client=TEST_CLIENT)
    admin.get("customer", token, pageSize=1, pageNumber=1)
    assert admin.get("customer", token, pageSize=1, pageNumber=1).status_code == 429
    admin.set_rate(reset=True).raise_for_status()
    assert admin.get("customer", token, pageSize=1, pageNumber=1).status_code == 200


@pytest.mark.parametrize("body, word", [({"test": 0}, "rate_limit_test"),
                                         ({"window_seconds": -1}, "rate_window_seconds"),
                                         ({"tset": 5}, "tset")])
def test_admin_refuses_bad_limits_and_keeps_the_old_ones(admin, body, word):
    answer = admin.set_rate(**body)
    assert answer.status_code == 400 and word in answer.json()["message"]
    assert admin.rate()["limits"] == {"test": 500, "production": 15000}
    assert admin.rate()["window_seconds"] == 3600


@pytest.mark.parametrize("settings, word", [
    ({"rate_limit_test": 0}, "rate_limit_test"),
    ({"rate_window_seconds": "soon"}, "rate_window_seconds"),
    ({"faults": {"rate": 2}}, "faults.rate"),
    ({"faults": {"rules": [{"fault": "418", "next": 1}]}}, "418"),
    ({"faults": {"moves": [{"entity": "nothing", "after": 1, "set": {"a": 1}}]}},
     "nothing"),
])
def test_start_refuses_bad_settings_before_starting(settings, word):
    with pytest.raises(ConfigurationError, match=word):
        sandbox.start(**settings)


def test_the_sandbox_handle_reads_and_changes_limits_and_faults(admin, box):
    assert box.rate_limit(test=7)["limits"]["test"] == 7
    assert admin.rate()["limits"]["test"] == 7
    assert box.faults({"rate": 0.5, "kinds": ["503"]})["plan"]["rate"] == 0.5
    assert box.faults()["plan"]["kinds"] == ["503"]
    with pytest.raises(ConfigurationError, match="faults.rate"):
        box.faults({"rate": 5})
    with pytest.raises(ConfigurationError, match="rate_window_seconds"):
        box.rate_limit(window_seconds=0)


@pytest.mark.parametrize("shape, body_key", [("gateway", "statusCode"), ("Message", "Message")])
def test_the_429_body_shape_is_a_setting(tmp_path, shape, body_key):
    from vnkit_resilience_helpers import Admin

    import vnkit

    with sandbox.start(db=tmp_path / "shape.sqlite3", reset=True, rate_limit_test=1,
                       rate_limit_body=shape) as box:
        helper = Admin(box)
        token = helper.token(client=TEST_CLIENT)
        helper.get("customer", token, pageSize=1, pageNumber=1)
        refused = helper.get("customer", token, pageSize=1, pageNumber=1)
        assert refused.status_code == 429 and body_key in refused.json()
        # The client reads every shape.
        with vnkit.connect(box, client_id=TEST_CLIENT[0], client_secret=TEST_CLIENT[1],
                           progress=False) as client:
            with pytest.raises(vnkit.RateLimitError, match="Rate limit is exceeded"):
                client.get("customer", pageSize=1, pageNumber=1)


def test_an_unknown_429_body_shape_is_refused_at_start():
    with pytest.raises(ConfigurationError, match="rate_limit_body"):
        sandbox.start(rate_limit_body="xml")
