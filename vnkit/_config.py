"""Where the API lives and who signs in: ``Environment`` and ``ServiceCredentials``.

Both are plain frozen values with no I/O, so they can be built, compared and printed
freely; the only side effect here is reading environment variables when asked to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

#: Visma Connect scope prefix of the ERP service API (machine-to-machine).
SERVICE_SCOPE_PREFIX = "vismanet_erp_service_api"

#: Scopes asked for when none are given: reading is all an exploration needs, and a
#: token with fewer rights is a smaller risk in a notebook that gets shared.
DEFAULT_SCOPES: tuple[str, ...] = (f"{SERVICE_SCOPE_PREFIX}:read",)

_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


@dataclass(frozen=True)
class Environment:
    """One deployment of the Visma.net ERP API and its sign-in service.

    Use a preset (:meth:`production`, :meth:`legacy`, :meth:`sandbox`) or
    :meth:`from_name`; build one by hand only for a gateway the presets do not know.

    Parameters
    ----------
    name : str
        Label shown in ``repr(client)``.
    api_url : str
        Root of the API host, without a trailing slash
        (``https://api.finance.visma.net``).
    connect_url : str
        Root of Visma Connect, the sign-in service (``https://connect.visma.com``).
    layout : {"current", "legacy"}
        ``"current"`` puts endpoints at ``{api_url}/v1/...``; ``"legacy"`` at
        ``{api_url}/API/controller/api/v1/...`` (the layout the articles use).
    context_path : str
        Path below ``api_url`` of the company list (``resources/v1/context``).
    token_path : str
        Path below ``connect_url`` of the token endpoint (``connect/token``).
    allow_http : bool
        Whether plain ``http://`` is acceptable for the token endpoint. Only the local
        sandbox needs it; loopback addresses are always accepted.

    Examples
    --------
    >>> Environment.production().endpoint_url("customer")
    'https://api.finance.visma.net/v1/customer'
    >>> Environment.legacy().endpoint_url("customerinvoice", version="v2")
    'https://integration.visma.net/API/controller/api/v2/customerinvoice'
    """

    name: str
    api_url: str
    connect_url: str
    layout: str = "current"
    context_path: str = "resources/v1/context"
    token_path: str = "connect/token"
    allow_http: bool = False

    def __post_init__(self) -> None:
        if self.layout not in ("current", "legacy"):
            raise ConfigurationError(
                f"Environment layout must be 'current' or 'legacy', not {self.layout!r}",
                hint="'current' is {api}/v1/...; 'legacy' is {api}/API/controller/api/v1/...",
            )
        for label in ("api_url", "connect_url"):
            url = getattr(self, label)
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                raise ConfigurationError(
                    f"Environment {label} must be an http(s) URL, not {url!r}",
                    hint="give the root of the host, e.g. 'https://api.finance.visma.net'",
                )
        # Normalise once so URL building below never doubles or drops a slash.
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
        object.__setattr__(self, "connect_url", self.connect_url.rstrip("/"))
        object.__setattr__(self, "context_path", self.context_path.strip("/"))
        object.__setattr__(self, "token_path", self.token_path.strip("/"))

    # -- presets -----------------------------------------------------------------------
    @classmethod
    def production(cls) -> Environment:
        """Today's production gateway (``https://api.finance.visma.net``) and Visma Connect."""
        return cls("production", "https://api.finance.visma.net", "https://connect.visma.com")

    @classmethod
    def legacy(cls) -> Environment:
        """The old host (``https://integration.visma.net``, legacy path layout).

        It is throttled from 2026-02-01 and being shut down; it is here because the
        knowledge-base articles use it.
        """
        return cls("legacy", "https://integration.visma.net", "https://connect.visma.com",
                   layout="legacy", context_path="API/resources/v1/context")

    @classmethod
    def sandbox(cls, url: str, *, layout: str = "current") -> Environment:
        """A running vnkit sandbox at ``url``: API, Visma Connect and context under one root."""
        return cls("sandbox", url, url, layout=layout, allow_http=True)

    @classmethod
    def from_name(cls, name: str) -> Environment:
        """``"production"``, ``"legacy"`` or the URL of a running sandbox."""
        text = name.strip()
        if text.lower() == "production":
            return cls.production()
        if text.lower() == "legacy":
            return cls.legacy()
        if text.lower().startswith(("http://", "https://")):
            return cls.sandbox(text)
        raise ConfigurationError(
            f"unknown environment {name!r}",
            hint="use 'production', 'legacy', the URL of a running sandbox, or an Environment",
        )

    # -- URLs --------------------------------------------------------------------------
    def endpoint_url(self, path: str, version: str = "v1") -> str:
        """Absolute URL of an ERP endpoint (``customer``, ``customer/10001/invoice``)."""
        if version not in ("v1", "v2"):
            raise ConfigurationError(f"API version must be 'v1' or 'v2', not {version!r}")
        prefix = "API/controller/api/" if self.layout == "legacy" else ""
        return f"{self.api_url}/{prefix}{version}/{path.strip('/')}"

    def context_url(self) -> str:
        """URL of the company list (``GET resources/v1/context``)."""
        return f"{self.api_url}/{self.context_path}"

    def token_url(self) -> str:
        """URL of the Visma Connect token endpoint."""
        return f"{self.connect_url}/{self.token_path}"

    def is_insecure_ok(self, url: str) -> bool:
        """Whether ``url`` may be plain HTTP (sandbox or loopback only)."""
        parts = urlsplit(url)
        return parts.scheme == "https" or self.allow_http or parts.hostname in _LOOPBACK

    @classmethod
    def from_env(cls, default: str = "production") -> Environment:
        """The environment named by ``VNKIT_ENV`` (``production``, ``legacy`` or a URL)."""
        return cls.from_name(os.environ.get("VNKIT_ENV") or default)


def normalise_scopes(scopes: str | Iterable[str] | None) -> tuple[str, ...]:
    """Scopes as a tuple; short names (``"read"``) get the service API prefix.

    Accepts a space- or comma-separated string or an iterable of names; ``"all"``
    stands for read, create, update and delete (what writes need).
    """
    if scopes is None:
        return DEFAULT_SCOPES
    if isinstance(scopes, str):
        items = scopes.replace(",", " ").split()
    else:
        items = [str(s).strip() for s in scopes]
    all_ops = ("read", "create", "update", "delete")
    items = [op for s in items for op in (all_ops if s.lower() == "all" else (s,))]
    out = tuple(dict.fromkeys(
        s if ":" in s else f"{SERVICE_SCOPE_PREFIX}:{s}" for s in items if s))
    if not out:
        raise ConfigurationError(
            "no scopes given",
            hint=f"ask for at least '{SERVICE_SCOPE_PREFIX}:read'",
        )
    return out


@dataclass(frozen=True, repr=False)
class ServiceCredentials:
    """Client id, secret and tenant for the service API (client-credentials sign-in).

    The secret is kept out of ``repr``/``str`` so printing the object in a notebook
    does not leak it.

    Parameters
    ----------
    client_id : str
        The application's client id from the Visma Developer Portal (``isv_...``).
    client_secret : str
        The application's client secret.
    tenant_id : str
        The **company's** tenant id (shown per company in the Developer Portal /
        Visma App Store). A service token is bound to this tenant.
    scopes : tuple of str
        Visma Connect scopes; short names such as ``"read"`` are expanded to
        ``vismanet_erp_service_api:read``.
    """

    client_id: str
    client_secret: str
    tenant_id: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __post_init__(self) -> None:
        for label in ("client_id", "client_secret", "tenant_id"):
            value = getattr(self, label)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(
                    f"ServiceCredentials.{label} is empty",
                    hint=f"pass {label}=... or set {_ENV_NAMES[label]}",
                )
        object.__setattr__(self, "scopes", normalise_scopes(self.scopes))

    def __repr__(self) -> str:
        return (f"ServiceCredentials(client_id={self.client_id!r}, client_secret=***, "
                f"tenant_id={self.tenant_id!r}, scopes={self.scopes!r})")

    __str__ = __repr__

    def with_tenant(self, tenant_id: str) -> ServiceCredentials:
        """The same application signed in to another tenant."""
        return replace(self, tenant_id=str(tenant_id))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: str | None
                 ) -> ServiceCredentials:
        """Read ``VNKIT_CLIENT_ID``, ``VNKIT_CLIENT_SECRET``, ``VNKIT_TENANT_ID``, ``VNKIT_SCOPES``.

        Keyword arguments that are not None win over the variables. Raises
        ``ConfigurationError`` naming every missing variable, before any request.
        """
        env = os.environ if environ is None else environ
        values: dict[str, str] = {}
        missing = []
        for label, var in _ENV_NAMES.items():
            value = overrides.get(label)
            if value is None:
                value = env.get(var) or None
            if value is None:
                missing.append(f"{label} (or {var})")
            else:
                values[label] = value
        if missing:
            raise ConfigurationError(
                "missing service credentials: " + ", ".join(missing),
                hint="pass them to vnkit.connect(...), set the environment variables, "
                     "or use a running sandbox: vnkit.connect(vnkit.sandbox.start())",
            )
        scopes = overrides.get("scopes") or env.get("VNKIT_SCOPES") or None
        return cls(values["client_id"], values["client_secret"], values["tenant_id"],
                   normalise_scopes(scopes))


_ENV_NAMES = {
    "client_id": "VNKIT_CLIENT_ID",
    "client_secret": "VNKIT_CLIENT_SECRET",
    "tenant_id": "VNKIT_TENANT_ID",
}


def company_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """``VNKIT_COMPANY_ID`` if set (a company id, or a name to look up)."""
    env = os.environ if environ is None else environ
    return env.get("VNKIT_COMPANY_ID") or None
