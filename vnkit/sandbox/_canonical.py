"""One spelling per API path, before FastAPI routes the request.

The real API answers the same operation under many spellings: any case of its literal
segments (the articles write ``Supplier``, ``SupplierInvoice``), the legacy layout
``/API/controller/api/v1/...`` next to ``/v1/...`` (and ``/api/v1/...`` as article 15
writes it), and keys with reserved characters percent-encoded or as ``b64(...)``.
:class:`CanonicalPath` rewrites each request to the surface's own template spelling
(``/v1/supplierInvoice/...``), with every key as one plain segment (``b64(...)`` where
it has to be), so FastAPI's routes, registered from the surface, match it directly.

Paths of the company context (``/resources/v1/context``) get one spelling too.

Only ``path`` (what routing reads) is rewritten; ``raw_path`` keeps the caller's own
text. The operation found is left in the ASGI scope (:data:`OPERATION_KEY`) and so is the
layout the caller used (:data:`ROOT_KEY`), so that a ``Location`` can point back into
the caller's own layout.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from .._surface import surface
from ._answers import decode_key, key_segment
from ._resources import LEGACY_NAMES

#: Scope key of the surface operation a request asks for (absent when none matches).
OPERATION_KEY = "vnkit.operation"
#: Scope key of the path prefix the caller wrote (``/API/controller/api/v1/``).
ROOT_KEY = "vnkit.api_root"

# Lower-cased prefixes of the API layouts and the version each stands for.
API_ROOTS: tuple[tuple[str, str], ...] = (
    ("/api/controller/api/v1/", "v1"), ("/api/controller/api/v2/", "v2"),
    ("/api/v1/", "v1"), ("/api/v2/", "v2"), ("/v1/", "v1"), ("/v2/", "v2"))


# Lower-cased prefixes of the company context (Visma's resources API) and its spelling.
CONTEXT_ROOTS = ("/resources/v1/context", "/api/resources/v1/context")
CONTEXT_PATH = "/resources/v1/context"


def context_path(raw_path: str) -> str | None:
    """The context router's spelling of a company-context path, or None for others.

    The context answers in any case and under the legacy ``/API`` prefix, with or
    without a trailing slash (``/API/Resources/v1/context/UserDetails/``).
    """
    lower = raw_path.lower()
    for root in CONTEXT_ROOTS:
        if lower == root or lower.startswith(root + "/"):
            rest = [unquote(s) for s in raw_path[len(root):].split("/") if s]
            if len(rest) == 1 and rest[0].lower() == "userdetails":
                rest = ["userdetails"]
            return "/".join([CONTEXT_PATH, *rest])
    return None


def canonical(method: str, raw_path: str):
    """``(path, operation or None, root)`` for an API path, or None for other paths.

    ``operation`` is the surface operation of ``method`` at this path; when only another
    method has the path, the path is still canonical and the operation None.
    """
    lower = raw_path.lower()
    for prefix, prefix_version in API_ROOTS:
        if lower.startswith(prefix):
            root = raw_path[:len(prefix)]
            rest = raw_path[len(prefix):]
            version = prefix_version
            break
    else:
        return None
    segments = [s for s in rest.split("/")]
    while segments and segments[-1] == "":
        segments.pop()
    if not segments:
        return None
    s = surface()
    method = "GET" if method == "HEAD" else method
    candidates = [(version, segments)]
    legacy = LEGACY_NAMES.get(segments[0].lower())
    if legacy is not None:  # creditTerms -> creditTerm, customerClass -> customer/...
        candidates.append((version, [*legacy.split("/"), *segments[1:]]))
    if version == "v1" and method == "GET":
        # A resource the surface reads on v2 only (currencyrate) is read on v1 too.
        candidates += [("v2", parts) for _, parts in candidates]
    for version, parts in candidates:
        concrete = f"/{version}/" + "/".join(parts)
        hit = s.match(method, concrete)
        found = hit
        if found is None:
            others = [o for o in ("GET", "POST", "PUT", "DELETE") if o != method]
            found = next((h for h in (s.match(m, concrete) for m in others) if h), None)
        if found is None:
            continue
        op, values = found
        template = [t for t in op.path.split("/") if t][1:]
        out = []
        position = 0
        for literal, _given in zip(template, parts):
            if literal.startswith("{"):
                value = values[op.path_params[position]]
                position += 1
                out.append(key_segment(decode_key(value)))
            else:
                out.append(literal)
        return f"/{version}/" + "/".join(out), (hit[0] if hit else None), root
    return None


class CanonicalPath:
    """ASGI middleware: rewrite API paths to the surface's spelling (see module doc)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            found = canonical(scope["method"], raw)
            if found is not None:
                path, op, root = found
                # Routing reads ``path``; ``raw_path`` keeps what the caller wrote, so
                # a Location or a job's status URL can follow the caller's layout.
                scope = dict(scope, path=path)
                scope[ROOT_KEY] = root
                if op is not None:
                    scope[OPERATION_KEY] = op
                else:
                    scope.pop(OPERATION_KEY, None)
            else:
                context = context_path(raw)
                if context is not None:
                    scope = dict(scope, path=context)
        await self.app(scope, receive, send)
