"""Visma Connect as the sandbox plays it: the token endpoint and token checks.

Tokens are JWTs signed with HS256 and the working database's own key, so a token
survives a server restart on the same database and dies with a reset. Grants are looked
up in :data:`TokenService.grants`: the client-credentials grant of the service API
lives here, and the interactive flow (``_signin``: authorization code with PKCE,
refresh) adds its grants, its clients and a check for the opaque VNI tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from ._settings import Settings
from ._store import ClientRow, CompanyRow, Store

SERVICE_API = "vismanet_erp_service_api"
OPERATIONS = ("create", "read", "update", "delete")
SERVICE_SCOPES = frozenset(f"{SERVICE_API}:{op}" for op in OPERATIONS)
# Scope prefixes whose create/read/update/delete scopes open the API (service, user).
API_PREFIXES = (SERVICE_API, "vismanet_erp_interactive_api")

# Which scope operation an HTTP method needs on the API.
METHOD_OPERATION = {"GET": "read", "HEAD": "read", "POST": "create", "PUT": "update",
                    "PATCH": "update", "DELETE": "delete"}


class OAuthError(Exception):
    """An OAuth 2 error answer of the token endpoint (RFC 6749, section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400,
                 headers: Mapping[str, str] | None = None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class TokenError(Exception):
    """A bearer token the API refuses (answered as 401)."""


# --------------------------------------------------------------------------- JWT


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_jwt(claims: dict, key: bytes) -> str:
    """A compact HS256 JWT (a few lines; not worth a dependency)."""
    header = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def decode_jwt(token: str, key: bytes, now: float | None = None) -> dict:
    """Verify signature and lifetime of an HS256 JWT; raise :class:`TokenError`."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("The access token is not a token this service issued.")
    try:
        header = json.loads(_unb64url(parts[0]))
        signature = _unb64url(parts[2])
    except (ValueError, binascii.Error):
        raise TokenError("The access token is not a token this service issued.") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("The access token is not a token this service issued.")
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode("ascii"),
                        hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise TokenError("The access token's signature is invalid.")
    claims = json.loads(_unb64url(parts[1]))
    now = time.time() if now is None else now
    if not isinstance(claims, dict) or now >= float(claims.get("exp", 0)):
        raise TokenError("The access token has expired.")
    return claims


# --------------------------------------------------------------------------- principal


@dataclass(frozen=True)
class Principal:
    """Who is calling, as established by a verified token."""

    client_id: str
    tenant_id: str
    scopes: frozenset[str]
    companies: tuple[CompanyRow, ...]
    # A VNI (legacy) token covers every company of its user, so it always needs
    # ipp-company-id, even when the user has one company.
    company_header_required: bool = False
    #: Whom the token speaks for: the signed-in user (email) of a user token, the
    #: client itself for a service token.
    subject: str = ""

    def allows(self, method: str) -> bool:
        """Whether the token's scopes allow this HTTP method on the API."""
        if "financialstasks" in self.scopes:  # the VNI scope granted everything
            return True
        operation = METHOD_OPERATION.get(method.upper(), "read")
        return any(f"{api}:{operation}" in self.scopes for api in API_PREFIXES)


# --------------------------------------------------------------------------- ledger


class TokenLedger:
    """What must outlive a server restart about user tokens: used refresh tokens, and
    token families revoked because one of their refresh tokens was replayed.

    A *family* is every access and refresh token that descends from one authorization
    code (the ``fam`` claim). Replaying a used refresh token means two parties hold the
    chain, so the whole family dies (RFC 9700, 4.14.2). Both tables live in the working
    database, next to the signing key, so a restart on the same ``--db`` neither forgets
    a used token nor revives a revoked family; a reset drops them with the key.
    The revoked families are also kept in memory: every API call checks them.
    """

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS signin_used_refresh ("
        " jti TEXT PRIMARY KEY, family TEXT, expires REAL NOT NULL)",
        "CREATE TABLE IF NOT EXISTS signin_revoked_families ("
        " family TEXT PRIMARY KEY, revoked_at REAL NOT NULL, expires REAL NOT NULL)",
    )

    def __init__(self, store: Store):
        self.store = store
        conn = store.connection()
        for statement in self._SCHEMA:
            conn.execute(statement)
        now = time.time()
        # Rows of tokens that expired can never matter again.
        conn.execute("DELETE FROM signin_used_refresh WHERE expires < ?", (now,))
        conn.execute("DELETE FROM signin_revoked_families WHERE expires < ?", (now,))
        self._revoked = {row[0] for row in conn.execute(
            "SELECT family FROM signin_revoked_families")}

    def use_refresh(self, jti: str, family: str | None, expires: float) -> bool:
        """Mark a refresh token used; False if it had been used already (a replay)."""
        cursor = self.store.connection().execute(
            "INSERT OR IGNORE INTO signin_used_refresh VALUES (?, ?, ?)",
            (jti, family, float(expires)))
        return cursor.rowcount == 1

    def revoke_family(self, family: str, expires: float) -> None:
        """Revoke every token of ``family`` (kept until its last token would expire)."""
        self.store.connection().execute(
            "INSERT INTO signin_revoked_families VALUES (?, ?, ?) ON CONFLICT(family) "
            "DO UPDATE SET expires = max(expires, excluded.expires)",
            (family, time.time(), float(expires)))
        self._revoked.add(family)

    def is_revoked(self, family: str | None) -> bool:
        return family is not None and family in self._revoked


# --------------------------------------------------------------------------- service


Grant = Callable[[dict[str, str], ClientRow, str], dict]


class TokenService:
    """Issues and checks tokens against the clients and companies of a store."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        # grant_type -> handler(form, client, issuer) -> token answer
        self.grants: dict[str, Grant] = {"client_credentials": self._client_credentials}
        # Registered clients: the store's service clients, plus those the interactive
        # sign-in (``_signin``) adds.
        self.clients: dict[str, ClientRow] = dict(store.clients)
        # Checks for bearer tokens that are not JWTs (the opaque VNI tokens): each
        # returns a Principal or None.
        self.bearer_resolvers: list[Callable[[str], Principal | None]] = []
        self.ledger = TokenLedger(store)

    # -- token endpoint -------------------------------------------------------

    def token_response(self, form: dict[str, str], authorization: str | None,
                       issuer: str) -> dict:
        """Answer ``POST /connect/token``; raise :class:`OAuthError` on refusal."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "The grant_type parameter is missing.")
        grant = self.grants.get(grant_type)
        if grant is None:
            raise OAuthError("unsupported_grant_type",
                             f"The grant type '{grant_type}' is not supported here.")
        client = self._authenticate_client(form, authorization)
        return grant(form, client, issuer)

    def _authenticate_client(self, form: dict[str, str], authorization: str | None) -> ClientRow:
        basic = None
        if authorization and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
                user, _, password = decoded.partition(":")
            except (ValueError, binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client", "The Basic authorization header is "
                                 "malformed.", 401,
                                 {"WWW-Authenticate": 'Basic realm="connect"'}) from None
            # RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
            basic = (unquote_plus(user), unquote_plus(password))
        if basic and form.get("client_secret"):
            raise OAuthError("invalid_request", "Authenticate the client either with HTTP "
                             "Basic or with form fields, not both.")
        client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        headers = {"WWW-Authenticate": 'Basic realm="connect"'} if basic else {}
        if not client_id:
            raise OAuthError("invalid_client", "No client credentials were sent.", 401, headers)
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(
                (secret or "").encode(), client.client_secret.encode()):
            raise OAuthError("invalid_client", "Unknown client or wrong client secret.",
                             401, headers)
        return client

    def _client_credentials(self, form: dict[str, str], client: ClientRow, issuer: str) -> dict:
        scope_text = (form.get("scope") or "").strip()
        if not scope_text:
            raise OAuthError("invalid_scope", "The scope parameter is missing; ask for "
                             f"one or more of {', '.join(sorted(SERVICE_SCOPES))}.")
        scopes = scope_text.split()
        unknown = [s for s in scopes if s not in SERVICE_SCOPES]
        if unknown:
            raise OAuthError("invalid_scope", f"Unknown or not allowed scope: "
                             f"{', '.join(unknown)}.")
        tenant_id = (form.get("tenant_id") or "").strip()
        if not tenant_id:
            raise OAuthError("invalid_request", "The tenant_id parameter is missing; the "
                             "service API needs the tenant of the company.")
        if client.client_id not in self.store.clients:
            raise OAuthError("unauthorized_client", "The client is not a service "
                             "application; it may not use client_credentials.")
        if tenant_id not in client.tenant_ids:
            raise OAuthError(self.settings.wrong_tenant_error,
                             f"The client is not approved for tenant '{tenant_id}'.")
        return self.issue(client.client_id, tenant_id, scopes, issuer)

    def issue(self, client_id: str, tenant_id: str, scopes: list[str], issuer: str) -> dict:
        """Sign a token and build the token endpoint's JSON answer."""
        now = time.time()
        ttl = int(self.settings.token_ttl)
        scopes = list(dict.fromkeys(scopes))  # keep order, drop repeats
        # A fractional expiry (allowed for JWT NumericDate) keeps short test TTLs exact.
        claims = {"iss": issuer, "aud": SERVICE_API, "sub": client_id,
                  "client_id": client_id, "tenant_id": tenant_id, "scope": scopes,
                  "iat": int(now), "nbf": int(now), "exp": round(now + ttl, 3),
                  "jti": uuid.uuid4().hex}
        return {"access_token": encode_jwt(claims, self.store.signing_key),
                "expires_in": ttl, "token_type": "Bearer", "scope": " ".join(scopes)}

    # -- API side -------------------------------------------------------------

    def verify(self, authorization: str | None) -> Principal:
        """The caller behind an ``Authorization`` header; raise :class:`TokenError`."""
        if not authorization:
            raise TokenError("Authorization has been denied: no bearer token was sent.")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("Authorization has been denied: use 'Authorization: Bearer "
                             "<token>'.")
        token = token.strip()
        if token.count(".") != 2:
            for resolve in self.bearer_resolvers:
                principal = resolve(token)
                if principal is not None:
                    return principal
        claims = decode_jwt(token, self.store.signing_key)
        if claims.get("aud", SERVICE_API) not in API_PREFIXES or claims.get("typ") == "refresh":
            raise TokenError("The token is not an access token of the ERP API.")
        if self.ledger.is_revoked(claims.get("fam")):
            raise TokenError("The access token was revoked: a refresh token of its "
                             "sign-in was used twice. Sign in again.")
        client_id = claims.get("client_id")
        if client_id not in self.clients:
            raise TokenError("The access token belongs to an unknown client.")
        tenant_id = str(claims.get("tenant_id", ""))
        scope = claims.get("scope") or []
        scopes = frozenset(scope.split() if isinstance(scope, str) else scope)
        companies = self.store.companies_by_tenant.get(tenant_id, ())
        if claims.get("company_id") is not None:
            # A user's token is bound to the one company chosen at sign-in.
            companies = tuple(c for c in companies if c.company_id == claims["company_id"])
        return Principal(client_id, tenant_id, scopes, companies,
                         subject=str(claims.get("sub") or client_id))
