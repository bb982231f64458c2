"""Client writes: create, update, delete and actions, bound to ``Client`` as methods.

A create answers 201 with the new record's URL in ``Location`` (article 19); its last
segment is the key, which :meth:`create` returns. Creates are POSTs and are never
retried automatically (the session's retry policy leaves POST out): a POST whose answer
was lost may still have created the record, so a blind retry could create it twice.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ._exceptions import ApiError, FilterError, PayloadError
from ._params import key_segment
from ._payload import payload

# Resources created with POST v2 (facts 1.3); everything else is read and written on v1.
V2_CREATE = frozenset({"customerinvoice", "customercreditnote", "customerdebitnote",
                       "salesorder", "salesorderbasic"})


def key_from_location(location: str) -> str:
    """The key a ``Location`` URL ends with (``b64(...)`` and %-escapes decoded)."""
    segment = unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])
    if segment[:4].lower() == "b64(" and segment.endswith(")"):
        inner = segment[4:-1]
        try:
            return base64.urlsafe_b64decode(inner + "=" * (-len(inner) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return segment
    return segment


def _resource(resource: str) -> str:
    if not isinstance(resource, str) or not resource.strip("/ "):
        raise FilterError("resource", f"{resource!r} is not a resource name",
                          hint="e.g. 'customer', 'supplierInvoice', 'customerinvoice'")
    clean = resource.strip("/ ")
    if "?" in clean:
        raise FilterError("resource", f"{resource!r} contains a query string",
                          hint="writes take no query parameters")
    return clean


def _json_ready(body: Any, label: str) -> None:
    """Raise ``PayloadError`` now if ``body`` cannot be sent as JSON (requests would raise
    a bare TypeError half-way through the call)."""
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PayloadError("body", f"{label} cannot be sent as JSON ({exc})",
                           hint="pass a dict of plain values (text, numbers, bools, lists, "
                                "dicts), e.g. {'type': 'Invoice'}") from None


def _body(resource: str, values: Any) -> dict:
    if not isinstance(values, Mapping):
        raise FilterError("body", f"a {type(values).__name__} is not a request body",
                          hint="pass a dict of field names to values, e.g. "
                               "{'name': 'Acme AS'}")
    body = payload(resource, values)
    _json_ready(body, "the body")
    return body


def create(client, resource: str, values: Mapping[str, Any], *,
           version: str | None = None) -> str:
    """Create a record and return its key (read from the answer's ``Location``).

    Parameters
    ----------
    resource : str
        ``"customer"``, ``"supplier"``, ``"supplierInvoice"``, ``"customerinvoice"`` ...
    values : mapping
        Plain values (converted by :func:`vnkit.payload`) or a body already in the
        API's shape (wrapped values pass through unchanged).
    version : {"v1", "v2"}, optional
        Default: ``v2`` for customer invoices and notes (their v1 POST is deprecated),
        ``v1`` otherwise.

    Returns
    -------
    str
        The new record's key (number, reference number ...).

    Raises
    ------
    BadRequestError
        The API refused the body; its message says what is wrong. Nothing was created.
    ForbiddenError
        The token lacks ``vismanet_erp_service_api:create``: connect with
        ``scopes="all"`` or ``scopes=("read", "create")``.
    """
    name = _resource(resource)
    body = _body(name, values)
    if version is None:
        version = "v2" if name.lower() in V2_CREATE else "v1"
    response = client.request("POST", name, json=body, version=version)
    location = response.headers.get("Location")
    if not location:
        raise ApiError(response.status_code, "the API created the record but sent no "
                       "Location header, so its key is unknown", method="POST",
                       url=response.url, hint="list the resource filtered on "
                       "lastModifiedDateTime to find it; do not POST again")
    return key_from_location(location)


def update(client, resource: str, key: Any, values: Mapping[str, Any]) -> None:
    """Change the given fields of one record (PUT; answered 204).

    Only the fields in ``values`` change; :data:`vnkit.CLEAR` empties a field; lines
    need an ``operation`` (:func:`vnkit.line`).
    """
    name = _resource(resource)
    body = _body(name, values)
    client.request("PUT", f"{name}/{key_segment(key)}", json=body, version="v1")


def delete(client, resource: str, key: Any) -> None:
    """Delete one record (where the API allows it, e.g. an unreleased customer invoice)."""
    name = _resource(resource)
    client.request("DELETE", f"{name}/{key_segment(key)}", version="v1")


def action(client, resource: str, key: Any, name: str, body: Any = None) -> dict:
    """Run ``POST {resource}/{key}/action/{name}`` and return the action result.

    Action bodies are sent as given (most are not DtoValue-wrapped, facts section 2);
    the answer is ``{"actionId", "actionResult", "errorInfo"}``.
    """
    resource_name = _resource(resource)
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise FilterError("action", f"{name!r} is not an action name",
                          hint="e.g. 'release'")
    segment = key_segment(key)
    body = {} if body is None else body
    _json_ready(body, "the action body")
    response = client.request("POST", f"{resource_name}/{segment}/action/{name.strip()}",
                              json=body, version="v1")
    return response.json() if response.content else {}
