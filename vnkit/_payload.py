"""Request bodies in the API's DtoValue shape, built from plain Python values, and back.

The write side of the API takes ``*UpdateDto`` bodies (facts section 2): every scalar
wrapped as ``{"value": ...}``, address/contact members wrapped and their inner scalars
wrapped again, collections (lines) as plain arrays whose items follow the same rule
with a plain ``operation``, subaccount segments as plain ``[{"segmentId", "segmentValue"}]``
and a few plain flags. Remembering which is which is what :func:`payload` is for:

>>> payload("supplier", {"name": "Acme", "mainAddress": {"city": "OSLO"}})
{'name': {'value': 'Acme'}, 'mainAddress': {'value': {'city': {'value': 'OSLO'}}}}

``None`` means "leave the field out"; :data:`CLEAR` sends ``{"value": null}``, which
empties the field on the server. Values that are already wrapped pass through
unchanged, so ``payload`` may be applied twice.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from ._exceptions import PayloadError

__all__ = ["CLEAR", "payload", "unwrap", "line", "UnknownFieldWarning", "known_fields"]


class _Clear:
    """The :data:`CLEAR` sentinel (a singleton)."""

    _instance: _Clear | None = None

    def __new__(cls) -> _Clear:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "vnkit.CLEAR"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "CLEAR"


CLEAR = _Clear()
"""Send ``{"value": null}`` for a field: clear it (``None`` leaves the field out)."""


class UnknownFieldWarning(UserWarning):
    """A body names fields the resource's write DTO does not have (the API ignores them)."""


# Collections: plain arrays of objects (facts section 2, rule 3).
COLLECTIONS = frozenset(n.lower() for n in (
    "invoiceLines", "lines", "taxDetailLines", "attributeLines", "directDebitLines",
    "supplierPaymentMethodDetails", "paymentLines", "discountDetails",
    "journalTransactionLines", "periods", "details", "tasks", "employees", "landedCost",
    "allocations", "addPOReceiptLines", "addPurchaseOrders", "crossReferences",
    "warehouseDetails", "supplierDetails", "salesCategories"))
# Subaccount segment arrays: plain [{"segmentId": 1, "segmentValue": "00"}].
SEGMENTS = frozenset(n.lower() for n in (
    "subaccount", "sub", "expenseSubaccount", "cogsSubaccount", "salesSubaccount",
    "offsetSubaccount", "actualSubaccount", "defSub", "defAccrualSub",
    "expenseAccrualSubaccount", "purchasePriceVarianceSubaccount", "standardCostSubaccount"))
# Flags sent as plain JSON values.
PLAIN = frozenset(n.lower() for n in (
    "overrideWithClassValues", "changeDatesOnLines", "recalculateShipment", "operation",
    "id", "paymentMethodDetailDescription", "segmentId", "segmentValue"))
# Single nested objects that are wrapped, with their inner scalars wrapped again.
_WRAPPED_OBJECTS = frozenset(n.lower() for n in (
    "glAccounts", "eInvoiceContract", "defaultPaymentMethod"))


def _is_double_wrapped(name: str) -> bool:
    lowered = name.lower()
    return (lowered.endswith("address") or lowered.endswith("contact")
            or lowered in _WRAPPED_OBJECTS)


def _surface():
    from ._surface import surface

    return surface()


def write_dto(resource: str) -> str | None:
    """The update DTO a resource's create (POST) or update (PUT) takes, from the surface.

    ``resource`` is a name or path as the writes take it (``customer``,
    ``supplierInvoice``, ``v2/journaltransaction``, ``customer/10001``). The create of
    the resource's list path comes first (v1, then v2), then the update of one record
    below it. None when the surface has no body DTO for it.
    """
    if not isinstance(resource, str):
        return None
    clean = resource.strip("/ ")
    head, _, rest = clean.partition("/")
    versions: tuple[str, ...] = ("v1", "v2")
    if head.lower() in versions and rest:
        versions, clean = (head.lower(),), rest.strip("/")
    surface = _surface()
    trials = [("POST", clean), ("PUT", clean), ("PUT", clean + "/_"),
              ("PUT", clean + "/_/_")]
    for method, path in trials:
        for version in versions:
            hit = surface.match(method, f"/{version}/{path}")
            if hit is not None and hit[0].body in surface.dtos and not hit[0].is_action:
                return hit[0].body
    return None


def known_fields(resource: str) -> tuple[str, ...] | None:
    """Top-level write fields of ``resource`` (None for a resource the surface has no
    body for)."""
    dto = write_dto(resource)
    return None if dto is None else tuple(_surface().dto(dto))


def _scalar(value: Any, where: str) -> Any:
    """A plain Python scalar as JSON text/number/bool."""
    if value is CLEAR:
        return None
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PayloadError(where, f"{value!r} is not a number the API accepts",
                               hint="leave the field out (None) or empty it (vnkit.CLEAR)")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PayloadError(where, f"{value!r} is not a number the API accepts",
                               hint="leave the field out (None) or empty it (vnkit.CLEAR)")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds") \
            if value.tzinfo is None else value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00"
    if isinstance(value, time):
        return value.isoformat()
    raise PayloadError(where, f"cannot send a {type(value).__name__} ({value!r:.60})",
                       hint="use text, numbers, bools, dates, Decimal, or vnkit.CLEAR")


def _is_wrapped(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and \
        str(next(iter(value))).lower() == "value"


def _segments(value: Any, where: str) -> list[dict]:
    """``"00-000"``, ``["00", "000"]``, ``{1: "00"}`` or the API's list → segment list."""
    def segment_id(raw: Any) -> int:
        if isinstance(raw, bool) or not (isinstance(raw, int) or
                                         (isinstance(raw, str) and raw.strip().isdecimal()
                                          and raw.strip().isascii())):
            raise PayloadError(where, f"segment id {raw!r} is not a whole number",
                               hint=_SEGMENT_HINT)
        return int(raw)

    if isinstance(value, str):
        parts = value.split("-")
        return [{"segmentId": i, "segmentValue": p} for i, p in enumerate(parts, 1)]
    if isinstance(value, Mapping):
        return [{"segmentId": segment_id(k), "segmentValue": str(_scalar(v, where))}
                for k, v in value.items()]
    if isinstance(value, Sequence):
        out = []
        for i, item in enumerate(value, 1):
            if isinstance(item, Mapping):
                if "segmentId" not in item or "segmentValue" not in item:
                    raise PayloadError(f"{where}[{i - 1}]", "a segment needs segmentId and "
                                       "segmentValue", hint=_SEGMENT_HINT)
                value_ = item["segmentValue"]
                if _is_wrapped(value_):
                    value_ = next(iter(value_.values()))
                out.append({"segmentId": segment_id(item["segmentId"]),
                            "segmentValue": str(_scalar(value_, where))})
            else:
                out.append({"segmentId": i, "segmentValue": str(_scalar(item, where))})
        return out
    raise PayloadError(where, f"a {type(value).__name__} is not a subaccount",
                       hint=_SEGMENT_HINT)


_SEGMENT_HINT = "give segments as '00-000', a list of values or [{'segmentId': 1, " \
    "'segmentValue': '00'}]"


def _key(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name:
        raise PayloadError(where or "payload", f"field name {name!r} is not text",
                           hint="field names are the API's, e.g. 'name' or 'mainAddress'")
    return name


# -- bodies from the surface's update DTOs ------------------------------------------------
def _find_field(fields: Mapping[str, Any], name: str) -> Any:
    found = fields.get(name)
    if found is None:
        lowered = name.lower()
        found = next((f for n, f in fields.items() if n.lower() == lowered), None)
    return found


def _typed_object(values: Mapping, dto: str, where: str, unknown: list) -> dict:
    """Members of an object of the update DTO ``dto``: each field as the DTO says."""
    fields = _surface().dto(dto)
    out: dict[str, Any] = {}
    for name, value in values.items():
        name = _key(name, where)
        if value is None:
            continue  # left out
        dotted = f"{where}.{name}" if where else name
        field = _find_field(fields, name)
        if field is None:
            unknown.append((dotted, name, tuple(fields)))
            out[name] = _member(name, value, dotted)  # sent by the general rule
        else:
            out[name] = _typed_member(field, value, dotted, unknown)
    return out


def _typed_member(field: Any, value: Any, where: str, unknown: list) -> Any:
    if value is CLEAR:
        return {"value": None} if field.wrapped else None
    if field.wrapped and _is_wrapped(value):
        return dict(value)  # already in API shape
    if field.type == "array" or field.items_dto or field.items_type:
        if field.items_dto == "SegmentUpdateDto" or field.name.lower() in SEGMENTS:
            if _is_wrapped(value):
                value = next(iter(value.values()))
            items: Any = _segments(value, where)
        else:
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) and \
                    not isinstance(value, (set, frozenset)):
                raise PayloadError(where, f"a {type(value).__name__} is not a list",
                                   hint="give a list (of dicts, one per line: vnkit.line)")
            items = []
            for i, item in enumerate(value):
                if field.items_dto:
                    if not isinstance(item, Mapping):
                        raise PayloadError(f"{where}[{i}]", "each line must be a dict",
                                           hint="build lines with vnkit.line(...)")
                    items.append(_typed_object(item, field.items_dto, f"{where}[{i}]",
                                               unknown))
                else:
                    items.append(_scalar(item, f"{where}[{i}]"))
        return {"value": items} if field.wrapped else items
    if field.dto:
        if isinstance(value, Mapping):
            inner = _typed_object(value, field.dto, where, unknown)
            return {"value": inner} if field.wrapped else inner
        raise PayloadError(where, f"a {type(value).__name__} is not an object",
                           hint=f"give a dict of the fields of {field.dto}")
    plain = _scalar(value, where)
    return {"value": plain} if field.wrapped else plain


# -- the general rule, for fields and resources the surface does not know -----------------
def _object(values: Mapping, where: str, double: bool) -> dict:
    """Members of an object: scalars wrapped, nested objects per the rules."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        name = _key(name, where)
        if value is None:
            continue  # left out
        out[name] = _member(name, value, f"{where}.{name}" if where else name)
    return out


def _member(name: str, value: Any, where: str) -> Any:
    lowered = name.lower()
    if value is CLEAR:
        return {"value": None}
    if lowered in PLAIN:
        return _scalar(value, where)
    if lowered in SEGMENTS:
        if _is_wrapped(value):
            value = next(iter(value.values()))
        return _segments(value, where)
    if lowered in COLLECTIONS:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise PayloadError(where, "give a list of dicts (one per line)",
                               hint="build lines with vnkit.line(...)")
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise PayloadError(f"{where}[{i}]", "each line must be a dict",
                                   hint="build lines with vnkit.line(...)")
            items.append(_object(item, f"{where}[{i}]", False))
        return items
    if _is_wrapped(value):
        return dict(value)  # already in API shape
    if isinstance(value, Mapping):
        inner = _object(value, where, _is_double_wrapped(name))
        if _is_double_wrapped(name):
            return {"value": inner}
        # Other single nested objects (rotRutDetails ...) are plain, scalars wrapped.
        return inner
    if isinstance(value, (list, tuple)):
        return {"value": [_scalar(v, where) for v in value]}
    return {"value": _scalar(value, where)}


def payload(resource: str, values: Mapping[str, Any] | None = None, *, warn: bool = True,
            **more: Any) -> dict[str, Any]:
    """The API body for ``resource`` from plain values.

    The shape comes from the resource's update DTO in the API's surface (every
    resource with a create or update): exactly the fields that DTO sends as
    ``{"value": ...}`` are wrapped, nested objects and lines follow their own DTOs.
    ``vnkit.describe(resource)`` shows the same fields (``takes`` rows, ``wrapped``).

    Parameters
    ----------
    resource : str
        Endpoint name (``"supplier"``, ``"customerinvoice"``, ``"v2/journaltransaction"``
        ...); decides the DTO.
    values : mapping, optional
        Field names as the API's write DTO spells them, with plain Python values: text,
        numbers, ``Decimal``, bools, ``date``/``datetime``, dicts for addresses and
        contacts, lists of dicts for lines (see :func:`line`), ``"00-000"`` or a list of
        values for subaccount segments, :data:`CLEAR` to empty a field. ``None`` leaves
        a field out.
    warn : bool
        Warn (:class:`UnknownFieldWarning`) about names the DTOs do not have, with the
        closest names: the API ignores them silently. Such fields are still sent, by the
        general rule (scalars wrapped).
    **more
        More fields, merged over ``values``.

    Returns
    -------
    dict
        The JSON body, ready for ``client.create``/``client.update``.

    Raises
    ------
    PayloadError
        A value that cannot be sent, naming the field (also a TypeError/ValueError).
    """
    if values is not None and not isinstance(values, Mapping):
        raise PayloadError("", f"payload() takes a mapping of field names to values, not "
                           f"a {type(values).__name__}", hint="e.g. payload('customer', "
                           "{'name': 'Acme AS'})")
    merged = {**(values or {}), **more}
    dto = write_dto(resource)
    if dto is None:
        return _object(merged, "", False)
    unknown: list = []
    body = _typed_object(merged, dto, "", unknown)
    if warn and unknown:
        from ._params import _close

        parts = []
        for dotted, name, known in unknown:
            near = _close(name, list(known), n=3)
            parts.append(repr(dotted) + (f" (did you mean {', '.join(map(repr, near))}?)"
                                         if near else ""))
        warnings.warn(f"{resource} ({dto}) has no write field(s) {', '.join(parts)}; the "
                      "API ignores them: check the spelling (vnkit.describe("
                      f"{resource!r}) lists the fields)", UnknownFieldWarning, stacklevel=2)
    return body


def unwrap(record: Any) -> Any:
    """Plain values from an API body or record: every ``{"value": x}`` becomes ``x``.

    Works on write bodies (so ``unwrap(payload(r, v))`` gives ``v`` back, with dates as
    ISO text) and on read records (which carry no wrappers; returned as they are).
    """
    if isinstance(record, Mapping):
        if _is_wrapped(record):
            return unwrap(next(iter(record.values())))
        return {k: unwrap(v) for k, v in record.items()}
    if isinstance(record, list):
        return [unwrap(v) for v in record]
    return record


def line(operation: str = "Insert", line_number: int | None = None, **values: Any
         ) -> dict[str, Any]:
    """One document line with its ``operation`` (``Insert``, ``Update`` or ``Delete``).

    >>> line("Update", 1, quantity=3)
    {'operation': 'Update', 'lineNumber': 1, 'quantity': 3}

    ``Update`` and ``Delete`` need ``line_number`` (a whole number from 1; ``1.7`` or
    ``True`` are refused rather than truncated); pass the result inside the lines list
    given to :func:`payload` (which wraps the scalars).
    """
    op = {"insert": "Insert", "update": "Update", "delete": "Delete"}.get(
        operation.strip().lower() if isinstance(operation, str) else None)
    if op is None:
        raise PayloadError("operation", f"{operation!r} is not Insert, Update or Delete",
                           hint="e.g. line('Update', 2, quantity=3)")
    if op != "Insert" and line_number is None:
        raise PayloadError("line_number", f"a line to {op.lower()} needs line_number",
                           hint=f"e.g. line({op!r}, 2, ...)")
    out: dict[str, Any] = {"operation": op}
    if line_number is not None:
        if isinstance(line_number, str) and line_number.strip().isascii() and \
                line_number.strip().isdecimal():
            line_number = int(line_number)
        if isinstance(line_number, bool) or not isinstance(line_number, int) \
                or line_number < 1:
            raise PayloadError("line_number", f"{line_number!r} is not a line number",
                               hint="line numbers are whole numbers from 1")
        out["lineNumber"] = int(line_number)
    out.update(values)
    return out
