"""vnkit: explore the Visma.net ERP API from Jupyter.

>>> import vnkit
>>> sandbox = vnkit.sandbox.start()                      # doctest: +SKIP
>>> client = vnkit.connect(sandbox)                      # doctest: +SKIP
>>> client.fetch("customer", status="Active")            # doctest: +SKIP

The public API is exactly ``__all__``; everything in ``vnkit._*`` modules is private.
``vnkit.sandbox`` (the local emulator) is imported on first use, so ``import vnkit``
never loads its web server.
"""

__version__ = "0.1.0"  # before the imports below: _client reads it for the User-Agent

from ._auth import MemoryTokenStore
from ._background import BackgroundJob
from ._client import Client, connect
from ._config import Environment, ServiceCredentials
from ._exceptions import (
    ApiError,
    AuthError,
    BadRequestError,
    ConfigurationError,
    FilterError,
    ForbiddenError,
    IncompleteResultError,
    IncompleteResultWarning,
    NotFoundError,
    PayloadError,
    RateLimitError,
    ServerError,
    TransportError,
    UnauthorizedError,
    VnkitError,
)
from ._filters import attributes, created, last_modified
from ._interactive import SignIn
from ._payload import CLEAR, UnknownFieldWarning, line, payload, unwrap
from ._postman import PostmanEnvironment, load_postman_environment
from ._sql import sql
from ._sync import SyncReport, sync
from ._tokencache import FileTokenStore
from ._vat import diagnose_vat, vat_matrix
from ._webhooks import WebhookReceiver

__all__ = [
    # sign in and read
    "connect",
    "Client",
    "Environment",
    "ServiceCredentials",
    "last_modified",
    "created",
    "attributes",
    # the API's surface, offline
    "endpoints",
    "describe",
    # user sign-in and tokens
    "SignIn",
    "MemoryTokenStore",
    "FileTokenStore",
    "load_postman_environment",
    "PostmanEnvironment",
    # many companies: Parquet dataset and SQL over it
    "sync",
    "SyncReport",
    "sql",
    # background jobs and webhooks
    "BackgroundJob",
    "WebhookReceiver",
    # request bodies and VAT
    "payload",
    "unwrap",
    "line",
    "CLEAR",
    "UnknownFieldWarning",
    "diagnose_vat",
    "vat_matrix",
    # errors
    "VnkitError",
    "ConfigurationError",
    "FilterError",
    "PayloadError",
    "AuthError",
    "ApiError",
    "BadRequestError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "IncompleteResultError",
    "IncompleteResultWarning",
    "TransportError",
    "__version__",
]

_LAZY_SUBMODULES = ("sandbox", "widgets")


def endpoints(search: str | None = None, *, method: str | None = None):
    """Every operation of the API as a DataFrame (offline); see ``vnkit._describe``."""
    from ._describe import endpoints as _endpoints

    return _endpoints(search, method=method)


def describe(endpoint: str, method: str | None = None, *, version: str = "v1"):
    """One endpoint's parameters and fields as a DataFrame (offline, no sign-in needed).

    Rows by ``part``: ``path`` and ``query`` parameters (type, allowed values),
    ``returns`` (fields of the answer) and ``takes`` (fields of the body, ``wrapped``
    as ``{"value": ...}`` or not, as ``vnkit.payload`` builds it).

    >>> vnkit.describe("customer").query("part == 'query'")   # doctest: +SKIP
    """
    from ._describe import describe as _describe

    return _describe(endpoint, method, version=version)


def load_ipython_extension(ipython) -> None:
    """``%load_ext vnkit``: the ``%vn`` and ``%%vn`` magics (see ``vnkit._magic``)."""
    from ._magic import load_ipython_extension as _load

    _load(ipython)


def __getattr__(name: str):
    # ``vnkit.sandbox`` pulls in FastAPI and uvicorn, ``vnkit.widgets`` ipywidgets: load
    # them only when asked for.
    if name == "dlt_source":  # needs dlt (vnkit[dlt]): imported when first asked for
        from ._dlt import dlt_source

        return dlt_source
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | {"dlt_source"})
