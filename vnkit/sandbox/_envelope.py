"""What every answer of the sandbox carries: an ``Ipp-Request-Id`` and the latency.

A plain ASGI wrapper (not ``BaseHTTPMiddleware``) so that it costs microseconds and the
configured latency is an ``await``: concurrent requests overlap as they would on a
network.
"""

from __future__ import annotations

import asyncio
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._settings import Settings

__all__ = ["Envelope"]

# Requests under these get the configured latency, like the real network would add.
_DELAYED_ROOTS = ("/v1/", "/api/", "/resources/", "/connect/")


class Envelope:
    """Adds ``Ipp-Request-Id`` to every answer and the configured latency to API calls."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        latency = self.settings.latency_ms
        if latency > 0 and scope["path"].lower().startswith(_DELAYED_ROOTS):
            await asyncio.sleep(latency / 1000.0)
        request_id = str(uuid.uuid4()).encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"ipp-request-id", request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)
