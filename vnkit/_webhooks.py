"""A webhook receiver for notebooks: a small HTTP server on 127.0.0.1.

>>> with vnkit.WebhookReceiver(secret="s3cret") as receiver:      # doctest: +SKIP
...     # subscribe receiver.url to events (sandbox: POST /sandbox/admin/webhooks)
...     receiver.wait_for(1, timeout=10)
...     receiver.events()

Each POST is checked against the secret: the signature header must hold the base64
HMAC-SHA256 of the raw body (several comma-separated signatures are allowed while
secrets rotate). Good ones are answered 200 and collected; bad or missing ones are
answered 401 and only counted. With ``secret=None`` nothing is checked (for the legacy
subscription API and the Background API's deprecated URL notifications, which are not
signed).

A notification id seen before (``x-vwd-notification-id`` or the body's
``notificationId``) is answered 200 but not collected again: a dispatcher's retry of a
delivery that did arrive, or someone replaying a captured one, is counted in
:attr:`WebhookReceiver.replayed` instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ._exceptions import ConfigurationError
from ._request_body import BadLength, content_length

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_SIGNATURE_HEADER = "x-vwd-signature-v1"
# Bodies larger than this are refused (413): a notebook receiver, not a data sink.
_MAX_BODY = 5 * 1024 * 1024


def signature(secret: str, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``body`` with ``secret``, as the dispatcher sends it."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
                            ).decode("ascii")


def verify(secrets: Iterable[str], body: bytes, header: str | None) -> bool:
    """Whether any signature in ``header`` matches ``body`` for any of ``secrets``.

    Every comparison is constant-time (``hmac.compare_digest``) so that the answer's
    timing tells a forger nothing.
    """
    if not header:
        return False
    sent = [s.strip().encode("ascii", "replace") for s in header.split(",") if s.strip()]
    ok = False
    for secret in secrets:
        expected = signature(secret, body).encode("ascii")
        for candidate in sent:
            # No early exit: every pair is compared.
            ok |= hmac.compare_digest(candidate, expected)
    return ok


class WebhookReceiver:
    """Collects webhook notifications on ``http://127.0.0.1:<port>/``.

    Parameters
    ----------
    secret : str or list of str, optional
        Subscription secret(s) to verify signatures with; None accepts unsigned posts.
    port : int, optional
        Port to listen on; None lets the system pick a free one.
    signature_header : str
        Header holding the signature (the sandbox's ``webhook_signature_header``).

    Attributes
    ----------
    url : str
        Where to subscribe (``http://127.0.0.1:<port>/hooks``).
    rejected : int
        Posts refused for a bad or missing signature.
    replayed : int
        Posts whose notification id had been collected already (answered 200, not
        collected twice).
    """

    def __init__(self, secret: str | Iterable[str] | None = None, port: int | None = None,
                 *, signature_header: str = DEFAULT_SIGNATURE_HEADER):
        if secret is None:
            self._secrets: tuple[str, ...] = ()
        else:
            items = (secret,) if isinstance(secret, str) else tuple(secret)
            if not items or not all(isinstance(s, str) and s for s in items):
                raise ConfigurationError("secret must be a non-empty string (or several).",
                                         hint="use the secret you gave the subscription")
            self._secrets = items
        if port is not None and (not isinstance(port, int) or not 0 <= port <= 65535):
            raise ConfigurationError(f"port {port!r} is not a port number.")
        self.signature_header = signature_header.lower()
        self.rejected = 0
        self.replayed = 0
        self._seen: set[str] = set()
        self._events: list[dict[str, Any]] = []
        self._fail = 0
        self._fail_status = 503
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", port or 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"vnkit-webhooks-{self.port}", daemon=True)
        self._thread.start()
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else self.url
        return (f"WebhookReceiver(url={state!r}, events={len(self._events)}, "
                f"rejected={self.rejected}, replayed={self.replayed}, "
                f"signed={bool(self._secrets)})")

    # -- lifecycle ------------------------------------------------------------
    def close(self) -> None:
        """Stop listening (idempotent); collected events stay readable."""
        if not self._closed:
            self._closed = True
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- behaviour knobs --------------------------------------------------------
    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """Answer the next ``count`` valid posts with ``status`` (to watch retries)."""
        if count < 0 or not 400 <= status <= 599:
            raise ConfigurationError("count must be >= 0 and status an error status")
        with self._lock:
            self._fail, self._fail_status = count, status

    # -- reading --------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._events)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> pd.DataFrame:
        """Block until ``count`` events have arrived; return :meth:`events`.

        Raises
        ------
        TimeoutError
            Fewer events arrived in time.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._events) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._events)} of {count} webhook event(s) "
                                       f"arrived within {timeout:g} s")
                self._lock.wait(left)
        return self.events()

    def raw_events(self) -> list[dict[str, Any]]:
        """The collected events as dicts (``body``, ``headers``, ``verified`` ...)."""
        with self._lock:
            return [dict(e) for e in self._events]

    def events(self) -> pd.DataFrame:
        """One row per accepted notification, in arrival order.

        Columns: ``received_utc``, ``event`` (the body's ``eventType`` or the
        ``x-vwd-event-id`` header), ``notification_id``, ``verified`` (None when no
        secret is set), ``path``, then the body's fields flattened (``body.*``).
        """
        import pandas as pd

        rows = self.raw_events()
        base = pd.DataFrame([{k: r[k] for k in ("received_utc", "event", "notification_id",
                                                "verified", "path")} for r in rows],
                            columns=["received_utc", "event", "notification_id", "verified",
                                     "path"])
        bodies = [r["body"] if isinstance(r["body"], dict) else {"raw": r["body"]}
                  for r in rows]
        if not bodies:
            return base
        flat = pd.json_normalize(bodies, sep=".").add_prefix("body.")
        return pd.concat([base, flat], axis=1)

    def clear(self) -> None:
        """Forget the collected events and the rejected and replayed counts.

        The notification ids seen are kept: a replay stays a replay after a clear.
        """
        with self._lock:
            self._events.clear()
            self.rejected = 0
            self.replayed = 0

    # -- the server -------------------------------------------------------------
    def _accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        verified = None
        if self._secrets:
            verified = verify(self._secrets, body, headers.get(self.signature_header))
            if not verified:
                with self._lock:
                    self.rejected += 1
                return 401
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        event = (parsed.get("eventType") if isinstance(parsed, dict) else None) or \
            headers.get("x-vwd-event-id")
        notification = (headers.get("x-vwd-notification-id")
                        or (parsed.get("notificationId") or parsed.get("eventId")
                            if isinstance(parsed, dict) else None))
        shown = {k: v for k, v in headers.items() if k != self.signature_header}
        record = {"received_utc": datetime.now(UTC), "event": event,
                  "notification_id": notification, "verified": verified, "path": path,
                  "headers": shown, "body": parsed}
        with self._lock:
            if notification is not None and str(notification) in self._seen:
                # Already collected: 200 so that a dispatcher stops retrying, but the
                # event is not handled twice.
                self.replayed += 1
                return 200
            if self._fail > 0:
                self._fail -= 1
                return self._fail_status
            if notification is not None:
                self._seen.add(str(notification))
            self._events.append(record)
            self._lock.notify_all()
        return 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                if self.headers.get("Transfer-Encoding"):
                    # Chunked bodies are not read here; say so instead of hanging.
                    self.close_connection = True
                    self._answer(411, b'{"message":"send the body with a Content-Length"}')
                    return
                try:
                    length = content_length(self.headers.get("Content-Length"), _MAX_BODY)
                except BadLength as exc:
                    # The body was not read: the connection cannot be reused.
                    self.close_connection = True
                    self._answer(exc.status, json.dumps({"message": str(exc)}).encode())
                    return
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                self._answer(receiver._accept(self.path, headers, body))

            def do_GET(self) -> None:  # noqa: N802
                self._answer(200, b'{"status":"listening"}')

            def _answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass  # never print requests (they carry signatures) into a notebook

        return Handler
