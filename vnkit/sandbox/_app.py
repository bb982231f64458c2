"""The sandbox's HTTP face: the Visma.net ERP API, Visma Connect, Swagger UI, admin.

Every operation of the API's surface has a FastAPI route (``routers``: one router per
area, generic handlers in ``routers._generic``). Before routing, the ``CanonicalPath``
middleware (``_canonical``) rewrites the path to the surface's spelling, because the
real API matches paths case-insensitively (the articles write ``Supplier``,
``SupplierInvoice``), is reachable under two layouts (``/v1/...`` and the legacy
``/API/controller/api/v1/...``) and takes keys that contain ``/`` when percent-encoded
or written as ``b64(<base64url>)``.

:class:`_Api` holds what the routes share: the token and company checks, the hooks of
the feature modules (rate limits, Background API, webhook feedback, attachments, the
hand-written writes), which run in front of the generic handlers, and the list
assembly. Its own dispatcher still answers the company context and, through a
catch-all route, any path the surface does not have (a 404 naming it, or an old
resource name such as ``creditTerms``).

List answers are assembled as bytes from the stored JSON text: each record's closing
brace is replaced by the ``metadata`` member, so a page is never parsed or re-encoded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._answers import JSON_TYPE, decode_key, etag, message_error
from ._answers import json_answer as _json
from ._attachments import hide_unexpanded
from ._auth import (
    METHOD_OPERATION,
    SERVICE_API,
    SERVICE_SCOPES,
    OAuthError,
    TokenError,
    TokenService,
)
from ._canonical import CanonicalPath
from ._query import BadParameter, QueryBuilder, max_page_size, parse_query_string
from ._resources import ENTITIES, Entity, lookup
from ._settings import Settings
from ._signin import discovery_fields as signin_discovery_fields
from ._signin import install as install_signin
from ._signin import security_schemes as signin_security_schemes
from ._store import Store, open_store

if TYPE_CHECKING:
    from ._writes import Writes

# Per-partner sub-lists: ``customer/{number}/invoice`` (facts section 4).
SUBLISTS: dict[tuple[str, str], tuple[str, str]] = {
    ("customer", "invoice"): ("customerinvoice", "customer.number"),
    ("supplier", "invoice"): ("supplierInvoice", "supplier.number"),
}


# Path prefixes (lower-cased) of the two API layouts and of the company list.
# "/api/v1/" is how article 15 writes its request URLs (relative to the legacy host).
API_ROOTS = ("/v1/", "/api/controller/api/v1/", "/api/v1/",
             # v2 (POST customerinvoice ...): answered by the write hook (_writes).
             "/v2/", "/api/controller/api/v2/", "/api/v2/")
CONTEXT_ROOTS = ("/resources/v1/context", "/api/resources/v1/context")
# Requests under these get the configured latency, like the real network would add.
_DELAYED_ROOTS = ("/v1/", "/api/", "/resources/", "/connect/")


def ipp_error(message: str, code: str = "12002", status: int = 400) -> Response:
    """The IPPException shape the API uses for company-context errors."""
    return _json(status, {"ExceptionType": "IPPException", "ExceptionMessage": message,
                          "ExceptionFaultCode": code,
                          "ExceptionMessageID": f"{code}_{uuid.uuid4()}",
                          "ExceptionDetails": ""})


def unauthorized(message: str) -> Response:
    # Body shape of the gateway's 401 is unknown (facts 11.3); the header is RFC 6750.
    return _json(401, {"message": message},
                 {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def with_metadata(docs: list[bytes], total: int, page_max: int) -> bytes:
    """A JSON array of ``docs`` with ``metadata`` added as each object's last member.

    Each document loses its closing brace and gets ``,"metadata":{...}}`` instead. The
    pieces are memoryviews joined once, so a 1 MB page is copied once, not three times.
    """
    tail = b',"metadata":{"totalCount":%d,"maxPageSize":%d}}' % (total, page_max)
    if any(len(d) <= 2 for d in docs):  # an empty object has no member to follow
        return b"[" + b",".join(d[:-1] + tail if len(d) > 2 else b"{" + tail[1:]
                                for d in docs) + b"]"
    between = tail + b","
    pieces: list = [b"["]
    for doc in docs:
        pieces.append(memoryview(doc)[:-1])
        pieces.append(between)
    pieces[-1] = tail + b"]"
    return b"".join(pieces)


# --------------------------------------------------------------------------- middleware


class _Envelope:
    """Adds ``Ipp-Request-Id`` to every answer and the configured latency to API calls.

    A plain ASGI wrapper (not ``BaseHTTPMiddleware``) so that it costs microseconds and
    the sleep is an ``await``: concurrent requests overlap as they would on a network.
    """

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


# --------------------------------------------------------------------------- dispatcher


class _Api:
    """Answers every request under the API and context roots."""

    writes: Writes  # the write side, set by create_app once it is installed

    def __init__(self, store: Store, settings: Settings, tokens: TokenService):
        self.store = store
        self.settings = settings
        self.tokens = tokens
        self.builder = QueryBuilder(settings, store.status_values)
        # Async hooks(request, rest, principal) -> Response | None, asked in order right
        # after the token check (Background API, webhook feedback: their own modules).
        self.hooks: list = []

    async def endpoint(self, request: Request) -> Response:
        """The one handler behind every API route."""
        raw = request.scope.get("raw_path") or request.scope["path"].encode()
        path = raw.decode("latin-1")
        lower = path.lower()
        for root in API_ROOTS:
            if lower.startswith(root):
                return await self._api(request, path[len(root):])
        for root in CONTEXT_ROOTS:
            if lower == root or lower.startswith(root + "/"):
                return await self._context(request, path[len(root):])
        return message_error(404, f"No resource matches the path '{request.url.path}'.")

    # -- common checks --------------------------------------------------------

    def _principal(self, request: Request):
        """Verified caller with the scope for this method, or an error answer."""
        try:
            principal = self.tokens.verify(request.headers.get("authorization"))
        except TokenError as exc:
            return None, unauthorized(str(exc))
        if not principal.allows(request.method):
            needed = f"{SERVICE_API}:{METHOD_OPERATION.get(request.method, 'read')}"
            return None, message_error(403, f"The access token lacks the scope {needed} "
                                            f"that {request.method} needs.")
        return principal, None

    def _company(self, request: Request, principal) -> tuple[int | None, Response | None]:
        """The company a call works on: the ``ipp-company-id`` header or the only one."""
        header = request.headers.get("ipp-company-id")
        covered = {c.company_id for c in principal.companies}
        if header is None or header.strip() == "":
            if (len(covered) == 1 and self.settings.company_header_optional
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

    # -- API ------------------------------------------------------------------

    async def _api(self, request: Request, rest: str) -> Response:
        principal, error = self._principal(request)
        if error is not None:
            return error
        for hook in self.hooks:
            answer = await hook(request, rest, principal)
            if answer is not None:
                return answer
        segments = rest.split("/")
        while segments and segments[-1] == "":
            segments.pop()
        route = self._resolve(segments)
        document_type = None
        if (route is None and len(segments) == 3
                and lookup(unquote(segments[0])) is ENTITIES["supplierInvoice"]):
            # supplierInvoice/{documentType}/{invoiceNumber} (facts section 3)
            route = ENTITIES["supplierInvoice"], decode_key(segments[2]), None
            document_type = unquote(segments[1])
        if route is None:
            return message_error(404, f"No resource matches the path '{request.url.path}'.")
        company_id, error = self._company(request, principal)
        if error is not None:
            return error
        if request.method not in ("GET", "HEAD"):
            return message_error(405, f"{request.method} is not available on this resource "
                                      "in the sandbox yet.")
        # _company gives a company id whenever it gives no error
        assert company_id is not None
        entity, key, sub = route
        params = parse_query_string(request.scope.get("query_string", b""))
        body: bytes | None
        try:
            if sub is not None:
                assert key is not None  # _resolve gives a sub-list only with its parent's key
                child, field_path = sub
                body = await run_in_threadpool(self._sublist, entity, key, child, field_path,
                                               company_id, params)
            elif key is not None:
                body = await run_in_threadpool(self.store.one, company_id, entity.name, key)
                if body is None or (document_type is not None and str(
                        json.loads(body).get("documentType")).lower()
                        != document_type.lower()):
                    return message_error(404, f"{entity.name} '{key}' was not found.")
                return Response(body, media_type=JSON_TYPE, headers={"ETag": etag(body)})
            else:
                body = await run_in_threadpool(self.list_body, entity, company_id, params)
        except BadParameter as exc:
            return message_error(400, f"Invalid value for parameter '{exc.parameter}': "
                                      f"{exc.message}")
        except LookupError as exc:
            return message_error(404, str(exc.args[0]))
        return Response(body, media_type=JSON_TYPE)

    @staticmethod
    def _resolve(segments: list[str]
                 ) -> tuple[Entity, str | None, tuple[Entity, str] | None] | None:
        """``(entity, key, sub-list)`` for path segments below ``v1``, or None.

        ``sub-list`` is ``(child entity, field naming the parent)`` for paths such as
        ``customer/{number}/invoice``.
        """
        if not segments:
            return None
        entity, rest = None, []
        if len(segments) >= 2:
            entity = lookup(unquote(segments[0]) + "/" + unquote(segments[1]))
            rest = segments[2:]
        if entity is None:
            entity = lookup(unquote(segments[0]))
            rest = segments[1:]
        if entity is None:
            return None
        if not rest:
            return entity, None, None
        if len(rest) == 1:
            return entity, decode_key(rest[0]), None
        if len(rest) == 2:
            sub = SUBLISTS.get((entity.name, unquote(rest[1]).lower()))
            if sub is not None:
                return entity, decode_key(rest[0]), (ENTITIES[sub[0]], sub[1])
        return None

    def list_body(self, entity: Entity, company_id: int, params: dict[str, list[str]],
                  exact: tuple[str, str] | None = None, parent: str | None = None) -> bytes:
        """A list answer's bytes: one page of records with ``metadata`` appended.

        ``exact``: ``(field, value)`` the records must have (a partner's sub-list);
        ``parent``: the list path records below a parent carry (``_parent``).
        """
        kinds = (self.store.attribute_kinds(company_id)
                 if entity.attributes and "attributes" in params else None)
        query = self.builder.build(entity, company_id, params, kinds)
        if exact is not None:
            self.builder.add_exact(query, entity, exact[0], [exact[1]])
        if parent is not None:
            self.builder.add_parent(query, parent)
        where, args = query.where_sql, tuple(query.params)
        docs = self.store.page(where, args, query.page_size, query.offset)
        # Attachment references show on lists only when expanded (facts section 6).
        docs = hide_unexpanded(entity, params, docs, self.settings)
        if not docs:
            return b"[]"
        if not entity.metadata:
            return b"[" + b",".join(docs) + b"]"
        if query.offset == 0 and (query.page_size is None or len(docs) < query.page_size):
            total = len(docs)  # the whole filtered set is on this page: no COUNT needed
        else:
            total = self.store.count(where, args)
        page_max = query.max_page_size or max_page_size(entity, self.settings)
        return with_metadata(docs, total, page_max)

    def _sublist(self, parent: Entity, parent_key: str, child: Entity, field_path: str,
                 company_id: int, params: dict[str, list[str]]) -> bytes:
        if self.settings.sublist_requires_parent and not self.store.exists(
                company_id, parent.name, parent_key):
            raise LookupError(f"{parent.name} '{parent_key}' was not found.")
        return self.list_body(child, company_id, params, exact=(field_path, parent_key))

    # -- context --------------------------------------------------------------

    @staticmethod
    def _user_details(principal) -> Response:
        """``GET resources/v1/context/userdetails``: who the token's user is."""
        from ._signin import demo_user

        user = demo_user(principal.subject) if principal.subject else None
        if user is None:
            return message_error(404, "There are no user details for this token: a "
                                      "service (client credentials) token has no user.")
        first, last = _split_name(user.name)
        return _json(200, {"emailAddress": user.email, "firstName": first, "lastName": last})

    async def _context(self, request: Request, rest: str) -> Response:
        principal, error = self._principal(request)
        if error is not None:
            return error
        if request.method not in ("GET", "HEAD"):
            return message_error(405, f"{request.method} is not supported on the context.")
        segments = [s for s in rest.split("/") if s]
        if not segments:
            return _json(200, [{"id": c.company_id, "name": c.name,
                                "type": self.settings.context_type}
                               for c in principal.companies])
        if len(segments) == 1 and unquote(segments[0]).lower() == "userdetails":
            return self._user_details(principal)
        if len(segments) == 1:
            text = unquote(segments[0])
            company = next((c for c in principal.companies if str(c.company_id) == text), None)
            if company is None:
                return ipp_error(f"The token is not authorised for company '{text}'.")
            return _json(200, company_dto(company))
        return message_error(404, f"No resource matches the path '{request.url.path}'.")


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def company_dto(company) -> dict:
    """``GET resources/v1/context/{id}``: the CompanyDto of the 8.43 schema."""
    doc = company.doc
    return {"companyName": company.name,
            "organizationNumber": company.organization_number,
            "companyAddress1": doc.get("address1") or doc.get("address"),
            "companyAddress2": doc.get("address2"),
            "customerInfo": {"parentCustomerId": doc.get("parent_customer_id"),
                             "parentCustomerName": doc.get("parent_customer_name"),
                             "customerOrganizationNumber": company.organization_number},
            "distributorInfo": {"distributorId": doc.get("distributor_id"),
                                "distributorName": doc.get("distributor_name")}}


# --------------------------------------------------------------------------- OpenAPI

_COMPANY_HEADER = {"name": "ipp-company-id", "in": "header", "required": False,
                   "description": "Company (context) id from GET /resources/v1/context. May "
                                  "be left out when the token covers one company.",
                   "schema": {"type": "string"}}
_APP_TYPE_HEADER = {"name": "ipp-application-type", "in": "header", "required": False,
                    "schema": {"type": "string", "default": "Visma.net Financials"}}
def _register_context_routes(app: FastAPI, api: _Api) -> None:
    """The company list and user details (Visma's resources API, not the ERP API)."""
    app.add_api_route("/resources/v1/context", api.endpoint, methods=["GET"],
                      tags=["context"], operation_id="list_contexts",
                      summary="Companies this token can use (no ipp-company-id needed)")
    app.add_api_route("/resources/v1/context/userdetails", api.endpoint, methods=["GET"],
                      tags=["context"], operation_id="get_user_details",
                      summary="The signed-in user's email and name (a user's token)")
    app.add_api_route("/resources/v1/context/{companyId}", api.endpoint, methods=["GET"],
                      tags=["context"], operation_id="get_context",
                      summary="One company's details",
                      openapi_extra={"parameters": [{"name": "companyId", "in": "path",
                                                     "required": True,
                                                     "schema": {"type": "integer"}}]})


def _install_openapi(app: FastAPI) -> None:
    """The document: FastAPI's own routes plus every surface operation (``_openapi``).

    Swagger UI 4 (the offline bundle) reads OpenAPI 3.0, so pin the version.
    """
    from ._openapi import surface_document

    app.openapi_version = "3.0.3"
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = surface_document(build(), app.state.settings,
                                      app.state.api.builder.statuses)
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "A token from POST /connect/token "
                                          "(grant_type=client_credentials, tenant_id, scope)."},
                # Article 04's interactive API: a user signs in (sign-in pages: _signin).
                **signin_security_schemes()}
            schema["security"] = [{"bearer": []},
                                  *({name: []} for name in signin_security_schemes())]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_SWAGGER_INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Visma.net ERP API - vnkit sandbox</title>
  <link rel="stylesheet" type="text/css" href="ui/swagger-ui.css">
  <link rel="icon" type="image/png" href="ui/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="ui/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="ui/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script>
    // Relative URLs throughout, so the page also works behind a path prefix (Binder).
    window.ui = SwaggerUIBundle({
      url: "doc/swagger",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
      oauth2RedirectUrl: new URL("ui/oauth2-redirect.html", window.location.href).href
    });
    // The interactive API's Authorize: the sandbox's public demo client, with PKCE.
    window.ui.initOAuth({clientId: "vnkit_swagger_ui", usePkceWithAuthorizationCodeGrant: true});
  </script>
</body>
</html>
"""


# --------------------------------------------------------------------------- the app


def _version() -> str:
    try:
        return importlib_metadata.version("vnkit")
    except importlib_metadata.PackageNotFoundError:  # pragma: no cover - source tree
        return "0"


def create_app(settings: Settings | None = None, *, store: Store | None = None,
               db: str | None = None, reset: bool = False) -> FastAPI:
    """Build the sandbox application.

    Parameters
    ----------
    settings
        Behaviour knobs; defaults when omitted.
    store
        An open :class:`Store`; when omitted one is opened from ``db``/``reset`` (the
        template is generated first if it is not cached yet).
    db, reset
        Working database path (None: the persistent one in the cache directory) and
        whether to replace it with a fresh copy of the template.
    """
    settings = settings or Settings()
    if store is None:
        store = open_store(settings.data_module, settings.seed, db, reset)
    tokens = TokenService(store, settings)
    api = _Api(store, settings, tokens)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        store.close()

    app = FastAPI(title="Visma.net ERP API (vnkit sandbox)", version=_version(),
                  lifespan=lifespan,
                  description="A local emulator of the Visma.net ERP API. Get a token "
                              "from POST /connect/token, press Authorize, then pick a "
                              "company id from the context list.",
                  openapi_url="/API-index/doc/swagger", docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.settings = settings
    app.state.tokens = tokens
    app.state.api = api
    _install_openapi(app)

    # Every operation of the surface, one router per area; registered before the
    # feature modules' own routes so that these match first.
    from .routers import Answered, build_routers
    from .routers._generic import Generic

    for router in build_routers(Generic(api, settings)):
        app.include_router(router)

    async def answered(_request: Request, exc: Exception) -> Response:
        # Starlette types handlers for any Exception; this one is registered for Answered
        assert isinstance(exc, Answered)
        return exc.response

    app.add_exception_handler(Answered, answered)

    @app.post("/connect/token", tags=["Visma Connect"], summary="OAuth 2 token endpoint",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/x-www-form-urlencoded": {"schema": {
                      "type": "object", "required": ["grant_type"],
                      "properties": {"grant_type": {"type": "string",
                                                    "enum": ["client_credentials"]},
                                     "client_id": {"type": "string"},
                                     "client_secret": {"type": "string"},
                                     "tenant_id": {"type": "string"},
                                     "scope": {"type": "string",
                                               "example": " ".join(sorted(SERVICE_SCOPES))}}}}}}})
    async def token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if content_type != "application/x-www-form-urlencoded":
            error = OAuthError("invalid_request", "Send the token request as "
                               "application/x-www-form-urlencoded.")
            return _json(error.status, error.body(), no_store)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"),
                              keep_blank_values=True))
        issuer = str(request.base_url).rstrip("/")
        try:
            answer = tokens.token_response(form, request.headers.get("authorization"), issuer)
        except OAuthError as error:
            return _json(error.status, error.body(), {**no_store, **error.headers})
        return _json(200, answer, no_store)

    @app.get("/.well-known/openid-configuration", tags=["Visma Connect"],
             summary="OpenID discovery document")
    async def discovery(request: Request) -> Response:
        issuer = str(request.base_url).rstrip("/")
        return _json(200, {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/connect/authorize",
            "token_endpoint": f"{issuer}/connect/token",
            "userinfo_endpoint": f"{issuer}/connect/userinfo",
            "end_session_endpoint": f"{issuer}/connect/endsession",
            "grant_types_supported": sorted(tokens.grants),
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": sorted(SERVICE_SCOPES),
            **signin_discovery_fields(issuer),
        })

    @app.get("/sandbox/health", tags=["sandbox"], summary="Liveness check")
    async def health() -> Response:
        return _json(200, {"status": "ok"})

    @app.get("/sandbox/info", tags=["sandbox"], summary="Companies and the demo client id")
    async def info(request: Request) -> Response:
        root = str(request.base_url).rstrip("/")
        demo = next(iter(store.clients.values()), None)
        return _json(200, {
            "name": "vnkit sandbox", "version": _version(),
            "data_version": store.meta.get("data_version"),
            "seed": store.meta.get("seed"),
            "records": int(store.meta.get("records", 0)),
            "url": root, "token_url": f"{root}/connect/token",
            "api_roots": [f"{root}/v1", f"{root}/API/controller/api/v1"],
            "swagger_ui": f"{root}/API-index/",
            "demo_client_id": demo.client_id if demo else None,
            "clients": [{"client_id": c.client_id, "kind": c.kind,
                         "tenant_ids": list(c.tenant_ids)} for c in tokens.clients.values()],
            "companies": [{"company_id": c.company_id, "name": c.name,
                           "tenant_id": c.tenant_id, "country": c.country,
                           "currency": c.currency} for c in store.companies],
            "settings": {"latency_ms": settings.latency_ms, "token_ttl": settings.token_ttl,
                         "default_condition": settings.default_condition},
        })

    @app.get("/API-index", include_in_schema=False)
    async def swagger_redirect() -> Response:
        return RedirectResponse("API-index/", status_code=307)

    @app.get("/API-index/", include_in_schema=False)
    @app.get("/API-index/index.html", include_in_schema=False)
    async def swagger_index() -> Response:
        return HTMLResponse(_SWAGGER_INDEX)

    from swagger_ui_bundle import swagger_ui_path

    app.mount("/API-index/ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    from . import _background, _webhooks

    app.state.webhooks = _webhooks.install(app, api, store, settings)
    app.state.background = _background.install(app, api, settings, app.state.webhooks)
    from . import _attachments

    app.state.attachments = _attachments.install(app, api, store, settings)
    from . import _writes

    # After the attachment hook, so multipart uploads reach it first.
    app.state.writes = _writes.install(app, api, store, settings)
    api.writes = app.state.writes
    # Sign-in pages, user grants and the legacy VNI endpoints (before the catch-all).
    install_signin(app, store, settings, tokens)
    from . import _faults, _limits

    # Throttling charges each call first of all hooks; the fault plan stands in front.
    app.state.limits = _limits.install(app, api, store, settings)
    # The sign-in's user-facing clients are test or production clients too (article 12).
    app.state.limits.kinds.update({c.client_id: c.kind for c in tokens.clients.values()})
    app.state.faults = _faults.install(app, store, settings)

    _register_context_routes(app, api)

    async def fallback(request: Request) -> Response:
        return await api.endpoint(request)

    app.add_api_route("/{path:path}", fallback, include_in_schema=False,
                      methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])

    app.add_middleware(_Envelope, settings=settings)
    # Outermost: every layer inside sees the path in the surface's spelling.
    app.add_middleware(CanonicalPath)
    return app


