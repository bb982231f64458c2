"""Sign-in: Visma Connect client credentials as a ``requests`` auth object.

``ClientCredentialsAuth`` adds ``Authorization: Bearer`` to every request, fetches a
token through requests-oauthlib when there is none or it is about to expire, and on a
401 to a GET renews once and resends. Tokens live in a small store object
(``MemoryTokenStore`` by default) so a file cache can be added without touching this
logic. Tokens and secrets never appear in reprs, log records or exceptions.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import requests
from requests.auth import AuthBase

from ._config import Environment, ServiceCredentials
from ._exceptions import AuthError, ConfigurationError, TransportError

#: Renew this many seconds before the token expires (a request may take a while, and
#: clocks differ); shortened for very short-lived tokens.
RENEW_LEEWAY = 60.0

_log = logging.getLogger("vnkit.auth")


@dataclass(frozen=True, repr=False)
class Token:
    """An access token and when it stops working (``expires_at`` in epoch seconds)."""

    access_token: str
    expires_at: float | None = None
    token_type: str = "Bearer"
    scope: str = ""
    issued_at: float | None = None
    #: Set by the interactive flow when ``offline_access`` was granted (never shown).
    refresh_token: str | None = None

    def __repr__(self) -> str:
        left = "unknown" if self.expires_at is None else f"{self.expires_at - time.time():.0f}s"
        refresh = ", refresh_token=***" if self.refresh_token else ""
        return f"Token(access_token=***{refresh}, expires_in={left}, scope={self.scope!r})"

    def is_fresh(self) -> bool:
        """True until shortly before expiry (``RENEW_LEEWAY``, or a tenth of a short life)."""
        if self.expires_at is None:
            return True  # no lifetime given: use it until the API answers 401
        leeway = RENEW_LEEWAY
        if self.issued_at is not None:
            # A token that lives 60 s or less would never count as fresh otherwise.
            leeway = min(RENEW_LEEWAY, max(0.0, (self.expires_at - self.issued_at) / 10))
        return time.time() < self.expires_at - leeway

    def to_dict(self) -> dict:
        """Plain form, for stores that persist tokens."""
        return {"access_token": self.access_token, "expires_at": self.expires_at,
                "token_type": self.token_type, "scope": self.scope,
                "issued_at": self.issued_at, "refresh_token": self.refresh_token}

    @classmethod
    def from_dict(cls, data: dict) -> Token:
        return cls(data["access_token"], data.get("expires_at"),
                   data.get("token_type") or "Bearer", data.get("scope") or "",
                   data.get("issued_at"), data.get("refresh_token"))


class TokenStore(Protocol):
    """Where tokens are kept between requests (a strategy: memory now, a file later)."""

    def load(self, key: str) -> Token | None: ...
    def save(self, key: str, token: Token) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """Tokens in this process only; forgotten when Python exits."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> Token | None:
        with self._lock:
            return self._tokens.get(key)

    def save(self, key: str, token: Token) -> None:
        with self._lock:
            self._tokens[key] = token

    def delete(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def __repr__(self) -> str:
        return f"MemoryTokenStore({len(self._tokens)} token(s))"


def _hint_for(error: str | None, description: str | None, status: int | None) -> str:
    """One sentence on how to fix a refused sign-in, from the OAuth error code."""
    text = f"{error or ''} {description or ''}".lower()
    # Visma Connect answers a tenant that has not approved the app (or a wrong tenant
    # id) with unauthorized_client / invalid_tenant, so that hint comes first.
    if "tenant" in text or error == "unauthorized_client":
        return ("use the company's tenant id from the Developer Portal (Visma App Store), "
                "not the customer contract's, and make sure the tenant has approved the app")
    if error == "invalid_client" or "secret" in text or "client" in text:
        return ("check client_id and client_secret (a regenerated secret invalidates the "
                "old one) and that the application is a service (client credentials) app")
    if error == "invalid_scope" or "scope" in text:
        return ("ask only for scopes the application has in the Developer Portal, e.g. "
                "scopes=('vismanet_erp_service_api:read',)")
    if error == "unsupported_grant_type":
        return "the application is not allowed the client-credentials grant; check its type"
    if status is not None and status >= 500:
        return "the sign-in service failed; try again in a moment"
    return "check client_id, client_secret, tenant_id and scopes"


class _RedactOAuthDebug(logging.Filter):
    """Blank out requests-oauthlib log records that carry secrets or tokens.

    Its ``fetch_token`` logs the form it posts (with ``client_secret``) and the token
    response (with ``access_token``) at DEBUG level.
    """

    _MARKERS = ("client_secret", "access_token", "refresh_token", "authorization",
                "bearer", "'token'", '"token"')

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage().lower()
        except Exception:  # noqa: BLE001 - a record we cannot format is not shown either
            text = "client_secret"
        if any(marker in text for marker in self._MARKERS):
            record.msg, record.args = "(vnkit: log record withheld, it holds credentials)", ()
        return True


_filter_installed = False
_insecure_lock = threading.Lock()


def _install_log_filter() -> None:
    global _filter_installed
    if not _filter_installed:
        logging.getLogger("requests_oauthlib.oauth2_session").addFilter(_RedactOAuthDebug())
        _filter_installed = True


@contextlib.contextmanager
def _allow_insecure_transport(allowed: bool) -> Iterator[None]:
    """Let oauthlib post to an ``http://`` token URL (sandbox on loopback only).

    oauthlib refuses plain HTTP unless ``OAUTHLIB_INSECURE_TRANSPORT`` is set; there
    is no per-call switch, so set it just for this call, under a lock.
    """
    if not allowed or os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
        yield
        return
    with _insecure_lock:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        try:
            yield
        finally:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)


class ClientCredentialsAuth(AuthBase):
    """Visma Connect client-credentials sign-in for a ``requests.Session``.

    Parameters
    ----------
    credentials : ServiceCredentials
        Client id, secret, tenant and scopes.
    environment : Environment
        Gives the token URL.
    store : TokenStore, optional
        Where tokens are kept (default: a new ``MemoryTokenStore``).
    adapter : requests.adapters.BaseAdapter, optional
        Transport for the token request (tests swap in a fake).
    timeout : float
        Seconds to wait for the token endpoint.

    Notes
    -----
    Thread-safe: concurrent page requests share one token, and only one thread fetches
    a new token when it runs out.
    """

    def __init__(self, credentials: ServiceCredentials, environment: Environment, *,
                 store: TokenStore | None = None,
                 adapter: requests.adapters.BaseAdapter | None = None,
                 timeout: float = 30.0):
        self.credentials = credentials
        self.environment = environment
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self.timeout = timeout
        self.fetch_count = 0  # token requests made, for rate-budget accounting and tests
        self._adapter = adapter
        self._lock = threading.RLock()
        token_url = environment.token_url()
        if not environment.is_insecure_ok(token_url):
            raise ConfigurationError(
                f"refusing to send credentials over plain HTTP to {token_url}",
                hint="use https, or Environment.sandbox(url) for a local sandbox",
            )

    def __repr__(self) -> str:
        return (f"ClientCredentialsAuth(client_id={self.credentials.client_id!r}, "
                f"tenant_id={self.credentials.tenant_id!r}, token_url="
                f"{self.environment.token_url()!r})")

    @property
    def _key(self) -> str:
        c = self.credentials
        return "|".join([self.environment.token_url(), c.client_id, c.tenant_id,
                         " ".join(c.scopes)])

    # -- tokens ------------------------------------------------------------------------
    def token(self) -> Token:
        """A token valid for at least ``RENEW_LEEWAY`` seconds, fetched if needed."""
        current = self.store.load(self._key)
        if current is not None and current.is_fresh():
            return current
        with self._lock:
            # Another thread may have renewed while this one waited for the lock.
            current = self.store.load(self._key)
            if current is not None and current.is_fresh():
                return current
            fresh = self._fetch()
            self.store.save(self._key, fresh)
            return fresh

    def invalidate(self, used: str | None = None) -> None:
        """Forget the stored token (only if it is still ``used``, when given)."""
        with self._lock:
            current = self.store.load(self._key)
            if current is not None and (used is None or current.access_token == used):
                self.store.delete(self._key)

    def set_credentials(self, credentials: ServiceCredentials) -> None:
        """Sign in as another tenant from the next request on (tokens are per tenant)."""
        with self._lock:
            self.credentials = credentials

    def _fetch(self) -> Token:
        from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
        from requests_oauthlib import OAuth2Session

        _install_log_filter()
        creds = self.credentials
        token_url = self.environment.token_url()
        scopes: list[object] = list(creds.scopes)  # what oauthlib's stubs accept
        session = OAuth2Session(
            client=BackendApplicationClient(client_id=creds.client_id, scope=scopes),
            scope=scopes)
        if self._adapter is not None:
            # Never close this session: the adapter is shared with the API session.
            session.mount("http://", self._adapter)
            session.mount("https://", self._adapter)
        seen: dict[str, int] = {}

        def remember_status(response: requests.Response) -> requests.Response:
            seen["status"] = response.status_code
            return response

        session.register_compliance_hook("access_token_response", remember_status)
        self.fetch_count += 1
        issued_at = time.time()
        try:
            plain_http = token_url.startswith("http://")  # vetted in __init__
            with _allow_insecure_transport(plain_http):
                raw = session.fetch_token(
                    token_url, client_id=creds.client_id, client_secret=creds.client_secret,
                    include_client_id=True, tenant_id=creds.tenant_id, timeout=self.timeout)
        except Warning as w:  # oauthlib raises Warning when the granted scope differs
            granted = getattr(w, "token", None)
            if granted is None:
                raise AuthError(f"sign-in at {token_url} failed: {w}") from None
            raw = granted
            _log.info("Visma Connect granted scopes %s", getattr(w, "new_scope", None))
        except OAuth2Error as exc:
            status = seen.get("status") or getattr(exc, "status_code", None)
            error = exc.error if exc.error not in (None, "", "missing_token") else None
            description = exc.description or None
            if error is None and status and status >= 400:
                description = f"HTTP {status} without an OAuth error body"
            raise AuthError(
                f"Visma Connect refused the sign-in at {token_url}: "
                f"{error or 'error'}" + (f" ({description})" if description else ""),
                error=error, description=description,
                hint=_hint_for(error, description, status),
            ) from None
        except requests.RequestException as exc:
            raise TransportError(
                f"could not reach the sign-in service at {token_url}: {type(exc).__name__}",
                hint="check the network, or that the sandbox is still running",
            ) from None
        expires_at = raw.get("expires_at")
        scope = raw.get("scope") or ""
        if isinstance(scope, list | tuple):
            scope = " ".join(scope)
        return Token(str(raw["access_token"]),
                     float(expires_at) if expires_at is not None else None,
                     str(raw.get("token_type") or "Bearer"), str(scope), issued_at)

    # -- requests hook -------------------------------------------------------------------
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token().access_token}"
        request.register_hook("response", self._renew_on_401)
        return request

    def _renew_on_401(self, response: requests.Response, **kwargs) -> requests.Response:
        """On a 401 to a GET: renew the token once and resend (never for writes)."""
        sent = response.request
        if (response.status_code != 401 or sent.method != "GET"
                or getattr(sent, "_vnkit_renewed", False)):
            return response
        used = sent.headers.get("Authorization", "").removeprefix("Bearer ")
        self.invalidate(used)
        retry = sent.copy()
        retry.headers["Authorization"] = f"Bearer {self.token().access_token}"
        # A second 401 is the API's final word (a mark of ours: requests has no such field).
        retry._vnkit_renewed = True  # type: ignore[attr-defined]
        _ = response.content  # drain the first answer so its connection is reusable
        response.close()
        kwargs.pop("hooks", None)
        answer = response.connection.send(retry, **kwargs)
        answer.history.append(response)
        answer.request = retry
        return answer
