"""Companies whose demo data is generated on demand: the requests that name them wait.

Only the first build group of a data module (see ``_store.company_groups``) is
generated before the sandbox answers; the others are generated the first time a
request names one of their companies. This middleware is where that happens, so that
every way of serving the app (the uvicorn child process, an in-process ``TestClient``)
waits for the same data.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
from collections.abc import Callable
from typing import Any


def announce(companies: list) -> None:
    """Say on standard error which companies are being generated, and why it waits."""
    names = ", ".join(c.name for c in companies)
    print(f"Generating the demo data of {names} once (a request named it; this may take a "
          "minute); its requests wait until it is ready.", file=sys.stderr, flush=True)


def _bearer_claims(value: bytes) -> dict:
    """The claims of a bearer JWT, NOT verified: only to know which company a request
    is for before it is authorised (the app checks the token itself)."""
    scheme, _, token = value.decode("latin-1").strip().partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


# Paths answered without any company's records: the context list (the companies are
# all listed from the start), sign-in and the sandbox's own pages never wait.
_NO_RECORDS = re.compile(r"^/(?:sandbox|connect|docs|openapi)|/resources/v1/context",
                         re.IGNORECASE)


class WaitForCompanies:
    """ASGI middleware: a request for a company whose demo data is not generated yet
    waits until it is, then goes on as usual.

    Only the first build group (see ``_store.company_groups``) is generated before the
    server answers. A request naming a later company (``ipp-company-id``, or a token
    of a tenant that has just that company) generates its group once, in a child
    process, while the server keeps answering everything else; the request waits
    rather than failing, so a client sees a slow first answer and never an error (the
    vnkit client allows two minutes). The user is told why: ``on_generate`` prints a
    line in the notebook or terminal and the server log shows progress.
    """

    def __init__(self, app: Any, store: Any, on_generate: Callable[[list], None]):
        self.app = app
        self.store = store
        self.on_generate = on_generate

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (scope["type"] == "http" and self.store.pending_companies
                and not _NO_RECORDS.search(scope.get("path", ""))):
            wanted = self._companies(scope) & self.store.pending_companies
            if wanted:
                try:
                    await asyncio.to_thread(self.store.ensure_companies, wanted,
                                            self.on_generate)
                except Exception as exc:  # noqa: BLE001 - told to the client as a 503
                    await self._unavailable(send, wanted, exc)
                    return
        await self.app(scope, receive, send)

    def _companies(self, scope: Any) -> set[int]:
        headers = dict(scope.get("headers") or ())
        named = headers.get(b"ipp-company-id", b"").strip()
        if named.isdigit():
            return {int(named)}
        claims = _bearer_claims(headers.get(b"authorization", b""))
        if isinstance(claims.get("company_id"), int):
            return {claims["company_id"]}
        tenant = self.store.companies_by_tenant.get(str(claims.get("tenant_id", "")), ())
        return {tenant[0].company_id} if len(tenant) == 1 else set()

    async def _unavailable(self, send: Any, wanted: set[int], exc: Exception) -> None:
        names = ", ".join(self.store.company_by_id[c].name for c in sorted(wanted))
        print(f"vnkit sandbox: generating {names} failed: {exc}", file=sys.stderr,
              flush=True)
        body = json.dumps({"message": f"The demo data of {names} could not be generated "
                                      "(see the sandbox log); try again."}).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"),
                                (b"retry-after", b"5"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
