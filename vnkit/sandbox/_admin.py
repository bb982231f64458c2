"""The guard of the ``/sandbox/admin/*`` routes: same-origin JSON calls only.

The admin routes change how the sandbox behaves (fault plan, rate limits, webhook
subscriptions that make it POST to local URLs). Without a guard, any web page open in
the user's browser could drive them: a cross-site ``<form>`` or ``fetch`` with a
``text/plain`` body needs no CORS preflight, and a DNS name rebound to ``127.0.0.1``
even reads the answers. So every admin call must

* come to a host the sandbox is legitimately reached at (``Host`` is a loopback name
  or address, the address the server listens on, or the configured public host, see
  ``_origins``): a rebound name is refused;
* come from the sandbox's own origin when the browser names one (``Origin``,
  ``Sec-Fetch-Site``): another site's page is refused;
* carry its body, if any, as ``application/json``, which a cross-site page cannot send
  without a preflight the sandbox never grants.

The body is parsed here, strictly: ``NaN``, ``Infinity`` and numbers too large for a
float (``1e400``) are refused with a 400 instead of reaching the routes as ``inf``.

Use ``body: Any = BODY`` in a route that reads the body, and ``dependencies=ADMIN`` in
one that does not; :func:`enable` (called by each module that declares admin routes)
makes refusals answer in the API's ``{"message": ...}`` shape.
"""

from __future__ import annotations

import ipaddress
import json
import math
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from ._answers import message_error
from ._origins import header_host, is_loopback, public_hosts, url_host


class AdminRefused(Exception):
    """An admin call refused by the guard (answered ``{"message": ...}``)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def parse_json(body: bytes) -> Any:
    """Strict JSON: no ``NaN``/``Infinity``, no number that overflows a float."""
    return json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)


def _allowed_host(request: Request, host: str | None) -> bool:
    if host is None:
        return False
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if is_loopback(hostname) or host in public_hosts():
        return True
    # The address the connection arrived at, written as an address (a server started
    # with --host 192.0.2.7 is called at that address): a name would be rebindable.
    server = request.scope.get("server")
    if server:
        try:
            wanted = ipaddress.ip_address(str(server[0]))
            return ipaddress.ip_address(hostname.strip("[]")) == wanted
        except ValueError:
            return False
    return False


def _check_origin(request: Request, own: str) -> None:
    fetch_site = (request.headers.get("sec-fetch-site") or "").lower()
    if fetch_site in ("cross-site", "same-site"):
        raise AdminRefused(403, "Admin calls must come from the sandbox's own pages or "
                                f"from a program, not from another site ({fetch_site}).")
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser's cross-origin call: programs send no Origin
    scheme = request.url.scheme
    own_origins = {(scheme, own)} | {(s, h) for h in public_hosts() for s in ("http", "https")}
    origin_host = url_host(origin) if origin != "null" else None
    origin_scheme = origin.split(":", 1)[0].lower()
    if origin_host is None or (origin_scheme, origin_host) not in own_origins:
        raise AdminRefused(403, f"Admin calls are refused from the origin {origin!r}: only "
                                "the sandbox's own origin may call them.")


async def admin_json(request: Request) -> Any:
    """FastAPI dependency of every admin route: check the caller, return the JSON body.

    Returns
    -------
    The parsed body, or None when the request has none.

    Raises
    ------
    AdminRefused
        403 for a foreign ``Host`` or ``Origin``, 415 for a body that is not
        ``application/json``, 400 for a body that is not strict JSON.
    """
    own = header_host(request.headers.get("host"), request.url.scheme)
    if not _allowed_host(request, own):
        raise AdminRefused(403, f"Admin calls must be addressed to the sandbox by a "
                                f"loopback name or address (e.g. 127.0.0.1), not "
                                f"{request.headers.get('host')!r}; set VNKIT_PUBLIC_URL "
                                "when the sandbox is reached through a proxy.")
    _check_origin(request, own or "")
    body = await request.body()
    if not body:
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise AdminRefused(415, "Send the admin call's body as application/json (Content-"
                                f"Type was {content_type or 'missing'!r}).")
    try:
        return parse_json(body)
    except RecursionError:
        raise AdminRefused(400, "The request body is nested too deeply.") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise AdminRefused(400, f"The request body is not valid JSON: {exc}.") from None


#: ``body: Any = BODY``: the parsed body of a guarded admin call (None without one).
#: A default value rather than an ``Annotated`` hint, so that modules with postponed
#: annotations can import this module inside their ``install`` only.
BODY = Depends(admin_json)
#: ``dependencies=ADMIN`` guards a route that reads no body.
ADMIN = [BODY]


def enable(app: FastAPI) -> None:
    """Answer :class:`AdminRefused` as ``{"message": ...}`` (idempotent)."""

    async def refused(request: Request, exc: Exception) -> Response:
        # Starlette types handlers for any Exception; this one is registered for AdminRefused
        assert isinstance(exc, AdminRefused)
        return message_error(exc.status, exc.message)

    app.add_exception_handler(AdminRefused, refused)
