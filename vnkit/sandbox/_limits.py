"""Throttling of the sandbox: a fixed-window call budget per client and company.

The real API counts calls per API client and company over an hour (policy
``4-fixed-window``); a test client gets 500, a production client 15,000 (article 12).
Every counted answer carries the four ``X-RateLimit-*`` headers, and a call over the
budget is refused with 429 and ``Retry-After`` before it touches any data.

The window length is a setting (``rate_window_seconds``) and can be changed on a
running server through ``POST /sandbox/admin/rate-limit``, so a notebook can show a
window reset in seconds instead of an hour (the "time warp").

Only API calls with a valid token and company are counted (:func:`throttle`, a
dependency of every API route): the token endpoint, the company list and
``/sandbox/*`` are free, as there is no client-and-company pair to charge them to.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _admin
from ._background import REPLAY_KEY
from ._deps import Answered, caller, company_for
from ._settings import Settings

#: Key of the rate headers in the ASGI scope's ``state`` (set by :func:`throttle`).
STATE_KEY = "vnkit_rate_headers"


@dataclass
class _Window:
    started: float
    used: int = 0


class RateLimiter:
    """Fixed-window counters keyed by ``(client_id, company_id)``.

    Parameters
    ----------
    settings
        Supplies the limits per client kind, the window length and the policy name;
        the admin call changes these fields in place.
    kinds
        ``{client_id: "test" | "production"}`` of the registered clients.
    clock
        Monotonic seconds (replaceable in tests).
    """

    def __init__(self, settings: Settings, kinds: dict[str, str], clock=time.monotonic):
        self.settings = settings
        self.kinds = dict(kinds)
        self.clock = clock
        self._windows: dict[tuple[str, int], _Window] = {}
        self._lock = threading.Lock()

    def limit_for(self, client_id: str) -> int:
        """Calls per window this client gets on one company."""
        if self.kinds.get(client_id) == "test":
            return int(self.settings.rate_limit_test)
        return int(self.settings.rate_limit_production)

    def take(self, client_id: str, company_id: int) -> tuple[bool, dict[str, str]]:
        """Spend one call if the budget allows; ``(allowed, headers for the answer)``."""
        limit = self.limit_for(client_id)
        window_length = float(self.settings.rate_window_seconds)
        now = self.clock()
        with self._lock:
            window = self._windows.get((client_id, company_id))
            if window is None or now >= window.started + window_length:
                window = self._windows[(client_id, company_id)] = _Window(now)
            allowed = window.used < limit
            if allowed:
                window.used += 1
            remaining = max(0, limit - window.used)
            # Elapsed time first: (start + length) - now can round above length.
            reset = min(window_length, max(0.0, window_length - (now - window.started)))
        headers = {"X-RateLimit-Limit": str(limit),
                   "X-RateLimit-Remaining": str(remaining),
                   # Whole seconds, rounded up: "0" while calls are still refused
                   # would invite a client to hammer the server.
                   "X-RateLimit-Reset": str(max(1, math.ceil(reset))),
                   "X-RateLimit-Policy": self.settings.rate_limit_policy}
        return allowed, headers

    def reset(self) -> None:
        """Forget every window (all budgets full again)."""
        with self._lock:
            self._windows.clear()

    def snapshot(self) -> dict:
        """Limits and the state of every window, for the admin call."""
        now = self.clock()
        length = float(self.settings.rate_window_seconds)
        with self._lock:
            windows = [{"client_id": client_id, "company_id": company_id,
                        "kind": self.kinds.get(client_id, "production"),
                        "used": w.used,
                        "remaining": max(0, self.limit_for(client_id) - w.used),
                        "reset_seconds": round(max(0.0, w.started + length - now), 3)}
                       for (client_id, company_id), w in self._windows.items()
                       if now < w.started + length]
        return {"enabled": self.settings.rate_limit_enabled,
                "limits": {"test": self.settings.rate_limit_test,
                           "production": self.settings.rate_limit_production},
                "window_seconds": self.settings.rate_window_seconds,
                "policy": self.settings.rate_limit_policy, "windows": windows}


def refusal(headers: dict[str, str], shape: str = "message") -> Response:
    """The 429 answer: the budget headers, ``Retry-After`` and a message body."""
    wait = headers["X-RateLimit-Reset"]
    text = f"Rate limit is exceeded. Try again in {wait} seconds."
    body = ({"statusCode": 429, "message": text} if shape == "gateway"
            else {"Message": text} if shape == "Message" else {"message": text})
    return Response(json.dumps(body).encode(), status_code=429,
                    media_type="application/json; charset=utf-8",
                    headers={**headers, "Retry-After": wait})


def charge(request: Request, limiter: RateLimiter | None, client_id: str,
           company_id: int) -> Response | None:
    """Count one API call; a 429 answer when the budget is spent.

    The headers are left in the request's state; :class:`RateHeaders` adds them to
    whatever answer the route gives, so errors carry them too.
    """
    if limiter is None or not limiter.settings.rate_limit_enabled:
        return None
    allowed, headers = limiter.take(client_id, company_id)
    request.scope.setdefault("state", {})[STATE_KEY] = headers
    return None if allowed else refusal(headers, limiter.settings.rate_limit_body)


class RateHeaders:
    """ASGI wrapper that copies the rate headers :func:`charge` left onto the answer."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = (scope.get("state") or {}).get(STATE_KEY)
                if headers:
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()
                             if k.lower().encode() not in present]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_budget)


async def throttle(request: Request) -> None:
    """Dependency of every API route: charge the call to its client and company.

    It runs right after the token check and before anything else of the route, so a
    refused call never reaches the data. Calls whose company cannot be told (missing or
    foreign ``ipp-company-id``) are left to the company check's own error, uncounted.
    """
    if REPLAY_KEY in request.scope:
        # A Background API job running the stored request: the caller paid for the
        # call when it was accepted (202); the real service runs jobs behind its
        # gateway, where nothing is counted twice.
        return
    principal = await caller(request)
    company_id, error = company_for(request, principal)
    if error is not None or company_id is None:
        return
    refused = charge(request, request.app.state.limits, principal.client_id, company_id)
    if refused is not None:
        raise Answered(refused)


def install(app, store, settings: Settings) -> RateLimiter:
    """The limiter (``app.state.limits``, charged by :func:`throttle`), the middleware
    that puts its headers on every answer, and the admin routes."""
    limiter = RateLimiter(settings, {c.client_id: c.kind for c in store.clients.values()})
    app.add_middleware(RateHeaders)

    _admin.enable(app)

    @app.get("/sandbox/admin/rate-limit", tags=["sandbox"], dependencies=_admin.ADMIN,
             summary="Rate limits and the calls spent per client and company")
    async def rate_state() -> Response:
        return Response(json.dumps(limiter.snapshot()).encode(),
                        media_type="application/json")

    @app.post("/sandbox/admin/rate-limit", tags=["sandbox"],
              summary="Change limits or the window length (time warp); reset budgets")
    async def rate_change(body: Any = _admin.BODY) -> Response:
        try:
            body = {} if body is None else body
            if not isinstance(body, dict):
                raise ValueError("send a JSON object")
            known = {"test", "production", "window_seconds", "policy", "enabled", "reset"}
            unknown = set(body) - known
            if unknown:
                raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(sorted(known))}")
            changes = {"rate_limit_test": body.get("test", settings.rate_limit_test),
                       "rate_limit_production": body.get("production",
                                                         settings.rate_limit_production),
                       "rate_window_seconds": body.get("window_seconds",
                                                       settings.rate_window_seconds),
                       "rate_limit_policy": body.get("policy", settings.rate_limit_policy)}
            # Settings check their own limits when made: a bad change raises here.
            Settings(**{**{k: getattr(settings, k) for k in changes}, **changes})
        except ValueError as exc:
            return Response(json.dumps({"message": str(exc)}).encode(), status_code=400,
                            media_type="application/json")
        for name, value in changes.items():
            setattr(settings, name, value)
        if "enabled" in body:
            settings.rate_limit_enabled = bool(body["enabled"])
        if body.get("reset"):
            limiter.reset()
        return Response(json.dumps(limiter.snapshot()).encode(),
                        media_type="application/json")
    return limiter
