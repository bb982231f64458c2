"""Signing in as a user: Visma Connect's authorization code flow (PKCE, refresh) and VNI's.

The flow has two halves with a browser in between, so it is an object, :class:`SignIn`:

1. ``SignIn`` builds the authorization URL through requests-oauthlib (``state`` and,
   for Visma Connect, a PKCE S256 challenge) and, by default, starts a tiny redirect
   listener on ``127.0.0.1`` (a random port) to catch the browser coming back.
2. The sign-in finishes in one of three ways, whichever fits where the kernel runs:

   * the listener gets the redirect (browser and kernel on one machine): ``wait()``;
   * the user pastes the address the browser landed on: ``finish(redirect_url)``
     (what a widget calls; vnkit never calls ``input()``);
   * under JupyterHub / Binder the redirect URI goes through jupyter-server-proxy
     (``{hub}{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/callback``) to the same listener.

``finish`` checks ``state`` (a mismatch is refused: it is what stops a forged redirect),
exchanges the code (with the PKCE verifier) and returns a :class:`~vnkit.Client` whose
auth object refreshes the token through requests-oauthlib when it runs out. The retired
VNI flow (article 03) answers ``{"token": ...}`` instead of ``access_token``; a
requests-oauthlib compliance hook renames the field.

``SignIn.sandbox_login`` drives the sandbox's sign-in pages over HTTP with ``requests``
(form posts), so notebooks and tests run the whole flow without a browser. It refuses
any address but loopback: it is a sandbox helper, never a way to script real sign-ins.
"""

from __future__ import annotations

import html
import http.server
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from ._auth import (
    ClientCredentialsAuth,
    MemoryTokenStore,
    Token,
    TokenStore,
    _allow_insecure_transport,
    _install_log_filter,
)
from ._config import Environment
from ._exceptions import AuthError, ConfigurationError, TransportError
from ._request_body import BadLength, content_length

INTERACTIVE_PREFIX = "vismanet_erp_interactive_api"
#: Scopes asked for when none are given: read the API, and a refresh token so a long
#: notebook session does not need a second sign-in.
DEFAULT_USER_SCOPES: tuple[str, ...] = (f"{INTERACTIVE_PREFIX}:read", "offline_access")
LEGACY_SCOPE = "financialstasks"
FLOWS = ("interactive", "legacy")
CALLBACK_PATH = "/callback"
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
_PLAIN_SCOPES = {"openid", "email", "profile", "tenants", "offline_access", LEGACY_SCOPE}


def normalise_user_scopes(scopes: str | Iterable[str] | None, flow: str) -> tuple[str, ...]:
    """Scopes of a user sign-in; short names (``"read"``) get the interactive API prefix."""
    if flow == "legacy":
        # VNI knows exactly one scope, and it is case sensitive (article 03).
        if scopes not in (None, LEGACY_SCOPE, (LEGACY_SCOPE,), [LEGACY_SCOPE]):
            raise ConfigurationError(f"the legacy (VNI) flow has one scope, "
                                     f"{LEGACY_SCOPE!r}, not {scopes!r}")
        return (LEGACY_SCOPE,)
    if scopes is None:
        return DEFAULT_USER_SCOPES
    items = scopes.replace(",", " ").split() if isinstance(scopes, str) else [
        str(s).strip() for s in scopes]
    out = tuple(s if (":" in s or s in _PLAIN_SCOPES) else f"{INTERACTIVE_PREFIX}:{s}"
                for s in items if s)
    if not any(s.startswith(INTERACTIVE_PREFIX + ":") for s in out):
        raise ConfigurationError(
            f"no {INTERACTIVE_PREFIX} scope among {out!r}",
            hint=f"ask for at least '{INTERACTIVE_PREFIX}:read' (short: 'read')")
    return out


def proxy_redirect_uri(port: int, *, prefix: str | None = None, public_url: str | None = None,
                       environ: Mapping[str, str] | None = None,
                       path: str = CALLBACK_PATH) -> str:
    """The redirect URI that reaches a listener on ``port`` through jupyter-server-proxy.

    Parameters
    ----------
    port : int
        The listener's port on the kernel's machine.
    prefix : str, optional
        The single-user server's path prefix (default ``JUPYTERHUB_SERVICE_PREFIX``,
        e.g. ``/user/anna/``).
    public_url : str, optional
        Scheme and host the browser sees (default ``VNKIT_PUBLIC_URL``, else
        ``JUPYTERHUB_EXTERNAL_URL``, else ``JUPYTERHUB_PUBLIC_URL``).
    environ : mapping, optional
        Where to read those variables (default ``os.environ``).
    path : str
        Path on the proxied port (default the listener's ``/callback``).

    Examples
    --------
    >>> proxy_redirect_uri(8765, prefix="/user/anna/", public_url="https://hub.example.org")
    'https://hub.example.org/user/anna/proxy/8765/callback'
    """
    env = os.environ if environ is None else environ
    prefix = prefix if prefix is not None else env.get("JUPYTERHUB_SERVICE_PREFIX")
    if not prefix:
        raise ConfigurationError("not under JupyterHub (JUPYTERHUB_SERVICE_PREFIX is unset)",
                                 hint="pass prefix='/user/<name>/' or use the loopback "
                                      "listener")
    base = public_url or env.get("VNKIT_PUBLIC_URL") or env.get("JUPYTERHUB_EXTERNAL_URL") \
        or env.get("JUPYTERHUB_PUBLIC_URL")
    if not base:
        raise ConfigurationError(
            "the hub's public address is unknown, so no redirect URI can be built",
            hint="set VNKIT_PUBLIC_URL to what the browser's address bar shows before "
                 "the prefix (e.g. https://hub.mybinder.org)")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"public_url {base!r} is not an http(s) address")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigurationError(f"port {port!r} is not a TCP port")
    proxied = "/" + prefix.strip("/") + f"/proxy/{port}/" + path.lstrip("/")
    return f"{parts.scheme}://{parts.netloc}{proxied}"


def _browser_url(url: str, public_url: str | None = None) -> str:
    """``url`` as a browser reaches it: through the hub's proxy for a loopback service."""
    parts = urlsplit(url)
    if parts.hostname not in _LOOPBACK or not os.environ.get("JUPYTERHUB_SERVICE_PREFIX") \
            or parts.port is None:
        return url
    try:
        proxied = proxy_redirect_uri(parts.port, public_url=public_url, path=parts.path)
    except ConfigurationError:
        return url  # the hub's address is unknown: show the direct one
    return f"{proxied}?{parts.query}" if parts.query else proxied


# -- the redirect listener ----------------------------------------------------------------
#: The sign-in redirect is a short form or query: nothing larger is read.
_MAX_REDIRECT_BODY = 65536


class RedirectListener:
    """A one-shot HTTP server on ``127.0.0.1`` that catches the sign-in redirect.

    It answers ``GET /callback?...`` with a short "you can close this tab" page,
    remembers the address, and stops serving. Anything else gets a 404.

    When :attr:`expected_state` is set (``SignIn`` sets it), a redirect whose ``state``
    differs is refused before anything else is looked at: a forged ``/callback``
    (with a code or an ``error``) from any page the user has open can neither end nor
    take over the sign-in, and the real redirect is still waited for.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 expected_state: str | None = None):
        self._got = threading.Event()
        self.received: str | None = None
        self.expected_state = expected_state
        #: Redirects refused because their ``state`` was not this sign-in's.
        self.refused = 0
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - response_mode=form_post
                try:
                    length = content_length(self.headers.get("Content-Length"),
                                            _MAX_REDIRECT_BODY)
                except BadLength as exc:
                    # The body was not read: the connection cannot be reused.
                    self.close_connection = True
                    self.send_error(exc.status, str(exc))
                    return
                form = self.rfile.read(length).decode("utf-8", "replace")
                self._answer(urlsplit(self.path).path, form)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                self._answer(parts.path, parts.query)

            def _answer(self, path: str, query_text: str) -> None:
                query = dict(parse_qsl(query_text))
                if path != CALLBACK_PATH or not ({"code", "error"} & set(query)):
                    self.send_error(404)
                    return
                expected = listener.expected_state
                if expected is not None and not secrets.compare_digest(
                        query.get("state", "").encode(), expected.encode()):
                    # Checked first: neither its code nor its error may count.
                    with listener._lock:
                        listener.refused += 1
                    self.send_error(400, "This address does not belong to the sign-in "
                                         "in progress (state mismatch)")
                    return
                with listener._lock:
                    if listener.received is None:
                        listener.received = (f"http://{host}:{listener.port}{path}"
                                             f"?{query_text}")
                ok = "code" in query
                text = ("Signed in. You can close this tab and go back to the notebook."
                        if ok else "The sign-in did not complete: "
                        + html.escape(query.get("error", "error")) + ". Go back to the "
                        "notebook for details.")
                body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>vnkit"
                        f"</title></head><body><p>{text}</p></body></html>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)
                listener._got.set()

            def log_message(self, *args: Any) -> None:
                pass  # the query holds the authorization code: never log it

        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port: int = self._server.server_address[1]
        # A short poll interval: shutdown() waits for the loop's next turn.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="vnkit-redirect-listener", daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host}:{self.port}{CALLBACK_PATH}"

    def wait(self, timeout: float | None = None) -> str | None:
        """The redirect address, or None if none came within ``timeout`` seconds."""
        self._got.wait(timeout)
        return self.received

    def close(self) -> None:
        """Stop listening (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __repr__(self) -> str:
        return f"RedirectListener({self.redirect_uri!r})"


# -- tokens of a signed-in user -----------------------------------------------------------
def _granted(raw: Mapping[str, Any], issued_at: float) -> Token:
    scope = raw.get("scope") or ""
    if isinstance(scope, list | tuple):
        scope = " ".join(scope)
    expires_at = raw.get("expires_at")
    return Token(str(raw["access_token"]), float(expires_at) if expires_at else None,
                 str(raw.get("token_type") or "Bearer"), str(scope), issued_at,
                 raw.get("refresh_token") or None)


def _legacy_token_hook(response: requests.Response) -> requests.Response:
    """VNI answers ``{"token": ...}``: rename it so oauthlib finds ``access_token``."""
    try:
        body = response.json()
    except ValueError:
        return response
    if isinstance(body, dict) and "token" in body and "access_token" not in body:
        body["access_token"] = body.pop("token")
        import json

        response._content = json.dumps(body).encode()
    return response


class UserTokenAuth(AuthBase):
    """Bearer auth for a signed-in user, refreshing through requests-oauthlib.

    Parameters
    ----------
    token_url : str
        Where refresh requests go.
    client_id, client_secret : str
        The application's credentials (refresh requests send them as form fields).
    store : TokenStore
        Where the token lives (memory, or a ``FileTokenStore``).
    key : str
        The token's key in ``store``.
    adapter : requests.adapters.BaseAdapter, optional
        Transport for refresh requests.

    Notes
    -----
    Without a refresh token (``offline_access`` not granted, or a VNI token) an
    expired token ends the session: sign in again.
    """

    def __init__(self, token_url: str, client_id: str, client_secret: str | None, *,
                 store: TokenStore, key: str, adapter: Any = None, timeout: float = 30.0):
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.store = store
        self.key = key
        self.refresh_count = 0
        self.timeout = timeout
        self._adapter = adapter
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"UserTokenAuth(client_id={self.client_id!r}, token_url={self.token_url!r})"

    def token(self) -> Token:
        """The current token, refreshed first if it is about to expire."""
        current = self.store.load(self.key)
        if current is not None and current.is_fresh():
            return current
        with self._lock:
            current = self.store.load(self.key)
            if current is None:
                raise AuthError("not signed in (no token)", hint="sign in again: "
                                "vnkit.connect(..., flow='interactive')")
            if current.is_fresh():
                return current
            if not current.refresh_token:
                raise AuthError("the sign-in has expired and there is no refresh token",
                                hint="sign in again; ask for the 'offline_access' scope "
                                     "to get a refresh token")
            fresh = self._refresh(current)
            self.store.save(self.key, fresh)
            return fresh

    def invalidate(self, used: str | None = None) -> None:
        """Mark the access token stale (keeping the refresh token) after a 401.

        The next :meth:`token` then refreshes, or, without a refresh token, says that
        the sign-in has expired (rather than resending a token the API refused).
        """
        with self._lock:
            current = self.store.load(self.key)
            if current is not None and (used is None or current.access_token == used):
                self.store.save(self.key, Token(current.access_token, 0.0,
                                                current.token_type, current.scope,
                                                current.issued_at, current.refresh_token))

    def refresh(self) -> Token:
        """Refresh now (normally automatic), rotating the refresh token."""
        with self._lock:
            current = self.store.load(self.key)
            if current is None or not current.refresh_token:
                raise AuthError("there is no refresh token to use",
                                hint="sign in with the 'offline_access' scope")
            fresh = self._refresh(current)
            self.store.save(self.key, fresh)
            return fresh

    def _refresh(self, current: Token) -> Token:
        from oauthlib.oauth2 import OAuth2Error
        from requests_oauthlib import OAuth2Session

        _install_log_filter()
        session = OAuth2Session(self.client_id, token={
            "access_token": current.access_token, "token_type": current.token_type,
            "refresh_token": current.refresh_token})
        if self._adapter is not None:
            session.mount("http://", self._adapter)
            session.mount("https://", self._adapter)
        issued_at = time.time()
        self.refresh_count += 1
        try:
            with _allow_insecure_transport(self.token_url.startswith("http://")):
                raw = session.refresh_token(
                    self.token_url, refresh_token=current.refresh_token,
                    client_id=self.client_id, client_secret=self._secret,
                    include_client_id=True, timeout=self.timeout)
        except OAuth2Error as exc:
            raise AuthError(f"the refresh was refused at {self.token_url}: "
                            f"{exc.error or 'error'}"
                            + (f" ({exc.description})" if exc.description else ""),
                            error=exc.error, description=exc.description,
                            hint="sign in again (a refresh token works once: each refresh "
                                 "returns a new one)") from None
        except requests.RequestException as exc:
            raise TransportError(f"could not reach {self.token_url}: {type(exc).__name__}",
                                 hint="check the network, or that the sandbox still runs"
                                 ) from None
        return _granted(raw, issued_at)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token().access_token}"
        # mypy: the borrowed method is typed for ClientCredentialsAuth; it uses only
        # token() and invalidate(), which this class has as well.
        request.register_hook("response", self._renew_on_401)  # type: ignore[misc]
        return request

    # On a 401 to a GET: refresh once and resend, exactly as the service sign-in does.
    _renew_on_401 = ClientCredentialsAuth._renew_on_401


# -- the pending sign-in ------------------------------------------------------------------
class SignIn:
    """A user sign-in in progress: open :attr:`url`, then finish it.

    Made by ``vnkit.connect(target, flow="interactive" | "legacy", ...)``.

    Attributes
    ----------
    url : str
        The authorization URL to open in a browser.
    redirect_uri : str
        Where the sign-in service sends the browser back.
    flow : {"interactive", "legacy"}
        Visma Connect (authorization code + PKCE) or the retired VNI flow.
    client : Client or None
        The signed-in client once finished.
    response_mode : {"query", "form_post"}
        How the code comes back: in the redirect's query string (default), or posted
        as a form (OAuth 2.0 Form Post Response Mode; the listener takes both).

    Examples
    --------
    >>> sign_in = vnkit.connect(sandbox, flow="interactive")      # doctest: +SKIP
    >>> sign_in.url            # open it, sign in, then either   # doctest: +SKIP
    >>> client = sign_in.wait()            # the listener catches the redirect  # doctest: +SKIP
    >>> client = sign_in.finish(pasted)    # or paste the address you landed on # doctest: +SKIP
    """

    def __init__(self, environment: Environment, client_id: str, client_secret: str | None,
                 *, flow: str = "interactive", scopes: str | Iterable[str] | None = None,
                 redirect_uri: str | None = None, listen: bool | None = None,
                 authorize_url: str | None = None, token_url: str | None = None,
                 company: int | str | None = None, token_store: TokenStore | None = None,
                 client_options: Mapping[str, Any] | None = None,
                 public_url: str | None = None, response_mode: str = "query"):
        if flow not in FLOWS:
            raise ConfigurationError(f"flow must be one of {FLOWS}, not {flow!r}")
        if not client_id or not str(client_id).strip():
            raise ConfigurationError("client_id is empty",
                                     hint="pass the application's client_id")
        self.environment = environment
        self.flow = flow
        self.client_id = client_id
        self._secret = client_secret
        self.scopes = normalise_user_scopes(scopes, flow)
        self.company = company
        self.store: TokenStore = token_store if token_store is not None else MemoryTokenStore()
        self._client_options = dict(client_options or {})
        self.client = None
        if response_mode not in ("query", "form_post"):
            raise ConfigurationError(f"response_mode must be 'query' or 'form_post', not "
                                     f"{response_mode!r}")
        self.response_mode = response_mode
        if flow == "legacy":
            self.authorize_url = authorize_url or \
                f"{environment.api_url}/API/resources/oauth/authorize"
            self.token_url = token_url or f"{environment.api_url}/API/security/api/v2/token"
        else:
            self.authorize_url = authorize_url or f"{environment.connect_url}/connect/authorize"
            self.token_url = token_url or environment.token_url()
        for label, url in (("authorize_url", self.authorize_url),
                           ("token_url", self.token_url)):
            if not environment.is_insecure_ok(url):
                raise ConfigurationError(f"refusing plain HTTP for the {label} {url}",
                                         hint="use https (plain http only for a sandbox)")
        # Where the browser comes back to: a loopback listener unless told otherwise.
        if listen is None:
            listen = redirect_uri is None
        self._listener: RedirectListener | None = None
        if listen:
            self._listener = RedirectListener()
            if redirect_uri is None:
                environ = os.environ
                redirect_uri = (proxy_redirect_uri(self._listener.port, public_url=public_url)
                                if environ.get("JUPYTERHUB_SERVICE_PREFIX")
                                else self._listener.redirect_uri)
        if not redirect_uri:
            raise ConfigurationError("no redirect_uri", hint="pass the redirect URI "
                                     "registered for the application, or listen=True")
        parts = urlsplit(redirect_uri)
        if parts.scheme != "https" and not (parts.scheme == "http"
                                            and parts.hostname in _LOOPBACK):
            self.close()
            raise ConfigurationError(
                f"redirect_uri {redirect_uri!r} must use https",
                hint="plain http is allowed for loopback addresses only (RFC 8252); "
                     "production redirect URIs must be https (article 12)")
        self.redirect_uri = redirect_uri
        self._oauth = self._session()
        # oauthlib insists on https; the URL was vetted above (http only for a sandbox).
        extra = {"response_mode": "form_post"} if response_mode == "form_post" else {}
        with _allow_insecure_transport(self.authorize_url.startswith("http://")):
            direct, self.state = self._oauth.authorization_url(self.authorize_url, **extra)
        if self._listener is not None:
            self._listener.expected_state = self.state
        # The kernel reaches the service directly; under JupyterHub a sandbox on the
        # kernel's loopback is only reachable for the browser through the proxy (its
        # pages use relative form actions, so they work under the prefix).
        self._direct_url = direct
        self.url = _browser_url(direct, public_url)

    def _session(self):
        from requests_oauthlib import OAuth2Session

        _install_log_filter()
        options: dict[str, Any] = {"redirect_uri": self.redirect_uri,
                                   "scope": list(self.scopes),
                                   "state": secrets.token_urlsafe(24)}
        if self.flow == "interactive":
            options["pkce"] = "S256"
        session = OAuth2Session(self.client_id, **options)
        if self.flow == "legacy":
            session.register_compliance_hook("access_token_response", _legacy_token_hook)
        adapter = self._client_options.get("adapter")
        if adapter is not None:
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session

    def __repr__(self) -> str:
        status = "signed in" if self.client is not None else "waiting"
        return (f"<vnkit.SignIn {self.flow} client_id={self.client_id!r} "
                f"redirect_uri={self.redirect_uri!r} {status}>")

    @property
    def key(self) -> str:
        """The token's key in the token store."""
        return "|".join([self.token_url, self.client_id, " ".join(self.scopes), "user"])

    proxy_redirect_uri = staticmethod(proxy_redirect_uri)

    # -- finishing -------------------------------------------------------------------------
    def finish(self, redirect_url: str):
        """Finish with the address the browser was sent back to; returns a ``Client``.

        Raises
        ------
        AuthError
            The sign-in service reported an error (``error=...`` in the address), the
            ``state`` does not match (a forged or stale redirect), or the code exchange
            was refused.
        """
        if self.client is not None:
            return self.client
        if not isinstance(redirect_url, str) or not redirect_url.strip():
            raise ConfigurationError("redirect_url is empty",
                                     hint="paste the whole address the browser shows "
                                          "after signing in")
        redirect_url = redirect_url.strip()
        query = dict(parse_qsl(urlsplit(redirect_url).query))
        # The state first: a forged address must not end the sign-in with its "error".
        if not secrets.compare_digest(query.get("state", "").encode(),
                                      str(self.state).encode()):
            raise AuthError("the redirect's state does not match this sign-in",
                            error="state_mismatch",
                            hint="the address belongs to another (or a forged) sign-in: "
                                 "start again and paste the address of this one")
        if "error" in query:
            self.close()
            error = query["error"]
            raise AuthError(f"the sign-in was refused: {error}"
                            + (f" ({query['error_description']})"
                               if query.get("error_description") else ""),
                            error=error, description=query.get("error_description"),
                            hint=_user_hint(error))
        if "code" not in query:
            raise AuthError("the redirect address carries no code",
                            hint="paste the whole address, including ?code=...&state=...")
        token = self._exchange(redirect_url)
        self.store.save(self.key, token)
        self.close()
        self.client = self._make_client()
        return self.client

    def resume(self):
        """A ``Client`` from a token already in the token store, or None.

        With ``token_store=vnkit.FileTokenStore()`` a sign-in of an earlier session can
        be reused: a token that is still valid, or one that can be refreshed.
        """
        if self.client is not None:
            return self.client
        token = self.store.load(self.key)
        if token is None or not (token.is_fresh() or token.refresh_token):
            return None
        self.close()
        self.client = self._make_client()
        return self.client

    def wait(self, timeout: float = 300.0):
        """Wait for the redirect listener (up to ``timeout`` seconds), then finish."""
        if self.client is not None:
            return self.client
        if self._listener is None:
            raise ConfigurationError("this sign-in has no redirect listener",
                                     hint="call finish(redirect_url) with the address the "
                                          "browser landed on")
        received = self._listener.wait(timeout)
        if received is None:
            raise AuthError(f"no sign-in redirect arrived within {timeout:g} s",
                            hint="open sign_in.url in a browser and sign in; or paste the "
                                 "address you landed on into sign_in.finish(...)")
        return self.finish(received)

    def close(self) -> None:
        """Stop the redirect listener (finishing does this too)."""
        if self._listener is not None:
            self._listener.close()

    def _exchange(self, redirect_url: str) -> Token:
        from oauthlib.oauth2 import OAuth2Error

        issued_at = time.time()
        if self.flow == "legacy":
            # Article 03 prefers HTTP Basic for the client; no PKCE in VNI.
            options = {"auth": HTTPBasicAuth(self.client_id, self._secret or ""),
                       "include_client_id": False}
        else:
            options = {"client_secret": self._secret, "include_client_id": True}
        insecure = self.token_url.startswith("http://") or redirect_url.startswith("http://")
        try:
            with _allow_insecure_transport(insecure):
                raw = self._oauth.fetch_token(self.token_url,
                                              authorization_response=redirect_url,
                                              timeout=30, **options)
        except Warning as w:  # oauthlib's warning when the granted scope differs
            raw = getattr(w, "token", None)
            if raw is None:
                raise AuthError(f"sign-in at {self.token_url} failed: {w}") from None
        except OAuth2Error as exc:
            raise AuthError(f"the code exchange was refused at {self.token_url}: "
                            f"{exc.error or 'error'}"
                            + (f" ({exc.description})" if exc.description else ""),
                            error=exc.error, description=exc.description,
                            hint=_user_hint(exc.error)) from None
        except requests.RequestException as exc:
            raise TransportError(f"could not reach {self.token_url}: {type(exc).__name__}",
                                 hint="check the network, or that the sandbox still runs"
                                 ) from None
        return _granted(raw, issued_at)

    def _make_client(self):
        from ._client import Client

        options = dict(self._client_options)
        auth = UserTokenAuth(self.token_url, self.client_id, self._secret, store=self.store,
                             key=self.key, adapter=options.get("adapter"))
        client = Client(self.environment, auth=auth, **options)
        try:
            if self.company is not None:
                client.use_company(self.company)
            elif self.flow == "interactive":
                # A Visma Connect user token is bound to the company picked at sign-in:
                # name it in the client's repr.
                found = client._context_list()
                if len(found) == 1:
                    client._select(str(found[0].get("name")), found[0].get("id"))
        except BaseException:
            client.close()
            raise
        return client

    # -- sandbox-only helper ---------------------------------------------------------------
    def sandbox_login(self, email: str, password: str, company: int | str | None = None,
                      *, accept: bool = True, finish: bool = True):
        """Sign in on the **sandbox's** pages over HTTP, as a browser would; returns a Client.

        Fills in the sign-in form, picks ``company`` (id or name) on the company page
        when there is one, and allows (or, with ``accept=False``, denies) access. The
        redirect goes to the listener when there is one, else straight to ``finish``.
        With ``finish=False`` the address the browser would be sent to is returned
        instead (what a user would paste into :meth:`finish`).

        Raises
        ------
        ConfigurationError
            The sign-in service is not on a loopback address (not a sandbox).
        AuthError
            Wrong password, a user without the API User role, a denied consent ...
        """
        host = urlsplit(self.authorize_url).hostname
        if host not in _LOOPBACK:
            raise ConfigurationError("sandbox_login works with a local sandbox only",
                                     hint="for a real sign-in open sign_in.url in a browser")
        http = requests.Session()
        try:
            page = http.get(self._direct_url, timeout=30)
            posted: dict[str, str] | None = None
            for _ in range(5):
                if page.is_redirect:
                    break
                if 'id="form-post"' in page.text:  # response_mode=form_post
                    posted = {m.group("name"): html.unescape(m.group("value"))
                              for m in _FIELD.finditer(page.text)}
                    break
                step = _field(page.text, "step")
                if step is None:
                    raise AuthError("the sign-in page refused the request: "
                                    + _page_error(page.text),
                                    hint="check client_id, redirect_uri and scopes")
                form = {"txn": _field(page.text, "txn") or "", "step": step}
                if step == "signin":
                    if _page_error(page.text, default=""):
                        raise AuthError("the sandbox refused the sign-in: "
                                        + _page_error(page.text),
                                        hint="use a demo user of the sandbox "
                                             "(vnkit.sandbox.demo_users())")
                    form.update(email=email, password=password)
                elif step == "company":
                    form["company"] = _pick_company(
                        page.text, company if company is not None else self.company)
                elif step == "consent":
                    form["decision"] = "accept" if accept else "deny"
                action = urljoin(page.url, _form_action(page.text))
                page = http.post(action, data=form, allow_redirects=False, timeout=30)
                if page.status_code == 200 and step == "signin" and \
                        _field(page.text, "step") == "signin":
                    raise AuthError("the sandbox refused the sign-in: "
                                    + _page_error(page.text),
                                    hint="use a demo user of the sandbox "
                                         "(vnkit.sandbox.demo_users())")
            if posted is not None:
                location = f"{self.redirect_uri}?{urlencode(posted)}"
            elif not page.is_redirect:
                raise AuthError("the sandbox's sign-in did not end in a redirect: "
                                + _page_error(page.text))
            else:
                location = page.headers["Location"]
        finally:
            http.close()
        if not finish:
            return location
        if self._listener is not None and location.startswith(self._listener.redirect_uri):
            # What the browser would do: follow the redirect, or post the form.
            if posted is not None:
                requests.post(self._listener.redirect_uri, data=posted, timeout=30).close()
            else:
                requests.get(location, timeout=30).close()
            return self.wait(timeout=30)
        return self.finish(location)


_FIELD = re.compile(r'<input type="hidden" name="(?P<name>\w+)" value="(?P<value>[^"]*)">')


def _field(text: str, name: str) -> str | None:
    for match in _FIELD.finditer(text):
        if match.group("name") == name:
            return html.unescape(match.group("value"))
    return None


def _form_action(text: str) -> str:
    match = re.search(r'<form method="post" action="([^"]*)"', text)
    return html.unescape(match.group(1)) if match else ""


def _page_error(text: str, default: str = "unknown error") -> str:
    match = re.search(r'<p class="error" id="error"[^>]*>(.*?)</p>', text, re.S)
    if not match:
        return default
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def _pick_company(text: str, wanted: int | str | None) -> str:
    options = re.findall(r'<input type="radio" name="company" id="company-(\d+)" '
                         r'value="\d+"[^>]*>([^<]*)<', text)
    if wanted is None:
        raise ConfigurationError(
            "the user has several companies: say which one",
            hint="pass company=... (one of: " + ", ".join(
                f"{html.unescape(n).strip()!r} ({i})" for i, n in options) + ")")
    key = str(wanted).strip().casefold()
    for company_id, name in options:
        if key in (company_id, html.unescape(name).strip().casefold()):
            return company_id
    raise ConfigurationError(f"the user has no company {wanted!r}", hint="choose one of: "
                             + ", ".join(f"{html.unescape(n).strip()!r} ({i})"
                                         for i, n in options))


def _user_hint(error: str | None) -> str:
    if error == "invalid_tenant":
        return ("the user needs the 'API User' role on at least one Visma.net Financials "
                "company (set in Visma.net Admin)")
    if error == "access_denied":
        return "the user did not allow the application; sign in again and press Allow"
    if error == "invalid_grant":
        return ("codes work once and for ten minutes, with the same redirect_uri (and "
                "PKCE verifier): start the sign-in again")
    if error in ("invalid_client", "unauthorized_client"):
        return "check client_id and client_secret, and that the app is of this flow's type"
    if error == "invalid_scope":
        return "ask only for scopes the application has"
    return "start the sign-in again"


# -- connect(flow=...) ------------------------------------------------------------------------
def begin(target: Any, *, flow: str, client_id: str | None = None,
          client_secret: str | None = None, scopes: str | Iterable[str] | None = None,
          redirect_uri: str | None = None, company: int | str | None = None,
          environment: Environment | str | None = None,
          token_store: TokenStore | None = None, **client_options: Any) -> SignIn:
    """The body of ``vnkit.connect(..., flow="interactive" | "legacy")``."""
    sandbox_handle = hasattr(target, "url") and hasattr(target, "credentials")
    if sandbox_handle:
        env = Environment.sandbox(str(target.url))
        if client_id is None:
            from .sandbox._signin import INTERACTIVE_CLIENTS

            wanted = "legacy" if flow == "legacy" else "connect"
            demo = next(c for c in INTERACTIVE_CLIENTS if c.flow == wanted)
            client_id, client_secret = demo.client_id, demo.client_secret
    elif isinstance(target, Environment):
        env = target
    elif isinstance(target, str):
        env = Environment.from_name(target)
    elif target is None:
        env = Environment.from_env()
    else:
        raise ConfigurationError(f"connect() cannot use a {type(target).__name__} as target")
    if environment is not None:
        env = environment if isinstance(environment, Environment) else \
            Environment.from_name(environment)
    client_id = client_id or os.environ.get("VNKIT_CLIENT_ID")
    client_secret = client_secret or os.environ.get("VNKIT_CLIENT_SECRET")
    if not client_id:
        raise ConfigurationError("missing client_id for the user sign-in",
                                 hint="pass client_id=... (and client_secret=...) or set "
                                      "VNKIT_CLIENT_ID / VNKIT_CLIENT_SECRET")
    return SignIn(env, client_id, client_secret, flow=flow, scopes=scopes,
                  redirect_uri=redirect_uri, company=company, token_store=token_store,
                  client_options=client_options)
