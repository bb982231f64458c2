"""The sandbox's own pages: liveness, what it serves, and Swagger UI.

``GET /sandbox/health`` and ``GET /sandbox/info`` (companies, the demo client id, the
API roots); ``/API-index/`` is Swagger UI (the offline bundle, mounted by the app at
``/API-index/ui``) reading the document at ``/API-index/doc/swagger`` (:mod:`.._openapi`).
"""

from __future__ import annotations

from importlib import metadata as importlib_metadata

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .._answers import json_answer
from .._deps import SettingsDep, StoreDep

__all__ = ["router", "version"]

router = APIRouter()


def version() -> str:
    """The installed vnkit's version ("0" in a source tree without metadata)."""
    try:
        return importlib_metadata.version("vnkit")
    except importlib_metadata.PackageNotFoundError:  # pragma: no cover - source tree
        return "0"


@router.get("/sandbox/health", tags=["sandbox"], summary="Liveness check")
async def health() -> Response:
    return json_answer(200, {"status": "ok"})


@router.get("/sandbox/info", tags=["sandbox"], summary="Companies and the demo client id")
async def info(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    root = str(request.base_url).rstrip("/")
    clients = request.app.state.tokens.clients.values()
    demo = next(iter(store.clients.values()), None)
    return json_answer(200, {
        "name": "vnkit sandbox", "version": version(),
        "data_version": store.meta.get("data_version"),
        "seed": store.meta.get("seed"),
        "records": int(store.meta.get("records", 0)),
        "url": root, "token_url": f"{root}/connect/token",
        "api_roots": [f"{root}/v1", f"{root}/API/controller/api/v1"],
        "swagger_ui": f"{root}/API-index/",
        "demo_client_id": demo.client_id if demo else None,
        "clients": [{"client_id": c.client_id, "kind": c.kind,
                     "tenant_ids": list(c.tenant_ids)} for c in clients],
        "companies": [{"company_id": c.company_id, "name": c.name,
                       "tenant_id": c.tenant_id, "country": c.country,
                       "currency": c.currency} for c in store.companies],
        "settings": {"latency_ms": settings.latency_ms, "token_ttl": settings.token_ttl,
                     "default_condition": settings.default_condition},
    })


@router.get("/API-index", include_in_schema=False)
async def swagger_redirect() -> Response:
    return RedirectResponse("API-index/", status_code=307)


@router.get("/API-index/", include_in_schema=False)
@router.get("/API-index/index.html", include_in_schema=False)
async def swagger_index() -> Response:
    return HTMLResponse(_SWAGGER_INDEX)


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
