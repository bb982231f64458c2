"""Visma Connect's interactive sign-in as the sandbox plays it, plus the retired VNI flow.

What lives here:

* demo **users** (email, password, the companies where they hold the "API User" role)
  and the interactive / legacy demo **clients** with their registered redirect URIs;
* ``GET|POST /connect/authorize``: the sign-in page, the company (tenant) choice when
  the user has more than one company (skipped with one, article 04), the consent page,
  then a redirect with ``code`` and ``state`` (PKCE with S256 is required);
* the ``authorization_code`` and ``refresh_token`` grants of ``/connect/token``
  (plugged into :class:`~vnkit.sandbox._auth.TokenService`'s grants table);
* ``/connect/userinfo``;
* the legacy VNI flow of article 03: ``/API/resources/oauth/authorize`` (same pages,
  scope ``financialstasks``, no company choice: the token covers every company) and
  ``POST /API/security/api/v2/token`` answering ``{"token", "token_type", "scope"}``,
  plus ``GET /API/security/api/v1/token/usercontexts`` and ``DELETE
  /API/security/api/v1/token``.

The pages are plain HTML with relative form actions, so they also work when the
browser reaches the sandbox through a proxy path prefix (jupyter-server-proxy, Binder).
Pending sign-ins, codes and sign-in sessions (the cookie that spares a signed-in browser
the password, until ``/connect/endsession``) live in memory; access and refresh tokens
are signed JWTs so they survive a restart of the server on the same database, and so do
the used refresh tokens and revoked token families (``_auth.TokenLedger``). ID tokens
are RS256 with the key published at ``jwks_uri`` (``_oidc``). Redirect-URI patterns
match only hosts the sandbox is reached at (``_origins``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ._answers import json_answer as _json
from ._auth import (
    OPERATIONS,
    SERVICE_SCOPES,
    OAuthError,
    Principal,
    TokenError,
    TokenService,
    decode_jwt,
    encode_jwt,
)
from ._deps import unauthorized
from ._origins import host_key, own_hosts
from ._settings import Settings
from ._store import ClientRow, CompanyRow, Store

INTERACTIVE_API = "vismanet_erp_interactive_api"
INTERACTIVE_SCOPES = frozenset(f"{INTERACTIVE_API}:{op}" for op in OPERATIONS)
#: Asked for by apps that show inside Visma.net's own pages; it opens no API call.
UI_EXTENSION_SCOPE = f"{INTERACTIVE_API}:ui-extension"
OPENID_SCOPES = frozenset({"openid", "email", "profile", "tenants", "offline_access"})
LEGACY_SCOPE = "financialstasks"

#: The article's figure: an authorization code lives ten minutes (``Settings.code_ttl``).
CODE_TTL = 600
#: How long a started sign-in (the pages between authorize and the redirect) may take.
PENDING_TTL = 1800
#: Lifetime of a refresh token (Visma Connect's is configurable per app; ours is fixed).
REFRESH_TTL = 30 * 24 * 3600

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 section 4.1


# --------------------------------------------------------------------------- demo data


@dataclass(frozen=True)
class DemoUser:
    """A Visma.net user of the sandbox.

    Attributes
    ----------
    email, password
        What the sign-in page asks for (demo values, printed in the notebooks).
    name
        Display name (``/connect/userinfo``).
    api_user
        Where the user holds the "API User" role: ``"all"`` companies, ``"first"``
        (only the first company of the data set), or ``"none"``.
    """

    email: str
    password: str = field(repr=False)
    name: str
    api_user: str

    def companies(self, store: Store) -> tuple[CompanyRow, ...]:
        """The companies of ``store`` where this user may use the API."""
        if self.api_user == "all":
            return store.companies
        if self.api_user == "first":
            return store.companies[:1]
        return ()


DEMO_USERS: tuple[DemoUser, ...] = (
    # API User on every demo company: sees the company choice.
    DemoUser("anna.berg@example.com", "demo-anna", "Anna Berg", "all"),
    # API User on one company: the choice is skipped (article 04).
    DemoUser("ola.nordmann@example.com", "demo-ola", "Ola Nordmann", "first"),
    # A Visma.net user without the API User role: refused with invalid_tenant.
    DemoUser("per.uten@example.com", "demo-per", "Per Uten", "none"),
)


@dataclass(frozen=True)
class InteractiveClient:
    """A registered user-facing application of the sandbox.

    Attributes
    ----------
    flow
        ``"connect"`` (Visma Connect authorization code + PKCE) or ``"legacy"`` (VNI).
    kind
        ``"test"`` or ``"production"`` client (article 12: 500 vs 15,000 calls per hour
        and company).
    redirect_uris
        Registered redirect URIs. ``http://127.0.0.1`` and ``http://localhost`` entries
        accept any port (RFC 8252, native apps); entries with ``*`` are shell-style
        patterns whose host ``*`` stands for a host the sandbox is reached at (its
        own, or the configured public one: the Swagger UI and JupyterHub proxy
        entries); anything else must match exactly.
    """

    client_id: str
    client_secret: str = field(repr=False)
    flow: str
    kind: str
    redirect_uris: tuple[str, ...]

    def row(self) -> ClientRow:
        return ClientRow(self.client_id, self.client_secret, self.kind, ())

    def accepts_redirect(self, uri: str, own_hosts: Iterable[str] = ()) -> bool:
        """Whether ``uri`` is one of the registered redirect URIs.

        ``own_hosts`` are the hosts the sandbox is reached at (see ``_origins``): a
        pattern's ``*`` host stands for one of them only, so a code can never be sent
        to a foreign site that happens to have a matching path.
        """
        try:
            parts = urlsplit(uri)
            port = parts.port
        except ValueError:
            return False  # a port that is not a number
        if parts.fragment or parts.username is not None or parts.password is not None:
            # RFC 6749 3.1.2: no fragment; user info would only hide the real host.
            return False
        for registered in self.redirect_uris:
            reg = urlsplit(registered)
            if reg.scheme == "http" and reg.hostname in ("127.0.0.1", "localhost") \
                    and reg.port is None:
                # Loopback: any port, and the path when the registration names one.
                if (parts.scheme == "http" and parts.hostname == reg.hostname
                        and (reg.path in ("", "/") or parts.path == reg.path)):
                    return True
            elif reg.netloc == "*":
                # A host pattern: only the sandbox's own hosts. The path is a pattern
                # that may follow a proxy's prefix (a hub's base URL, Binder's ...).
                if (parts.scheme == reg.scheme
                        and host_key(parts.hostname, port, parts.scheme) in set(own_hosts)
                        and fnmatchcase(parts.path, "*" + reg.path)):
                    return True
            elif uri == registered:
                return True
        return False


_LOOPBACK_REDIRECTS = ("http://127.0.0.1", "http://localhost")
#: JupyterHub / Binder: the redirect comes back through jupyter-server-proxy.
HUB_PROXY_REDIRECT = "https://*/user/*/proxy/*/callback"

INTERACTIVE_CLIENTS: tuple[InteractiveClient, ...] = (
    InteractiveClient("vnkit_interactive_demo", "vnkit-interactive-secret", "connect",
                      "production", (*_LOOPBACK_REDIRECTS, "https://app.example.com/callback",
                                     HUB_PROXY_REDIRECT)),
    InteractiveClient("vnkit_interactive_test", "vnkit-interactive-test-secret", "connect",
                      "test", (*_LOOPBACK_REDIRECTS, "https://app.example.com/callback",
                               HUB_PROXY_REDIRECT)),
    # A public client (no secret, PKCE only), as Swagger UI's Authorize button is one:
    # like any browser app it gets no refresh token.
    InteractiveClient("vnkit_swagger_ui", "", "connect", "test",
                      (*_LOOPBACK_REDIRECTS, "https://*/API-index/ui/oauth2-redirect.html")),
    InteractiveClient("vnkit_vni_test", "vnkit-vni-test-secret", "legacy", "test",
                      (*_LOOPBACK_REDIRECTS, "https://app.example.com/redirect",
                       HUB_PROXY_REDIRECT)),
    InteractiveClient("vnkit_vni_production", "vnkit-vni-production-secret", "legacy",
                      "production", (*_LOOPBACK_REDIRECTS, "https://app.example.com/redirect",
                                     HUB_PROXY_REDIRECT)),
)


def demo_user(email: str) -> DemoUser | None:
    wanted = email.strip().casefold()
    return next((u for u in DEMO_USERS if u.email.casefold() == wanted), None)


def demo_client(client_id: str) -> InteractiveClient | None:
    return next((c for c in INTERACTIVE_CLIENTS if c.client_id == client_id), None)


# --------------------------------------------------------------------------- state


@dataclass
class _Pending:
    """A sign-in between the authorize request and the redirect back."""

    flow: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    challenge: str | None
    created: float
    email: str | None = None
    company_id: int | None = None
    response_mode: str = "query"
    #: OpenID Connect: echoed in the ID token, so the client can tie it to its request.
    nonce: str | None = None
    #: When the user typed the password (now, or when the remembered session began).
    auth_time: float | None = None
    #: Set when a remembered session skipped the password: the same request with
    #: ``prompt=login``, offered as "not you?" on the next page (relative, proxy-safe).
    switch_user: str | None = None

    def answer(self, params: dict[str, str | None]) -> Response:
        """Send the browser back with ``params`` (query string, or an auto-posted form)."""
        if self.response_mode == "form_post":
            return _form_post(self.redirect_uri, params)
        return _redirect(self.redirect_uri, params)


@dataclass
class _Code:
    flow: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    challenge: str | None
    email: str
    company_id: int | None
    expires: float
    nonce: str | None = None
    auth_time: float | None = None


@dataclass
class _Session:
    """A browser that signed in (the sign-in session cookie points here)."""

    email: str
    created: float


@dataclass(frozen=True)
class Browser:
    """What the sign-in needs to know about the browser behind a request."""

    #: Hosts the sandbox is reached at (``_origins.own_hosts``): redirect patterns
    #: may use only these.
    hosts: frozenset[str] = frozenset()
    #: The sign-in session cookie's value, if the browser sent one.
    session: str | None = None
    #: Whether the page was served over https (the cookie is then ``Secure``).
    secure: bool = False


#: Name of the sign-in session cookie. It carries no path: a cookie's default path is
#: the folder of the page that set it (``.../connect`` or ``.../API/resources/oauth``),
#: which limits it to the sign-in pages under any proxy prefix as well (a fixed
#: ``Path=/connect`` would miss ``/user/x/proxy/8765/connect``).
SESSION_COOKIE = "vnkit_signin_session"
#: How long a sign-in session lasts at most (the cookie itself ends with the browser).
SESSION_TTL = 8 * 3600


@dataclass(frozen=True)
class LegacyToken:
    client_id: str
    email: str


class SignIn:
    """The interactive flows' server state (pending sign-ins, codes, legacy tokens)."""

    def __init__(self, store: Store, settings: Settings, tokens: TokenService):
        self.store = store
        self.settings = settings
        self.tokens = tokens
        self.pending: dict[str, _Pending] = {}
        self.codes: dict[str, _Code] = {}
        self.legacy: dict[str, LegacyToken] = {}
        self.sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        from ._oidc import IdTokenSigner  # PyJWT + cryptography: only on the server

        self.id_tokens = IdTokenSigner(store)
        for client in INTERACTIVE_CLIENTS:
            tokens.clients.setdefault(client.client_id, client.row())
        tokens.grants["authorization_code"] = self.authorization_code_grant
        tokens.grants["refresh_token"] = self.refresh_grant
        tokens.bearer_resolvers.append(self.resolve_legacy)

    @property
    def code_ttl(self) -> float:
        return float(getattr(self.settings, "code_ttl", CODE_TTL))

    # -- authorize: the first request ---------------------------------------

    def begin(self, flow: str, query: dict[str, str], browser: Browser = Browser()
              ) -> Response:
        """Check an authorize request and show the sign-in page (or refuse it).

        A browser with a live sign-in session goes straight on to the company choice or
        the consent, as Visma Connect remembers a signed-in browser (``prompt=login``
        asks for the password all the same).
        """
        client_id = query.get("client_id", "")
        client = demo_client(client_id)
        redirect_uri = query.get("redirect_uri", "")
        # Errors about the client or the redirect URI are shown, never redirected:
        # sending the browser to an unchecked address is what the check prevents.
        if client is None or client.flow != flow:
            return _error_page(400, "unauthorized_client",
                               f"The client '{client_id}' is not registered for this "
                               "sign-in." if client_id else "The client_id is missing.")
        if not redirect_uri:
            return _error_page(400, "invalid_request", "The redirect_uri is missing.")
        try:
            parts = urlsplit(redirect_uri)
        except ValueError:
            return _error_page(400, "invalid_request", "The redirect_uri is not a valid "
                               "address.")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            return _error_page(400, "invalid_request",
                               "The redirect_uri must use https (plain http is allowed "
                               "for loopback addresses only).")
        if not client.accepts_redirect(redirect_uri, browser.hosts):
            return _error_page(400, "invalid_request",
                               f"The redirect_uri '{redirect_uri}' is not registered for "
                               f"the client '{client_id}'.")
        state = query.get("state")

        def refuse(error: str, description: str) -> Response:
            return _redirect(redirect_uri, {"error": error, "error_description": description,
                                            "state": state})

        # Article 03 writes "Code" in its prose and "code" in its example: take either.
        if (query.get("response_type") or "").lower() != "code":
            return refuse("unsupported_response_type", "Only response_type=code is supported.")
        response_mode = query.get("response_mode") or "query"
        if response_mode not in ("query", "form_post"):
            return refuse("invalid_request", "response_mode must be query or form_post.")
        scopes = (query.get("scope") or "").split()
        if flow == "legacy":
            if scopes != [LEGACY_SCOPE]:
                return refuse("invalid_scope", f"The scope must be '{LEGACY_SCOPE}' "
                                               "(case sensitive).")
            challenge = None
        else:
            allowed = INTERACTIVE_SCOPES | OPENID_SCOPES | {UI_EXTENSION_SCOPE}
            unknown = [s for s in scopes if s not in allowed]
            if not scopes or unknown:
                return refuse("invalid_scope", "Unknown or missing scope: "
                              + (", ".join(unknown) or "(none)") + ". Ask for "
                              f"{INTERACTIVE_API}:read (and openid, offline_access ...).")
            if not any(s in INTERACTIVE_SCOPES for s in scopes):
                return refuse("invalid_scope", f"Ask for at least one {INTERACTIVE_API} "
                                               "scope.")
            challenge = query.get("code_challenge")
            method = query.get("code_challenge_method")
            if not challenge and method is None and client.client_secret:
                # PKCE is optional for a server app, which proves itself with its
                # secret at the token endpoint; browser and native apps must use it.
                challenge = None
            elif not challenge and method is not None:
                return refuse("invalid_request", "code_challenge_method was sent without "
                                                 "a code_challenge.")
            elif not challenge:
                return refuse("invalid_request", "PKCE is required for a client without a "
                                                 "secret: send code_challenge with "
                                                 "code_challenge_method=S256.")
            elif method != "S256":
                return refuse("invalid_request", "code_challenge_method must be S256 "
                                                 "(plain is not accepted).")
            elif not _CHALLENGE.match(challenge):
                return refuse("invalid_request", "code_challenge is not the base64url "
                                                 "SHA-256 of a verifier.")
        prompts = (query.get("prompt") or "").split()
        txn = secrets.token_urlsafe(18)
        pending = _Pending(flow, client_id, redirect_uri, scopes, state, challenge,
                           time.time(), response_mode=response_mode,
                           nonce=query.get("nonce") or None)
        with self._lock:
            self._expire()
            self.pending[txn] = pending
            session = self.sessions.get(browser.session or "")
        user = demo_user(session.email) if session is not None else None
        if user is not None and "login" not in prompts:
            assert session is not None  # a user is found only through a session
            pending.auth_time = session.created
            pending.switch_user = "authorize?" + urlencode({**query, "prompt": "login"})
            return self._signed_in(txn, pending, user)
        return _page("Sign in", _signin_form(txn, None, None))

    # -- authorize: the form posts ------------------------------------------

    def step(self, flow: str, form: dict[str, str], browser: Browser = Browser()
             ) -> Response:
        """Handle one posted form of the sign-in pages."""
        txn = form.get("txn", "")
        with self._lock:
            self._expire()
            pending = self.pending.get(txn)
        if pending is None or pending.flow != flow:
            return _error_page(400, "invalid_request", "This sign-in has expired or is "
                               "unknown; start again from the application.")
        step = form.get("step", "")
        if step == "signin":
            return self._signin(txn, pending, form, browser)
        if pending.email is None:
            return _error_page(400, "invalid_request", "Sign in first.")
        if step == "company":
            return self._company(txn, pending, form)
        if step == "consent":
            return self._consent(txn, pending, form)
        return _error_page(400, "invalid_request", f"Unknown step '{step}'.")

    def _signin(self, txn: str, pending: _Pending, form: dict[str, str],
                browser: Browser) -> Response:
        email = form.get("email", "").strip()
        user = demo_user(email)
        if user is None or not hmac.compare_digest(form.get("password", "").encode(),
                                                   user.password.encode()):
            return _page("Sign in", _signin_form(txn, email, "Wrong email or password."),
                         status=200)
        pending.auth_time, pending.switch_user = time.time(), None
        answer = self._signed_in(txn, pending, user)
        # The password was right: this browser is signed in until it signs out.
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._expire()
            self.sessions[sid] = _Session(user.email, pending.auth_time)
        answer.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax",
                          secure=browser.secure, path=None)
        return answer

    def end_session(self, sid: str | None) -> bool:
        """Sign a browser out: its session and the user's other sessions end."""
        with self._lock:
            session = self.sessions.pop(sid or "", None)
            if session is None:
                return False
            for other in [k for k, v in self.sessions.items() if v.email == session.email]:
                del self.sessions[other]
        return True

    def _signed_in(self, txn: str, pending: _Pending, user: DemoUser) -> Response:
        """The page after the user is known: company choice, consent, or a refusal."""
        companies = user.companies(self.store)
        if not companies:
            self._drop(txn)
            return pending.answer({
                "error": "invalid_tenant",
                "error_description": "The user has the role 'API User' on no Visma.net "
                                     "Financials company.",
                "state": pending.state})
        pending.email = user.email
        if pending.flow == "legacy" or len(companies) == 1:
            pending.company_id = companies[0].company_id if pending.flow != "legacy" else None
            return self._consent_page(txn, pending)
        return _page("Choose a company", _company_form(txn, companies)
                     + _switch_user_link(pending))

    def _company(self, txn: str, pending: _Pending, form: dict[str, str]) -> Response:
        user = demo_user(pending.email or "")
        companies = user.companies(self.store) if user else ()
        chosen = form.get("company", "").strip()
        match = next((c for c in companies if str(c.company_id) == chosen), None)
        if match is None:
            return _page("Choose a company", _company_form(
                txn, companies, "Choose one of the companies."))
        pending.company_id = match.company_id
        return self._consent_page(txn, pending)

    def _consent_page(self, txn: str, pending: _Pending) -> Response:
        company = self.store.company_by_id.get(pending.company_id or -1)
        return _page("Allow access", _consent_form(txn, pending, company)
                     + _switch_user_link(pending))

    def _consent(self, txn: str, pending: _Pending, form: dict[str, str]) -> Response:
        self._drop(txn)
        if form.get("decision") != "accept":
            return pending.answer({
                "error": "access_denied",
                "error_description": "The user did not allow the application.",
                "state": pending.state})
        if pending.flow == "connect" and pending.company_id is None:
            return _error_page(400, "invalid_request", "No company was chosen.")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = _Code(pending.flow, pending.client_id, pending.redirect_uri,
                                     pending.scopes, pending.challenge, pending.email or "",
                                     pending.company_id, time.time() + self.code_ttl,
                                     pending.nonce, pending.auth_time)
        return pending.answer({"code": code, "state": pending.state})

    def _drop(self, txn: str) -> None:
        with self._lock:
            self.pending.pop(txn, None)

    def _expire(self) -> None:
        """Forget stale sign-ins and codes (called under the lock)."""
        now = time.time()
        for txn in [k for k, p in self.pending.items() if now - p.created > PENDING_TTL]:
            del self.pending[txn]
        for code in [k for k, c in self.codes.items() if now >= c.expires]:
            del self.codes[code]
        for sid in [k for k, v in self.sessions.items() if now - v.created > SESSION_TTL]:
            del self.sessions[sid]

    # -- token endpoint: grants ----------------------------------------------

    def _take_code(self, form: dict[str, str], client: ClientRow, flow: str) -> _Code:
        code_text = form.get("code") or ""
        if not code_text:
            raise OAuthError("invalid_request", "The code parameter is missing.")
        with self._lock:
            # Single use: taken out before anything else is checked, so a code that
            # failed once (or was stolen and tried) can never be redeemed.
            code = self.codes.pop(code_text, None)
        if code is None or code.flow != flow:
            raise OAuthError("invalid_grant", "The authorization code is unknown, was "
                                              "already used, or has expired.")
        if time.time() >= code.expires:
            raise OAuthError("invalid_grant", "The authorization code has expired (codes "
                                              f"live {self.code_ttl:.0f} seconds).")
        if code.client_id != client.client_id:
            raise OAuthError("invalid_grant", "The authorization code was issued to "
                                              "another client.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "The redirect_uri differs from the one of "
                                              "the authorization request.")
        return code

    def authorization_code_grant(self, form: dict[str, str], client: ClientRow,
                                 issuer: str) -> dict:
        """``grant_type=authorization_code`` at ``/connect/token`` (PKCE checked)."""
        registered = demo_client(client.client_id)
        if registered is None or registered.flow != "connect":
            raise OAuthError("unauthorized_client", "The client may not use the "
                                                    "authorization_code grant.")
        code = self._take_code(form, client, "connect")
        verifier = form.get("code_verifier") or ""
        if code.challenge is None:
            if not client.client_secret:
                raise OAuthError("invalid_client", "A client without a secret must use "
                                                   "PKCE.")
        elif not verifier:
            raise OAuthError("invalid_grant", "The code_verifier parameter is missing "
                                              "(PKCE).")
        elif not _VERIFIER.match(verifier) or not hmac.compare_digest(
                _s256(verifier), code.challenge):
            raise OAuthError("invalid_grant", "The code_verifier does not match the "
                                              "code_challenge.")
        # A new token family: every token that descends from this code.
        return self._issue_user_tokens(client.client_id, code.email, code.company_id,
                                       code.scopes, issuer, uuid.uuid4().hex,
                                       nonce=code.nonce, auth_time=code.auth_time)

    def refresh_grant(self, form: dict[str, str], client: ClientRow, issuer: str) -> dict:
        """``grant_type=refresh_token``: a new access token and a new refresh token."""
        text = form.get("refresh_token") or ""
        if not text:
            raise OAuthError("invalid_request", "The refresh_token parameter is missing.")
        try:
            claims = decode_jwt(text, self.store.signing_key)
        except TokenError:
            raise OAuthError("invalid_grant", "The refresh token is invalid or has "
                                              "expired.") from None
        if claims.get("typ") != "refresh" or claims.get("client_id") != client.client_id:
            raise OAuthError("invalid_grant", "The refresh token was not issued to this "
                                              "client.")
        family = claims.get("fam")
        family = family if isinstance(family, str) and family else None
        expires = float(claims.get("exp", 0))
        ledger = self.tokens.ledger
        if ledger.is_revoked(family):
            raise OAuthError("invalid_grant", "The refresh token was revoked: a refresh "
                                              "token of this sign-in was used twice. "
                                              "Sign in again.")
        if not ledger.use_refresh(str(claims.get("jti")), family, expires):
            # A replay: two parties hold this chain (one of them stole it), and the
            # server cannot tell which is the rightful one. End the whole family.
            if family is not None:
                ledger.revoke_family(family, max(expires, time.time()
                                                 + self.settings.token_ttl))
            raise OAuthError("invalid_grant", "The refresh token was already used; "
                                              "refresh tokens rotate on every use. Every "
                                              "token of this sign-in is now revoked: sign "
                                              "in again.")
        scopes = list(claims.get("scope") or [])
        asked = (form.get("scope") or "").split()
        if asked:
            extra = [s for s in asked if s not in scopes]
            if extra:
                raise OAuthError("invalid_scope", "A refresh cannot add scopes: "
                                                  + ", ".join(extra))
            scopes = asked + (["offline_access"] if "offline_access" not in asked else [])
        return self._issue_user_tokens(client.client_id, str(claims.get("sub")),
                                       claims.get("company_id"), scopes, issuer,
                                       family or uuid.uuid4().hex)

    def _issue_user_tokens(self, client_id: str, email: str, company_id: int | None,
                           scopes: list[str], issuer: str, family: str, *,
                           nonce: str | None = None, auth_time: float | None = None) -> dict:
        now = time.time()
        ttl = int(self.settings.token_ttl)
        company = self.store.company_by_id.get(company_id or -1)
        tenant_id = company.tenant_id if company else ""
        claims = {"iss": issuer, "aud": INTERACTIVE_API, "sub": email,
                  "client_id": client_id, "tenant_id": tenant_id, "company_id": company_id,
                  "scope": list(scopes), "iat": int(now), "nbf": int(now),
                  "exp": round(now + ttl, 3), "jti": uuid.uuid4().hex, "fam": family}
        answer = {"access_token": encode_jwt(claims, self.store.signing_key),
                  "expires_in": ttl, "token_type": "Bearer", "scope": " ".join(scopes)}
        if "openid" in scopes:
            user = demo_user(email)
            id_claims = {"iss": issuer, "aud": client_id, "sub": email, "email": email,
                         "name": user.name if user else email, "iat": int(now),
                         "exp": int(now + ttl)}
            if auth_time is not None:
                id_claims["auth_time"] = int(auth_time)
            if nonce is not None:
                id_claims["nonce"] = nonce
            answer["id_token"] = self.id_tokens.sign(id_claims)
        registered = demo_client(client_id)
        if "offline_access" in scopes and registered is not None and registered.client_secret:
            answer["refresh_token"] = encode_jwt(
                {"iss": issuer, "typ": "refresh", "sub": email, "client_id": client_id,
                 "company_id": company_id, "scope": scopes, "iat": int(now),
                 "exp": round(now + REFRESH_TTL), "jti": uuid.uuid4().hex, "fam": family},
                self.store.signing_key)
        return answer

    def legacy_token(self, form: dict[str, str], authorization: str | None,
                     query: dict[str, str]) -> dict:
        """``POST /API/security/api/v2/token`` (article 03)."""
        leaked = sorted({"client_secret", "password", "code"} & set(query))
        if leaked:
            raise OAuthError("invalid_request", "Send every parameter in the request "
                             "body; credentials in the URL are refused ("
                             + ", ".join(leaked) + " found in the query string).")
        grant_type = form.get("grant_type")
        if grant_type != "authorization_code":
            raise OAuthError("unsupported_grant_type" if grant_type else "invalid_request",
                             "grant_type must be authorization_code.")
        client = self.tokens._authenticate_client(form, authorization)
        registered = demo_client(client.client_id)
        if registered is None or registered.flow != "legacy":
            raise OAuthError("unauthorized_client", "The client is not a Visma.net "
                                                    "Integrations (VNI) client.")
        code = self._take_code(form, client, "legacy")
        token = str(uuid.uuid4())
        with self._lock:
            self.legacy[token] = LegacyToken(client.client_id, code.email)
        return {"token": token, "token_type": "bearer", "scope": LEGACY_SCOPE}

    # -- API side -------------------------------------------------------------

    def resolve_legacy(self, token: str):
        """A :class:`Principal` for a VNI token, or None if it is not one of ours."""
        with self._lock:
            found = self.legacy.get(token)
        if found is None:
            return None
        user = demo_user(found.email)
        companies = user.companies(self.store) if user else ()
        return Principal(found.client_id, "", frozenset({LEGACY_SCOPE}), tuple(companies),
                         company_header_required=True, subject=found.email)

    def revoke_legacy(self, token: str) -> bool:
        with self._lock:
            return self.legacy.pop(token, None) is not None

    def user_companies(self, email: str) -> tuple[CompanyRow, ...]:
        user = demo_user(email)
        return user.companies(self.store) if user else ()


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --------------------------------------------------------------------------- pages

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f2f4f7;
margin:0;color:#1d2433}
main{max-width:26rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 2px 8px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin-top:0}
label{display:block;margin:.9rem 0 .3rem;font-weight:600}
input[type=email],input[type=password]{width:100%;padding:.55rem;box-sizing:border-box;
border:1px solid #b8c0cc;border-radius:4px;font-size:1rem}
.company{display:flex;gap:.5rem;align-items:center;margin:.4rem 0;font-weight:400}
button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:4px;
background:#1a6bd6;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e3e7ee;color:#1d2433;margin-left:.5rem}
.error{background:#fde8e8;color:#8a1c1c;padding:.6rem;border-radius:4px}
.note{color:#5b6576;font-size:.85rem}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    text = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(title)} - Visma (vnkit sandbox)</title>"
            f"<style>{_CSS}</style></head><body><main>{body}"
            '<p class="note">vnkit sandbox: a local stand-in for Visma Connect. Demo '
            "users only; never type real credentials here.</p></main></body></html>")
    return HTMLResponse(text, status_code=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def _error_page(status: int, error: str, description: str) -> HTMLResponse:
    return _page("Sign-in error", f'<h1>Sign-in error</h1><p class="error" id="error" '
                 f'data-error="{html.escape(error)}"><strong>{html.escape(error)}</strong>: '
                 f"{html.escape(description)}</p>", status)


def _hidden(txn: str, step: str) -> str:
    return (f'<input type="hidden" name="txn" value="{html.escape(txn)}">'
            f'<input type="hidden" name="step" value="{step}">')


def _signin_form(txn: str, email: str | None, error: str | None) -> str:
    # action="authorize" is relative: the page is served at .../authorize, so the
    # form posts back to the same path under any proxy prefix.
    warning = f'<p class="error" id="error">{html.escape(error)}</p>' if error else ""
    return (f"<h1>Sign in to Visma.net</h1>{warning}"
            f'<form method="post" action="authorize" id="signin-form">{_hidden(txn, "signin")}'
            '<label for="email">Email</label>'
            f'<input type="email" id="email" name="email" autocomplete="username" required '
            f'value="{html.escape(email or "")}">'
            '<label for="password">Password</label>'
            '<input type="password" id="password" name="password" '
            'autocomplete="current-password" required>'
            '<button type="submit" id="signin">Sign in</button></form>'
            f'<p class="note" id="demo-user">{_DEMO_USER_HINT}</p>')


#: One line on the sandbox's sign-in page: whom to sign in as (demo values only).
_DEMO_USER_HINT = html.escape(
    f"Demo user: {DEMO_USERS[0].email}, password {DEMO_USERS[0].password} (every "
    "company); the others are in vnkit.sandbox.demo_users().")


def _switch_user_link(pending: _Pending) -> str:
    """"Not you?" under a page reached through a remembered sign-in session."""
    if not pending.switch_user:
        return ""
    return (f'<p class="note">Signed in as {html.escape(pending.email or "")}. '
            f'<a id="switch-user" href="{html.escape(pending.switch_user)}">Not you? Sign '
            "in as someone else</a></p>")


def _company_form(txn: str, companies: Iterable[CompanyRow], error: str | None = None) -> str:
    warning = f'<p class="error" id="error">{html.escape(error)}</p>' if error else ""
    options = "".join(
        f'<label class="company" for="company-{c.company_id}">'
        f'<input type="radio" name="company" id="company-{c.company_id}" '
        f'value="{c.company_id}"{" checked" if i == 0 else ""}>'
        f"{html.escape(c.name)} <span class=\"note\">({c.company_id})</span></label>"
        for i, c in enumerate(companies))
    return (f"<h1>Choose a company</h1>{warning}<p>You have the API User role in more "
            "than one company. The application will work in the one you choose.</p>"
            f'<form method="post" action="authorize" id="company-form">'
            f'{_hidden(txn, "company")}{options}'
            '<button type="submit" id="choose">Continue</button></form>')


def _consent_form(txn: str, pending: _Pending, company: CompanyRow | None) -> str:
    client = demo_client(pending.client_id)
    scopes = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in pending.scopes)
    where = (f"<p>Company: <strong>{html.escape(company.name)}</strong></p>"
             if company else "<p>Every company where you have API rights.</p>")
    return (f"<h1>Allow access</h1><p>The application <strong>"
            f"{html.escape(client.client_id if client else pending.client_id)}</strong> "
            f"asks to act as <strong>{html.escape(pending.email or '')}</strong>.</p>"
            f"{where}<p>Permissions:</p><ul>{scopes}</ul>"
            f'<form method="post" action="authorize" id="consent-form">'
            f'{_hidden(txn, "consent")}'
            '<button type="submit" name="decision" value="accept" id="accept">Allow</button>'
            '<button type="submit" name="decision" value="deny" id="deny" '
            'class="secondary">Deny</button></form>')


def _form_post(uri: str, params: dict[str, str | None]) -> Response:
    """OAuth 2.0 Form Post Response Mode: a page that posts ``params`` to ``uri``."""
    fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in params.items() if v is not None)
    body = (f'<h1>Signing in</h1><form method="post" action="{html.escape(uri)}" '
            f'id="form-post">{fields}<noscript><button type="submit">Continue</button>'
            "</noscript></form><script>document.getElementById('form-post').submit()"
            "</script>")
    return _page("Signing in", body)


def _redirect(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    joiner = "&" if urlsplit(uri).query else "?"
    # 302 after a form post makes browsers follow with GET, as OAuth expects.
    return RedirectResponse(f"{uri}{joiner}{query}", status_code=302,
                            headers={"Cache-Control": "no-store"})


# --------------------------------------------------------------------------- routes


def discovery_fields(issuer: str | None = None) -> dict:
    """What ``/.well-known/openid-configuration`` adds for the interactive flow."""
    extra = {"jwks_uri": f"{issuer}/.well-known/openid-configuration/jwks"} if issuer else {}
    return {**extra,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "email", "name", "nonce", "auth_time"],
        "scopes_supported": sorted(SERVICE_SCOPES | INTERACTIVE_SCOPES | OPENID_SCOPES),
    }


def security_schemes() -> dict:
    """The OpenAPI security scheme of the interactive API, for Swagger UI's Authorize.

    The URLs are relative to the OpenAPI document (``/API-index/doc/swagger``), so they
    stay right behind a proxy path prefix.
    """
    return {"visma_connect_interactive": {
        "type": "oauth2",
        "description": "Visma.net ERP Interactive API: sign in as a demo user (see "
                       "vnkit.sandbox.demo_users()); the company is chosen at sign-in.",
        "flows": {"authorizationCode": {
            "authorizationUrl": "../../connect/authorize",
            "tokenUrl": "../../connect/token",
            "scopes": {s: f"{s.rsplit(':', 1)[1]} as the signed-in user"
                       for s in sorted(INTERACTIVE_SCOPES)}}}}}


def _form_of(body: bytes) -> dict[str, str]:
    # Keys are stripped: article 03 lays its form body out as "grant_type=...& code=...&",
    # and a copy of it should still work.
    return {k.strip(): v for k, v in parse_qsl(body.decode("utf-8", "replace"),
                                                keep_blank_values=True)}


def install(app: FastAPI, store: Store, settings: Settings, tokens: TokenService) -> SignIn:
    """Register the sign-in pages and legacy endpoints on ``app`` (before its fallback route)."""
    signin = SignIn(store, settings, tokens)
    app.state.signin = signin
    no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}

    def browser(request: Request) -> Browser:
        return Browser(own_hosts(request), request.cookies.get(SESSION_COOKIE),
                       request.url.scheme == "https")

    @app.get("/connect/authorize", tags=["Visma Connect"],
             summary="Interactive sign-in (authorization code + PKCE S256)")
    async def authorize(request: Request) -> Response:
        return signin.begin("connect", dict(request.query_params), browser(request))

    @app.post("/connect/authorize", include_in_schema=False)
    async def authorize_step(request: Request) -> Response:
        return signin.step("connect", _form_of(await request.body()), browser(request))

    @app.get("/.well-known/openid-configuration/jwks", tags=["Visma Connect"],
             summary="Public key of the ID tokens (RS256), as a JSON Web Key Set")
    async def jwks() -> Response:
        # Only ID tokens are signed with this key; access tokens stay HMAC-signed with
        # a key that never leaves the server (only the sandbox checks them).
        return _json(200, signin.id_tokens.jwks())

    @app.get("/connect/userinfo", tags=["Visma Connect"], summary="The signed-in user")
    async def userinfo(request: Request) -> Response:
        try:
            claims = _user_claims(store, request.headers.get("authorization"))
            if tokens.ledger.is_revoked(claims.get("fam")):
                raise TokenError("The access token was revoked: sign in again.")
        except TokenError as exc:
            return unauthorized(str(exc))
        user = demo_user(str(claims.get("sub")))
        company = store.company_by_id.get(claims.get("company_id") or -1)
        return _json(200, {"sub": claims.get("sub"), "email": claims.get("sub"),
                           "name": user.name if user else claims.get("sub"),
                           "tenants": [company.tenant_id] if company else []})

    @app.get("/connect/endsession", tags=["Visma Connect"], summary="Sign out")
    async def endsession(request: Request) -> Response:
        # End the browser's sign-in session, then send it on only to an address the
        # named client registered (on a host of the sandbox for a pattern).
        signin.end_session(request.cookies.get(SESSION_COOKIE))
        target = request.query_params.get("post_logout_redirect_uri")
        client = demo_client(request.query_params.get("client_id", ""))
        if target and client is not None and client.accepts_redirect(
                target, own_hosts(request)):
            state = request.query_params.get("state")
            answer = _redirect(target, {"state": state}) if state else \
                RedirectResponse(target, status_code=302)
        else:
            answer = _page("Signed out", "<h1>Signed out</h1><p>You can close this "
                           "window.</p>")
        # delete_cookie as set_cookie with max_age=0: delete_cookie's path is typed str,
        # and the session cookie was set without a path (path=None), so must go the same way
        answer.set_cookie(SESSION_COOKIE, max_age=0, expires=0, path=None,
                          secure=request.url.scheme == "https", httponly=True, samesite="lax")
        return answer

    @app.get("/API/resources/oauth/authorize", tags=["VNI (retired)"],
             summary="Legacy VNI sign-in (article 03), scope financialstasks")
    async def legacy_authorize(request: Request) -> Response:
        return signin.begin("legacy", dict(request.query_params), browser(request))

    @app.post("/API/resources/oauth/authorize", include_in_schema=False)
    async def legacy_authorize_step(request: Request) -> Response:
        return signin.step("legacy", _form_of(await request.body()), browser(request))

    @app.post("/API/security/api/v2/token", tags=["VNI (retired)"],
              summary="Legacy VNI token endpoint: answers {token, token_type, scope}")
    async def legacy_token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            error = OAuthError("invalid_request", "Send the token request as "
                               "application/x-www-form-urlencoded.")
            return _json(error.status, error.body(), no_store)
        try:
            answer = signin.legacy_token(_form_of(await request.body()),
                                         request.headers.get("authorization"),
                                         dict(request.query_params))
        except OAuthError as error:
            return _json(error.status, error.body(), {**no_store, **error.headers})
        return _json(200, answer, no_store)

    def legacy_bearer(request: Request) -> str | None:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or token not in signin.legacy:
            return None
        return token

    @app.get("/API/security/api/v1/token/usercontexts", tags=["VNI (retired)"],
             summary="Companies a VNI token covers")
    async def usercontexts(request: Request) -> Response:
        token = legacy_bearer(request)
        if token is None:
            return unauthorized("Authorization has been denied: send a VNI token.")
        found = signin.legacy[token]
        return _json(200, [{"id": c.company_id, "name": c.name}
                           for c in signin.user_companies(found.email)])

    @app.delete("/API/security/api/v1/token", tags=["VNI (retired)"],
                summary="Revoke the VNI token sent in Authorization")
    async def revoke(request: Request) -> Response:
        token = legacy_bearer(request)
        if token is None:
            return unauthorized("Authorization has been denied: send a VNI token.")
        signin.revoke_legacy(token)
        return Response(status_code=204)

    return signin


def _user_claims(store: Store, authorization: str | None) -> dict:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("Authorization has been denied: send a user's bearer token.")
    claims = decode_jwt(token.strip(), store.signing_key)
    if claims.get("aud") != INTERACTIVE_API:
        raise TokenError("userinfo needs a token of the interactive API (a signed-in "
                         "user), not a service token.")
    return claims
