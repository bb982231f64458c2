"""The sandbox's fault plan over real HTTP, with raw (never retried) requests."""

from __future__ import annotations

import pytest
import requests


def test_a_rule_answers_the_listed_calls_and_leaves_the_others(admin):
    admin.set_faults({"rules": [{"fault": "503", "method": "GET", "path": "/customer",
                                 "calls": [2, 3]}]}).raise_for_status()
    token = admin.token()
    statuses = [admin.get("customer", token, pageSize=1, pageNumber=1).status_code
                for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    state = admin.faults()
    assert state["injected"] == {"503": 2}
    assert [entry["call"] for entry in state["log"]] == [2, 3]


@pytest.mark.parametrize("fault", ["429", "500", "502", "503", "504"])
def test_status_faults_have_the_api_shape(admin, fault):
    admin.set_faults({"retry_after": 2, "rules": [{"fault": fault, "next": 1}]})
    answer = admin.get("customer", admin.token(), pageSize=1, pageNumber=1)
    assert answer.status_code == int(fault)
    assert isinstance(answer.json()["message"], str)
    assert (answer.headers.get("Retry-After") == "2") == (fault == "429")


def test_a_dropped_connection_gets_no_answer_and_the_server_goes_on(admin):
    admin.set_faults({"rules": [{"fault": "drop", "next": 1}]})
    token = admin.token()
    with pytest.raises(requests.ConnectionError):
        admin.get("customer", token, pageSize=1, pageNumber=1)
    assert admin.get("customer", token, pageSize=1, pageNumber=1).status_code == 200


def test_drop_before_does_not_create_and_drop_after_does(admin, box):
    admin.set_faults({"rules": [{"fault": "drop", "method": "POST", "calls": [1]},
                                {"fault": "drop_after", "method": "POST", "calls": [2]}]})
    for n in (1, 2):
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{box.url}/sandbox/ledger", json={"n": n})
    created = requests.post(f"{box.url}/sandbox/ledger", json={"n": 3})
    assert created.status_code == 201 and created.headers["Location"].endswith(
        created.json()["id"])
    assert [entry["body"]["n"] for entry in admin.ledger()] == [2, 3]


def test_status_fault_on_a_post_changes_nothing(admin, box):
    admin.set_faults({"rules": [{"fault": "503", "method": "POST", "next": 1}]})
    refused = requests.post(f"{box.url}/sandbox/ledger", json={"n": 1})
    assert refused.status_code == 503 and admin.ledger() == []


def test_random_faults_repeat_with_the_seed(admin):
    plan = {"seed": 11, "rate": 0.5, "kinds": ["500", "503"]}
    token = admin.token()
    runs = []
    for _ in range(2):
        admin.set_faults(plan).raise_for_status()
        runs.append([admin.get("customer", token, pageSize=1, pageNumber=1).status_code
                     for _ in range(20)])
    assert runs[0] == runs[1]
    assert {500, 503} & set(runs[0]) and 200 in runs[0]
    admin.set_faults({**plan, "seed": 12})
    other = [admin.get("customer", token, pageSize=1, pageNumber=1).status_code
             for _ in range(20)]
    assert other != runs[0]


def test_random_faults_only_hit_the_listed_methods(admin, box):
    admin.set_faults({"rate": 1.0, "kinds": ["503"], "methods": ["POST"]})
    assert admin.get("customer", admin.token(), pageSize=1, pageNumber=1).status_code == 200
    assert requests.post(f"{box.url}/sandbox/ledger", json={}).status_code == 503


def test_slow_answers_still_answer(admin):
    admin.set_faults({"slow_ms": 50, "rules": [{"fault": "slow", "next": 2}]})
    token = admin.token()
    assert [admin.get("customer", token, pageSize=1, pageNumber=1).status_code
            for _ in range(3)] == [200, 200, 200]
    assert admin.faults()["injected"] == {"slow": 2}


def test_article_08_two_customers_turn_active_between_page_1_and_page_2(admin):
    """The article's requests, as written: totalCount 30 on page 1, 32 on page 2."""
    admin.set_faults({"moves": [{"entity": "customer", "after": 1, "count": 2,
                                 "set": {"status": "Active"}}]})
    token = admin.token()
    first = admin.get("customer", token, status="Active", pageSize=10, pageNumber=1)
    second = admin.get("customer", token, status="Active", pageSize=10, pageNumber=2)
    assert first.json()[0]["metadata"]["totalCount"] == 30
    assert second.json()[0]["metadata"]["totalCount"] == 32
    moved = admin.faults()["moved"]
    assert len(moved) == 1 and len(moved[0]["keys"]) == 2
    for key in moved[0]["keys"]:
        record = admin.get(f"customer/{key}", token).json()
        assert record["status"] == "Active"
    # The move happens once: later runs see a steady 32.
    again = admin.get("customer", token, status="Active", pageSize=10, pageNumber=1)
    assert again.json()[0]["metadata"]["totalCount"] == 32
    # Put the customers back for the other tests of this module.
    for key in moved[0]["keys"]:
        admin.http.post(f"{admin.url}/sandbox/admin/move", json={
            "entity": "customer", "company": admin.company().company_id,
            "keys": [key], "set": {"status": "Inactive"}}).raise_for_status()


def test_admin_move_changes_the_filter_columns_too(admin):
    token = admin.token()
    before = admin.get("customer", token, status="OnHold", pageSize=1, pageNumber=1)
    total = before.json()[0]["metadata"]["totalCount"] if before.json() else 0
    key = admin.get("customer", token, status="Active", pageSize=1,
                    pageNumber=1).json()[0]["number"]
    answer = admin.http.post(f"{admin.url}/sandbox/admin/move", json={
        "entity": "customer", "company": admin.company().company_id, "keys": [key],
        "set": {"status": "OnHold"}})
    assert answer.status_code == 200 and answer.json()["keys"] == [key]
    after = admin.get("customer", token, status="OnHold", pageSize=500, pageNumber=1).json()
    assert after[0]["metadata"]["totalCount"] == total + 1
    assert key in {r["number"] for r in after}
    admin.http.post(f"{admin.url}/sandbox/admin/move", json={
        "entity": "customer", "company": admin.company().company_id, "keys": [key],
        "set": {"status": "Active"}}).raise_for_status()


@pytest.mark.parametrize("plan, word", [
    ({"rate": -0.1}, "faults.rate"),
    ({"kinds": ["fire"]}, "fire"),
    ({"rules": [{"fault": "503"}]}, "calls"),
    ({"rules": [{"fault": "503", "next": 1, "when": 3}]}, "when"),
    ({"moves": [{"entity": "customer", "after": 0, "set": {"status": "Active"}}]}, "after"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_plans_are_refused_with_the_field_named(admin, plan, word):
    answer = admin.set_faults(plan)
    assert answer.status_code == 400 and word in answer.json()["message"]
    assert admin.faults()["plan"].get("rate", 0) == 0  # the old plan stays
