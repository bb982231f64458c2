"""Hostile probes of the client's own small servers: the webhook receiver and the
sign-in redirect listener (replays, forged redirects, lying Content-Length)."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
from vnkit_signin_helpers import ANNA

import vnkit
from vnkit._webhooks import signature


def raw_post(port: int, path: str, head: str, body: bytes = b"",
             timeout: float = 5.0) -> bytes:
    """Send a hand-made request (headers as given) and return all that comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode()
                     + body)
        sock.shutdown(socket.SHUT_WR)  # a client that sends no more, as an attacker may
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(raw: bytes) -> int:
    assert raw.startswith(b"HTTP/1."), raw[:200]
    return int(raw.split(b" ", 2)[1])


# -- 7. webhook receiver -------------------------------------------------------------------
def signed_delivery(notification_id: str, secret: str = "s3cret") -> tuple[bytes, dict]:
    body = json.dumps({"notificationId": notification_id, "eventType": "CUSTOMER_UPDATED",
                       "contextId": 1}).encode()
    return body, {"x-vwd-signature-v1": signature(secret, body),
                  "Content-Type": "application/json"}


def test_an_identical_signed_delivery_is_collected_once():
    with vnkit.WebhookReceiver(secret="s3cret") as receiver:
        body, headers = signed_delivery("n-1")
        assert requests.post(receiver.url, data=body, headers=headers).status_code == 200
        # Replayed byte for byte (a captured delivery): answered, flagged, not collected.
        assert requests.post(receiver.url, data=body, headers=headers).status_code == 200
        assert len(receiver) == 1 and receiver.replayed == 1
        assert "replayed=1" in repr(receiver)
        # Another notification is collected as usual.
        body2, headers2 = signed_delivery("n-2")
        requests.post(receiver.url, data=body2, headers=headers2)
        assert [e["notification_id"] for e in receiver.raw_events()] == ["n-1", "n-2"]


def test_a_delivery_answered_with_an_error_is_collected_on_its_retry():
    with vnkit.WebhookReceiver(secret="s3cret") as receiver:
        receiver.fail_next(1)
        body, headers = signed_delivery("n-retry")
        assert requests.post(receiver.url, data=body, headers=headers).status_code == 503
        assert requests.post(receiver.url, data=body, headers=headers).status_code == 200
        assert len(receiver) == 1 and receiver.replayed == 0


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "+5", "٥", "5, 5",
                                    "9" * 5000, str(6 * 1024 * 1024)])
def test_webhook_receiver_refuses_a_bad_content_length_with_an_answer(length):
    with vnkit.WebhookReceiver(secret="s3cret") as receiver:
        started = time.monotonic()
        raw = raw_post(receiver.port, "/hooks", f"Content-Length: {length}\r\n",
                       b"x" * 100)
        assert status_of(raw) == (413 if length.isascii() and length.isdigit() else 400)
        assert b"Content-Length" in raw or b"larger than" in raw
        assert time.monotonic() - started < 4  # answered, not read until a timeout
        # Still serving afterwards.
        body, headers = signed_delivery("after")
        assert requests.post(receiver.url, data=body, headers=headers).status_code == 200


# -- 7/8. sign-in redirect listener --------------------------------------------------------
@pytest.fixture
def sign_in(box):
    started = vnkit.connect(box, flow="interactive", progress=False)
    yield started
    started.close()


def test_a_forged_error_redirect_does_not_end_the_sign_in(box, sign_in):
    listener = sign_in._listener
    forged = requests.get(f"{listener.redirect_uri}?error=access_denied&state=forged")
    assert forged.status_code == 400
    no_state = requests.get(f"{listener.redirect_uri}?error=access_denied")
    assert no_state.status_code == 400
    forged_code = requests.get(f"{listener.redirect_uri}?code=stolen&state=wrong")
    assert forged_code.status_code == 400
    assert listener.wait(0.1) is None and listener.refused == 3
    # The real sign-in still finishes, through the listener.
    client = sign_in.sandbox_login(*ANNA, company="Kaleva Oy")
    assert client.get("customer", pageSize=1)


def test_finish_checks_the_state_before_the_error(sign_in):
    with pytest.raises(vnkit.AuthError) as info:
        sign_in.finish("http://127.0.0.1:1/callback?error=access_denied&state=forged")
    assert info.value.error == "state_mismatch"


@pytest.mark.parametrize("length", ["-1", "abc", str(10 ** 6)])
def test_listener_refuses_a_bad_content_length(sign_in, length):
    listener = sign_in._listener
    raw = raw_post(listener.port, "/callback", f"Content-Length: {length}\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n", b"code=x")
    assert status_of(raw) in (400, 413)
    assert listener.wait(0.1) is None
