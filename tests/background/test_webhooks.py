"""Webhooks end to end: signed deliveries, retries, legacy API, feedback, automation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket

import pytest
import requests
from vnkit_background_helpers import KALEVA, SCOPES

import vnkit
from vnkit import WebhookReceiver


def emit(admin, **fields):
    body = {"company": 2310401, "entity": "customer", "key": "10001", "action": "Updated",
            **fields}
    answer = admin.post("webhooks/emit", body)
    assert answer.status_code == 202, answer.text
    return answer.json()["notificationIds"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api_url(box, path):
    return f"{box.url}/{path}"


# -- Developer-Portal subscriptions ------------------------------------------------------


def test_signed_delivery_reaches_the_receiver(admin):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["CUSTOMER_UPDATED"])
        ids = emit(admin)
        assert len(ids) == 1
        events = receiver.wait_for(1)
        row = events.iloc[0]
        assert row["event"] == "CUSTOMER_UPDATED"
        assert row["notification_id"] == ids[0]
        assert row["verified"] is True or row["verified"] == True  # noqa: E712
        assert row["body.entityId"] == "10001" and row["body.companyId"] == 2310401
        assert row["body.resourceUri"].endswith("/v1/customer/10001")
        headers = receiver.raw_events()[0]["headers"]
        assert headers["x-vwd-event-id"] == "CUSTOMER_UPDATED"
        assert headers["x-vwd-notification-id"] == ids[0]
        assert "x-vwd-signature-v1" not in headers  # the receiver never keeps signatures
        assert admin.delivery(ids[0], "delivered")["attempts"][-1]["statusCode"] == 200


def test_signature_is_base64_hmac_sha256_of_the_raw_body(admin):
    seen = {}

    with WebhookReceiver() as plain:  # no secret: keeps whatever arrives
        original = plain._accept

        def spy(path, headers, body):
            seen["signature"], seen["body"] = headers.get("x-vwd-signature-v1"), body
            return original(path, headers, body)

        plain._accept = spy
        admin.subscribe(plain.url, ["CUSTOMER_UPDATED"], secret="k3y")
        emit(admin)
        plain.wait_for(1)
    expected = base64.b64encode(hmac.new(b"k3y", seen["body"], hashlib.sha256).digest())
    assert seen["signature"] == expected.decode()


def test_tampered_body_and_wrong_secret_are_rejected(admin):
    with WebhookReceiver(secret="s3cret") as receiver:
        body = b'{"eventType":"CUSTOMER_UPDATED","entityId":"10001"}'
        good = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
        ok = requests.post(receiver.url, data=body,
                           headers={"x-vwd-signature-v1": good}, timeout=5)
        assert ok.status_code == 200
        tampered = requests.post(receiver.url, data=body.replace(b"10001", b"10002"),
                                 headers={"x-vwd-signature-v1": good}, timeout=5)
        assert tampered.status_code == 401
        unsigned = requests.post(receiver.url, data=body, timeout=5)
        assert unsigned.status_code == 401
        assert receiver.rejected == 2 and len(receiver) == 1
        # A subscription with another secret: every attempt is refused with 401.
        admin.subscribe(receiver.url, ["CUSTOMER_UPDATED"], secret="not-the-secret")
        ids = emit(admin)
        log = admin.delivery(ids[0], "failed")
        assert [a["statusCode"] for a in log["attempts"]] == [401] * 4
        assert receiver.rejected == 2 + 4 and len(receiver) == 1


def test_rotation_accepts_either_secret(admin):
    with WebhookReceiver(secret=["new", "old"]) as receiver:
        admin.subscribe(receiver.url, ["CUSTOMER_UPDATED"], secret="old")
        emit(admin)
        assert receiver.wait_for(1)["verified"].tolist() == [True]


def test_failed_delivery_is_retried_until_the_receiver_is_up(admin):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks"
    admin.subscribe(url, ["CUSTOMER_UPDATED"])
    ids = emit(admin)
    # Wait until at least one attempt found nobody listening, then start listening.
    import time

    deadline = time.monotonic() + 10
    while not admin.delivery(ids[0])["attempts"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with WebhookReceiver(secret="s3cret", port=port) as receiver:
        log = admin.delivery(ids[0], state=None)
        if log["state"] == "failed":  # all four attempts went by before we listened
            pytest.fail(f"retries ran out before the receiver started: {log}")
        receiver.wait_for(1)
        log = admin.delivery(ids[0], "delivered")
    assert log["attempts"][0]["statusCode"] is None and log["attempts"][0]["error"]
    assert log["attempts"][-1]["statusCode"] == 200
    assert len(log["attempts"]) >= 2


def test_error_answers_are_retried_and_retries_are_bounded(admin):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["CUSTOMER_UPDATED"])
        receiver.fail_next(2)
        ids = emit(admin)
        receiver.wait_for(1)
        log = admin.delivery(ids[0], "delivered")
        assert [a["statusCode"] for a in log["attempts"]] == [503, 503, 200]
        receiver.fail_next(10, status=500)
        ids = emit(admin)
        log = admin.delivery(ids[0], "failed")
        assert [a["statusCode"] for a in log["attempts"]] == [500] * 4  # 1 + 3 retries
        assert len(receiver) == 1


def test_only_loopback_urls_are_accepted(admin):
    before = admin.get("webhooks")
    for url in ("https://example.com/hook", "http://10.0.0.1/hook", "ftp://127.0.0.1/x"):
        answer = admin.post("webhooks", {"url": url, "events": ["*"], "secret": "x"})
        assert answer.status_code == 400 and "url" in answer.json()["message"]
    assert admin.get("webhooks") == before


def test_subscription_needs_a_secret(admin):
    answer = admin.post("webhooks", {"url": "http://127.0.0.1:9/x", "events": ["*"]})
    assert answer.status_code == 400 and "secret" in answer.json()["message"]


def test_events_of_other_entities_or_tenants_are_not_sent(admin):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["CUSTOMER_UPDATED"], companies=[KALEVA])
        assert emit(admin) == []  # Nordlys is not among the subscription's companies
        assert emit(admin, company=KALEVA, action="Deleted") == []  # another event
        ids = emit(admin, company=KALEVA)
        assert len(ids) == 1
        assert receiver.wait_for(1)["body.companyId"].tolist() == [KALEVA]


# -- Background API notifications -----------------------------------------------------------


def test_background_subscription_notification_echoes_headers(client, admin):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["BACKGROUND_API_RESPONSE"])
        job = client.submit("GET", "customer/10001",
                            notify={"x-correlation-id": "order-42", "x-batch": "7"})
        events = receiver.wait_for(1)
        row = events.iloc[0]
        assert row["event"] == "BACKGROUND_API_RESPONSE"
        assert row["body.stateLocation"] == job.location
        assert row["body.contentLocation"] == job.location + "/content"
        assert row["body.status"] == "Finished"
        headers = receiver.raw_events()[0]["headers"]
        assert headers["x-correlation-id"] == "order-42" and headers["x-batch"] == "7"
        assert job.status()["reference"] == "x-correlation-id=order-42,x-batch=7"


def test_background_none_sends_nothing(client, admin):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["BACKGROUND_API_RESPONSE"])
        job = client.submit("GET", "customer/10001", notify=None)
        job.wait(timeout=30, progress=False)
        marker = client.submit("GET", "customer/10001", notify="subscription")
        receiver.wait_for(1)
        assert receiver.events()["body.id"].tolist() == [marker.id]


def test_deprecated_webhook_url_value_gets_the_locations(client):
    with WebhookReceiver() as receiver:
        job = client.submit("GET", "customer", params={"status": "Active"},
                            notify=receiver.url)
        row = receiver.wait_for(1).iloc[0]
        assert row["body.stateLocation"] == job.location
        assert row["body.contentLocation"] == job.location + "/content"
        assert job.status()["webhookAddress"] == receiver.url
        assert len(job.result()) == len(client.fetch("customer", status="Active")) >= 30


# -- the legacy subscription API --------------------------------------------------------


def test_legacy_subscription_api_round_trip(client, box):
    events = client.get(f"{box.url}/resources/v1/event")
    assert any(e["eventType"] == "customer_changed" for e in events)
    with WebhookReceiver() as receiver:
        s = client.session
        made = s.post(f"{box.url}/resources/v1/subscription",
                      json={"event": "customer_changed", "hookUri": receiver.url}, timeout=5)
        assert made.status_code == 201
        item = made.json()
        assert set(item) == {"id", "event", "hookUri"} and item["hookUri"] == receiver.url
        twice = s.post(f"{box.url}/API/resources/v1/subscription",
                       json={"event": "customer_changed", "hookUri": receiver.url}, timeout=5)
        assert twice.status_code == 400  # one per event per client per company
        listed = s.get(f"{box.url}/API/resources/v1/subscription", timeout=5).json()
        assert listed == [item]
        one = s.get(f"{box.url}/resources/v1/subscription/{item['id']}", timeout=5)
        assert one.json() == item
        requests.post(f"{box.url}/sandbox/admin/webhooks/emit", timeout=5, json={
            "company": 2310401, "entity": "customer", "key": "10001", "action": "Created"})
        row = receiver.wait_for(1).iloc[0]
        assert row["body.eventType"] == "customer_changed"
        assert row["body.contextId"] == 2310401 and row["body.action"] == "Created"
        log = s.get(f"{box.url}/resources/v1/notification",
                    params={"eventType": "customer_changed"}, timeout=5).json()
        assert {"contextId": 2310401, "eventId": row["notification_id"], "action": "Created",
                "resourceUri": row["body.resourceUri"]} in log
        assert s.get(f"{box.url}/resources/v1/notification/failed", timeout=5).json() == []
        import time

        deadline = time.monotonic() + 10
        while True:  # the log marks it delivered just after the receiver has it
            one = s.get(f"{box.url}/API/resources/v1/notification/{row['notification_id']}",
                        timeout=5).json()
            if one["status"] != "pending" or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert one == {"entityId": "10001", "notificationId": row["notification_id"],
                       "source": "customer_changed", "status": "delivered"}
        changed = s.put(f"{box.url}/resources/v1/subscription/{item['id']}",
                        json={"event": "supplier_changed"}, timeout=5)
        assert changed.status_code == 204
        assert s.get(f"{box.url}/resources/v1/subscription/{item['id']}",
                     timeout=5).json()["event"] == "supplier_changed"
        gone = s.delete(f"{box.url}/resources/v1/subscription/{item['id']}", timeout=5)
        assert gone.status_code == 204
        assert s.get(f"{box.url}/resources/v1/subscription", timeout=5).json() == []


def test_legacy_subscriptions_are_per_company(box):
    with vnkit.connect(box, company=KALEVA, scopes=SCOPES, progress=False) as kaleva:
        s = kaleva.session
        made = s.post(f"{box.url}/resources/v1/subscription", timeout=5,
                      json={"event": "customer_changed", "hookUri": "http://127.0.0.1:9/"})
        assert made.status_code == 201
        other = s.get(f"{box.url}/resources/v1/subscription/{made.json()['id']}",
                      headers={"ipp-company-id": "4127804"}, timeout=5)
        assert other.status_code == 404
        bad = s.post(f"{box.url}/resources/v1/subscription", timeout=5,
                     json={"event": "no_such_event", "hookUri": "http://127.0.0.1:9/"})
        assert bad.status_code == 400 and "event" in bad.json()["message"]
        s.delete(f"{box.url}/resources/v1/subscription/{made.json()['id']}", timeout=5)


# -- feedback ------------------------------------------------------------------------------


def test_feedback_endpoint(client, admin, box):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["CUSTOMER_UPDATED"])
        ids = emit(admin)
        receiver.wait_for(1)
    body = {"notificationId": ids[0], "source": "vnkit tests",
            "description": "handled", "isSuccess": True}
    answer = client.session.post(f"{box.url}/v1/webhooknotificationfeedback", json=body,
                                 timeout=5)
    assert answer.status_code == 201
    assert any(f["notificationId"] == ids[0] and f["isSuccess"] is True
               for f in admin.get("webhooks/feedback"))
    assert admin.delivery(ids[0])["feedback"][0]["description"] == "handled"
    count = len(admin.get("webhooks/feedback"))
    refused = client.session.post(f"{box.url}/API/controller/api/v1/webhooknotificationfeedback",
                                  json={"notificationId": ids[0]}, timeout=5)
    assert refused.status_code == 400 and "isSuccess" in refused.json()["message"]
    assert len(admin.get("webhooks/feedback")) == count  # a refused call stores nothing


# -- automation actions ------------------------------------------------------------------


def test_automation_action_fires_when_status_becomes_open(admin):
    with WebhookReceiver(secret="act") as receiver:
        made = admin.post("automation", {"name": "Send to print", "entity": "customerinvoice",
                                         "status": "Open", "url": receiver.url,
                                         "secret": "act"})
        assert made.status_code == 201, made.text
        rule = made.json()
        assert rule["entity"] == "customerinvoice" and "secret" not in rule
        assert emit(admin, entity="customerInvoice", key="100001", action="StatusChanged",
                    status="Balanced") == []
        ids = emit(admin, entity="customerInvoice", key="100001", action="StatusChanged",
                   status="Open")
        assert len(ids) == 1
        row = receiver.wait_for(1).iloc[0]
        assert row["event"] == "ACTION_TRIGGERED" and row["verified"] == True  # noqa: E712
        assert row["body.action"] == "Send to print" and row["body.entityId"] == "100001"
        pressed = admin.post(f"automation/{rule['id']}/trigger",
                             {"company": 2310401, "key": "000002"})
        assert pressed.status_code == 202
        events = receiver.wait_for(2)
        assert events["body.entityId"].tolist() == ["100001", "000002"]
        assert events["body.status"].tolist()[1] == "Closed"  # the record's own status
        missing = admin.post(f"automation/{rule['id']}/trigger",
                             {"company": 2310401, "key": "NO-SUCH"})
        assert missing.status_code == 404


def test_automation_rule_input_is_checked(admin):
    for body, field in (({"entity": "nothing", "status": "Open",
                          "url": "http://127.0.0.1:9/"}, "entity"),
                        ({"entity": "customerinvoice", "url": "http://127.0.0.1:9/"},
                         "status"),
                        ({"entity": "customerinvoice", "status": "Open",
                          "url": "https://example.com/"}, "url")):
        answer = admin.post("automation", body)
        assert answer.status_code == 400 and field in answer.json()["message"]
    assert admin.get("automation") == []


# -- the receiver on its own ------------------------------------------------------------


def test_receiver_repr_and_arguments():
    with WebhookReceiver(secret="top-secret") as receiver:
        text = repr(receiver)
        assert "top-secret" not in text and receiver.url in text
    assert "closed" in repr(receiver)
    with pytest.raises(vnkit.ConfigurationError):
        WebhookReceiver(secret="")
    with pytest.raises(vnkit.ConfigurationError):
        WebhookReceiver(port=70000)


def test_receiver_times_out_clearly():
    with WebhookReceiver() as receiver:
        with pytest.raises(TimeoutError, match="0 of 1"):
            receiver.wait_for(1, timeout=0.2)
        assert receiver.events().empty
        json.dumps(receiver.raw_events())


# -- events raised by real writes -----------------------------------------------------------


def _domestic_customer(client) -> str:
    customers = client.fetch("customer", status="Active")
    return next(n for n, zone in zip(customers["number"], customers["vatZone.id"])
                if zone == "01")


def _invoice(customer: str) -> dict:
    return {"customerNumber": {"value": customer}, "documentDate": {"value": "2020-03-02"},
            "invoiceLines": [{"operation": "Insert", "inventoryNumber": {"value": "6"},
                              "quantity": {"value": 2}, "unitPriceInCurrency": {"value": 100}}]}


def test_writes_raise_events_and_release_fires_the_automation_action(client, admin, box):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["CUSTOMERINVOICE_CREATED", "CUSTOMERINVOICE_UPDATED",
                                       "CUSTOMERINVOICE_STATUS_CHANGED"])
        rule = admin.post("automation", {"name": "print", "entity": "customerinvoice",
                                         "status": "Open", "url": receiver.url,
                                         "secret": "s3cret"})
        assert rule.status_code == 201
        s = client.session
        made = s.post(f"{box.url}/v2/customerinvoice", json=_invoice(_domestic_customer(client)),
                      timeout=10)
        assert made.status_code == 201, made.text
        key = made.headers["Location"].rsplit("/", 1)[-1]
        first = receiver.wait_for(1).iloc[0]
        assert (first["event"], first["body.entityId"], first["body.status"]) == (
            "CUSTOMERINVOICE_CREATED", key, "Balanced")
        changed = s.put(f"{box.url}/v1/customerinvoice/{key}",
                        json={"invoiceText": {"value": "checked"}}, timeout=10)
        assert changed.status_code == 204, changed.text
        released = s.post(f"{box.url}/v1/customerinvoice/{key}/action/release", json={},
                          timeout=10)
        assert released.status_code == 200, released.text
        events = receiver.wait_for(4)
        assert events["event"].tolist() == ["CUSTOMERINVOICE_CREATED",
                                            "CUSTOMERINVOICE_UPDATED",
                                            "CUSTOMERINVOICE_STATUS_CHANGED",
                                            "ACTION_TRIGGERED"]
        assert events["body.status"].tolist()[2:] == ["Open", "Open"]
        assert events["verified"].all()
        # A refused write raises nothing.
        again = s.post(f"{box.url}/v1/customerinvoice/{key}/action/release", json={},
                       timeout=10)
        assert again.status_code == 400
        with pytest.raises(TimeoutError):
            receiver.wait_for(5, timeout=1.0)


def test_background_write_raises_its_event_when_it_runs(client, admin):
    with WebhookReceiver(secret="s3cret") as receiver:
        admin.subscribe(receiver.url, ["CUSTOMERINVOICE_CREATED"])
        job = client.submit("POST", "v2/customerinvoice",
                            json=_invoice(_domestic_customer(client)))
        job.wait(timeout=30, progress=False)
        assert job.last_status["statusCode"] == 201
        key = job.last_status["responseHeaders"]["location"].rsplit("/", 1)[-1]
        events = receiver.wait_for(1)
        assert events["body.entityId"].tolist() == [key]
