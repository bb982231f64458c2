"""Webhooks as the sandbox plays them: subscriptions, signed deliveries, retries.

Three ways to be notified exist, and the sandbox keeps all of them in one place:

* the **Developer Portal** subscriptions of today (an app subscribes a URL to events and
  gets a secret). The portal is a web UI, so the sandbox offers an admin call instead:
  ``POST /sandbox/admin/webhooks {"url", "events", "secret"}``. Deliveries carry an
  HMAC-SHA256 of the raw body, base64-encoded, in ``Settings.webhook_signature_header``
  (``x-vwd-signature-v1``) plus the dispatcher's companion ``x-vwd-*`` headers;
* the **legacy subscription API** (``resources/v1/subscription``, retired 2025-04-30 on
  the real service, kept here for learning): one URL per event per user (the token's
  subject: the signed-in user, or the client of a service token) per company, unsigned;
* **automation actions** (article 13): a rule "when <entity> gets status <S>, POST to
  URL", configured with ``POST /sandbox/admin/automation``.

Events come from :func:`emit`: the :class:`WriteEvents` middleware calls it after every
successful API write (it sees the answer, so events follow whatever the write side
did), and so does the admin call ``POST /sandbox/admin/webhooks/emit``. A receiver's
feedback (``POST v1/webhooknotificationfeedback``) is the surface operation that
:func:`handlers` answers.

Deliveries run on one daemon thread. A delivery that fails (no answer, or a non-2xx
answer) is tried again after each delay of ``Settings.webhook_retry_delays``; after the
last one it is marked failed. Every attempt is visible in
``GET /sandbox/admin/webhooks/deliveries``. Only loopback URLs are delivered to: this
emulator must never send traffic off the machine (subscriptions refuse other addresses;
a Background API request naming one, as article 15 does, is run but not notified).
Subscriptions and the delivery log live in memory (a restart of the sandbox forgets them).

The body of an ERP webhook is not documented in the public sources (facts 11.4); the
sandbox sends the fields below and says so in the notebook.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import http.client
import ipaddress
import itertools
import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .._surface import surface
from . import _admin
from ._answers import BadJson, decode_key, parse_json
from ._answers import json_answer as _json
from ._answers import message_error as _message
from ._canonical import ROOT_KEY
from ._deps import company_for, verify
from ._resources import ENTITIES, lookup

BACKGROUND_EVENT = "BACKGROUND_API_RESPONSE"
ACTION_EVENT = "ACTION_TRIGGERED"
ACTIONS = ("Created", "Updated", "Deleted", "StatusChanged")
# How many finished deliveries the log keeps (the oldest go first).
_LOG_SIZE = 2000
# Events are raised for the top-level record sets (not for lists below a parent).
_EVENT_ENTITIES = [name for name in ENTITIES if "/" not in name]
_ENTITY_BY_LOWER = {name.lower(): name for name in _EVENT_ENTITIES}

# The hub of the running app, for :func:`emit` (one app per server process).
_current: WebhookHub | None = None


def utc_text(moment: float | None = None) -> str:
    """``2026-11-23T20:01:02.345Z``: the UTC form used in bodies and headers."""
    stamp = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sign(secret: str, body: bytes) -> str:
    """Base64 of the HMAC-SHA256 of ``body`` keyed with ``secret`` (UTF-8)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
                            ).decode("ascii")


def loopback_problem(url: Any) -> str | None:
    """Why ``url`` may not receive deliveries from the sandbox, or None if it may."""
    if not isinstance(url, str) or not url.strip():
        return "the URL is missing"
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises for a port that is not a number 0-65535
    except ValueError as exc:
        return f"'{url}' is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"'{url}' is not an http(s) URL"
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (f"'{url}' is not a loopback address; the sandbox only delivers to 127.0.0.1, "
            "::1 or localhost so that nothing leaves this machine")


def entity_events(entity: str) -> list[str]:
    """Developer-Portal style event ids of one entity (``CUSTOMER_CREATED`` ...)."""
    stem = entity.upper()
    return [f"{stem}_CREATED", f"{stem}_UPDATED", f"{stem}_DELETED", f"{stem}_STATUS_CHANGED"]


def event_id(entity: str, action: str) -> str:
    """The portal event id for an action on an entity."""
    suffix = {"Created": "CREATED", "Updated": "UPDATED", "Deleted": "DELETED",
              "StatusChanged": "STATUS_CHANGED"}[action]
    return f"{entity.upper()}_{suffix}"


def legacy_event(entity: str) -> str:
    """The legacy API's event type of an entity (``customer_changed``)."""
    return f"{entity.lower()}_changed"


LEGACY_EVENTS = [{"eventType": legacy_event(name), "name": f"{name} changed",
                  "description": f"A {name} was created, updated or deleted."}
                 for name in _EVENT_ENTITIES]




# --------------------------------------------------------------------------- records


@dataclass
class Subscription:
    """A Developer-Portal subscription of one app (client)."""

    id: str
    url: str
    events: frozenset[str]
    secrets: tuple[str, ...] = field(repr=False)
    client_id: str
    companies: frozenset[int] | None = None
    created: str = field(default_factory=utc_text)

    def wants(self, event: str) -> bool:
        return "*" in self.events or event.upper() in self.events

    def public(self) -> dict:
        return {"id": self.id, "url": self.url, "events": sorted(self.events),
                "clientId": self.client_id, "secrets": len(self.secrets),
                "companies": sorted(self.companies) if self.companies else None,
                "createdUtc": self.created}


@dataclass
class Rule:
    """An automation action: when ``entity`` gets ``status``, POST to ``url``."""

    id: str
    name: str
    entity: str
    status: str
    url: str
    secret: str | None = field(repr=False, default=None)
    companies: frozenset[int] | None = None

    def public(self) -> dict:
        return {"id": self.id, "name": self.name, "entity": self.entity,
                "status": self.status, "url": self.url, "signed": self.secret is not None,
                "companies": sorted(self.companies) if self.companies else None}


@dataclass
class Delivery:
    """One notification to one URL and what became of it."""

    notification_id: str
    kind: str  # portal | legacy | background | automation
    url: str
    event: str
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    subscription_id: str | None = None
    state: str = "pending"  # pending | delivered | failed
    attempts: list[dict] = field(default_factory=list)
    next_at: float = 0.0
    created: str = field(default_factory=utc_text)
    feedback: list[dict] = field(default_factory=list)
    client_id: str | None = None
    company_id: int | None = None

    def public(self) -> dict:
        return {"notificationId": self.notification_id, "kind": self.kind, "url": self.url,
                "event": self.event, "subscriptionId": self.subscription_id,
                "state": self.state, "attempts": list(self.attempts),
                "createdUtc": self.created,
                "nextAttemptUtc": utc_text(self.next_at) if self.state == "pending" else None,
                "feedback": list(self.feedback), "body": json.loads(self.body)}


# --------------------------------------------------------------------------- the hub


class WebhookHub:
    """Subscriptions, rules, the delivery queue and its worker thread."""

    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self.base_url = "http://127.0.0.1"
        self.subscriptions: dict[str, Subscription] = {}
        self.legacy: dict[int, dict] = {}
        self.rules: dict[str, Rule] = {}
        self.deliveries: OrderedDict[str, Delivery] = OrderedDict()
        self.feedback: list[dict] = []
        self._legacy_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: list[tuple[float, int, str]] = []
        self._order = itertools.count()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="vnkit-webhooks", daemon=True)
        self._thread.start()

    # -- queue ----------------------------------------------------------------

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    def enqueue(self, kind: str, url: str, event: str, body: dict,
                headers: dict[str, str] | None = None, secrets: tuple[str, ...] = (),
                subscription_id: str | None = None, notification_id: str | None = None,
                tenant_id: str | None = None, client_id: str | None = None,
                company_id: int | None = None) -> Delivery:
        """Queue one notification; the body is signed now, so retries send the same bytes."""
        problem = loopback_problem(url)
        if problem:  # subscriptions are checked when made; this is the last line
            raise ValueError(problem)
        notification_id = notification_id or str(uuid.uuid4())
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        now = utc_text()
        out = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": "vnkit-sandbox-webhooks"}
        if kind != "legacy":
            out.update({"x-vwd-application-id": client_id or "",
                        "x-vwd-application-version": "1",
                        "x-vwd-event-id": event,
                        "x-vwd-group-id": "Visma Net Financial",
                        "x-vwd-notification-id": notification_id,
                        "x-vwd-notification-timestamp": now,
                        "x-vwd-subscription-id": subscription_id or "",
                        "x-vwd-tenant-id": tenant_id or "",
                        "x-vwd-webhook-timestamp": now})
        if secrets:
            # Several active secrets (rotation): one signature each, comma-separated.
            out[self.settings.webhook_signature_header] = ",".join(sign(s, raw)
                                                                   for s in secrets)
        out.update(headers or {})
        delivery = Delivery(notification_id, kind, url.strip(), event, raw, out,
                            subscription_id, next_at=time.time(), client_id=client_id,
                            company_id=company_id)
        with self._wake:
            self.deliveries[delivery.notification_id + ":" + (subscription_id or url)] = delivery
            while len(self.deliveries) > _LOG_SIZE:
                oldest_key = next(iter(self.deliveries))
                if self.deliveries[oldest_key].state == "pending":
                    break
                self.deliveries.popitem(last=False)
            heapq.heappush(self._queue, (delivery.next_at, next(self._order),
                                         delivery.notification_id + ":" +
                                         (subscription_id or url)))
            self._wake.notify_all()
        return delivery

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed and (not self._queue or self._queue[0][0] > time.time()):
                    wait = None if not self._queue else max(0.0, self._queue[0][0] - time.time())
                    self._wake.wait(wait)
                if self._closed:
                    return
                _, _, key = heapq.heappop(self._queue)
                delivery = self.deliveries.get(key)
            if delivery is None or delivery.state != "pending":
                continue
            status, error = self._post(delivery)
            with self._wake:
                delivery.attempts.append({"atUtc": utc_text(), "statusCode": status,
                                          "error": error})
                if status is not None and 200 <= status < 300:
                    delivery.state = "delivered"
                    continue
                delays = tuple(self.settings.webhook_retry_delays)
                retry = len(delivery.attempts) - 1
                if retry >= len(delays):
                    delivery.state = "failed"
                    continue
                delivery.next_at = time.time() + float(delays[retry])
                heapq.heappush(self._queue, (delivery.next_at, next(self._order), key))

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        # http.client, not urllib: it never follows a redirect (which could point
        # off the machine) and never uses a proxy from the environment.
        parts = urlsplit(delivery.url)
        assert parts.hostname  # loopback_problem() let only URLs with a host in
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        kind = (http.client.HTTPSConnection if parts.scheme == "https"
                else http.client.HTTPConnection)
        try:
            connection = kind(parts.hostname, parts.port, timeout=self.settings.webhook_timeout_s)
            try:
                connection.request("POST", target, body=delivery.body, headers=delivery.headers)
                answer = connection.getresponse()
                answer.read()
                return answer.status, None if answer.status < 300 else answer.reason
            finally:
                connection.close()
        except OSError as exc:
            return None, f"{type(exc).__name__}: {exc}"

    # -- events ---------------------------------------------------------------

    def _company(self, company_id: int):
        return self.store.company_by_id.get(int(company_id))

    def emit(self, event: str | None, company: int, entity: str, key: str, action: str,
             *, status: str | None = None) -> list[str]:
        """Notify everyone who asked about this change; see the module function."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        name = _ENTITY_BY_LOWER.get(str(entity).lower())
        if name is None:
            raise ValueError(f"unknown entity {entity!r}")
        company_row = self._company(company)
        if company_row is None:
            raise ValueError(f"unknown company {company!r}")
        event = (event or event_id(name, action)).upper()
        path = ENTITIES[name].path
        resource = f"{self.base_url}/v1/{path}/{key}"
        sent: list[str] = []
        for sub in list(self.subscriptions.values()):
            if not sub.wants(event):
                continue
            client = self.store.clients.get(sub.client_id)
            if client is None or company_row.tenant_id not in client.tenant_ids:
                continue
            if sub.companies and company_row.company_id not in sub.companies:
                continue
            notification = str(uuid.uuid4())
            body = {"notificationId": notification, "eventType": event,
                    "tenantId": company_row.tenant_id, "companyId": company_row.company_id,
                    "entity": name, "entityId": str(key), "action": action,
                    "status": status, "resourceUri": resource, "timestampUtc": utc_text()}
            self.enqueue("portal", sub.url, event, body, secrets=sub.secrets,
                         subscription_id=sub.id, notification_id=notification,
                         tenant_id=company_row.tenant_id, client_id=sub.client_id)
            sent.append(notification)
        legacy_type = legacy_event(name)
        if action != "StatusChanged":
            for item in list(self.legacy.values()):
                if item["companyId"] == company_row.company_id and item["event"] == legacy_type:
                    notification = str(uuid.uuid4())
                    # The legacy log's NotificationDto fields; whether the pushed body had
                    # exactly these is unknown (facts 7).
                    body = {"contextId": company_row.company_id, "eventId": notification,
                            "eventType": legacy_type, "action": action,
                            "resourceUri": resource}
                    self.enqueue("legacy", item["hookUri"], legacy_type, body,
                                 subscription_id=str(item["id"]), notification_id=notification,
                                 client_id=item["clientId"],
                                 company_id=company_row.company_id)
                    sent.append(notification)
        if status is not None and action in ("Created", "StatusChanged"):
            for rule in list(self.rules.values()):
                if (rule.entity.lower() == name.lower()
                        and rule.status.casefold() == str(status).casefold()
                        and (not rule.companies or company_row.company_id in rule.companies)):
                    sent.append(self.fire_rule(rule, company_row, name, key, status, resource))
        return sent

    def fire_rule(self, rule: Rule, company_row, entity: str, key: str, status: str | None,
                  resource: str) -> str:
        notification = str(uuid.uuid4())
        body = {"notificationId": notification, "eventType": ACTION_EVENT,
                "action": rule.name, "ruleId": rule.id,
                "tenantId": company_row.tenant_id, "companyId": company_row.company_id,
                "entity": entity, "entityId": str(key), "status": status,
                "resourceUri": resource, "timestampUtc": utc_text()}
        self.enqueue("automation", rule.url, ACTION_EVENT, body,
                     secrets=(rule.secret,) if rule.secret else (), subscription_id=rule.id,
                     notification_id=notification, tenant_id=company_row.tenant_id)
        return notification

    def background(self, client_id: str, company_id: int, payload: dict,
                   echo: dict[str, str]) -> list[str]:
        """``BACKGROUND_API_RESPONSE`` to the calling app's subscriptions."""
        company_row = self._company(company_id)
        sent = []
        for sub in list(self.subscriptions.values()):
            if sub.client_id != client_id or not sub.wants(BACKGROUND_EVENT):
                continue
            if sub.companies and company_id not in sub.companies:
                continue
            notification = str(uuid.uuid4())
            body = {"notificationId": notification, "eventType": BACKGROUND_EVENT,
                    "tenantId": company_row.tenant_id if company_row else None,
                    "companyId": company_id, **payload}
            self.enqueue("portal", sub.url, BACKGROUND_EVENT, body, headers=echo,
                         secrets=sub.secrets, subscription_id=sub.id,
                         notification_id=notification,
                         tenant_id=company_row.tenant_id if company_row else None,
                         client_id=client_id)
            sent.append(notification)
        return sent

    # -- feedback ---------------------------------------------------------------

    def add_feedback(self, client_id: str, company_id: int, item: dict) -> dict:
        record = {**item, "clientId": client_id, "companyId": company_id,
                  "receivedUtc": utc_text()}
        with self._lock:
            self.feedback.append(record)
            for delivery in self.deliveries.values():
                if delivery.notification_id == item["notificationId"]:
                    delivery.feedback.append(record)
        return record


def emit(event: str | None, company: int, entity: str, key: str, action: str, *,
         status: str | None = None) -> list[str]:
    """Tell webhook subscribers that a record changed (called by the write path).

    Parameters
    ----------
    event
        Portal event id to send (``CUSTOMER_UPDATED``); None derives it from ``entity``
        and ``action``.
    company
        ``ipp-company-id`` of the company whose record changed.
    entity
        Entity name of the registry (``customer``, ``customerInvoice`` ...).
    key
        The record's key as it appears in its URL.
    action
        ``Created``, ``Updated``, ``Deleted`` or ``StatusChanged``.
    status
        The record's status after the change; automation rules match on it.

    Returns
    -------
    list of str
        Notification ids queued (empty when nobody subscribed or no app is running).
    """
    hub = _current
    if hub is None:
        return []
    return hub.emit(event, company, entity, key, action, status=status)


# --------------------------------------------------------------------------- writes


def _record_of(segments: list[str]) -> tuple | None:
    """``(resource, key or None, False)`` for a record or list path's segments below the
    version (``customer/10001``), or None."""
    from urllib.parse import unquote

    if not segments:
        return None
    entity, rest = None, []
    if len(segments) >= 2:
        entity = lookup(unquote(segments[0]) + "/" + unquote(segments[1]))
        rest = segments[2:]
    if entity is None:
        entity = lookup(unquote(segments[0]))
        rest = segments[1:]
    if entity is None or len(rest) > 1:
        return None
    return entity, (decode_key(rest[0]) if rest else None), False


class WriteEvents:
    """ASGI wrapper that raises record events for every successful API write.

    It watches writes from outside (method, path, answer status, ``Location``) instead of
    living inside the write code, so the events follow whatever the write side does:
    ``POST`` 201 is *Created* (the key is the ``Location``'s last segment), ``PUT`` 2xx
    *Updated*, ``DELETE`` 2xx *Deleted*, and a changed status after a ``PUT`` or an
    ``.../action/...`` call is *StatusChanged* (the record is read before and after).
    Background jobs replay through the application, so their writes are seen too.
    """

    def __init__(self, app, hub: WebhookHub, store):
        self.app = app
        self.hub = hub
        self.store = store

    def _target(self, scope) -> tuple | None:
        """``(resource, key or None, is an action)`` of a write, or None."""
        root = scope.get(ROOT_KEY)  # set for API paths by the canonical-path middleware
        if root is None:
            return None
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        segments = [p for p in path[len(root):].split("/") if p]
        if len(segments) >= 4 and segments[-2].lower() == "action":
            entity = ENTITIES.get(_ENTITY_BY_LOWER.get(segments[0].lower(), ""))
            return (entity, decode_key(segments[1]), True) if entity else None
        return _record_of(segments)

    def _status(self, company_id: int, entity, key: str | None) -> str | None:
        if key is None or not entity.status_field:
            return None
        doc = self.store.one(company_id, entity.name, key)
        return None if doc is None else json.loads(doc).get(entity.status_field)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH",
                                                               "DELETE"):
            await self.app(scope, receive, send)
            return
        target = None
        try:
            target = self._target(scope)
        except Exception:  # noqa: BLE001 - never let event bookkeeping break a request
            target = None
        if target is None or not (self.hub.subscriptions or self.hub.legacy or
                                  self.hub.rules):
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request as StarletteRequest

        request = StarletteRequest(scope)
        principal, error = verify(request)
        company_id = None
        if principal is not None:
            company_id, error = company_for(request, principal)
        if error is not None or request.headers.get("erp-api-background") is not None:
            await self.app(scope, receive, send)  # refused, or only queued: no change yet
            return
        entity, key, is_action = target
        assert company_id is not None  # _company() gives an id or an error
        before = await run_in_threadpool(self._status, company_id, entity, key)
        answer: dict = {}

        async def watch(message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"location":
                        answer["location"] = value.decode("latin-1")
            await send(message)

        await self.app(scope, receive, watch)
        status_code = answer.get("status", 500)
        if not 200 <= status_code < 300:
            return
        try:
            await run_in_threadpool(self._raise, scope["method"], company_id, entity, key,
                                    is_action, before, answer.get("location"))
        except Exception:  # noqa: BLE001 - the write succeeded; a lost event is logged below
            import logging

            logging.getLogger(__name__).exception("webhook event after a write was lost")

    def _raise(self, method: str, company_id: int, entity, key: str | None, is_action: bool,
               before: str | None, location: str | None) -> None:
        if method == "POST" and not is_action:
            if not location or key is not None:
                return
            key = decode_key(location.rstrip("/").rsplit("/", 1)[-1].split("?")[0])
            self.hub.emit(None, company_id, entity.name, key, "Created",
                          status=self._status(company_id, entity, key))
            return
        if key is None:
            return
        if method == "DELETE":
            self.hub.emit(None, company_id, entity.name, key, "Deleted", status=before)
            return
        after = self._status(company_id, entity, key)
        if not is_action:
            self.hub.emit(None, company_id, entity.name, key, "Updated", status=after)
        if after is not None and after != before:
            self.hub.emit(None, company_id, entity.name, key, "StatusChanged", status=after)


# --------------------------------------------------------------------------- HTTP


def _company_set(value: Any) -> frozenset[int] | None:
    if value in (None, [], ""):
        return None
    items = value if isinstance(value, list) else [value]
    return frozenset(int(v) for v in items)


async def _body(request: Request) -> tuple[dict | None, Response | None]:
    try:
        data = parse_json(await request.body() or b"null")
    except BadJson as exc:
        return None, _message(400, str(exc))
    if not isinstance(data, dict):
        return None, _message(400, "The request body must be a JSON object.")
    return data, None


def install(app: FastAPI, store, settings) -> WebhookHub:
    """The hub (``app.state.webhooks``), its admin routes, the legacy subscription API
    and the middleware that raises events after writes; the feedback operation is
    answered through :func:`handlers`.

    Call before the fallback route is added, so these paths are matched first.
    """
    global _current
    _admin.enable(app)
    hub = WebhookHub(store, settings)
    _current = hub
    demo_client = next(iter(store.clients), None)

    def remember_base(request: Request) -> None:
        hub.base_url = str(request.base_url).rstrip("/")

    def admin_object(body: Any) -> tuple[dict | None, Response | None]:
        # The guard parsed the JSON; these calls take an object.
        if not isinstance(body, dict):
            return None, _message(400, "The request body must be a JSON object.")
        return body, None

    # -- admin: the Developer Portal stand-in ---------------------------------

    @app.post("/sandbox/admin/webhooks", tags=["sandbox"], status_code=201,
              summary="Subscribe a URL to webhook events (stands in for the Developer Portal)")
    async def add_subscription(request: Request, body: Any = _admin.BODY) -> Response:
        remember_base(request)
        data, error = admin_object(body)
        if error:
            return error
        assert data is not None  # no error: _body read an object
        problem = loopback_problem(data.get("url"))
        if problem:
            return _message(400, f"url: {problem}.")
        events = data.get("events") or ["*"]
        if isinstance(events, str):
            events = [events]
        if not all(isinstance(e, str) and e.strip() for e in events):
            return _message(400, "events: give a list of event ids, e.g. "
                                 f"['CUSTOMER_UPDATED', '{BACKGROUND_EVENT}'], or ['*'].")
        secret = data.get("secret")
        secrets = [secret] if isinstance(secret, str) else list(secret or [])
        if not secrets or not all(isinstance(s, str) and s for s in secrets):
            return _message(400, "secret: a webhook subscription needs a non-empty secret "
                                 "(a string, or a list of strings while rotating).")
        client_id = data.get("clientId") or demo_client
        if client_id is None or client_id not in store.clients:
            return _message(400, f"clientId: unknown client '{client_id}'.")
        try:
            companies = _company_set(data.get("companies"))
        except (TypeError, ValueError):
            return _message(400, "companies: give company ids (numbers).")
        sub = Subscription(str(uuid.uuid4()), data["url"].strip(),
                           frozenset(e.strip().upper() for e in events), tuple(secrets),
                           client_id, companies)
        hub.subscriptions[sub.id] = sub
        return _json(201, sub.public())

    @app.get("/sandbox/admin/webhooks", tags=["sandbox"], dependencies=_admin.ADMIN,
             summary="Webhook subscriptions")
    async def list_subscriptions() -> Response:
        return _json(200, [s.public() for s in hub.subscriptions.values()])

    @app.delete("/sandbox/admin/webhooks/{subscription_id}", tags=["sandbox"],
                dependencies=_admin.ADMIN, summary="Remove a webhook subscription")
    async def delete_subscription(subscription_id: str) -> Response:
        if hub.subscriptions.pop(subscription_id, None) is None:
            return _message(404, f"Subscription '{subscription_id}' was not found.")
        return Response(status_code=204)

    @app.get("/sandbox/admin/webhooks/events", tags=["sandbox"], dependencies=_admin.ADMIN,
             summary="Event ids a subscription may name")
    async def list_events() -> Response:
        names = [e for name in _EVENT_ENTITIES for e in entity_events(name)]
        return _json(200, [BACKGROUND_EVENT, ACTION_EVENT, *names])

    @app.post("/sandbox/admin/webhooks/emit", tags=["sandbox"], status_code=202,
              summary="Raise a record event as if the record had changed")
    async def admin_emit(request: Request, body: Any = _admin.BODY) -> Response:
        remember_base(request)
        data, error = admin_object(body)
        if error:
            return error
        assert data is not None  # no error: _body read an object
        missing = [k for k in ("company", "entity", "key", "action") if data.get(k) in
                   (None, "")]
        if missing:
            return _message(400, f"Missing field(s): {', '.join(missing)} (also optional: "
                                 "event, status).")
        try:
            ids = hub.emit(data.get("event"), int(data["company"]), str(data["entity"]),
                           str(data["key"]), str(data["action"]), status=data.get("status"))
        except (TypeError, ValueError) as exc:
            return _message(400, str(exc))
        return _json(202, {"notificationIds": ids})

    @app.get("/sandbox/admin/webhooks/deliveries", tags=["sandbox"],
             dependencies=_admin.ADMIN,
             summary="Delivery log: every notification, its attempts and state")
    async def list_deliveries() -> Response:
        with hub._lock:
            items = [d.public() for d in hub.deliveries.values()]
        return _json(200, items)

    @app.get("/sandbox/admin/webhooks/feedback", tags=["sandbox"],
             dependencies=_admin.ADMIN,
             summary="What integrators posted to v1/webhooknotificationfeedback")
    async def list_feedback() -> Response:
        return _json(200, list(hub.feedback))

    @app.post("/sandbox/admin/automation", tags=["sandbox"], status_code=201,
              summary="Automation action: when an entity gets a status, POST to a URL")
    async def add_rule(request: Request, body: Any = _admin.BODY) -> Response:
        remember_base(request)
        data, error = admin_object(body)
        if error:
            return error
        assert data is not None  # no error: _body read an object
        problem = loopback_problem(data.get("url"))
        if problem:
            return _message(400, f"url: {problem}.")
        entity = _ENTITY_BY_LOWER.get(str(data.get("entity", "")).lower())
        if entity is None:
            return _message(400, f"entity: '{data.get('entity')}' is not an entity of the "
                                 "API (e.g. customerInvoice, supplierInvoice).")
        status = data.get("status")
        if not isinstance(status, str) or not status:
            return _message(400, "status: give the status that fires the action, e.g. Open.")
        secret = data.get("secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            return _message(400, "secret: a non-empty string, or leave it out.")
        try:
            companies = _company_set(data.get("companies"))
        except (TypeError, ValueError):
            return _message(400, "companies: give company ids (numbers).")
        rule = Rule(str(uuid.uuid4()), str(data.get("name") or f"{entity} {status}"),
                    entity, status, data["url"].strip(), secret, companies)
        hub.rules[rule.id] = rule
        return _json(201, rule.public())

    @app.get("/sandbox/admin/automation", tags=["sandbox"], dependencies=_admin.ADMIN,
             summary="Automation actions")
    async def list_rules() -> Response:
        return _json(200, [r.public() for r in hub.rules.values()])

    @app.delete("/sandbox/admin/automation/{rule_id}", tags=["sandbox"],
                dependencies=_admin.ADMIN, summary="Remove an automation action")
    async def delete_rule(rule_id: str) -> Response:
        if hub.rules.pop(rule_id, None) is None:
            return _message(404, f"Automation action '{rule_id}' was not found.")
        return Response(status_code=204)

    @app.post("/sandbox/admin/automation/{rule_id}/trigger", tags=["sandbox"],
              status_code=202, summary="Press the action's button on one record")
    async def trigger_rule(rule_id: str, request: Request,
                           body: Any = _admin.BODY) -> Response:
        remember_base(request)
        rule = hub.rules.get(rule_id)
        if rule is None:
            return _message(404, f"Automation action '{rule_id}' was not found.")
        data, error = admin_object(body)
        if error:
            return error
        assert data is not None  # no error: _body read an object
        try:
            company_row = hub._company(data.get("company") or 0)
        except (TypeError, ValueError):
            company_row = None
        if company_row is None or not data.get("key"):
            return _message(400, "Give company (an id) and key (the record's key).")
        key = str(data["key"])
        # The button is pressed on a record that exists; its status goes along.
        doc = await run_in_threadpool(store.one, company_row.company_id, rule.entity, key)
        if doc is None:
            return _message(404, f"{rule.entity} '{key}' was not found in company "
                                 f"{company_row.company_id}.")
        status = json.loads(doc).get(ENTITIES[rule.entity].status_field or "status")
        resource = f"{hub.base_url}/v1/{ENTITIES[rule.entity].path}/{key}"
        notification = hub.fire_rule(rule, company_row, rule.entity, key, status, resource)
        return _json(202, {"notificationIds": [notification]})

    # -- the legacy subscription API -------------------------------------------

    async def legacy_guard(request: Request):
        if not settings.legacy_webhook_api:
            return None, None, _message(404, "The webhook subscription API was retired on "
                                             "2025-04-30; subscribe in the Developer Portal.")
        principal, error = verify(request)
        if principal is None:
            return None, None, error
        company_id, error = company_for(request, principal)
        if error is not None:
            return None, None, error
        remember_base(request)
        return principal, company_id, None

    def legacy_item(item: dict) -> dict:
        return {"id": item["id"], "event": item["event"], "hookUri": item["hookUri"]}

    def legacy_check(data: dict) -> str | None:
        event = data.get("event")
        if not isinstance(event, str) or event not in {e["eventType"] for e in LEGACY_EVENTS}:
            return (f"event: '{event}' is not an event type; see GET resources/v1/event "
                    "(e.g. customer_changed).")
        problem = loopback_problem(data.get("hookUri"))
        return f"hookUri: {problem}." if problem else None

    for root in ("/resources/v1", "/API/resources/v1"):
        @app.get(root + "/event", tags=["webhooks (legacy)"], include_in_schema=root[1] == "r",
                 summary="Event types a legacy subscription may name")
        async def legacy_events(request: Request) -> Response:
            _, _, error = await legacy_guard(request)
            return error or _json(200, LEGACY_EVENTS)

        @app.get(root + "/subscription", tags=["webhooks (legacy)"],
                 include_in_schema=root[1] == "r", summary="This client's subscriptions")
        async def legacy_list(request: Request) -> Response:
            principal, company_id, error = await legacy_guard(request)
            if error:
                return error
            return _json(200, [legacy_item(i) for i in hub.legacy.values()
                               if i["owner"] == principal.subject
                               and i["companyId"] == company_id])

        @app.post(root + "/subscription", tags=["webhooks (legacy)"], status_code=201,
                  include_in_schema=root[1] == "r", summary="Subscribe a URL to an event")
        async def legacy_create(request: Request) -> Response:
            principal, company_id, error = await legacy_guard(request)
            if error:
                return error
            data, error = await _body(request)
            if error:
                return error
            assert data is not None  # no error: _body read an object
            problem = legacy_check(data)
            if problem:
                return _message(400, problem)
            for item in hub.legacy.values():
                if (item["owner"], item["companyId"], item["event"]) == (
                        principal.subject, company_id, data["event"]):
                    return _message(400, f"A subscription to {data['event']} already exists "
                                         f"for this user and company (id {item['id']}); "
                                         "change it with PUT or delete it first.")
            item = {"id": next(hub._legacy_ids), "event": data["event"],
                    "hookUri": data["hookUri"].strip(), "clientId": principal.client_id,
                    "owner": principal.subject, "companyId": company_id}
            hub.legacy[item["id"]] = item
            location = f"{str(request.base_url).rstrip('/')}{request.url.path}/{item['id']}"
            return _json(201, legacy_item(item), {"Location": location})

        async def legacy_find(request: Request, subscription_id: str):
            principal, company_id, error = await legacy_guard(request)
            if error:
                return None, error
            # Ids are plain numbers: str.isdigit alone takes "²" and other scripts'
            # digits, which int() then refuses.
            plain = (subscription_id.isascii() and subscription_id.isdigit()
                     and len(subscription_id) <= 18)
            item = hub.legacy.get(int(subscription_id)) if plain else None
            if item is None or (item["owner"], item["companyId"]) != (
                    principal.subject, company_id):
                return None, _message(404, f"Subscription '{subscription_id}' was not found.")
            return item, None

        @app.get(root + "/subscription/{subscription_id}", tags=["webhooks (legacy)"],
                 include_in_schema=root[1] == "r", summary="One subscription")
        async def legacy_get(subscription_id: str, request: Request) -> Response:
            item, error = await legacy_find(request, subscription_id)
            return error or _json(200, legacy_item(item))

        @app.put(root + "/subscription/{subscription_id}", tags=["webhooks (legacy)"],
                 include_in_schema=root[1] == "r", summary="Change a subscription")
        async def legacy_put(subscription_id: str, request: Request) -> Response:
            item, error = await legacy_find(request, subscription_id)
            if error:
                return error
            data, error = await _body(request)
            if error:
                return error
            assert data is not None  # no error: _body read an object
            merged = {"event": data.get("event", item["event"]),
                      "hookUri": data.get("hookUri", item["hookUri"])}
            problem = legacy_check(merged)
            if problem:
                return _message(400, problem)
            clash = [i for i in hub.legacy.values() if i is not item and
                     (i["owner"], i["companyId"], i["event"]) ==
                     (item["owner"], item["companyId"], merged["event"])]
            if clash:
                return _message(400, f"A subscription to {merged['event']} already exists "
                                     f"(id {clash[0]['id']}).")
            item.update(event=merged["event"], hookUri=merged["hookUri"].strip())
            return Response(status_code=204)

        @app.delete(root + "/subscription/{subscription_id}", tags=["webhooks (legacy)"],
                    include_in_schema=root[1] == "r", summary="Remove a subscription")
        async def legacy_delete(subscription_id: str, request: Request) -> Response:
            item, error = await legacy_find(request, subscription_id)
            if error:
                return error
            hub.legacy.pop(item["id"], None)
            return Response(status_code=204)

        def legacy_log(principal, company_id: int) -> list[Delivery]:
            with hub._lock:
                return [d for d in hub.deliveries.values() if d.kind == "legacy"
                        and d.client_id == principal.client_id
                        and d.company_id == company_id]

        def notification_dto(delivery: Delivery) -> dict:
            body = json.loads(delivery.body)
            return {"contextId": body["contextId"], "eventId": delivery.notification_id,
                    "action": body["action"], "resourceUri": body["resourceUri"]}

        async def legacy_notifications(request: Request, failed: bool) -> Response:
            principal, company_id, error = await legacy_guard(request)
            if error:
                return error
            query = {k.lower(): v for k, v in request.query_params.items()}
            items = [d for d in legacy_log(principal, company_id)
                     if (not failed or d.state == "failed")
                     and (not query.get("eventtype") or d.event == query["eventtype"])
                     and (not query.get("datefrom") or d.created[:10] >= query["datefrom"][:10])
                     and (not query.get("dateto") or d.created[:10] <= query["dateto"][:10])]
            try:
                size = int(query.get("pagesize") or 0)
                number = int(query.get("pagenumber") or 1)
            except ValueError:
                return _message(400, "pageNumber and pageSize must be whole numbers.")
            if size > 0:
                items = items[(max(number, 1) - 1) * size:max(number, 1) * size]
            return _json(200, [notification_dto(d) for d in items])

        @app.get(root + "/notification", tags=["webhooks (legacy)"],
                 include_in_schema=root[1] == "r",
                 summary="Notifications sent to this client's legacy subscriptions")
        async def legacy_notification_list(request: Request) -> Response:
            return await legacy_notifications(request, failed=False)

        @app.get(root + "/notification/failed", tags=["webhooks (legacy)"],
                 include_in_schema=root[1] == "r",
                 summary="Legacy notifications whose delivery failed")
        async def legacy_notification_failed(request: Request) -> Response:
            return await legacy_notifications(request, failed=True)

        @app.get(root + "/notification/{notification_id}", tags=["webhooks (legacy)"],
                 include_in_schema=root[1] == "r", summary="One legacy notification")
        async def legacy_notification_one(notification_id: str, request: Request) -> Response:
            principal, company_id, error = await legacy_guard(request)
            if error:
                return error
            found = [d for d in legacy_log(principal, company_id)
                     if d.notification_id == notification_id]
            if not found:
                return _message(404, f"Notification '{notification_id}' was not found.")
            body = json.loads(found[0].body)
            return _json(200, {"entityId": body["resourceUri"].rsplit("/", 1)[-1],
                               "notificationId": notification_id, "source": body["eventType"],
                               "status": found[0].state})

    app.add_middleware(WriteEvents, hub=hub, store=store)
    return hub


def handlers(hub: WebhookHub) -> dict:
    """The surface operations this module answers, by operation id: the feedback on a
    delivered notification (``POST v1/webhooknotificationfeedback``)."""
    async def feedback(call) -> Response:
        data, error = await _body(call.request)
        if error:
            return error
        assert data is not None  # no error: _body read an object
        problems = []
        if not isinstance(data.get("notificationId"), str) or not data["notificationId"]:
            problems.append("notificationId (the id of the notification you received)")
        if not isinstance(data.get("isSuccess"), bool):
            problems.append("isSuccess (true or false)")
        for name in ("source", "description"):
            if data.get(name) is not None and not isinstance(data[name], str):
                problems.append(f"{name} (text)")
        if problems:
            return _message(400, "Invalid or missing field(s): " + "; ".join(problems) + ".")
        item = {"notificationId": data["notificationId"], "source": data.get("source"),
                "description": data.get("description"), "isSuccess": data["isSuccess"]}
        hub.add_feedback(call.principal.client_id, call.company_id, item)
        return Response(status_code=201)

    return {op.operation_id: feedback for op in surface().operations
            if op.group == "WebhookNotificationFeedback" and op.method == "POST"}
