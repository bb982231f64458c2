"""What the API's routes depend on: the caller, the company, the store, the operation.

Every route of the API takes these as FastAPI dependencies instead of reaching into
the application:

* :func:`caller`: the verified token, with the scope the method needs (401, 403);
* :func:`company`: the company the call works on, from ``ipp-company-id`` (400 with the
  API's ``IPPException`` shape when it is missing, not a number or not covered);
* :func:`store`, :func:`settings`: the application's store and settings;
* :func:`operation`: the surface operation the route serves (the canonical-path
  middleware found it before routing), so no handler parses the path again.

A dependency that has the whole answer already (an error, a 429, a background job's
202) raises :class:`Answered`; the application answers with its response.

The plain functions :func:`verify` and :func:`company_for` give ``(value, error
answer)`` for code outside the routes (middleware, the legacy webhook API).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from .._surface import Operation, surface
from ._answers import json_answer, message_error
from ._auth import METHOD_OPERATION, SERVICE_API, Principal, TokenError
from ._canonical import OPERATION_KEY
from ._settings import Settings
from ._store import Store

__all__ = ["Answered", "Call", "Caller", "Handler", "SettingsDep", "StoreDep", "caller",
           "company", "company_for", "ipp_error", "operation", "settings", "store",
           "unauthorized", "verify"]


# Scope key of the verified caller of this request.
_CALLER_KEY = "vnkit.caller"


class Answered(Exception):
    """Raised by a dependency that has the whole answer already (an error, a 202)."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def ipp_error(message: str, code: str = "12002", status: int = 400) -> Response:
    """The IPPException shape the API uses for company-context errors."""
    return json_answer(status, {"ExceptionType": "IPPException", "ExceptionMessage": message,
                                "ExceptionFaultCode": code,
                                "ExceptionMessageID": f"{code}_{uuid.uuid4()}",
                                "ExceptionDetails": ""})


def unauthorized(message: str) -> Response:
    """401 for a missing or bad token."""
    # Body shape of the gateway's 401 is unknown (facts 11.3); the header is RFC 6750.
    return json_answer(401, {"message": message},
                       {"WWW-Authenticate": 'Bearer error="invalid_token"'})


# --------------------------------------------------------------------------- plain checks


def verify(request: Request) -> tuple[Principal | None, Response | None]:
    """``(caller, None)`` for a valid token with the scope this method needs, else
    ``(None, error answer)``."""
    try:
        principal = request.app.state.tokens.verify(request.headers.get("authorization"))
    except TokenError as exc:
        return None, unauthorized(str(exc))
    if not principal.allows(request.method):
        needed = f"{SERVICE_API}:{METHOD_OPERATION.get(request.method, 'read')}"
        return None, message_error(403, f"The access token lacks the scope {needed} "
                                        f"that {request.method} needs.")
    return principal, None


def company_for(request: Request, principal: Principal
                ) -> tuple[int | None, Response | None]:
    """The company a call works on: the ``ipp-company-id`` header, or the token's only
    company when the settings let the header be left out; else ``(None, error)``."""
    header = request.headers.get("ipp-company-id")
    covered = {c.company_id for c in principal.companies}
    if header is None or header.strip() == "":
        if (len(covered) == 1 and request.app.state.settings.company_header_optional
                and not principal.company_header_required):
            return next(iter(covered)), None
        return None, ipp_error("The ipp-company-id header is missing; send the id of "
                               "the company to work on (see the context list).")
    text = header.strip()
    if not text.isascii() or not text.isdigit():
        return None, ipp_error(f"The ipp-company-id header '{text}' is not a company "
                               "id; it must be the numeric id from the context list.")
    company_id = int(text)
    if company_id not in covered:
        return None, ipp_error(f"The token is not authorised for company {company_id} "
                               "(ipp-company-id).")
    return company_id, None


# --------------------------------------------------------------------------- dependencies


async def caller(request: Request) -> Principal:
    """The verified caller, with the scope this method needs (else 401/403).

    Verified once per request: the rate limit and the Background API ask for it before
    the route's own parameters do.
    """
    known = request.scope.get(_CALLER_KEY)
    if known is not None:
        return known
    who, error = verify(request)
    if who is None:
        raise Answered(error or unauthorized("No valid token."))
    request.scope[_CALLER_KEY] = who
    return who


Caller = Annotated[Principal, Depends(caller)]


async def company(request: Request, who: Caller) -> int:
    """The company the call works on (``ipp-company-id``, or the token's only one)."""
    company_id, error = company_for(request, who)
    if error is not None:
        raise Answered(error)
    assert company_id is not None  # company_for gives an id whenever it gives no error
    return company_id


def store(request: Request) -> Store:
    """The application's store."""
    return request.app.state.store


def settings(request: Request) -> Settings:
    """The application's settings."""
    return request.app.state.settings


StoreDep = Annotated[Store, Depends(store)]
SettingsDep = Annotated[Settings, Depends(settings)]


def operation(request: Request) -> Operation | None:
    """The surface operation this request asks for (None outside the surface's routes).

    The canonical-path middleware leaves it in the scope; a route's name is its
    operation id, which covers a request that reached the route without the middleware.
    """
    op = request.scope.get(OPERATION_KEY)
    if op is not None:
        return op
    route = request.scope.get("route")
    return surface().by_id(getattr(route, "name", "")) if route is not None else None


# --------------------------------------------------------------------------- handlers


@dataclass
class Call:
    """One API call as a deep handler sees it: everything the dependencies resolved."""

    op: Operation
    request: Request
    principal: Principal
    company_id: int
    #: Path parameters by name, keys decoded (``b64(...)`` and percent-encoding).
    values: dict[str, str]


#: A hand-written handler of one surface operation (see ``routers._generic``).
Handler = Callable[[Call], Awaitable[Any]]
