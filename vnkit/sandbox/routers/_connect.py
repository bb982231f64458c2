"""Visma Connect's token endpoint and OpenID discovery document.

``POST /connect/token`` issues access tokens (client credentials; the sign-in pages of
:mod:`.._signin` add the user grants); the discovery document says where everything is.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .._answers import json_answer
from .._auth import SERVICE_SCOPES, OAuthError
from .._signin import discovery_fields as signin_discovery_fields

__all__ = ["router"]

router = APIRouter(tags=["Visma Connect"])

_TOKEN_FORM = {"requestBody": {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["grant_type"],
        "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]},
                       "client_id": {"type": "string"},
                       "client_secret": {"type": "string"},
                       "tenant_id": {"type": "string"},
                       "scope": {"type": "string",
                                 "example": " ".join(sorted(SERVICE_SCOPES))}}}}}}}


@router.post("/connect/token", summary="OAuth 2 token endpoint", openapi_extra=_TOKEN_FORM)
async def token(request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if content_type != "application/x-www-form-urlencoded":
        error = OAuthError("invalid_request", "Send the token request as "
                           "application/x-www-form-urlencoded.")
        return json_answer(error.status, error.body(), no_store)
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"),
                          keep_blank_values=True))
    issuer = str(request.base_url).rstrip("/")
    try:
        answer = request.app.state.tokens.token_response(
            form, request.headers.get("authorization"), issuer)
    except OAuthError as error:
        return json_answer(error.status, error.body(), {**no_store, **error.headers})
    return json_answer(200, answer, no_store)


@router.get("/.well-known/openid-configuration", summary="OpenID discovery document")
async def discovery(request: Request) -> Response:
    issuer = str(request.base_url).rstrip("/")
    return json_answer(200, {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/connect/authorize",
        "token_endpoint": f"{issuer}/connect/token",
        "userinfo_endpoint": f"{issuer}/connect/userinfo",
        "end_session_endpoint": f"{issuer}/connect/endsession",
        "grant_types_supported": sorted(request.app.state.tokens.grants),
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                  "client_secret_post"],
        "scopes_supported": sorted(SERVICE_SCOPES),
        **signin_discovery_fields(issuer),
    })
