"""The sandbox application: the Visma.net ERP API, Visma Connect, Swagger UI, admin.

This module only assembles (:func:`create_app`); each concern lives in its own module:

=====================================  ==============================================
request path                           where
=====================================  ==============================================
middleware, outermost first            ``_canonical`` (one spelling per path),
                                       ``_envelope`` (request id, latency),
                                       ``_faults`` (the fault plan), ``_limits``
                                       (rate headers), ``_webhooks`` (events after
                                       writes)
every surface operation                ``routers`` (one router per area), with the
                                       dependencies of ``_deps`` (caller,
                                       company, store, operation), the rate limit
                                       (``_limits.throttle``) and the Background API
                                       (``_background.in_background``)
its answer                             ``routers._generic``: the hand-written handlers
                                       of ``_writes``, ``_attachments``,
                                       ``_background`` and ``_webhooks`` by operation
                                       id, else the generic ones (lists:
                                       ``routers._lists``)
company context, token, info, Swagger  ``routers._context``, ``routers._connect``,
                                       ``routers._info``, ``_openapi``
sign-in pages, admin                   ``_signin``, ``_webhooks``, ``_limits``,
                                       ``_faults`` (their own routes)
any other path                         ``routers._fallback`` (404 naming it, or 405)
=====================================  ==============================================
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.staticfiles import StaticFiles

from . import _attachments, _background, _faults, _limits, _openapi, _webhooks, _writes
from ._auth import TokenService
from ._canonical import CanonicalPath
from ._deps import Answered
from ._envelope import Envelope
from ._pending import WaitForCompanies, announce
from ._query import QueryBuilder
from ._settings import Settings
from ._signin import install as install_signin
from ._store import Store, open_store
from .routers import build_routers
from .routers._connect import router as connect_router
from .routers._context import router as context_router
from .routers._fallback import router as fallback_router
from .routers._generic import Generic
from .routers._info import router as info_router
from .routers._info import version


async def _answered(_request: Request, exc: Exception) -> Response:
    # Starlette types handlers for any Exception; this one is registered for Answered.
    assert isinstance(exc, Answered)
    return exc.response


def create_app(settings: Settings | None = None, *, store: Store | None = None,
               db: str | None = None, reset: bool = False,
               on_generate_companies: Callable[[list], None] | None = None) -> FastAPI:
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
    on_generate_companies
        Called with the companies whose demo data a request makes the sandbox generate
        (they are built on first use); by default a line on standard error.
    """
    settings = settings or Settings()
    if store is None:
        store = open_store(settings.data_module, settings.seed, db, reset)
    tokens = TokenService(store, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        store.close()

    app = FastAPI(title="Visma.net ERP API (vnkit sandbox)", version=version(),
                  lifespan=lifespan,
                  description="A local emulator of the Visma.net ERP API. Get a token "
                              "from POST /connect/token, press Authorize, then pick a "
                              "company id from the context list.",
                  openapi_url="/API-index/doc/swagger", docs_url=None, redoc_url=None)
    state = app.state
    state.store, state.settings, state.tokens = store, settings, tokens
    state.builder = QueryBuilder(settings, store.status_values)
    _openapi.install(app)
    app.add_exception_handler(Answered, _answered)

    # The feature modules' state; their admin routes and middleware come with it.
    state.webhooks = _webhooks.install(app, store, settings)
    state.background = _background.install(app, settings, state.webhooks)
    state.attachments = _attachments.Attachments(store, settings)
    state.writes = _writes.Writes(store, settings)
    state.limits = _limits.install(app, store, settings)
    state.faults = _faults.install(app, store, settings)

    # Every operation of the surface, one router per area; hand-written handlers by
    # operation id, the generic ones for the rest.
    deep = {**_writes.handlers(state.writes), **_attachments.handlers(state.attachments),
            **_background.handlers(state.background), **_webhooks.handlers(state.webhooks)}
    generic = Generic(store, settings, state.builder, state.writes, state.attachments, deep)
    for router in build_routers(generic):
        app.include_router(router)
    app.include_router(context_router)
    app.include_router(connect_router)
    app.include_router(info_router)
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/API-index/ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    # Sign-in pages, user grants and the legacy VNI endpoints; the user-facing clients
    # they add are test or production clients too (article 12).
    install_signin(app, store, settings, tokens)
    state.limits.kinds.update({c.client_id: c.kind for c in tokens.clients.values()})
    app.include_router(fallback_router)  # last: what no route above matches

    app.add_middleware(Envelope, settings=settings)
    # Every layer inside sees the path in the surface's spelling.
    app.add_middleware(CanonicalPath)
    # Outermost: a request naming a company not generated yet waits for its data.
    app.add_middleware(WaitForCompanies, store=store,
                       on_generate=on_generate_companies or announce)
    return app
