"""The Background API (article 15): any API request can run as a background job.

A request with the ``erp-api-background`` header is answered at once with **202
Accepted**, a job id and where to follow it (``Location`` and ``stateLocation``); the
request itself is kept (method, path, query, headers, body) and replayed through the
whole application a moment later, as the caller, without that header. Its answer is
stored: ``GET v1/background/{id}`` gives the job's status, ``.../content`` the stored
response body. When asked, a notification follows:

=============================  ==============================================
header value                   notification
=============================  ==============================================
``none``                       none
``subscription``               ``BACKGROUND_API_RESPONSE`` to the app's webhook
                               subscriptions
``subscription:h1=v1,h2=v2``   the same, with ``h1: v1`` and ``h2: v2`` as headers
a URL (deprecated)             a POST of the status to that URL (loopback
                               addresses only; any other is taken, not called)
=============================  ==============================================

:func:`in_background`, a dependency of every API route, takes such a request; the
job's status and content are the surface's ``background`` operations (:func:`handlers`).
Jobs are kept in memory for ``Settings.background_retention_s`` (24 h) from when they
were received; only the client and company that sent a job can read it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response

from .._surface import surface
from ._answers import json_answer as _json
from ._answers import message_error as _message
from ._canonical import ROOT_KEY
from ._deps import Answered, caller, company_for, operation
from ._webhooks import WebhookHub, loopback_problem, utc_text

HEADER = "erp-api-background"
# Key in the ASGI scope of a job's internal run (value: the job id).
REPLAY_KEY = "vnkit.background_job"
_HEADER_BYTES = HEADER.encode()
# Headers of the stored answer that are about the transport, not the result.
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "date", "server"}




def parse_header(value: str) -> tuple[str, dict[str, str], str | None]:
    """``(mode, echo headers, webhook URL)`` of an ``erp-api-background`` value.

    Raises ValueError with a message for the caller when the value is not one of the
    accepted forms.
    """
    text = value.strip()
    lower = text.lower()
    if lower == "none":
        return "none", {}, None
    if lower == "subscription":
        return "subscription", {}, None
    if lower.startswith("subscription:"):
        echo: dict[str, str] = {}
        for pair in text.split(":", 1)[1].split(","):
            name, sep, val = pair.partition("=")
            name = name.strip()
            if not sep or not name or not name.isascii() or any(c in name for c in " :\r\n"):
                raise ValueError(f"'{pair.strip()}' is not a header=value pair; write "
                                 "subscription:<header>=<value>[,<header>=<value>...]")
            if any(c in val for c in "\r\n"):
                raise ValueError(f"the value of {name} contains a line break")
            echo[name] = val.strip()
        return "subscription", echo, None
    if lower.startswith(("http://", "https://")):
        return "url", {}, text
    raise ValueError(f"'{text}' is not a value the header takes: none, subscription, "
                     "subscription:<header>=<value>,..., or (deprecated) a webhook URL")


@dataclass
class Job:
    """One background request and, once run, its stored answer."""

    id: str
    client_id: str
    company_id: int
    scope: dict = field(repr=False)
    body: bytes = field(repr=False)
    root: str  # absolute URL of the API root the request used, e.g. http://h/v1
    original_uri: str
    mode: str
    echo: dict[str, str]
    webhook_address: str | None
    received: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    status_code: int = 0
    content: bytes = b""
    content_type: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    error_message: str | None = None

    @property
    def state_location(self) -> str:
        return f"{self.root}/background/{self.id}"

    @property
    def content_location(self) -> str:
        return f"{self.state_location}/content"

    @property
    def status(self) -> str:
        if self.finished is None:
            return "Started"
        return "Finished" if self.status_code < 400 else "Failed"

    def public(self) -> dict:
        """The BackgroundStatus body (facts 7)."""
        has_content = self.finished is not None and bool(self.content)
        return {"id": self.id, "status": self.status, "statusCode": self.status_code,
                "receivedUtc": utc_text(self.received),
                "startedUtc": utc_text(self.started) if self.started else None,
                "finishedUtc": utc_text(self.finished) if self.finished else None,
                "webhookAddress": self.webhook_address,
                "errorMessage": self.error_message,
                "reference": ",".join(f"{k}={v}" for k, v in self.echo.items()) or None,
                "originalUri": self.original_uri,
                "hasResponseContent": has_content,
                "hasRequestContent": bool(self.body),
                "contentLocation": self.content_location if has_content else None,
                "responseHeaders": dict(self.response_headers),
                "stateLocation": self.state_location}


def _error_text(content: bytes) -> str | None:
    """The message of a stored error answer, whichever of the API's shapes it has."""
    try:
        data = json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")[:500] or None
    if isinstance(data, dict):
        for name in ("message", "Message", "ExceptionMessage", "error_description"):
            if isinstance(data.get(name), str):
                return data[name]
    return None


class BackgroundService:
    """Takes background requests, runs them through ``app`` and keeps their answers."""

    def __init__(self, app: FastAPI, settings, hub: WebhookHub):
        self.app = app
        self.settings = settings
        self.hub = hub
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task] = set()

    # -- the routes' side ------------------------------------------------------

    async def read(self, call) -> Response:
        """``GET background/{requestId}[/content]``: a job's status or stored answer."""
        parts = [call.values[name] for name in call.op.path_params]
        if call.op.path.lower().endswith("/content"):
            parts.append("content")
        return self._read(call.request, parts, call.principal.client_id, call.company_id)

    def _purge(self) -> None:
        cutoff = time.time() - float(self.settings.background_retention_s)
        with self._lock:
            for key in [k for k, j in self.jobs.items() if j.received < cutoff]:
                del self.jobs[key]

    def _read(self, request: Request, parts: list[str], client_id: str,
              company_id: int) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _message(405, f"{request.method} is not available on background jobs.")
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() != "content"):
            return _message(404, "Use background/{id} or background/{id}/content.")
        self._purge()
        job = self.jobs.get(parts[0].lower())
        # Someone else's job is reported exactly like a missing one: ids are not secrets,
        # but what they hold is.
        if job is None or (job.client_id, job.company_id) != (client_id, company_id):
            return _message(404, f"Background request '{parts[0]}' was not found (jobs are "
                                 "kept 24 hours, for the client and company that sent them).")
        if len(parts) == 1:
            return _json(200, job.public())
        if job.finished is None:
            return _message(404, f"Background request '{job.id}' has not finished yet; its "
                                 "content is not available.")
        if not job.content:
            return _message(404, f"Background request '{job.id}' has no response content "
                                 f"(its answer was {job.status_code}).")
        return Response(job.content, status_code=200,
                        media_type=job.content_type or "application/json; charset=utf-8")

    async def accept(self, request: Request, value: str, client_id: str,
                     company_id: int) -> Response:
        """Keep the request as a job, start it a moment later and answer 202."""
        try:
            mode, echo, url = parse_header(value)
        except ValueError as exc:
            return _message(400, f"Invalid {HEADER} header: {exc}.")
        if mode == "url":
            if not self.settings.background_url_value:
                return _message(400, f"Invalid {HEADER} header: a webhook URL is no longer "
                                     "accepted (deprecated 2025-04-30); use 'subscription'.")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return _message(400, f"Invalid {HEADER} header: '{url}' is not an "
                                     "http(s) URL.")
            # Any address is taken, as the real service takes it; the sandbox delivers
            # only to loopback addresses and keeps the rest to itself (see _notify).
        raw = request.scope.get("raw_path") or request.scope["path"].encode()
        base = str(request.base_url).rstrip("/")
        # The layout the caller wrote (the canonical-path middleware kept it).
        root = base + (request.scope.get(ROOT_KEY) or "/v1/").rstrip("/")
        if root.lower().endswith("/v2"):
            root = root[:-2] + "v1"  # job status lives on v1 only (facts section 7)
        query = request.scope.get("query_string", b"")
        original = base + raw.decode("latin-1") + (("?" + query.decode("latin-1"))
                                                    if query else "")
        scope = {k: v for k, v in request.scope.items()
                 if k in ("type", "asgi", "http_version", "method", "scheme", "path",
                          "raw_path", "root_path", "query_string", "server", "client")}
        scope["headers"] = [(k, v) for k, v in request.scope["headers"]
                            if k.lower() != _HEADER_BYTES]
        job = Job(str(uuid.uuid4()), client_id, company_id, scope, await request.body(),
                  root, original, mode, echo, url)
        self._purge()
        with self._lock:
            self.jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return _json(202, job.public(), {"Location": job.state_location})

    # -- running a job --------------------------------------------------------

    async def _run(self, job: Job) -> None:
        delay = float(self.settings.background_delay_ms) / 1000.0
        if delay > 0:
            await asyncio.sleep(delay)
        job.started = time.time()
        status, headers, chunks = 500, {}, []

        async def receive() -> dict:
            return {"type": "http.request", "body": job.body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, val in message.get("headers", []):
                    headers[name.decode("latin-1").lower()] = val.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        # REPLAY_KEY marks the internal run: on the real service it never passes the
        # gateway again, so throttling and fault plans may leave it alone.
        scope = dict(job.scope, headers=list(job.scope["headers"]))
        scope[REPLAY_KEY] = job.id
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # noqa: BLE001 - a job must always finish
            status, headers = 500, {"content-type": "application/json; charset=utf-8"}
            chunks = [json.dumps({"message": f"The background request failed: "
                                             f"{type(exc).__name__}."}).encode()]
        job.content = b"".join(chunks)
        job.content_type = headers.get("content-type")
        job.response_headers = {k: v for k, v in headers.items() if k not in _HOP_HEADERS}
        job.status_code = status
        job.error_message = _error_text(job.content) if status >= 400 else None
        job.finished = time.time()
        self._notify(job)

    def _notify(self, job: Job) -> None:
        if job.mode == "none":
            return
        payload = {"id": job.id, "status": job.status, "statusCode": job.status_code,
                   "stateLocation": job.state_location,
                   "contentLocation": job.content_location if job.content else None}
        if job.mode == "url":
            if job.webhook_address is not None and loopback_problem(job.webhook_address) is None:
                self.hub.enqueue("background", job.webhook_address, "BACKGROUND_API_RESPONSE",
                                 payload, client_id=job.client_id)
            return  # another address: the sandbox never calls out of the machine
        self.hub.background(job.client_id, job.company_id, payload, job.echo)


async def in_background(request: Request) -> None:
    """Dependency of every API route: a request with the ``erp-api-background`` header
    is kept as a job and answered 202 here, before the route's own work.

    Runs after the token check and the rate limit (the call is charged when accepted);
    reads of a job's status are answered by their own route.
    """
    value = request.headers.get(HEADER)
    if value is None:
        return
    op = operation(request)
    if op is not None and op.group.lower() == "background":
        return
    principal = await caller(request)
    company_id, error = company_for(request, principal)
    if error is not None:
        raise Answered(error)
    assert company_id is not None  # company_for gives an id whenever it gives no error
    service: BackgroundService = request.app.state.background
    raise Answered(await service.accept(request, value, principal.client_id, company_id))


def handlers(service: BackgroundService) -> dict:
    """The surface operations this module answers (job status and content), by id."""
    return {op.operation_id: service.read for op in surface().operations
            if op.group.lower() == "background"}


def install(app: FastAPI, settings, hub: WebhookHub) -> BackgroundService:
    """The Background API's service (``app.state.background``)."""
    return BackgroundService(app, settings, hub)
