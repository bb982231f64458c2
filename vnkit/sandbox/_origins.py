"""Where the sandbox is reached: the hosts a browser may legitimately use for it.

Two checks need this. The sign-in may send a code only to a redirect URI on a host the
sandbox itself is reached at (its own address, or the public address of the JupyterHub
/ Binder in front of it), never to a foreign site. The admin routes take calls only
from a loopback address or that public address, so a web page on another site (or a
DNS name rebound to 127.0.0.1) cannot drive them from the user's browser.

The public address is configured the way the client's sign-in configures it
(``vnkit._interactive.proxy_redirect_uri``): ``VNKIT_PUBLIC_URL``, else JupyterHub's
``JUPYTERHUB_EXTERNAL_URL`` or ``JUPYTERHUB_PUBLIC_URL``. The sandbox's process
inherits them from the kernel that starts it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

#: Environment variables naming the address the browser sees, first one set wins
#: (the same order as the client's ``proxy_redirect_uri``).
PUBLIC_URL_VARIABLES = ("VNKIT_PUBLIC_URL", "JUPYTERHUB_EXTERNAL_URL", "JUPYTERHUB_PUBLIC_URL")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(hostname: str | None, port: int | None, scheme: str = "") -> str | None:
    """``host`` or ``host:port`` in one spelling (lower case, no default port)."""
    if not hostname:
        return None
    hostname = hostname.lower().rstrip(".")
    if ":" in hostname:  # an IPv6 literal, as urlsplit gives it (no brackets)
        hostname = f"[{hostname}]"
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return hostname
    return f"{hostname}:{port}"


def url_host(url: str) -> str | None:
    """The :func:`host_key` of an absolute URL, None if it has none or is malformed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number
        return None
    return host_key(parts.hostname, port, parts.scheme)


def header_host(value: str | None, scheme: str = "http") -> str | None:
    """The :func:`host_key` of a ``Host`` header value (``name[:port]``)."""
    if not value or any(c in value for c in "/?#@ \t\\"):
        return None
    return url_host(f"{scheme}://{value.strip()}")


def public_hosts(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The hosts of the configured public address (empty when none is set)."""
    environ = os.environ if environ is None else environ
    for name in PUBLIC_URL_VARIABLES:
        value = (environ.get(name) or "").strip()
        if value:
            host = url_host(value)
            return frozenset({host}) if host else frozenset()
    return frozenset()


def is_loopback(hostname: str | None) -> bool:
    """Whether a host name or address is this machine's loopback (``localhost`` too)."""
    if not hostname:
        return False
    name = hostname.lower().rstrip(".").strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def request_host(request) -> str | None:
    """The :func:`host_key` the browser used to reach the sandbox (its ``Host``)."""
    return header_host(request.headers.get("host"), request.url.scheme)


def own_hosts(request) -> frozenset[str]:
    """Hosts the sandbox is reached at: the request's own ``Host`` and the public one."""
    own = request_host(request)
    return public_hosts() | ({own} if own else set())
