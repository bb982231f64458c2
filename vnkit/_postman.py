"""Import a Postman environment file (article 05) into an ``Environment`` and credentials.

Article 05 keeps everything a Postman user needs in one environment: ``base_uri``,
``client_id``, ``client_secret``, ``redirect_uri``, ``company_id``, ``scope``, ``state``,
``auth_URL`` and ``Access_Token_URL``. :func:`load_postman_environment` reads such a file
(Postman's export format: ``{"name": ..., "values": [{"key", "value", "enabled"}, ...]}``),
resolves ``{{variable}}`` references between the values, and hands back a
:class:`PostmanEnvironment` that can start the matching sign-in. ``base_url=`` re-roots
every address onto another host, e.g. a running sandbox, which serves the article's
paths (``/API/...``) as they are.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._config import Environment
from ._exceptions import ConfigurationError

#: The article's variable names, in its order (matched case-insensitively).
ARTICLE_VARIABLES = ("base_uri", "client_id", "client_secret", "redirect_uri", "company_id",
                     "scope", "state", "auth_URL", "Access_Token_URL")
_REQUIRED = ("base_uri", "client_id", "client_secret", "redirect_uri")
# redirect_uri is the application's own address: it never moves with the API.
_URL_VARIABLES = ("base_uri", "auth_url", "access_token_url")
_REFERENCE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_SECRET_NAMES = ("secret", "password", "token")


@dataclass(frozen=True, repr=False)
class PostmanEnvironment:
    """What a Postman environment file says, ready for vnkit.

    Attributes
    ----------
    name : str
        The environment's name in Postman.
    environment : Environment
        API root and layout (``base_uri``), with the token endpoint of the file.
    client_id, client_secret, redirect_uri : str
        The application's registration (the secret never shows in ``repr``).
    company_id : int or None
        ``company_id``, sent as ``ipp-company-id``.
    scope : str
        ``scope`` (``financialstasks`` for the VNI flow of the article).
    auth_url, token_url : str
        ``auth_URL`` and ``Access_Token_URL``.
    flow : {"legacy", "interactive"}
        VNI when the scope is ``financialstasks``, else Visma Connect.
    variables : dict
        Every enabled variable, secrets replaced by ``***``.
    """

    name: str
    environment: Environment
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    company_id: int | None
    scope: str
    auth_url: str
    token_url: str
    flow: str
    variables: dict[str, str]

    def __repr__(self) -> str:
        return (f"PostmanEnvironment(name={self.name!r}, flow={self.flow!r}, "
                f"api_url={self.environment.api_url!r}, client_id={self.client_id!r}, "
                f"client_secret=***, redirect_uri={self.redirect_uri!r}, "
                f"company_id={self.company_id!r})")

    def sign_in(self, *, listen: bool = False, **client_options: Any):
        """Start the sign-in this environment describes; returns a ``vnkit.SignIn``.

        The file's ``state`` is not reused: a fixed state would defeat its purpose (a
        fresh random one is made per sign-in).
        """
        from ._interactive import SignIn

        return SignIn(self.environment, self.client_id, self.client_secret, flow=self.flow,
                      scopes=self.scope or None,
                      redirect_uri=None if listen else self.redirect_uri, listen=listen,
                      authorize_url=self.auth_url, token_url=self.token_url,
                      company=self.company_id, client_options=client_options)


def load_postman_environment(source: str | os.PathLike | Mapping[str, Any], *,
                             base_url: str | None = None) -> PostmanEnvironment:
    """Read a Postman environment (file path, or its parsed JSON) as article 05 lays it out.

    Parameters
    ----------
    source : path or mapping
        The exported ``.json`` file, or its content.
    base_url : str, optional
        Move every address of the file onto this root (scheme and host), e.g. a
        sandbox's URL; paths stay as they are.

    Raises
    ------
    ConfigurationError
        Unreadable file, not an environment export, a missing variable (named), a
        reference to an unknown variable, or a non-numeric ``company_id``.

    Examples
    --------
    >>> env = load_postman_environment("notebooks/data/visma-net-postman-environment.json",
    ...                                base_url=sandbox.url)            # doctest: +SKIP
    >>> client = env.sign_in().sandbox_login("anna.berg@example.com", "demo-anna")  # doctest: +SKIP
    """
    data = _read(source)
    raw: dict[str, str] = {}
    for item in data["values"]:
        if not isinstance(item, Mapping) or "key" not in item:
            raise ConfigurationError("a Postman variable has no 'key'",
                                     hint="export the environment again from Postman")
        if item.get("enabled", True) is False:
            continue
        raw[str(item["key"]).strip().lower()] = "" if item.get("value") is None \
            else str(item["value"]).strip()
    values = {k: _resolve(k, raw) for k in raw}
    missing = [v for v in _REQUIRED if not values.get(v.lower())]
    if missing:
        raise ConfigurationError("the Postman environment lacks " + ", ".join(missing),
                                 hint="article 05 lists the variables: "
                                      + ", ".join(ARTICLE_VARIABLES))
    if base_url is not None:
        for key in _URL_VARIABLES:
            if values.get(key):
                values[key] = _rebase(values[key], base_url)
    base = values["base_uri"]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"base_uri {base!r} is not an http(s) address")
    root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    legacy_layout = parts.path.rstrip("/").lower().endswith("/api")
    scope = values.get("scope", "").strip("{} ")  # the article writes {financialstasks}
    flow = "legacy" if scope == "financialstasks" else "interactive"
    auth_url = values.get("auth_url") or (
        f"{root}/API/resources/oauth/authorize" if flow == "legacy"
        else "https://connect.visma.com/connect/authorize")
    token_url = values.get("access_token_url") or (
        f"{root}/API/security/api/v2/token" if flow == "legacy"
        else "https://connect.visma.com/connect/token")
    token_parts = urlsplit(token_url)
    connect_root = urlunsplit((token_parts.scheme, token_parts.netloc, "", "", ""))
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    environment = Environment(
        "postman:" + str(data.get("name") or "environment"), root, connect_root,
        layout="legacy" if legacy_layout else "current",
        context_path="API/resources/v1/context" if legacy_layout else "resources/v1/context",
        token_path=token_parts.path.strip("/") or "connect/token", allow_http=loopback)
    company_text = values.get("company_id", "")
    if company_text and not company_text.isdigit():
        raise ConfigurationError(f"company_id {company_text!r} is not a number",
                                 hint="use the numeric company id from the context list")
    shown = {k: ("***" if any(s in k for s in _SECRET_NAMES) else v)
             for k, v in values.items()}
    return PostmanEnvironment(
        name=str(data.get("name") or ""), environment=environment,
        client_id=values["client_id"], client_secret=values["client_secret"],
        redirect_uri=values["redirect_uri"],
        company_id=int(company_text) if company_text else None, scope=scope,
        auth_url=auth_url, token_url=token_url, flow=flow, variables=shown)


def _read(source: str | os.PathLike | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        data = source
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read the Postman environment {str(path)!r}: "
                                     f"{exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{str(path)!r} is not JSON ({exc.msg}, line "
                                     f"{exc.lineno})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("values"), list):
        raise ConfigurationError("not a Postman environment export (no 'values' list)",
                                 hint="in Postman: Environments, ..., Export")
    return data


def _resolve(key: str, raw: Mapping[str, str], seen: tuple[str, ...] = ()) -> str:
    """A value with its ``{{name}}`` references replaced (Postman's own substitution)."""
    if key in seen:
        raise ConfigurationError("the Postman variables refer to each other in a circle: "
                                 + " -> ".join((*seen, key)))

    def substitute(match: re.Match) -> str:
        name = match.group(1).strip().lower()
        if name.startswith("$"):
            return match.group(0)  # Postman's dynamic variables ({{$guid}}): leave them
        if name not in raw:
            raise ConfigurationError(f"the Postman variable {key!r} refers to "
                                     f"{{{{{match.group(1)}}}}}, which is not defined")
        return _resolve(name, raw, (*seen, key))

    return _REFERENCE.sub(substitute, raw[key])


def _rebase(url: str, base_url: str) -> str:
    parts, base = urlsplit(url), urlsplit(base_url)
    if not parts.scheme or not parts.netloc:
        return url
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))
