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


# Top-level members of each resource's write DTO (PHP 8.43 and the facts file), used
# only to warn about names the API would silently ignore.
_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": (
        "number", "name", "status", "customerClassId", "overrideWithClassValues",
        "creditTermsId", "currencyId", "vatRegistrationId", "corporateId", "vatZoneId",
        "mainAddress", "mainContact", "invoiceAddress", "invoiceContact", "deliveryAddress",
        "deliveryContact", "creditLimit", "creditDaysPastDue", "creditVerification",
        "attributeLines", "parentRecordNumber", "statementType", "printInvoices",
        "acceptAutoInvoices", "sendInvoicesByEmail", "printStatements",
        "sendStatementsByEmail", "printMultiCurrencyStatements", "gln",
        "defaultPaymentMethodId", "priceClassId", "accountReference", "glAccounts",
        "directDebitLines", "eInvoiceContract", "invoiceToDefaultLocation", "note",
        "excludeDebtCollection", "locationId", "defaultPaymentMethod"),
    "supplier": (
        "number", "name", "status", "supplierClassId", "overrideWithClassValues",
        "creditTermsId", "currencyId", "paymentMethodId", "vatRegistrationId", "corporateId",
        "vatZoneId", "mainAddress", "mainContact", "remitAddress", "remitContact",
        "supplierAddress", "supplierContact", "glAccounts", "supplierPaymentMethodDetails",
        "attributeLines", "note", "paymentLeadTime", "paySeparately", "chargeBearer",
        "accountUsedForPayment", "paymentBy", "parentRecordNumber", "documentLanguage",
        "accountReference", "locationId", "cashAccount"),
    "inventory": (
        "inventoryNumber", "description", "status", "type", "itemClassId", "postingClassId",
        "vatCodeId", "defaultPrice", "recommendedPrice", "currentCost", "lastCost",
        "pendingCost", "baseUnit", "salesUnit", "purchaseUnit", "body", "attributeLines",
        "expenseSubaccount", "cogsSubaccount", "salesSubaccount", "crossReferences",
        "warehouseDetails", "supplierDetails", "salesCategories", "defaultWarehouseId",
        "priceClassId", "expenseAccrualAccount", "expenseAccount", "cogsAccount",
        "salesAccount"),
    "customerinvoice": (
        "customerNumber", "referenceNumber", "documentDate", "documentDueDate", "currencyId",
        "creditTermsId", "paymentMethodId", "customerRefNumber", "externalReference",
        "invoiceText", "hold", "financialPeriod", "branchNumber", "billingAddress",
        "invoiceContact", "sendToAutoInvoice", "taxDetailLines", "invoiceLines",
        "overrideNumberSeries", "note", "locationId", "cashDiscountDate", "exchangeRate",
        "salesPersonId", "cashAccountId", "contactId", "paymentReference", "project",
        "projectId", "documentType"),
    "supplierInvoice": (
        "documentType", "referenceNumber", "hold", "date", "supplierNumber",
        "supplierReference", "description", "currencyId", "dueDate", "postPeriod",
        "financialPeriod", "branchNumber", "taxCalculationMode", "amount", "vatAmount",
        "taxDetailLines", "invoiceLines", "paymentRefNo", "creditTermsId", "locationId",
        "note", "cashDiscountDate", "exchangeRate", "overrideNumberSeries",
        "paymentMethodId", "cashAccountId", "origInvoiceDate"),
    "purchaseorder": (
        "orderType", "orderNumber", "hold", "date", "promisedOn", "description", "supplier",
        "location", "currency", "supplierRef", "branch", "shippingAddress",
        "shippingContact", "remitAddress", "remitContact", "lines", "changeDatesOnLines",
        "owner", "terms", "shippingDestinationType", "shipTo", "shippingLocation",
        "warehouse", "fobPoint", "shipVia", "shipTerms", "note", "exchangeRate"),
    "supplierPayment": (
        "type", "referenceNumber", "hold", "applicationDate", "applicationPeriod",
        "paymentRef", "supplier", "location", "paymentMethod", "cashAccount", "currency",
        "description", "paymentAmount", "paymentLines", "financeCharges"),
}
_ALIASES = {name.lower(): name for name in _FIELDS}


def known_fields(resource: str) -> tuple[str, ...] | None:
    """Top-level write fields of ``resource`` (None for a resource vnkit does not know)."""
    name = _ALIASES.get(resource.strip("/").split("/")[-1].lower())
    return None if name is None else _FIELDS[name]


def _scalar(value: Any, where: str) -> Any:
    """A plain Python scalar as JSON text/number/bool."""
    if value is CLEAR:
        return None
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{where}: {value!r} is not a number the API accepts")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{where}: {value!r} is not a number the API accepts")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds") \
            if value.tzinfo is None else value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00"
    if isinstance(value, time):
        return value.isoformat()
    raise TypeError(f"{where}: cannot send a {type(value).__name__} ({value!r}); use text, "
                    "numbers, bools, dates, Decimal, or vnkit.CLEAR")


def _is_wrapped(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and \
        str(next(iter(value))).lower() == "value"


def _segments(value: Any, where: str) -> list[dict]:
    """``"00-000"``, ``["00", "000"]``, ``{1: "00"}`` or the API's list → segment list."""
    if isinstance(value, str):
        parts = value.split("-")
        return [{"segmentId": i, "segmentValue": p} for i, p in enumerate(parts, 1)]
    if isinstance(value, Mapping):
        return [{"segmentId": int(k), "segmentValue": str(v)} for k, v in value.items()]
    if isinstance(value, Sequence):
        out = []
        for i, item in enumerate(value, 1):
            if isinstance(item, Mapping):
                out.append({"segmentId": int(item["segmentId"]),
                            "segmentValue": str(item["segmentValue"])})
            else:
                out.append({"segmentId": i, "segmentValue": str(item)})
        return out
    raise TypeError(f"{where}: give segments as '00-000', a list of values or "
                    "[{'segmentId': 1, 'segmentValue': '00'}]")


def _object(values: Mapping, where: str, double: bool) -> dict:
    """Members of an object: scalars wrapped, nested objects per the rules."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue  # left out
        out[str(name)] = _member(str(name), value, f"{where}.{name}" if where else str(name))
    return out


def _member(name: str, value: Any, where: str) -> Any:
    lowered = name.lower()
    if value is CLEAR:
        return {"value": None}
    if lowered in PLAIN:
        return _scalar(value, where)
    if lowered in SEGMENTS:
        if _is_wrapped(value):
            value = value["value"] if "value" in value else next(iter(value.values()))
        return _segments(value, where)
    if lowered in COLLECTIONS:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError(f"{where}: give a list of dicts (one per line)")
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise TypeError(f"{where}[{i}]: each line must be a dict")
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

    Parameters
    ----------
    resource : str
        Endpoint name (``"supplier"``, ``"customerinvoice"`` ...); decides which fields
        are known.
    values : mapping, optional
        Field names as the API's write DTO spells them, with plain Python values: text,
        numbers, ``Decimal``, bools, ``date``/``datetime``, dicts for addresses and
        contacts, lists of dicts for lines (see :func:`line`), ``"00-000"`` or a list of
        values for subaccount segments, :data:`CLEAR` to empty a field. ``None`` leaves
        a field out.
    warn : bool
        Warn (:class:`UnknownFieldWarning`) about top-level names the resource's write
        DTO does not have: the API ignores them silently.
    **more
        More fields, merged over ``values``.

    Returns
    -------
    dict
        The JSON body, ready for ``client.create``/``client.update``.

    Raises
    ------
    TypeError, ValueError
        A value that cannot be sent, naming the field.
    """
    merged = {**(values or {}), **more}
    if not isinstance(merged, Mapping):
        raise TypeError("payload() takes a mapping of field names to values")
    if warn:
        fields = known_fields(resource)
        if fields is not None:
            known = {f.lower() for f in fields}
            unknown = [k for k in merged if str(k).lower() not in known]
            if unknown:
                warnings.warn(
                    f"{resource} has no write field(s) {', '.join(map(repr, unknown))}; the "
                    "API ignores them (check the spelling; e.g. a supplier invoice has "
                    "invoiceLines, not lines)", UnknownFieldWarning, stacklevel=2)
    return _object(merged, "", False)


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

    ``Update`` and ``Delete`` need ``line_number``; pass the result inside the lines
    list given to :func:`payload` (which wraps the scalars).
    """
    op = {"insert": "Insert", "update": "Update", "delete": "Delete"}.get(
        str(operation).strip().lower())
    if op is None:
        raise ValueError(f"operation {operation!r} is not Insert, Update or Delete")
    if op != "Insert" and line_number is None:
        raise ValueError(f"a line to {op.lower()} needs line_number")
    out: dict[str, Any] = {"operation": op}
    if line_number is not None:
        out["lineNumber"] = int(line_number)
    out.update(values)
    return out
