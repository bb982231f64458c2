"""Endpoints and query parameters checked against the API's surface, before any request.

The real API ignores query parameters it does not know: ``stauts="Active"`` returns
every record, unfiltered, without a word. So every read (``fetch``, ``pages``,
``records``, ``get``, the Explorer and the ``%vn`` magic) comes through here first:

- the endpoint must be one of the surface's operations for the method (an unknown one
  is answered with the closest names); a path parameter left as ``{customerCd}``, or
  missing, is named; ``{name}`` placeholders may be filled from keyword arguments;
- every parameter name must be one of the operation's (case does not matter, as for the
  API); an unknown one raises ``FilterError`` with the closest names and the list;
- every value must fit the parameter's type (boolean, integer, number, a date, an
  operator, ``attributes``, or one of the values of its enum).

A parameter newer than the bundled surface can still be sent: ``unchecked={"name":
value}`` passes it as given.
"""

from __future__ import annotations

import base64
import difflib
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, NoReturn
from urllib.parse import quote

from ._exceptions import FilterError
from ._filters import _attributes_param, check_operator, format_when

__all__ = ["UNCHECKED_HINT", "ResolvedCall", "check_query", "endpoint_templates",
           "is_date_param", "query_enum", "resolve"]

#: How to send a parameter the bundled surface does not know (said in every error).
UNCHECKED_HINT = ("a parameter newer than vnkit's copy of the API can be sent as is with "
                  "unchecked={'name': value}")

_PLACEHOLDER = re.compile(r"\{([^}]*)\}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_VERSIONS = ("v1", "v2")


@dataclass(frozen=True)
class ResolvedCall:
    """An endpoint as the surface knows it.

    Attributes
    ----------
    operation : Operation or None
        None for an absolute URL outside the API's version roots (not checked).
    path : str
        The concrete path below the version root (``customer/10001/invoice``) or the URL.
    version : str
        ``v1`` or ``v2``.
    path_values : dict
        The raw path parameter values, by name.
    """

    operation: Any
    path: str
    version: str
    path_values: dict[str, str]


def _surface():
    from ._surface import surface

    return surface()


def _short(template: str) -> str:
    """``/v1/customer/{customerCd}`` → ``customer/{customerCd}``."""
    return template.split("/", 2)[2]


@lru_cache(maxsize=8)
def endpoint_templates(method: str = "GET") -> tuple[str, ...]:
    """Path templates (below the version root, both versions, no duplicates) of a method."""
    seen: dict[str, str] = {}
    for op in _surface().operations:
        if op.method == method.upper():
            seen.setdefault(_short(op.path).lower(), _short(op.path))
    return tuple(seen.values())


def _close(word: str, candidates: list[str] | tuple[str, ...], n: int = 5) -> list[str]:
    """Candidates close to ``word``: difflib's best, then ones containing it."""
    by_lower = {c.lower(): c for c in candidates}
    near = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=0.6)
    if len(near) < n and len(word) >= 3:
        near += [c for c in by_lower if word.lower() in c and c not in near][:n - len(near)]
    return [by_lower[c] for c in near]


def _one_of(names: list[str]) -> str:
    return " or ".join(f"`{n}`" for n in names)


# -- endpoints ---------------------------------------------------------------------------
# Characters a key cannot carry as they are in a path segment (sent as b64(...) instead).
_RESERVED = set("/?#%&+\\*:\"<> ")


def key_segment(key: Any, parameter: str = "key") -> str:
    """A key as a URL path segment: ``b64(<base64url>)`` when it has reserved characters.

    The API decodes ``b64(...)`` keys since 8.19 (facts 1.1); percent-encoding a ``/``
    is not reliable behind every proxy, so vnkit always uses the b64 form for those.

    Raises
    ------
    FilterError
        For None, an empty text, or anything but text or a whole number (a bool, a
        float such as 1.7, a list ...): ``str()`` of those would address another record.
    """
    if key is None:
        raise FilterError(parameter, "is None", hint="pass the record's number or key")
    if isinstance(key, bool) or not isinstance(key, str | numbers.Integral):
        raise FilterError(parameter, f"a {type(key).__name__} ({key!r}) is not a key",
                          hint="pass the record's number or key as text (or an int)")
    text = str(key)
    if not text.strip():
        raise FilterError(parameter, f"{key!r} is empty", hint="pass the record's number")
    if any(ch in _RESERVED for ch in text) or not text.isascii():
        return "b64(" + base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode() + ")"
    return quote(text, safe="")


def _fill(path: str, values: dict[str, Any]) -> tuple[str, set[str]]:
    """Replace ``{name}`` placeholders from ``values``; returns the path and names used."""
    used: set[str] = set()
    lowered = {k.lower(): k for k in values}

    def put(m: re.Match) -> str:
        name = m.group(1)
        given = lowered.get(name.lower())
        if given is None:
            raise FilterError(name or "path", f"the path parameter {m.group(0)} is left "
                              "as a placeholder",
                              hint=f"write the value into the path, or pass {name}=... "
                                   f"(e.g. client.fetch({path!r}, {name}='10001'))")
        used.add(given)
        return key_segment(values[given], parameter=name)

    return _PLACEHOLDER.sub(put, path), used


def resolve(method: str, endpoint: Any, version: str = "v1", *,
            values: Mapping[str, Any] | None = None, listing: bool = False,
            base_url: str | None = None) -> tuple[ResolvedCall, set[str]]:
    """The surface's operation for ``endpoint``, or a ``FilterError`` that helps.

    Parameters
    ----------
    method : str
        ``GET`` for reads.
    endpoint : str
        ``customer``, ``v2/salesorder``, ``customer/10001/invoice``,
        ``customer/{customerCd}/contact`` (placeholders filled from ``values``), or an
        absolute URL.
    version : {"v1", "v2"}
        Used when ``endpoint`` does not start with one.
    values : mapping, optional
        Keyword arguments that may fill ``{name}`` placeholders.
    listing : bool
        The call pages through a list (``fetch``): a single-record endpoint is refused.
    base_url : str, optional
        The API root of the client; absolute URLs below it are checked too.

    Returns
    -------
    (ResolvedCall, set of str)
        The call and the keyword arguments used as path parameters.
    """
    if not isinstance(endpoint, str) or not endpoint.strip("/ "):
        raise FilterError("endpoint", f"{endpoint!r} is not an endpoint",
                          hint="e.g. 'customer' or 'customer/10001/invoice'; "
                               "vnkit.endpoints() lists them all")
    if version not in _VERSIONS:
        raise FilterError("version", f"{version!r} is not an API version",
                          hint="use version='v1' or version='v2'")
    text = endpoint.strip()
    if text.startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        url_path = urlsplit(text).path
        for v in _VERSIONS:
            if f"/{v}/" in url_path and "/resources/" not in url_path:
                version, text = v, url_path.rsplit(f"/{v}/", 1)[-1]
                break
        else:
            return ResolvedCall(None, text, version, {}), set()
    if "?" in text:
        raise FilterError("endpoint", f"{endpoint!r} contains a query string",
                          hint="pass parameters as keyword arguments: "
                               "client.fetch('customer', status='Active')")
    clean = text.strip("/ ")
    head, _, rest = clean.partition("/")
    if head.lower() in _VERSIONS and rest:
        version, clean = head.lower(), rest.strip("/")
    clean, used = _fill(clean, dict(values or {}))
    segments = clean.split("/")
    surface = _surface()
    hit = surface.match(method, f"/{version}/{clean}") if "" not in segments else None
    if hit is None:
        _explain_unknown(method, clean, version, segments)
    op, path_values = hit
    if listing and not (op.is_list or op.paginated):
        raise FilterError("endpoint", f"{op.method} {_short(op.path)} answers one record, "
                          "not a list", hint=f"read it with client.get({clean!r})")
    return ResolvedCall(op, clean, version, path_values), used


def _explain_unknown(method: str, clean: str, version: str, segments: list[str]
                     ) -> NoReturn:
    """Raise the most useful ``FilterError`` for a path no operation has."""
    surface = _surface()
    # A missing path parameter: customer//contact, or customer/contact for
    # customer/{customerCd}/contact.
    for i in range(len(segments) + 1):
        trial = [*segments[:i], "\x00", *segments[i:]] if "" not in segments else \
            ["\x00" if s == "" else s for s in segments]
        hit = surface.match(method, f"/{version}/" + "/".join(trial))
        if hit is not None:
            op, values = hit
            missing = [name for name, value in values.items() if value == "\x00"]
            if missing:
                raise FilterError(missing[0], f"the path parameter {{{missing[0]}}} of "
                                  f"{_short(op.path)} is missing",
                                  hint=f"e.g. client.fetch({_short(op.path)!r}, "
                                       f"{missing[0]}='...')")
        if "" in segments:
            break
    other = "v2" if version == "v1" else "v1"
    if surface.match(method, f"/{other}/{clean}") is not None:
        raise FilterError("endpoint", f"{clean!r} is a {other} endpoint ({method})",
                          hint=f"pass version={other!r} (or write '{other}/{clean}')")
    for m in ("GET", "POST", "PUT", "DELETE"):
        if m != method.upper() and surface.match(m, f"/{version}/{clean}") is not None:
            raise FilterError("endpoint", f"{clean!r} takes {m}, not {method.upper()}",
                              hint="see vnkit.describe(" + repr(clean) + ")")
    templates = endpoint_templates(method)
    near = _close(clean, templates)
    if not near:  # compare the first segment only: 'customers/10001'
        first = segments[0].lower()
        near = _close(first, sorted({t.split("/")[0] for t in templates}))
    hint = (f"did you mean {_one_of(near)}? " if near else "") + \
        "vnkit.endpoints() lists every endpoint (filter it by area or name)"
    raise FilterError("endpoint", f"the API has no {method.upper()} endpoint {clean!r}",
                      hint=hint)


# -- parameters --------------------------------------------------------------------------
def is_date_param(param) -> bool:
    """Whether a query parameter takes a date (``...Date``, ``...DateTime``, ``date``)."""
    lowered = param.name.lower()
    return param.type == "string" and lowered.endswith(("date", "datetime"))


@lru_cache(maxsize=1)
def _enum_names() -> dict[str, str]:
    return {name.lower(): name for name in _surface().enums}


def query_enum(op, param, *, from_records: bool = True) -> tuple[str, ...] | None:
    """Allowed values of a query parameter, where the surface has an enum for it.

    The surface names such enums ``{Area}QueryParameters{Param}Enum`` (e.g.
    ``InventoryQueryParametersStatusEnum``): those values are checked before a request.
    With ``from_records``, a parameter named as a field of the records that has an enum
    (customer ``status``: ``CustomerStatusEnum``) shows that enum too; those are only
    shown (by ``describe``), since the API itself answers a value it does not take.
    """
    surface = _surface()
    name = param.name[:1].upper() + param.name[1:]
    group = op.group.replace(" ", "")
    for candidate in (f"{group}QueryParameters{name}Enum", f"{group}QueryV2parameters{name}Enum"):
        real = _enum_names().get(candidate.lower())
        if real is not None:
            return surface.enums[real]
    dto = op.record_dto
    if from_records and dto and param.type == "string":
        field = surface.dto(dto).get(param.name)
        if field is not None and field.enum:
            return surface.enums.get(field.enum)
    return None


def _bad(op, name: str, message: str, hint: str) -> FilterError:
    return FilterError(name, message, hint=hint)


def _boolean(op, p, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower()
    raise _bad(op, p.name, f"{value!r} is not a boolean", "pass True or False")


def _integer(op, p, value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    if isinstance(value, (float, Decimal)) and not isinstance(value, bool) and \
            math.isfinite(value) and value == int(value):
        return int(value)
    raise _bad(op, p.name, f"{value!r} is not a whole number", "pass an int such as 10")


def _number(op, p, value):
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(op, p.name, f"{value!r} is not a number the API accepts",
                       "pass a finite number")
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return value.strip()
    raise _bad(op, p.name, f"{value!r} is not a number", "pass a number such as 12.5")


def _text(op, p, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    raise _bad(op, p.name, f"a {type(value).__name__} is not a text value",
               "pass a str (or a number)")


def _convert(op, p, value, strict: bool, companion: str | None):
    """The query value (or ``{name: value}`` pairs) for parameter ``p``."""
    lowered = p.name.lower()
    if lowered == "attributes":
        # JSON text is the API's own spelling: ``get`` sends it as written. Pairs
        # (COLOR=RED) and mappings are converted everywhere: one rule for every read.
        if not strict and isinstance(value, str) and value.strip().startswith("{"):
            return {p.name: value}
        return {p.name: _attributes_param(value)}
    if is_date_param(p):
        if isinstance(value, tuple) and len(value) == 2 and companion is not None:
            return {companion: check_operator(value[0], companion),
                    p.name: format_when(value[1], p.name)}
        if isinstance(value, date):
            return {p.name: format_when(value, p.name)}
        if isinstance(value, str):
            return {p.name: format_when(value, p.name) if strict else value}
        pair = " or an (operator, date) pair" if companion else ""
        raise _bad(op, p.name, f"a {type(value).__name__} ({value!r}) is not a date",
                   f"pass a date, a naive datetime or 'yyyy-MM-dd'{pair}")
    if lowered.endswith("condition") and p.type == "string":
        if strict or not isinstance(value, str):
            return {p.name: check_operator(value, p.name)}
        return {p.name: value}
    if p.type == "array":
        items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
        return {p.name: [_text(op, p, v) for v in items]}
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        raise _bad(op, p.name, f"takes one value, not a {type(value).__name__}",
                   f"pass a single {p.type}")
    if p.type == "boolean":
        return {p.name: _boolean(op, p, value)}
    if p.type == "integer":
        return {p.name: _integer(op, p, value)}
    if p.type == "number":
        return {p.name: _number(op, p, value)}
    text = _text(op, p, value)
    allowed = query_enum(op, p, from_records=False)
    if allowed and strict:
        exact = {a.lower(): a for a in allowed}
        if text.strip().lower() not in exact:
            near = _close(text, list(allowed), n=3)
            raise _bad(op, p.name, f"{text!r} is not one of its values",
                       (f"did you mean {_one_of(near)}? " if near else "")
                       + "allowed: " + ", ".join(allowed))
        text = exact[text.strip().lower()]
    return {p.name: text}


def check_query(op, params: Mapping[str, Any], *, strict: bool = True,
                endpoint: str | None = None) -> dict[str, Any]:
    """Check ``params`` against ``op``'s query parameters and encode them.

    Parameters
    ----------
    op : Operation
        From :func:`resolve`.
    params : mapping
        Keyword arguments as the user gave them; ``None`` values are left out.
    strict : bool
        Check the text of dates, operators and enum values too (``get`` passes False
        to send strings as written; names and types are always checked).
    endpoint : str, optional
        Named in messages (default: the operation's template).

    Raises
    ------
    FilterError
        An unknown name (with the closest known names, every name, and how to send it
        anyway), or a value of the wrong type.
    """
    label = endpoint or _short(op.path)
    known = {p.name.lower(): p for p in op.query}
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        if not isinstance(name, str):
            raise FilterError(str(name), "parameter names are text")
        p = known.get(name.lower())
        if p is None:
            _unknown(op, name, label)
        companion = known.get(f"{p.name}condition".lower())
        if companion is not None and isinstance(value, tuple) and any(
                k.lower() == companion.name.lower() and v is not None
                for k, v in params.items()):
            raise FilterError(p.name, f"operator given twice (in the tuple and in "
                                      f"{companion.name})")
        for key, encoded in _convert(op, p, value, strict,
                                     companion.name if companion else None).items():
            if key in out:
                raise FilterError(key, "is given twice")
            out[key] = encoded
    return out


def _unknown(op, name: str, label: str) -> NoReturn:
    names = [p.name for p in op.query]
    near = _close(name, names, n=3)
    if not names:
        listing = f"{label} takes no query parameters"
    else:
        listing = "its parameters: " + ", ".join(names)
    hint = (f"did you mean {_one_of(near)}? " if near else "") + listing + \
        f". The API would silently ignore {name!r}. " + UNCHECKED_HINT[0].upper() + \
        UNCHECKED_HINT[1:]
    raise FilterError(name, f"{label} has no query parameter {name!r}", hint=hint)
