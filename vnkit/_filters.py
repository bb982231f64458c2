"""Filter builders: values the API accepts, checked before any request.

The API's date filters take ``yyyy-MM-dd``, ``yyyy-MM-dd HH:mm:ss`` or
``yyyy-MM-dd HH:mm:ss.fff`` with a separate ``...Condition`` operator (``>``, ``<``,
``>=``, ``<=``), compare in the company's local time, and refuse time-zone suffixes.
The ``attributes`` filter is a JSON object of attribute id to exact value (article 14).
Everything here raises ``FilterError`` (a ``ValueError``) naming the parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ._exceptions import FilterError

#: The comparison operators the API accepts in ``...Condition`` parameters.
OPERATORS = (">", "<", ">=", "<=")

_FORMATS_HINT = ("use a date, a naive datetime, or a string 'yyyy-MM-dd', "
                 "'yyyy-MM-dd HH:mm:ss' or 'yyyy-MM-dd HH:mm:ss.fff'")
_TZ_HINT = ("the API compares in the company's local time and accepts no time zone: "
            "convert first, e.g. when.astimezone(ZoneInfo('Europe/Oslo')).replace(tzinfo=None)")

_WHEN = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[ T](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,3}))?)?")
_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


#: The first year the API can compare: its database stores SQL Server ``datetime``
#: values, which begin on 1753-01-01.
MIN_YEAR = 1753


def _check_year(year: Any, when: Any, parameter: str) -> None:
    if not isinstance(year, int) or year < MIN_YEAR:
        raise FilterError(parameter, f"{when!r} is before {MIN_YEAR}",
                          hint=f"the API compares dates from {MIN_YEAR}-01-01 on; for "
                               "'everything', leave the filter out")


def format_when(when: Any, parameter: str = "lastModifiedDateTime") -> str:
    """Format a filter date the way the API accepts it.

    Parameters
    ----------
    when : date, datetime or str
        A ``date`` gives ``yyyy-MM-dd``; a naive ``datetime`` gives
        ``yyyy-MM-dd HH:mm:ss.fff`` (microseconds truncated to milliseconds); a string in
        one of the API's formats is checked and returned with a space separator and a
        three-digit fraction.
    parameter : str
        Named in the error.

    Raises
    ------
    FilterError
        For time-zone-aware values, ``Z``/offset suffixes and any other format.
    """
    if isinstance(when, datetime):
        if when.tzinfo is not None and when.utcoffset() is not None:
            raise FilterError(parameter, f"time-zone-aware datetime {when!r}", hint=_TZ_HINT)
        try:
            year = when.year
        except (ValueError, TypeError, AttributeError):
            year = None
        if isinstance(year, int):
            _check_year(year, when, parameter)
        try:
            # Not strftime: it writes year 999 as '999', which the API cannot read.
            return (f"{when.year:04d}-{when.month:02d}-{when.day:02d} {when.hour:02d}:"
                    f"{when.minute:02d}:{when.second:02d}.{when.microsecond // 1000:03d}")
        except (ValueError, TypeError) as exc:  # pandas NaT is a datetime without fields
            raise FilterError(parameter, f"{when!r} is not a date", hint=_FORMATS_HINT) from exc
    if isinstance(when, date):
        _check_year(when.year, when, parameter)
        return when.isoformat()
    if isinstance(when, str):
        text = when.strip()
        if _TZ_SUFFIX.search(text) and not _WHEN.fullmatch(text):
            raise FilterError(parameter, f"{when!r} has a time-zone suffix", hint=_TZ_HINT)
        m = _WHEN.fullmatch(text)
        if m is None:
            raise FilterError(parameter, f"{when!r} is not in a format the API accepts",
                              hint=_FORMATS_HINT)
        frac = m.group("frac")
        try:
            datetime.strptime(f"{m.group('date')} {m.group('time') or '00:00:00'}",
                              "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise FilterError(parameter, f"{when!r} is not a real date or time",
                              hint=_FORMATS_HINT) from None
        _check_year(int(m.group("date")[:4]), when, parameter)
        out = m.group("date")
        if m.group("time"):
            out += " " + m.group("time")
            if frac is not None:
                out += "." + frac.ljust(3, "0")
        return out
    raise FilterError(parameter, f"{type(when).__name__} {when!r} is not a date",
                      hint=_FORMATS_HINT)


def check_operator(op: Any, parameter: str = "lastModifiedDateTimeCondition") -> str:
    """Return ``op`` if it is one of ``>``, ``<``, ``>=``, ``<=``; else raise ``FilterError``."""
    if isinstance(op, str) and op.strip() in OPERATORS:
        return op.strip()
    raise FilterError(parameter, f"unknown operator {op!r}",
                      hint="use one of '>', '<', '>=', '<=' (the API has no '=' or '!=')")


def _date_filter(field: str, op: str, when: Any) -> dict[str, str]:
    return {f"{field}Condition": check_operator(op, f"{field}Condition"),
            field: format_when(when, field)}


def last_modified(op: str, when: date | datetime | str) -> dict[str, str]:
    """The ``lastModifiedDateTime`` filter and its condition.

    Parameters
    ----------
    op : {">", "<", ">=", "<="}
        Comparison.
    when : date, naive datetime or str
        See :func:`format_when`.

    Returns
    -------
    dict
        ``{"lastModifiedDateTime": ..., "lastModifiedDateTimeCondition": op}``, ready
        to splat into ``fetch``.

    Examples
    --------
    >>> last_modified(">=", date(2020, 1, 14))
    {'lastModifiedDateTimeCondition': '>=', 'lastModifiedDateTime': '2020-01-14'}
    >>> client.fetch("supplier", **last_modified(">=", "2020-01-14"))  # doctest: +SKIP
    """
    return _date_filter("lastModifiedDateTime", op, when)


def created(op: str, when: date | datetime | str) -> dict[str, str]:
    """The ``createdDateTime`` filter and its condition; see :func:`last_modified`."""
    return _date_filter("createdDateTime", op, when)


# -- attributes -------------------------------------------------------------------------
_ATTR_HINT = ("give attribute ids mapped to a str (exact match), bool (checkbox), "
              "date (YYYY-MM-DD) or a list of str (multi-select)")


def _attribute_scalar(key: str, value: Any, *, in_list: bool = False) -> str:
    where = f"attributes[{key!r}]"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        if in_list and ("," in value or not value):
            raise FilterError("attributes", f"{where}: list item {value!r} is empty or "
                              "contains a comma", hint="multi-select values are joined with "
                              "commas, so a value cannot contain one")
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            raise FilterError("attributes", f"{where}: time-zone-aware datetime",
                              hint="attribute dates are plain dates: pass value.date()")
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        raise FilterError("attributes", f"{where} is None",
                          hint="leave the attribute out to not filter on it")
    if isinstance(value, float):
        raise FilterError("attributes", f"{where}: float {value!r} is ambiguous",
                          hint="pass the value exactly as the attribute stores it, as a str")
    if isinstance(value, Mapping):
        raise FilterError("attributes", f"{where}: nested objects are not allowed",
                          hint=_ATTR_HINT)
    raise FilterError("attributes", f"{where}: unsupported {type(value).__name__}",
                      hint=_ATTR_HINT)


def attributes(mapping: Mapping[str, Any] | None = None, **values: Any) -> str:
    """The ``attributes`` filter: a compact JSON object of attribute id to value.

    Parameters
    ----------
    mapping : mapping, optional
        Attribute ids to values (use it for ids that are not Python names).
    **values
        More attribute ids to values.

    Values: ``str`` as is (exact, whole-string match); ``bool`` as ``"1"``/``"0"``
    (checkbox); ``date``/``datetime`` as ``YYYY-MM-DD``; ``int`` as its digits; a
    list, tuple or set as ``"V1,V2"`` (multi-select; sets are sorted).

    Returns
    -------
    str
        E.g. ``{"COLOR":"RED","ACTIVE":"1"}``; pass it as ``attributes=`` (``fetch``
        also accepts the mapping itself and calls this for you).

    Raises
    ------
    FilterError
        Empty ids, None, floats, nested objects, list items that are empty or contain
        commas, an id given twice, or no attributes at all.

    Examples
    --------
    >>> attributes({"COLOR": "RED"}, ACTIVE=True, SIZES=["S", "M"])
    '{"COLOR":"RED","ACTIVE":"1","SIZES":"S,M"}'
    """
    merged: dict[str, Any] = {}
    for source in (mapping or {}, values):
        if not isinstance(source, Mapping):
            raise FilterError("attributes", f"expected a mapping, got {type(source).__name__}",
                              hint=_ATTR_HINT)
        for key, value in source.items():
            if not isinstance(key, str) or not key.strip():
                raise FilterError("attributes", f"attribute id {key!r} is empty or not a str",
                                  hint="use the attribute's id, e.g. 'COLOR'")
            if key in merged:
                raise FilterError("attributes", f"attribute {key!r} given twice")
            merged[key] = value
    if not merged:
        raise FilterError("attributes", "no attributes given", hint=_ATTR_HINT)
    out: dict[str, str] = {}
    for key, value in merged.items():
        if isinstance(value, list | tuple | set | frozenset):
            items = [_attribute_scalar(key, v, in_list=True) for v in value]
            if not items:
                raise FilterError("attributes", f"attributes[{key!r}] is an empty list",
                                  hint="leave the attribute out to not filter on it")
            if isinstance(value, set | frozenset):
                items.sort()
            out[key] = ",".join(items)
        else:
            out[key] = _attribute_scalar(key, value)
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False)


def parse_attribute_text(text: str) -> dict[str, str] | None:
    """``COLOR=RED, SIZE=L`` (commas or new lines) as a mapping; empty text gives None.

    One rule for every place a person types attributes: ``fetch(attributes="COLOR=RED")``,
    the Explorer's field and the ``%vn`` magic.
    """
    out: dict[str, str] = {}
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FilterError("attributes", f"{item!r} is not ID=VALUE",
                              hint='write COLOR=RED, SIZE=L or {"COLOR":"RED"}, or pass a dict')
        if name.strip() in out:
            raise FilterError("attributes", f"attribute {name.strip()!r} given twice")
        out[name.strip()] = value.strip()
    return out or None


def _attributes_param(value: Any) -> str:
    """A user's ``attributes=`` value: a mapping goes through :func:`attributes`; a
    string is either a JSON object of strings (sent as written) or ``ID=VALUE`` pairs
    separated by commas (``COLOR=RED, SIZE=L``), which go through :func:`attributes`."""
    if isinstance(value, Mapping):
        return attributes(value)
    if isinstance(value, str):
        if not value.strip().startswith("{"):
            pairs = parse_attribute_text(value)
            if pairs is None:
                raise FilterError("attributes", "is empty",
                                  hint="leave it out to not filter on attributes")
            return attributes(pairs)
        try:
            parsed = json.loads(value)
        except ValueError:
            raise FilterError("attributes", f"{value!r} is not JSON",
                              hint='write {"ID":"VALUE"}, ID=VALUE or pass a dict') from None
        if (not isinstance(parsed, dict) or not parsed
                or not all(isinstance(k, str) and k.strip() and isinstance(v, str)
                           for k, v in parsed.items())):
            raise FilterError("attributes", f"{value!r} is not a JSON object of strings",
                              hint='write {"ID":"VALUE"} or pass a dict to vnkit.attributes')
        return value
    raise FilterError("attributes", f"unsupported {type(value).__name__}",
                      hint="pass a dict such as {'COLOR': 'RED'}, or 'COLOR=RED'")


# -- all query parameters of a list call -------------------------------------------------
def _is_op_pair(name: str, value: Any) -> bool:
    """``(op, when)``: any 2-tuple for a ``...DateTime`` parameter, else one that looks so."""
    if not (isinstance(value, tuple) and len(value) == 2):
        return False
    if name.lower().endswith("datetime") or isinstance(value[1], date):
        return True
    return isinstance(value[0], str) and value[0].strip() in OPERATORS


def encode_params(params: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """Turn Python filter values into the query parameters the API accepts.

    - ``None`` values are dropped;
    - ``attributes`` mappings go through :func:`attributes`;
    - ``date``/``datetime`` values go through :func:`format_when`; so does any string
      for a parameter whose name ends in ``DateTime`` when ``strict``;
    - ``(op, when)`` tuples give the parameter and its ``...Condition``;
    - ``...Condition`` values must be ``>``, ``<``, ``>=`` or ``<=`` when ``strict``;
    - ``bool`` becomes ``"true"``/``"false"``; lists repeat the parameter.

    With ``strict=False`` (used by ``Client.get``) typed values are still converted but
    strings are sent exactly as given, so the API's own answer can be seen.
    """
    out: dict[str, Any] = {}
    lowered = {k.lower() for k in params}
    for name, value in params.items():
        lname = name.lower()
        if value is None:
            continue
        if lname == "attributes":
            out[name] = (_attributes_param(value) if strict or not isinstance(value, str)
                         else value)
        elif _is_op_pair(name, value):
            cond = f"{name}Condition"
            if cond.lower() in lowered:
                raise FilterError(name, f"operator given twice (in the tuple and in {cond})")
            out[cond] = check_operator(value[0], cond)
            out[name] = format_when(value[1], name)
        elif lname.endswith("condition"):
            out[name] = check_operator(value, name) if strict else value
        elif isinstance(value, date):  # datetime too
            out[name] = format_when(value, name)
        elif lname.endswith("datetime") and isinstance(value, str):
            out[name] = format_when(value, name) if strict else value
        elif lname.endswith("datetime"):
            # A list, number or bool would be sent as text the API cannot compare.
            raise FilterError(name, f"a {type(value).__name__} ({value!r:.60}) is not a date",
                              hint=_FORMATS_HINT + ", or an (operator, date) pair")
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list | set | frozenset | tuple):
            out[name] = [_scalar(name, v) for v in value]
        else:
            out[name] = _scalar(name, value)
    return out


def _scalar(name: str, value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return format_when(value, name)
    if isinstance(value, str | int | float | Decimal):
        return value
    raise FilterError(name, f"unsupported value of type {type(value).__name__}",
                      hint="pass a str, number, bool, date or a list of those")
