"""The answer for a path no route has: 404 naming it, or 405 when only the method is
wrong.

Registered last, for every method, so that FastAPI's own routes win. An API path
still needs a valid token first (401/403 before 404, as the API answers), is charged
like any call and may be sent as a background job, whose stored answer is then this
404; a path of the company context needs the token too. A path the surface has under
other methods answers 405: the write side's own refusal for a write (``customer cannot
be deleted through the API.``), else with ``Allow`` listing the methods it has.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..._surface import surface
from .._answers import message_error
from .._background import in_background
from .._canonical import API_ROOTS, CONTEXT_PATH, OPERATION_KEY, ROOT_KEY
from .._deps import caller
from .._limits import throttle
from .._writes import refusal

__all__ = ["router"]

router = APIRouter()
_METHODS = ("GET", "POST", "PUT", "DELETE")


@router.api_route("/{path:path}", include_in_schema=False,
                  methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
async def fallback(request: Request) -> Response:
    path = request.url.path
    lower = path.lower()
    if lower == CONTEXT_PATH or lower.startswith(CONTEXT_PATH + "/"):
        await caller(request)
        if request.method not in ("GET", "HEAD"):
            return message_error(405, f"{request.method} is not supported on the context.")
    elif lower.startswith(tuple(prefix for prefix, _ in API_ROOTS)):
        await caller(request)
        await throttle(request)
        await in_background(request)
        if ROOT_KEY in request.scope and OPERATION_KEY not in request.scope:
            # The canonical-path middleware found the path under another method.
            found = {m: surface().match(m, path) for m in _METHODS}
            allowed = [m for m, hit in found.items() if hit is not None]
            if allowed:
                op = found[allowed[0]][0]  # type: ignore[index]  # allowed: a hit
                refused = refusal(request.app.state.writes, request.method, op)
                if refused is not None:
                    return refused
                return message_error(405, "The requested resource does not support the "
                                          f"HTTP method '{request.method}'.",
                                     {"Allow": ", ".join(allowed)})
    return message_error(404, f"No resource matches the path '{path}'.")
