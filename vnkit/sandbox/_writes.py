"""Writes of the sandbox: POST (create), PUT (partial update), DELETE and ``/action/``.

A write body is an ``*UpdateDto`` (facts section 2): flat ids (``supplierNumber``,
``vatCodeId``) that this module resolves into the nested read shape
(``supplier {number, name}``, ``vatCode {id, description}``), checking every reference
against the company's data. The resulting read-shape document goes into the working
database's ``docs`` overlay and its filter columns into ``records``/``facets`` (see
``_store``), in one ``BEGIN IMMEDIATE`` transaction: a refused request writes nothing,
and concurrent creates take numbers one after the other.

Article 17's rule decides each document line's VAT id: the id listed by both the
partner's VAT zone and the item's VAT category. A line without a VAT id gets that one;
an explicit id outside the rule is refused with the API's own text.

Which operations of the surface this module answers is decided once per operation
(:func:`handlers`, from the tables below); the generic handlers (``routers._generic``)
answer every other write.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from .._surface import surface
from ._answers import (
    BadJson,
    Refused,
    decode_key,
    etag,
    etag_matches,
    key_segment,
    parse_json,
)
from ._canonical import ROOT_KEY
from ._dto import Obj, WriteError, parse_period
from ._resources import ENTITIES, PARENT_FIELD, Entity, lookup
from ._settings import Settings
from ._store import (
    _DOC,
    _DOC_JOIN,
    Store,
    attribute_map,
    facet_rows,
    normalise_datetime,
    row_version,
)

# Entities the sandbox can create and update (facts section 2's UpdateDtos).
WRITABLE = ("customer", "supplier", "inventory", "customerinvoice", "supplierInvoice",
            "purchaseorder", "supplierPayment", "attribute")

# The write-side name of each entity's key (reads call some of them differently).
WRITE_KEY = {"customer": "number", "supplier": "number", "inventory": "inventoryNumber",
             "customerinvoice": "referenceNumber", "supplierInvoice": "referenceNumber",
             "purchaseorder": "orderNumber", "supplierPayment": "referenceNumber",
             "attribute": "attributeID"}

# Releasable documents and the statuses a release moves them between.
RELEASABLE = ("customerinvoice", "supplierInvoice", "supplierPayment", "customerCreditNote",
              "customerDebitNote")
#: Supplier invoice actions besides release (facts section 9): what each does to status.
_AP_ACTIONS = {"prebook": (("Balanced",), "Prebooked"),
               "voidinvoice": (("Prebooked",), "Voided")}
_OPEN_STATUSES = ("Hold", "Balanced")

COUNTRY_NAMES = {"NO": "NORGE", "SE": "SVERIGE", "FI": "FINLAND", "DK": "DANMARK",
                 "DE": "TYSKLAND", "GB": "STORBRITANNIA", "US": "USA", "NL": "NEDERLAND",
                 "IS": "ISLAND", "EE": "ESTLAND", "PL": "POLEN", "FR": "FRANKRIKE"}

_ADDRESS_LINES = ("addressLine1", "addressLine2", "addressLine3", "postalCode", "city")
_CONTACT_FIELDS = ("name", "attention", "email", "web", "phone1", "phone2", "fax")


def now_stamp() -> str:
    """``lastModifiedDateTime`` of a write: local wall-clock time with milliseconds."""
    return datetime.now().isoformat(timespec="milliseconds")


def _money(value: float) -> float:
    return float(round(value + 0.0, 2))


# --------------------------------------------------------------------------- context


class Context:
    """One write's view of a company's data, read inside the write transaction."""

    def __init__(self, conn, company_id: int):
        self.conn = conn
        self.company_id = company_id
        self._cache: dict[tuple[str, str], dict | None] = {}
        self.pending_series: tuple | None = None  # a number taken by this write
        self._all: dict[str, list[dict]] = {}

    def find(self, entity: str, key: str) -> dict | None:
        cache_key = (entity, key.lower())
        if cache_key not in self._cache:
            row = self.conn.execute(
                f"SELECT {_DOC} FROM records r {_DOC_JOIN} WHERE r.company_id = ? AND "
                "r.entity = ? AND r.key = ? ORDER BY r.seq LIMIT 1",
                (self.company_id, entity, key)).fetchone()
            self._cache[cache_key] = None if row is None else json.loads(row[0])
        return self._cache[cache_key]

    def need(self, entity: str, key: Any, label: str, what: str | None = None) -> dict:
        """The referenced record, or a 400 naming the field and the missing value."""
        text = str(key).strip()
        record = self.find(entity, text) if text else None
        if record is None:
            raise WriteError(f"{what or entity} '{text}' given in '{label}' was not found.")
        return record

    def sample(self, entity: str) -> dict | None:
        """One stored record of ``entity`` in this company (the first), or None."""
        row = self.conn.execute(
            f"SELECT {_DOC} FROM records r {_DOC_JOIN} WHERE r.company_id = ? AND "
            "r.entity = ? ORDER BY r.seq LIMIT 1", (self.company_id, entity)).fetchone()
        return None if row is None else json.loads(row[0])

    def all(self, entity: str) -> list[dict]:
        if entity not in self._all:
            self._all[entity] = [json.loads(row[0]) for row in self.conn.execute(
                f"SELECT {_DOC} FROM records r {_DOC_JOIN} WHERE r.company_id = ? AND "
                "r.entity = ? ORDER BY r.seq", (self.company_id, entity))]
        return self._all[entity]

    # -- references in read shape --------------------------------------------

    def account(self, number: str, label: str) -> dict:
        rec = self.need("account", number, label, "Account")
        return {"type": rec.get("type"), "number": rec.get("accountCD"),
                "description": rec.get("description"),
                "externalCode1": rec.get("externalCode1"),
                "externalCode2": rec.get("externalCode2")}

    def default_account(self, kind: str) -> dict:
        for rec in self.all("account"):
            if rec.get("type") == kind and rec.get("active", True):
                return self.account(rec["accountCD"], "accountNumber")
        raise WriteError(f"The company has no {kind} account for document lines.")

    def subaccount(self, segments: list[Obj] | None, label: str) -> dict:
        subs = self.all("subaccount")
        if not subs:
            raise WriteError("The company has no subaccounts.")
        wanted: dict[int, str] = {}
        for seg in segments or []:
            seg_id = seg.integer("segmentId")
            value = seg.text("segmentValue")
            if seg_id is None or value is None:
                raise WriteError(f"Each item of '{label}' needs segmentId and segmentValue.")
            wanted[seg_id] = value
        matches = []
        for rec in subs:
            have = {s.get("segmentId"): str(s.get("segmentValue"))
                    for s in rec.get("segments") or []}
            if all(have.get(k) == v for k, v in wanted.items()):
                matches.append((rec, have))
        if not matches:
            for seg_id, value in wanted.items():
                if not any(s.get("segmentId") == seg_id and str(s.get("segmentValue")) == value
                           for r in subs for s in r.get("segments") or []):
                    raise WriteError(f"Segment {seg_id} value '{value}' in '{label}' does "
                                     "not exist in the subaccount structure.")
            raise WriteError(f"No subaccount matches the segments in '{label}'.")
        # Segments left out take their neutral (all-zero) value where one exists.
        plain = [m for m in matches
                 if all(set(v) <= {"0"} for k, v in m[1].items() if k not in wanted)]
        rec = (plain or matches)[0][0]
        return {k: rec.get(k) for k in ("subaccountNumber", "subaccountId", "description",
                                        "lastModifiedDateTime", "active", "segments")}

    def branch(self, number: str | None, label: str) -> dict:
        if number is None:
            branches = self.all("branch")
            rec = next((b for b in branches if b.get("isMainBranch")),
                       branches[0] if branches else None)
            if rec is None:
                return None  # type: ignore[return-value]
        else:
            rec = self.need("branch", number, label, "Branch")
        return {"number": rec.get("number"), "name": rec.get("name")}

    def currency(self, currency_id: str, label: str) -> str:
        return self.need("currency", currency_id, label, "Currency")["id"]

    def terms(self, terms_id: str, label: str) -> dict:
        rec = self.need("creditTerm", terms_id, label, "Credit terms")
        return rec

    def zone(self, zone_id: str, label: str) -> dict:
        rec = self.need("vatZone", zone_id, label, "VAT zone")
        return {k: rec.get(k) for k in ("id", "description", "defaultVatCategory",
                                        "defaultTaxCategory")}

    def project(self, project_id: str, label: str) -> dict:
        rec = self.need("project", project_id, label, "Project")
        return {"id": rec.get("projectID"), "description": rec.get("description")}

    def unit(self, unit: str, label: str) -> str:
        units = [u.get("unit") or u.get("fromUnit") for u in self.all("unitofmeasure")]
        known = {str(u).upper(): u for u in units if u}
        known.update({str(u.get("toUnit", "")).upper(): u.get("toUnit")
                      for u in self.all("unitofmeasure") if u.get("toUnit")})
        if unit.upper() not in known:
            raise WriteError(f"Unit of measure '{unit}' given in '{label}' was not found.")
        return known[unit.upper()]

    # -- VAT (article 17) ------------------------------------------------------

    def vat_candidates(self, zone_id: str | None, category_id: str | None) -> list[dict]:
        """VAT records that list both the zone and the category."""
        out = []
        for rec in self.all("vat"):
            zones = {str(z.get("id")) for z in rec.get("zones") or []}
            cats = {str(c.get("vatCategoryId")) for c in rec.get("categories") or []}
            if zone_id in zones and category_id in cats:
                out.append(rec)
        return out

    def vat_for_line(self, zone_id: str | None, category_id: str | None,
                     explicit: str | None) -> dict:
        """The line's VAT record by article 17's rule (explicit ids must obey it)."""
        candidates = self.vat_candidates(zone_id, category_id)
        if explicit is not None:
            for rec in candidates:
                if str(rec.get("vatId")).lower() == explicit.lower():
                    return rec
            raise WriteError(f"TaxID '{explicit}' cannot be found in the system.")
        if not candidates:
            raise WriteError(f"No VAT id is set up for VAT zone '{zone_id}' and VAT "
                             f"category '{category_id}'.")
        return candidates[0]


def vat_rate(vat: dict, on: str | None) -> float:
    """The VAT id's rate on a date (its latest schedule starting on or before it)."""
    day = (on or "9999")[:10]
    rate = 0.0
    for schedule in sorted(vat.get("schedules") or [], key=lambda s: s.get("startDate") or ""):
        if (schedule.get("startDate") or "")[:10] <= day:
            rate = float(schedule.get("vatRate") or 0.0)
    return rate


# --------------------------------------------------------------------------- pieces


def _country(obj: Obj) -> dict | None:
    code = None
    if obj.has("countryId"):
        code = obj.text("countryId")
    elif obj.has("country"):
        raw = obj.value("country")
        if isinstance(raw, dict):
            code = Obj(raw, obj.label("country")).text("id")
        elif raw is not None:
            code = str(raw)
    else:
        return ...  # type: ignore[return-value]  # absent: keep what is there
    if code is None:
        return None
    code = code.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise WriteError(f"Country '{code}' given in '{obj.label('countryId')}' was not "
                         "found; use a two-letter ISO code such as NO.")
    return {"id": code, "name": COUNTRY_NAMES.get(code, code)}


def address(obj: Obj, old: dict | None, next_id: int) -> dict:
    """An address in read shape from an AddressUpdateDto (wrapped or plain members)."""
    out = dict(old or {"addressId": next_id, "addressLine1": None, "addressLine2": None,
                       "addressLine3": None, "postalCode": None, "city": None,
                       "country": None, "county": None})
    for name in _ADDRESS_LINES:
        if obj.has(name):
            out[name] = obj.text(name)
    country = _country(obj)
    if country is not ...:
        out["country"] = country
    if obj.has("county"):
        raw = obj.value("county")
        if isinstance(raw, dict):
            county = Obj(raw, obj.label("county"))
            out["county"] = {"id": county.text("id"), "name": county.text("name")}
        elif raw is None:
            out["county"] = None
        else:
            out["county"] = {"id": str(raw), "name": None}
    return out


def contact(obj: Obj, old: dict | None, next_id: int) -> dict:
    out = dict(old or {"contactId": next_id, **{k: None for k in _CONTACT_FIELDS}})
    for name in _CONTACT_FIELDS:
        if obj.has(name):
            out[name] = obj.text(name)
    return out


def attributes(ctx: Context, items: list[Obj], old: list[dict] | None) -> list[dict]:
    out = {str(a.get("id")).upper(): dict(a) for a in old or []}
    for item in items:
        attribute_id = item.text("attributeId")
        if not attribute_id:
            raise WriteError(f"'{item.where}' needs an attributeId.")
        rec = ctx.need("attribute", attribute_id, item.label("attributeId"), "Attribute")
        value = item.text("attributeValue")
        if value is None:
            out.pop(attribute_id.upper(), None)
        else:
            out[attribute_id.upper()] = {"id": rec.get("attributeID", attribute_id),
                                         "value": value,
                                         "description": rec.get("description")}
    return list(out.values())


def apply_lines(items: list[Obj], old: list[dict], number_field: str,
                build: Callable[[Obj, dict | None, int], dict], creating: bool) -> list[dict]:
    """Lines after the ``operation`` of each item (plain ``Insert|Update|Delete``)."""
    lines = [dict(line) for line in old]
    for item in items:
        operation = item.raw("operation")
        op = "insert" if operation is None else str(operation).strip().lower()
        if op not in ("insert", "update", "delete"):
            raise WriteError(f"The operation '{operation}' of '{item.where}' is not valid; "
                             "use Insert, Update or Delete.")
        number = item.integer("lineNumber")
        if op == "insert":
            taken = {line[number_field] for line in lines}
            if number is None or number in taken or number < 1:
                number = max(taken, default=0) + 1
            lines.append(build(item, None, number))
            continue
        if creating:
            raise WriteError(f"'{item.where}' asks to {op} a line of a document that does "
                             "not exist yet; use operation Insert.")
        if number is None:
            raise WriteError(f"'{item.where}' needs lineNumber to {op} a line.")
        index = next((i for i, line in enumerate(lines) if line[number_field] == number),
                     None)
        if index is None:
            raise WriteError(f"Line {number} given in '{item.where}' was not found.")
        if op == "delete":
            del lines[index]
        else:
            lines[index] = build(item, lines[index], number)
    return lines


def _set(out: dict, body: Obj, name: str, getter: Callable[[str], Any],
         target: str | None = None) -> None:
    if body.has(name):
        out[target or name] = getter(name)


def _period_of(day: str | None) -> str | None:
    return None if not day else day[:4] + day[5:7]


def _due(day: str | None, terms: dict | None) -> str | None:
    if not day:
        return None
    days = int((terms or {}).get("dueDay1") or 0)
    return (datetime.fromisoformat(day) + timedelta(days=days)).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- partners


def _partner(ctx: Context, body: Obj, old: dict | None, kind: str, key: str,
             row_id: int) -> dict:
    is_customer = kind == "customer"
    doc = dict(old) if old else {}
    if old is None:
        name = body.text("name")
        if not name:
            raise WriteError(f"'name' is required to create a {kind}.")
        doc.update({"internalId": row_id, "number": key, "name": name, "status": "Active",
                    "mainAddress": None, "mainContact": None, "accountReference": None,
                    "parentRecord": None, "currencyId": None, "creditTerms": None,
                    "vatRegistrationId": None, "corporateId": None, "vatZone": None,
                    "location": {"countryId": None, "id": "MAIN", "name": "MAIN"},
                    "attributes": []})
    statuses = (("Active", "OnHold", "CreditHold", "Inactive", "OneTime") if is_customer
                else ("Active", "OnHold", "HoldPayments", "Inactive", "OneTime"))
    _set(doc, body, "name", body.text)
    _set(doc, body, "status", lambda n: body.choice(n, statuses))
    for name in ("vatRegistrationId", "corporateId", "accountReference"):
        _set(doc, body, name, body.text)
    class_entity = "customer/customerClass" if is_customer else "supplier/supplierClass"
    class_field = "customerClassId" if is_customer else "supplierClassId"
    cls = None
    if body.value(class_field) is not None:
        cls = ctx.need(class_entity, body.text(class_field), class_field, "Class")
    elif old is None:
        classes = ctx.all(class_entity)
        cls = classes[0] if classes else None
    if cls is not None:
        doc[class_field[:-2]] = {"id": cls.get("id"), "description": cls.get("description")}
    terms_id = body.text("creditTermsId")  # None exactly when the value is absent or null
    if terms_id is not None:
        terms = ctx.terms(terms_id, "creditTermsId")
        doc["creditTerms"] = {"id": terms.get("termsId") or terms.get("id"),
                              "description": terms.get("description")}
    currency_id = body.text("currencyId")  # None exactly when the value is absent or null
    if currency_id is not None:
        doc["currencyId"] = ctx.currency(currency_id, "currencyId")
    elif old is None:
        base = next((c for c in ctx.all("currency") if c.get("isBaseCurrency")), None)
        doc["currencyId"] = base and base["id"]
    zone_id = body.text("vatZoneId")
    if zone_id is None and old is None:
        zone_id = (cls or {}).get("taxZoneId") or ("01" if is_customer else "11")
    if zone_id is not None:
        doc["vatZone"] = ctx.zone(zone_id, "vatZoneId")
    if is_customer:
        _set(doc, body, "creditLimit", body.number)
        _set(doc, body, "creditDaysPastDue", body.integer)
        _set(doc, body, "creditVerification", lambda n: body.choice(
            n, ("Disabled", "DaysPastDue", "CreditLimit", "LimitAndDaysPastDue")))
        _set(doc, body, "statementType", lambda n: body.choice(
            n, ("OpenItem", "BalanceBroughtForward")))
        for flag in ("printInvoices", "acceptAutoInvoices", "sendInvoicesByEmail",
                     "printStatements", "sendStatementsByEmail",
                     "printMultiCurrencyStatements", "invoiceToDefaultLocation"):
            _set(doc, body, flag, body.boolean)
        _set(doc, body, "gln", body.text)
        _set(doc, body, "defaultPaymentMethodId", body.text)
        if old is None:
            doc.setdefault("defaultPaymentMethodId", (cls or {}).get("paymentMethodId"))
        if body.value("parentRecordNumber") is not None:
            parent = ctx.need("customer", body.text("parentRecordNumber"),
                              "parentRecordNumber", "Customer")
            doc["parentRecord"] = {"number": parent["number"], "name": parent["name"]}
        pairs = (("mainAddress", "mainContact"), ("invoiceAddress", "invoiceContact"),
                 ("deliveryAddress", "deliveryContact"))
    else:
        _set(doc, body, "paymentLeadTime", body.integer)
        _set(doc, body, "paySeparately", body.boolean)
        _set(doc, body, "note", body.text)
        _set(doc, body, "chargeBearer", lambda n: body.choice(
            n, ("Payer", "Beneficiary", "Shared", "ServiceLevel")))
        _set(doc, body, "accountUsedForPayment", lambda n: body.choice(
            n, ("IBAN", "BBAN", "BANKGIRO", "PLUSGIRO")))
        _set(doc, body, "paymentBy", lambda n: body.choice(n, ("DueDate", "DiscountDate")))
        if body.value("paymentMethodId") is not None:
            doc["paymentMethod"] = {"id": body.text("paymentMethodId"), "description": None}
        details = body.array("supplierPaymentMethodDetails")
        if details is not None:
            doc["supplierPaymentMethodDetails"] = [
                {"paymentMethodDetailDescription": d.raw("paymentMethodDetailDescription"),
                 "paymentMethodDetailValue": d.text("paymentMethodDetailValue")}
                for d in details]
        pairs = (("mainAddress", "mainContact"), ("remitAddress", "remitContact"),
                 ("supplierAddress", "supplierContact"))
    for addr_name, contact_name in pairs:
        given = body.obj(addr_name)
        if given is not None:
            doc[addr_name] = address(given, doc.get(addr_name), row_id)
        elif old is None:
            doc[addr_name] = doc.get("mainAddress") or address(Obj({}), None, row_id)
        given = body.obj(contact_name)
        if given is not None:
            doc[contact_name] = contact(given, doc.get(contact_name), row_id)
        elif old is None:
            doc[contact_name] = doc.get("mainContact") or contact(
                Obj({"name": doc["name"]}), None, row_id)
    country = (doc.get("mainAddress") or {}).get("country") or {}
    doc["location"] = {**(doc.get("location") or {}), "countryId": country.get("id")}
    lines = body.array("attributeLines")
    if lines is not None:
        doc["attributes"] = attributes(ctx, lines, doc.get("attributes"))
    if old is None:
        doc["errorInfo"] = None
    return doc


def build_customer(ctx, body, old, key, row_id):
    return _partner(ctx, body, old, "customer", key, row_id)


def build_supplier(ctx, body, old, key, row_id):
    return _partner(ctx, body, old, "supplier", key, row_id)


_ITEM_TYPES = ("NonStockItem", "LaborItem", "ServiceItem", "ChargeItem", "ExpenseItem",
               "FinishedGoodItem", "ComponentPartItem", "SubassemblyItem")
_ITEM_STATUSES = ("Active", "NoSales", "NoPurchases", "NoRequest", "Inactive",
                  "MarkedForDeletion")


def build_inventory(ctx, body, old, key, row_id):
    doc = dict(old) if old else {}
    if old is None:
        description = body.text("description")
        if not description:
            raise WriteError("'description' is required to create an inventory item.")
        doc.update({"inventoryId": row_id, "inventoryNumber": key, "status": "Active",
                    "type": "NonStockItem", "description": description, "body": None,
                    "itemClass": None, "postingClass": None, "vatCode": None,
                    "defaultPrice": 0.0, "pendingCost": 0.0, "currentCost": 0.0,
                    "lastCost": 0.0, "baseUnit": "STK", "salesUnit": "STK",
                    "purchaseUnit": "STK", "stockItem": False, "attributes": [],
                    "recommendedPrice": 0.0, "errorInfo": None})
    _set(doc, body, "description", body.text)
    _set(doc, body, "body", lambda n: body.text(n, max_len=100_000))
    _set(doc, body, "status", lambda n: body.choice(n, _ITEM_STATUSES))
    cls = None
    if body.value("itemClassId") is not None:
        cls = ctx.need("inventory/itemClass", body.text("itemClassId"), "itemClassId", "Item class")
        doc["itemClass"] = {"id": cls["id"], "description": cls.get("description"),
                            "type": cls.get("type"), "attributes": []}
    elif old is None:
        classes = ctx.all("inventory/itemClass")
        cls = classes[0] if classes else None
        if cls:
            doc["itemClass"] = {"id": cls["id"], "description": cls.get("description"),
                                "type": cls.get("type"), "attributes": []}
    if body.value("type") is not None:
        doc["type"] = body.choice("type", _ITEM_TYPES)
    elif cls is not None and old is None:
        doc["type"] = cls.get("type") or doc["type"]
    doc["stockItem"] = doc["type"] in ("FinishedGoodItem", "ComponentPartItem",
                                       "SubassemblyItem")
    if body.value("postingClassId") is not None:
        doc["postingClass"] = {"id": body.text("postingClassId"), "description": None}
    if body.value("vatCodeId") is not None:
        cat = ctx.need("vatCategory", body.text("vatCodeId"), "vatCodeId", "VAT category")
        doc["vatCode"] = {"id": cat["vatCategoryId"], "description": cat.get("description")}
    elif old is None:
        zone = ctx.find("vatZone", "01") or {}
        cat = ctx.find("vatCategory", str(zone.get("defaultVatCategory") or "03"))
        if cat:
            doc["vatCode"] = {"id": cat["vatCategoryId"],
                              "description": cat.get("description")}
    for name in ("defaultPrice", "recommendedPrice", "currentCost", "lastCost"):
        _set(doc, body, name, body.number)
    for name in ("baseUnit", "salesUnit", "purchaseUnit"):
        if body.value(name) is not None:
            doc[name] = ctx.unit(body.text(name), name)
    lines = body.array("attributeLines")
    if lines is not None:
        doc["attributes"] = attributes(ctx, lines, doc.get("attributes"))
    return doc


# --------------------------------------------------------------------------- documents


def _fill_shape(doc: dict, sample: dict | None) -> None:
    """Give a created record every field its kind has (read shape, like a stored one).

    Fields the body did not set get an empty value of the sample's type: an empty list,
    False, 0, or null.
    """
    for name, value in (sample or {}).items():
        if name in doc or name == "metadata":
            continue
        if isinstance(value, list):
            doc[name] = []
        elif isinstance(value, bool):
            doc[name] = False
        elif isinstance(value, (int, float)):
            doc[name] = type(value)(0)
        else:
            doc[name] = None


def _editable(doc: dict, entity: str, number: str) -> None:
    if entity == "supplierPayment":
        if doc.get("released"):
            raise WriteError(f"Payment '{number}' can't be updated because it is already "
                             "released.")
        return
    status = doc.get("status")
    if entity == "purchaseorder":
        if status in ("Closed", "Cancelled", "Voided"):
            raise WriteError(f"Purchase order '{number}' is {status} and can't be changed.")
        return
    if status not in _OPEN_STATUSES:
        raise WriteError(f"Document '{number}' is {status} (released) and can't be "
                         "changed; only documents on Hold or Balanced can.")


def _book_line(ctx, item, out: dict, *, zone: dict, inv, new: bool, account_type: str) -> None:
    """Account, subaccount, branch and VAT code of a sales or purchase line, in place.

    A new line, or one whose item changes, gets its VAT code by the article 17 rule (the
    partner's zone meets the item's category) unless the body names one that fits.
    """
    if item.value("accountNumber") is not None:
        out["account"] = ctx.account(item.text("accountNumber"), item.label("accountNumber"))
    elif out["account"] is None:
        out["account"] = ctx.default_account(account_type)
    if item.has("subaccount") or out["subaccount"] is None:
        out["subaccount"] = ctx.subaccount(item.array("subaccount"), item.label("subaccount"))
    if item.value("branchNumber") is not None:
        out["branchNumber"] = ctx.branch(item.text("branchNumber"), item.label("branchNumber"))
    explicit = item.text("vatCodeId")
    if explicit is not None or new or item.has("inventoryNumber"):
        vat = ctx.vat_for_line(zone.get("id"), _item_category(inv, zone), explicit)
        out["vatCode"] = {"id": vat["vatId"], "description": vat.get("description")}


def _item_category(item: dict | None, zone: dict) -> str | None:
    if item and item.get("vatCode"):
        return str(item["vatCode"].get("id"))
    return str(zone.get("defaultVatCategory")) if zone else None


def _taxes(ctx: Context, lines: list[dict], on: str | None, amount_key: str
           ) -> tuple[list[dict], float, float]:
    """``taxDetails`` rows, taxable total and VAT total of document lines."""
    groups: dict[str, float] = {}
    for line in lines:
        vat_id = (line.get("vatCode") or {}).get("id")
        if vat_id is not None:
            groups[vat_id] = groups.get(vat_id, 0.0) + float(line.get(amount_key) or 0.0)
    details, taxable_total, vat_total = [], 0.0, 0.0
    for record_id, (vat_id, taxable) in enumerate(sorted(groups.items()), start=1):
        vat = ctx.find("vat", vat_id) or {}
        rate = vat_rate(vat, on)
        vat_amount = _money(taxable * rate / 100.0)
        details.append({"taxId": vat_id, "recordId": record_id,
                        "vatId": {"id": vat_id, "description": vat.get("description")},
                        "vatRate": rate, "taxableAmount": _money(taxable),
                        "vatAmount": vat_amount})
        taxable_total += taxable
        vat_total += vat_amount
    return details, _money(taxable_total), _money(vat_total)


def build_customerinvoice(ctx, body, old, key, row_id):
    doc = dict(old) if old else {}
    creating = old is None
    if creating:
        customer_number = body.text("customerNumber")
        if not customer_number:
            raise WriteError("'customerNumber' is required to create a customer invoice.")
        doc.update({"documentType": "Invoice", "referenceNumber": key, "status": "Balanced",
                    "hold": False, "invoiceLines": [], "taxDetails": [], "attachments": [],
                    "createdDateTime": now_stamp(), "errorInfo": None,
                    "note": None, "customerRefNumber": None, "externalReference": None,
                    "invoiceText": None, "paymentReference": None})
    # The customer is fixed once the invoice exists; a PUT naming another is ignored.
    if creating:
        cust = ctx.need("customer", body.text("customerNumber"), "customerNumber",
                        "Customer")
        doc["customer"] = {"number": cust["number"], "name": cust["name"]}
        doc["customerVatZone"] = cust.get("vatZone")
        doc["invoiceAddress"] = cust.get("invoiceAddress") or cust.get("mainAddress")
        doc["invoiceContact"] = cust.get("invoiceContact") or cust.get("mainContact")
        doc["location"] = cust.get("location")
        doc["currencyId"] = cust.get("currencyId")
        doc["creditTerms"] = cust.get("creditTerms")
        doc["paymentMethod"] = {"id": cust.get("defaultPaymentMethodId"),
                                "description": None}
    if body.has("documentDate") or creating:
        day = body.date("documentDate") or datetime.now().date().isoformat() + "T00:00:00"
        doc["documentDate"] = day
        doc["origInvoiceDate"] = day
        doc["cashDiscountDate"] = day
        doc["postPeriod"] = doc["financialPeriod"] = _period_of(day)
    _set(doc, body, "financialPeriod",
         lambda n: parse_period(body.value(n), n) if body.value(n) is not None else None)
    if body.value("creditTermsId") is not None:
        terms = ctx.terms(body.text("creditTermsId"), "creditTermsId")
        doc["creditTerms"] = {"id": terms.get("termsId") or terms.get("id"),
                              "description": terms.get("description")}
    if body.has("documentDueDate"):
        doc["documentDueDate"] = body.date("documentDueDate")
    elif creating or body.has("documentDate") or body.has("creditTermsId"):
        terms = ctx.find("creditTerm", str((doc.get("creditTerms") or {}).get("id")))
        doc["documentDueDate"] = _due(doc.get("documentDate"), terms)
    if body.value("currencyId") is not None:
        doc["currencyId"] = ctx.currency(body.text("currencyId"), "currencyId")
    for name in ("customerRefNumber", "externalReference", "invoiceText", "paymentReference",
                 "note"):
        _set(doc, body, name, body.text)
    if body.value("paymentMethodId") is not None:
        doc["paymentMethod"] = {"id": body.text("paymentMethodId"), "description": None}
    _set(doc, body, "sendToAutoInvoice", body.boolean)
    if body.has("branchNumber") or creating:
        doc["branchNumber"] = ctx.branch(body.text("branchNumber"), "branchNumber")
    billing = body.obj("billingAddress") or body.obj("invoiceAddress")
    if billing is not None:
        doc["invoiceAddress"] = address(billing, doc.get("invoiceAddress"), row_id)
    given = body.obj("invoiceContact")
    if given is not None:
        doc["invoiceContact"] = contact(given, doc.get("invoiceContact"), row_id)
    if body.value("hold") is not None:
        doc["hold"] = body.boolean("hold")
        doc["status"] = "Hold" if doc["hold"] else "Balanced"
    zone = doc.get("customerVatZone") or {}
    items = body.array("invoiceLines")
    if items is not None:
        def line(item: Obj, prev: dict | None, number: int) -> dict:
            out: dict[str, Any]  # values of many types: the line's fields
            out = dict(prev) if prev else {
                "lineNumber": number, "inventoryNumber": None, "description": None,
                "quantity": 1.0, "unitPrice": 0.0, "unitPriceInCurrency": 0.0,
                "manualAmount": False, "amount": 0.0, "amountInCurrency": 0.0,
                "account": None, "subaccount": None, "vatCode": None, "uom": None,
                "discountPercent": 0.0, "branchNumber": doc.get("branchNumber"),
                "note": None}
            inv = None
            if item.value("inventoryNumber") is not None:
                inv = ctx.need("inventory", item.text("inventoryNumber"),
                               item.label("inventoryNumber"), "Inventory item")
                out["inventoryNumber"] = inv["inventoryNumber"]
                if prev is None:
                    out["description"] = inv.get("description")
                    out["uom"] = inv.get("salesUnit")
                    out["unitPriceInCurrency"] = out["unitPrice"] = \
                        float(inv.get("defaultPrice") or 0.0)
            elif out.get("inventoryNumber"):
                inv = ctx.find("inventory", out["inventoryNumber"])
            _set(out, item, "description", item.text)
            _set(out, item, "note", item.text)
            for name in ("quantity", "discountPercent"):
                if item.value(name) is not None:
                    out[name] = item.number(name)
            for name in ("unitPriceInCurrency", "unitPrice"):
                if item.value(name) is not None:
                    out["unitPrice"] = out["unitPriceInCurrency"] = item.number(name)
            if item.value("uom") is not None:
                out["uom"] = ctx.unit(item.text("uom"), item.label("uom"))
            _book_line(ctx, item, out, zone=zone, inv=inv, new=prev is None,
                       account_type="Income")
            if item.value("amountInCurrency") is not None:
                out["amount"] = out["amountInCurrency"] = item.number("amountInCurrency")
                out["manualAmount"] = True
            elif not out.get("manualAmount"):
                gross = out["quantity"] * out["unitPrice"]
                out["amount"] = out["amountInCurrency"] = _money(
                    gross * (1 - (out["discountPercent"] or 0.0) / 100.0))
            return out

        doc["invoiceLines"] = apply_lines(items, doc.get("invoiceLines") or [],
                                          "lineNumber", line, creating)
    taxes, taxable, vat_total = _taxes(ctx, doc.get("invoiceLines") or [],
                                       doc.get("documentDate"), "amount")
    detail = _money(sum(float(x.get("amount") or 0.0) for x in doc.get("invoiceLines") or []))
    total = _money(detail + vat_total)
    doc.update({"taxDetails": taxes, "detailTotal": detail, "detailTotalInCurrency": detail,
                "vatTaxableTotal": taxable, "vatTaxableTotalInCurrency": taxable,
                "vatTotal": vat_total, "vatTotalInCurrency": vat_total, "amount": total,
                "amountInCurrency": total, "balance": total, "balanceInCurrency": total})
    return doc


_AP_TYPES = ("Invoice", "CreditAdj", "DebitAdj", "Prepayment")


def build_supplierInvoice(ctx, body, old, key, row_id):  # noqa: N802 - entity name
    doc = dict(old) if old else {}
    creating = old is None
    if creating:
        if not body.text("supplierNumber"):
            raise WriteError("'supplierNumber' is required to create a supplier invoice.")
        doc.update({"documentType": "Invoice", "referenceNumber": key, "status": "Balanced",
                    "approvalStatus": "New", "hold": False, "invoiceLines": [],
                    "taxDetailLines": [], "attachments": [], "createdDateTime": now_stamp(),
                    "note": None, "errorInfo": None, "supplierReference": None,
                    "description": None, "paymentRefNo": None, "project": None,
                    "taxCalculationMode": "TaxSetting", "exchangeRate": 1.0})
        sup = ctx.need("supplier", body.text("supplierNumber"), "supplierNumber", "Supplier")
        doc["supplier"] = {"number": sup["number"], "name": sup["name"]}
        doc["supplierTaxZone"] = sup.get("vatZone")
        doc["location"] = sup.get("location")
        doc["currencyId"] = sup.get("currencyId")
        doc["creditTerms"] = sup.get("creditTerms")
        doc["paymentMethod"] = sup.get("paymentMethod")
    _set(doc, body, "documentType", lambda n: body.choice(n, _AP_TYPES))
    if body.has("date") or creating:
        day = body.date("date") or datetime.now().date().isoformat() + "T00:00:00"
        doc["date"] = doc["origInvoiceDate"] = doc["cashDiscountDate"] = day
        doc["postPeriod"] = doc["financialPeriod"] = _period_of(day)
    for name in ("postPeriod", "financialPeriod"):
        if body.value(name) is not None:
            doc[name] = parse_period(body.value(name), name)
    if body.has("dueDate"):
        doc["dueDate"] = body.date("dueDate")
    elif creating or body.has("date"):
        terms = ctx.find("creditTerm", str((doc.get("creditTerms") or {}).get("id")))
        doc["dueDate"] = _due(doc.get("date"), terms)
    for name in ("supplierReference", "description", "paymentRefNo", "note"):
        _set(doc, body, name, body.text)
    if body.value("currencyId") is not None:
        doc["currencyId"] = ctx.currency(body.text("currencyId"), "currencyId")
    _set(doc, body, "taxCalculationMode",
         lambda n: body.choice(n, ("TaxSetting", "Gross", "Net")))
    if body.value("creditTermsId") is not None:
        terms = ctx.terms(body.text("creditTermsId"), "creditTermsId")
        doc["creditTerms"] = {"id": terms.get("termsId") or terms.get("id"),
                              "description": terms.get("description")}
    if body.has("branchNumber") or creating:
        doc["branchNumber"] = ctx.branch(body.text("branchNumber"), "branchNumber")
    if body.value("hold") is not None:
        doc["hold"] = body.boolean("hold")
        doc["status"] = "Hold" if doc["hold"] else "Balanced"
    zone = doc.get("supplierTaxZone") or {}
    items = body.array("invoiceLines")
    if items is not None:
        def line(item: Obj, prev: dict | None, number: int) -> dict:
            out: dict[str, Any]  # values of many types: the line's fields
            out = dict(prev) if prev else {
                "lineNumber": number, "inventoryNumber": None, "transactionDescription": None,
                "quantity": 1.0, "uom": None, "unitCost": 0.0, "unitCostInCurrency": 0.0,
                "cost": 0.0, "costInCurrency": 0.0, "account": None, "subaccount": None,
                "vatCode": None, "branchNumber": doc.get("branchNumber"), "poNumber": None,
                "note": None}
            inv = None
            if item.value("inventoryNumber") is not None:
                inv = ctx.need("inventory", item.text("inventoryNumber"),
                               item.label("inventoryNumber"), "Inventory item")
                out["inventoryNumber"] = inv["inventoryNumber"]
                if prev is None:
                    out["transactionDescription"] = inv.get("description")
                    out["uom"] = inv.get("purchaseUnit")
            elif out.get("inventoryNumber"):
                inv = ctx.find("inventory", out["inventoryNumber"])
            _set(out, item, "transactionDescription", item.text)
            _set(out, item, "note", item.text)
            if item.value("quantity") is not None:
                out["quantity"] = item.number("quantity")
            for name in ("unitCostInCurrency", "unitCost"):
                if item.value(name) is not None:
                    out["unitCost"] = out["unitCostInCurrency"] = item.number(name)
            if item.value("uom") is not None:
                out["uom"] = ctx.unit(item.text("uom"), item.label("uom"))
            if item.value("projectId") is not None:
                project = ctx.project(item.text("projectId"), item.label("projectId"))
                doc["project"] = project  # the document shows the project it is booked on
            _book_line(ctx, item, out, zone=zone, inv=inv, new=prev is None,
                       account_type="Expense")
            if item.value("costInCurrency") is not None:
                out["cost"] = out["costInCurrency"] = item.number("costInCurrency")
            else:
                out["cost"] = out["costInCurrency"] = _money(out["quantity"] * out["unitCost"])
            return out

        doc["invoiceLines"] = apply_lines(items, doc.get("invoiceLines") or [],
                                          "lineNumber", line, creating)
    taxes, _, vat_total = _taxes(ctx, doc.get("invoiceLines") or [], doc.get("date"), "cost")
    detail = _money(sum(float(x.get("cost") or 0.0) for x in doc.get("invoiceLines") or []))
    total = _money(detail + vat_total)
    doc.update({"taxDetailLines": taxes, "vatAmount": vat_total, "vatTotal": vat_total,
                "vatTotalInCurrency": vat_total, "amount": total, "balance": total,
                "balanceInCurrency": total})
    return doc


_PO_TYPES = ("RegularOrder", "DropShip", "Blanket", "StandardBlanket")
_PO_LINE_TYPES = ("GoodsForInventory", "NonStock", "Service", "Freight", "Description",
                  "GoodsForSalesOrder", "GoodsForDropShip", "NonStockForDropShip",
                  "GoodsForReplenishment")


def build_purchaseorder(ctx, body, old, key, row_id):
    doc = dict(old) if old else {}
    creating = old is None
    if creating:
        if body.value("supplier") is None:
            raise WriteError("'supplier' is required to create a purchase order.")
        doc.update({"orderType": "RegularOrder", "orderNbr": key, "status": "Open",
                    "hold": False, "description": None, "supplierRef": None,
                    "exchangeRate": 1.0, "lines": [], "note": None, "errorInfo": None})
    _set(doc, body, "orderType", lambda n: body.choice(n, _PO_TYPES))
    if body.value("supplier") is not None and creating:
        sup = ctx.need("supplier", body.text("supplier"), "supplier", "Supplier")
        doc["supplier"] = {"internalId": sup.get("internalId"), "number": sup["number"],
                           "name": sup["name"]}
        doc["supplierVatZone"] = sup.get("vatZone")
        doc["location"] = {"id": (sup.get("location") or {}).get("id"),
                           "name": (sup.get("location") or {}).get("name")}
        doc["currency"] = sup.get("currencyId")
        doc["terms"] = sup.get("creditTerms")
        doc["remitAddress"] = sup.get("remitAddress")
        doc["remitContact"] = sup.get("remitContact")
    if body.has("date") or creating:
        doc["date"] = body.date("date") or datetime.now().date().isoformat() + "T00:00:00"
    _set(doc, body, "promisedOn", body.date)
    for name in ("description", "supplierRef", "note"):
        _set(doc, body, name, body.text)
    if body.value("currency") is not None:
        doc["currency"] = ctx.currency(body.text("currency"), "currency")
    if body.has("branch") or creating:
        doc["branch"] = ctx.branch(body.text("branch"), "branch")
    if body.value("hold") is not None:
        doc["hold"] = body.boolean("hold")
        if doc.get("status") in ("Open", "Hold", "Balanced"):
            doc["status"] = "Hold" if doc["hold"] else "Open"
    items = body.array("lines")
    if items is not None:
        def line(item: Obj, prev: dict | None, number: int) -> dict:
            out: dict[str, Any]  # values of many types: the line's fields
            out = dict(prev) if prev else {
                "lineNbr": number, "branch": doc.get("branch"), "inventory": None,
                "lineType": "GoodsForInventory", "warehouse": None, "lineDescription": None,
                "uom": None, "orderQty": 0.0, "qtyOnReceipts": 0.0, "unitCost": 0.0,
                "extCost": 0.0, "amount": 0.0, "receivedAmt": 0.0, "account": None,
                "sub": None, "promised": doc.get("promisedOn"), "completed": False,
                "canceled": False, "note": None}
            if item.value("inventory") is not None:
                inv = ctx.need("inventory", item.text("inventory"), item.label("inventory"),
                               "Inventory item")
                out["inventory"] = {"number": inv["inventoryNumber"],
                                    "description": inv.get("description")}
                if prev is None:
                    out["lineDescription"] = inv.get("description")
                    out["uom"] = inv.get("purchaseUnit")
            _set(out, item, "lineType", lambda n: item.choice(n, _PO_LINE_TYPES))
            if item.value("warehouse") is not None:
                wh = ctx.need("warehouse", item.text("warehouse"), item.label("warehouse"),
                              "Warehouse")
                out["warehouse"] = {"id": wh["warehouseID"], "description": wh.get("description")}
            _set(out, item, "lineDescription", item.text)
            _set(out, item, "note", item.text)
            if item.value("uom") is not None:
                out["uom"] = ctx.unit(item.text("uom"), item.label("uom"))
            if item.value("orderQty") is not None:
                out["orderQty"] = item.number("orderQty")
            if item.value("unitCost") is not None:
                out["unitCost"] = item.number("unitCost")
            _set(out, item, "promised", item.date)
            if item.value("account") is not None:
                out["account"] = ctx.account(item.text("account"), item.label("account"))
            elif out["account"] is None:
                out["account"] = ctx.default_account("Expense")
            if item.has("sub") or out["sub"] is None:
                out["sub"] = ctx.subaccount(item.array("sub"), item.label("sub"))
            out["extCost"] = out["amount"] = _money(out["orderQty"] * out["unitCost"])
            return out

        doc["lines"] = apply_lines(items, doc.get("lines") or [], "lineNbr", line, creating)
    total = _money(sum(float(x.get("amount") or 0.0) for x in doc.get("lines") or []))
    doc.update({"lineTotal": total, "lineTotalInBaseCurrency": total, "orderTotal": total,
                "orderTotalInBaseCurrency": total})
    return doc


_PAYMENT_TYPES = ("Payment", "DebitAdj", "Prepayment", "Refund", "VoidPayment", "VoidRefund")


def build_supplierPayment(ctx, body, old, key, row_id):  # noqa: N802 - entity name
    doc = dict(old) if old else {}
    creating = old is None
    supplier_number = body.text("supplier") or body.text("supplierNumber") \
        or body.text("supplierId")
    if creating:
        if not supplier_number:
            raise WriteError("'supplier' is required to create a supplier payment.")
        sup = ctx.need("supplier", supplier_number, "supplier", "Supplier")
        currency = ctx.find("currency", str(sup.get("currencyId"))) or {}
        doc.update({"type": "Payment", "refNbr": key, "status": "Balanced", "hold": False,
                    "paymentRef": None, "supplier": {"number": sup["number"],
                                                     "name": sup["name"]},
                    "location": sup.get("location"),
                    "paymentMethod": (sup.get("paymentMethod") or {}).get("id"),
                    "cashAccount": sup.get("cashAccount"),
                    "currency": {k: currency.get(k) for k in (
                        "id", "description", "symbol", "isBaseCurrency", "decimalPrecision",
                        "isUsedForAccounting")},
                    "description": None, "paymentAmount": 0.0, "financeCharges": 0.0,
                    "released": False, "paymentLines": [], "errorInfo": None})
    _set(doc, body, "type", lambda n: body.choice(n, _PAYMENT_TYPES))
    if body.has("applicationDate") or creating:
        day = body.date("applicationDate") or datetime.now().date().isoformat() + "T00:00:00"
        doc["applicationDate"] = day
        doc["applicationPeriod"] = _period_of(day)
    if body.value("applicationPeriod") is not None:
        doc["applicationPeriod"] = parse_period(body.value("applicationPeriod"),
                                                "applicationPeriod")
    for name in ("paymentRef", "description", "cashAccount"):
        _set(doc, body, name, body.text)
    if body.value("paymentMethod") is not None:
        doc["paymentMethod"] = body.text("paymentMethod")
    _set(doc, body, "paymentAmount", body.number)
    if body.value("hold") is not None:
        doc["hold"] = body.boolean("hold")
        doc["status"] = "Hold" if doc["hold"] else "Balanced"
    items = body.array("paymentLines")
    if items is not None:
        numbered = [dict(x, _n=i + 1) for i, x in enumerate(doc.get("paymentLines") or [])]

        def line(item: Obj, prev: dict | None, number: int) -> dict:
            out: dict[str, Any]  # values of many types: the line's fields
            out = dict(prev) if prev else {"_n": number, "docType": "Invoice",
                                           "invoiceRefNbr": None, "amountPaid": 0.0,
                                           "cashDiscountTaken": 0.0}
            ref = item.text("refNbr") or item.text("invoiceRefNbr") or \
                item.text("documentReferenceNumber")
            if ref is not None:
                inv = ctx.need("supplierInvoice", ref, item.label("refNbr"),
                               "Supplier invoice")
                if str((inv.get("supplier") or {}).get("number")) != \
                        str(doc["supplier"]["number"]):
                    raise WriteError(f"Supplier invoice '{ref}' in '{item.where}' belongs to "
                                     "another supplier.")
                out.update({"invoiceRefNbr": inv["referenceNumber"],
                            "docType": inv.get("documentType"), "date": inv.get("date"),
                            "dueDate": inv.get("dueDate"), "balance": inv.get("balance"),
                            "description": inv.get("description"),
                            "currency": inv.get("currencyId"),
                            "postPeriod": inv.get("postPeriod"),
                            "supplierRef": inv.get("supplierReference")})
            elif prev is None:
                raise WriteError(f"'{item.where}' needs refNbr, the supplier invoice paid.")
            if item.value("amountPaid") is not None:
                out["amountPaid"] = item.number("amountPaid")
            elif prev is None:
                out["amountPaid"] = float(out.get("balance") or 0.0)
            return out

        lines = apply_lines(items, numbered, "_n", line, creating)
        doc["paymentLines"] = [{k: v for k, v in x.items() if k != "_n"} for x in lines]
    applied = _money(sum(float(x.get("amountPaid") or 0.0) for x in doc["paymentLines"]))
    if not body.has("paymentAmount") and creating:
        doc["paymentAmount"] = applied
    doc["appliedAmount"] = applied
    doc["unappliedBalance"] = _money(float(doc.get("paymentAmount") or 0.0) - applied)
    return doc


_CONTROL_TYPES = ("Text", "Combo", "MultiSelectCombo", "Lookup", "Checkbox", "Datetime")


def build_attribute(ctx, body, old, key, row_id):
    """AttributeUpdateDto (facts section 3): wrapped fields, ``details`` by ``valueId``."""
    doc = dict(old) if old else {}
    if old is None:
        description = body.text("description")
        if not description:
            raise WriteError("'description' is required to create an attribute.")
        doc.update({"attributeID": key, "description": description, "controlType": "Text",
                    "internal": False, "entryMask": None, "regExp": None, "details": [],
                    "errorInfo": None})
    _set(doc, body, "description", body.text)
    _set(doc, body, "controlType", lambda n: body.choice(n, _CONTROL_TYPES))
    _set(doc, body, "internal", body.boolean)
    _set(doc, body, "entryMask", body.text)
    _set(doc, body, "regExp", body.text)
    items = body.array("details")
    if items is not None:
        details = {d["valueId"]: dict(d) for d in doc.get("details") or []}
        for item in items:
            operation = str(item.raw("operation") or "Insert").strip().lower()
            value_id = item.text("valueId")
            if not value_id:
                raise WriteError(f"'{item.where}' needs a valueId.")
            if operation == "insert":
                if value_id in details:
                    raise WriteError(f"The value '{value_id}' already exists; use operation "
                                     "Update.")
                details[value_id] = {"valueId": value_id, "description": None,
                                     "sortOrder": len(details) + 1, "disabled": False}
            elif operation in ("update", "delete"):
                if value_id not in details:
                    raise WriteError(f"The value '{value_id}' given in '{item.where}' was "
                                     "not found.")
                if operation == "delete":
                    del details[value_id]
                    continue
            else:
                raise WriteError(f"The operation '{item.raw('operation')}' of "
                                 f"'{item.where}' is not valid; use Insert, Update or Delete.")
            detail = details[value_id]
            _set(detail, item, "description", item.text)
            _set(detail, item, "sortOrder", item.integer)
            _set(detail, item, "disabled", item.boolean)
        doc["details"] = sorted(details.values(), key=lambda d: d["sortOrder"])
    return doc


# Each builder takes (context, body, old read-shape document or None on create, key,
# row id) and returns the new read-shape document; it raises WriteError for bad input.
BUILDERS = {"customer": build_customer, "supplier": build_supplier,
            "inventory": build_inventory, "customerinvoice": build_customerinvoice,
            "supplierInvoice": build_supplierInvoice, "purchaseorder": build_purchaseorder,
            "supplierPayment": build_supplierPayment, "attribute": build_attribute}


# --------------------------------------------------------------------------- service


class Answer:
    """What a write answers: status, JSON body (or None) and headers."""

    def __init__(self, status: int, body: Any = None, headers: dict | None = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class Writes:
    """The write side of one sandbox (one lock: SQLite has one writer anyway)."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        # (company, entity) -> (last number given out, width) of each numbering series
        self._series: dict[tuple[int, str], tuple[int, int]] = {}

    # -- routing ---------------------------------------------------------------

    def route(self, method: str, segments: list[str], version: str
              ) -> tuple[str, Entity, str | None, str | None] | Answer:
        """``(operation, entity, key, action)`` for a write path, or an error Answer."""
        if not segments:
            return Answer(404, {"message": "No resource matches the path."})
        entity = lookup(unquote(segments[0]))
        rest = segments[1:]
        if entity is None and len(segments) >= 2:
            entity = lookup(unquote(segments[0]) + "/" + unquote(segments[1]))
            rest = segments[2:]
        if entity is None:
            return Answer(404, {"message": f"No resource matches '{segments[0]}'."})
        name = entity.name
        if version == "v2":
            if not (method == "POST" and not rest and name in self.settings.v2_create):
                return Answer(404, {"message": f"{method} v2/{segments[0]} does not exist; "
                                               "v2 has POST customerinvoice."})
            return "create", entity, None, None
        if method == "POST" and not rest:
            if name not in WRITABLE:
                return Answer(405, {"message": f"{name} cannot be created through the API."})
            if name in self.settings.v2_create and not self.settings.v1_create_deprecated_ok:
                return Answer(400, {"message": f"POST v1/{name} is deprecated; use POST "
                                               f"v2/{name}."})
            return "create", entity, None, None
        if method == "POST" and len(rest) >= 3 and rest[-2].lower() == "action":
            # {key}/action/{name}, or supplierInvoice/{documentType}/{key}/action/{name}
            key_part = rest[-3]
            if len(rest) > 4 or (len(rest) == 4 and name != "supplierInvoice"):
                return Answer(404, {"message": "No resource matches the path."})
            if len(rest) == 4:
                return ("action", entity, decode_key(key_part),
                        unquote(rest[-1]) + "|" + unquote(rest[0]))
            return "action", entity, decode_key(key_part), unquote(rest[-1])
        if method == "DELETE" and name == "supplierInvoice" and len(rest) == 2:
            # DELETE supplierInvoice/{documentType}/{invoiceNumber} (PHP 8.43)
            return "delete", entity, decode_key(rest[1]), unquote(rest[0])
        if len(rest) == 1 and method in ("PUT", "DELETE"):
            if method == "PUT" and name not in WRITABLE:
                return Answer(405, {"message": f"{name} cannot be updated through the API."})
            if method == "DELETE" and name.lower() not in {
                    d.lower() for d in self.settings.deletable}:
                return Answer(405, {"message": f"{name} cannot be deleted through the API."})
            return ("update" if method == "PUT" else "delete"), entity, decode_key(rest[0]), None
        return Answer(405, {"message": f"{method} is not available on this resource."})

    # -- operations ------------------------------------------------------------

    def run(self, op: str, entity: Entity, key: str | None, action: str | None,
            body: bytes, company_id: int, location_base: str,
            if_match: str | None = None) -> Answer:
        parsed: Any = None
        if op in ("create", "update") or (op == "action" and body.strip()):
            try:
                parsed = parse_json(body) if body.strip() else None
            except BadJson as exc:
                return Answer(400, {"message": str(exc)})
            if op in ("create", "update") and not isinstance(parsed, dict):
                return Answer(400, {"message": "The request body must be a JSON object "
                                               f"({entity.name} fields)."})
        with self._lock:
            try:
                with self.store.transaction() as conn:
                    ctx = Context(conn, company_id)
                    if op == "create":
                        answer = self._create(ctx, entity, Obj(parsed), location_base)
                    else:
                        # the route gives every update, delete and action its record's key
                        assert key is not None
                        stale = (self._precondition(ctx, entity, key, if_match)
                                 if if_match is not None and op in ("update", "action")
                                 else None)
                        if stale is not None:
                            answer = stale
                        elif op == "update":
                            answer = self._update(ctx, entity, key, Obj(parsed))
                        elif op == "delete":
                            answer = self._delete(ctx, entity, key, action)
                        else:
                            answer = self._action(ctx, entity, key, action or "", parsed)
                    if answer.status >= 400:
                        raise Refused(answer)
            except WriteError as exc:
                return Answer(exc.status, {"message": exc.message})
            except Refused as refused:
                return refused.answer
            if entity.name == "attribute":
                self.store.forget_attribute_kinds(company_id)
            if ctx.pending_series is not None:
                self._series[ctx.pending_series[0]] = ctx.pending_series[1]
            return answer

    def _precondition(self, ctx: Context, entity: Entity, key: str,
                      if_match: str) -> Answer | None:
        """412 when ``If-Match`` does not name the record's current ``ETag``."""
        # The store's connection for this thread is the one the write transaction uses.
        doc = self.store.one(ctx.company_id, entity.name, key)
        if doc is None or etag_matches(if_match, etag(doc)):
            return None  # a missing record gets its usual 404
        return Answer(412, {"message": f"{entity.name} '{key}' has changed since the ETag "
                                       f"given in If-Match was read; read it again."})

    def _row(self, ctx: Context, entity: Entity, key: str) -> tuple[int, dict] | None:
        row = ctx.conn.execute(
            f"SELECT r.id, {_DOC} FROM records r {_DOC_JOIN} WHERE r.company_id = ? AND "
            "r.entity = ? AND r.key = ? ORDER BY r.seq LIMIT 1",
            (ctx.company_id, entity.name, key)).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def next_number(self, ctx: Context, entity: Entity) -> str:
        """The next number of the entity's series: highest numeric key + 1, same width.

        The highest number is looked up once per series (a scan of up to 50,000 keys)
        and then kept here; it only moves on when a create commits, so a refused create
        does not use up a number. Numbers of deleted records are not given out again.
        """
        series = (ctx.company_id, entity.name)
        known = self._series.get(series)
        if known is None:
            top, width = ctx.conn.execute(
                "SELECT MAX(CAST(key AS INTEGER)), MAX(LENGTH(key)) FROM records WHERE "
                "company_id = ? AND entity = ? AND key NOT GLOB '*[^0-9]*' AND key != ''",
                (ctx.company_id, entity.name)).fetchone()
            if top is None:
                start = self.settings.first_numbers.get(entity.name.lower(), "000001")
                known = (int(start) - 1, len(start))
            else:
                known = (int(top), int(width or 1))
        number, width = known
        while True:
            number += 1
            key = str(number).zfill(width)
            if self._row(ctx, entity, key) is None:  # a manual number may have taken it
                ctx.pending_series = (series, (number, width))
                return key

    def _create(self, ctx: Context, entity: Entity, body: Obj, base: str) -> Answer:
        key_field = WRITE_KEY[entity.name]
        key = body.text(key_field, max_len=30)
        documents = entity.name not in ("customer", "supplier", "inventory", "attribute")
        override = body.boolean("overrideNumberSeries")
        if key is not None and documents and override is False:
            key = None  # the series decides unless the caller overrides it
        if key is not None and not key.strip():
            key = None
        if key is None:
            if entity.name in ("inventory", "attribute"):
                kind = "an inventory item" if entity.name == "inventory" else "an attribute"
                raise WriteError(f"'{key_field}' is required to create {kind}.")
            key = self.next_number(ctx, entity)
        key = key.strip()
        if self._row(ctx, entity, key) is not None:
            raise WriteError(f"A {entity.name} with the key '{key}' already exists.")
        row_id = ctx.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM records").fetchone()[0]
        doc = BUILDERS[entity.name](ctx, body, None, key, row_id)
        doc[entity.key] = key
        _fill_shape(doc, ctx.sample(entity.name))
        if entity.created_field:
            doc[entity.created_field] = doc.get(entity.created_field) or now_stamp()
        self._save(ctx, entity, doc, None)
        return Answer(201, None, {"Location": base + key_segment(key)})

    def _update(self, ctx: Context, entity: Entity, key: str, body: Obj) -> Answer:
        found = self._row(ctx, entity, key)
        if found is None:
            return Answer(404, {"message": f"{entity.name} '{key}' was not found."})
        row_id, old = found
        if entity.name in ("customerinvoice", "supplierInvoice", "purchaseorder",
                           "supplierPayment"):
            _editable(old, entity.name, key)
        doc = BUILDERS[entity.name](ctx, body, old, old[entity.key], row_id)
        doc[entity.key] = old[entity.key]  # keys change through actions, not PUT
        self._save(ctx, entity, doc, row_id)
        return Answer(204)

    def _delete(self, ctx: Context, entity: Entity, key: str,
                document_type: str | None = None) -> Answer:
        found = self._row(ctx, entity, key)
        if found is None or (document_type is not None and str(
                found[1].get("documentType")).lower() != document_type.lower()):
            return Answer(404, {"message": f"{entity.name} '{key}' was not found."})
        row_id, old = found
        if entity.name in ("customerinvoice", "supplierInvoice", "purchaseorder",
                           "supplierPayment"):
            _editable(old, entity.name, key)
        ctx.conn.execute("DELETE FROM records WHERE id = ?", (row_id,))
        ctx.conn.execute("DELETE FROM main.docs WHERE id = ?", (row_id,))
        ctx.conn.execute("DELETE FROM facets WHERE company_id = ? AND entity = ? AND id = ?",
                         (ctx.company_id, entity.name, row_id))
        return Answer(204)

    def _action(self, ctx: Context, entity: Entity, key: str, action: str,
                body: Any) -> Answer:
        action, _, document_type = action.partition("|")
        if action.lower() == "reverse" and entity.name == "customerinvoice":
            return self._reverse(ctx, entity, key)
        ap_action = _AP_ACTIONS.get(action.lower()) if entity.name == "supplierInvoice" \
            else None
        if (action.lower() != "release" or entity.name not in RELEASABLE) and not ap_action:
            return Answer(404, {"message": f"The action '{action}' is not available on "
                                           f"{entity.name} in the sandbox."})
        found = self._row(ctx, entity, key)
        if found is None or (document_type and str(
                found[1].get("documentType")).lower() != document_type.lower()):
            return Answer(404, {"message": f"{entity.name} '{key}' was not found."})
        row_id, doc = found
        doc = dict(doc)
        status = doc.get("status")
        if ap_action:
            allowed, new_status = ap_action
            if status not in allowed or doc.get("hold"):
                raise WriteError(f"Supplier invoice '{key}' is {status}"
                                 f"{' and on hold' if doc.get('hold') else ''}; {action} "
                                 f"needs a document that is {' or '.join(allowed)}.")
            doc["status"] = new_status
            self._save(ctx, entity, doc, row_id)
            return Answer(200, {"actionId": str(uuid.uuid4()), "actionResult": "Done",
                                "errorInfo": None})
        if entity.name == "supplierPayment" and doc.get("released") or \
                status not in _OPEN_STATUSES:
            raise WriteError(f"Document '{key}' is already released (status {status}).")
        if status == "Hold" or doc.get("hold"):
            raise WriteError(f"Document '{key}' is on hold; set hold to false before "
                             "releasing it.")
        if entity.name == "supplierPayment":
            doc["released"] = True
            doc["status"] = "Closed" if not doc.get("unappliedBalance") else "Open"
            self._apply_payment(ctx, doc)
        else:
            doc["status"] = "Open"
        self._save(ctx, entity, doc, row_id)
        return Answer(200, {"actionId": str(uuid.uuid4()), "actionResult": "Done",
                            "errorInfo": None})

    def _reverse(self, ctx: Context, entity: Entity, key: str) -> Answer:
        """``customerinvoice/{n}/action/reverse``: a credit note that undoes a released
        invoice, as a new document (Balanced, to be released like any other)."""
        found = self._row(ctx, entity, key)
        if found is None:
            return Answer(404, {"message": f"{entity.name} '{key}' was not found."})
        invoice = found[1]
        if invoice.get("status") in _OPEN_STATUSES or invoice.get("status") == "Voided":
            raise WriteError(f"Invoice '{key}' is {invoice.get('status')}; only a released "
                             "invoice can be reversed.")
        notes = ENTITIES["customerCreditNote"]
        number = self.next_number(ctx, notes)
        note = {k: v for k, v in invoice.items() if k not in ("metadata", "timeStamp")}
        amount = invoice.get("amount")
        note.update({"documentType": "CreditNote", "referenceNumber": number,
                     "status": "Balanced", "hold": False, "balance": amount,
                     "balanceInCurrency": invoice.get("amountInCurrency", amount),
                     "origInvoiceDate": invoice.get("documentDate"), "attachments": [],
                     "invoiceText": f"Reversal of invoice {key}",
                     "createdDateTime": now_stamp()})
        _fill_shape(note, ctx.sample(notes.name))
        self._save(ctx, notes, note, None)
        return Answer(200, {"actionId": str(uuid.uuid4()), "actionResult": "Done",
                            "errorInfo": None})

    def _apply_payment(self, ctx: Context, payment: dict) -> None:
        """A released payment lowers the balance of each invoice it pays (same transaction)."""
        invoices = ENTITIES["supplierInvoice"]
        for paid in payment.get("paymentLines") or []:
            found = self._row(ctx, invoices, str(paid.get("invoiceRefNbr")))
            if found is None:
                raise WriteError(f"Supplier invoice '{paid.get('invoiceRefNbr')}' paid by "
                                 f"'{payment.get('refNbr')}' no longer exists.")
            row_id, invoice = found
            if invoice.get("status") not in ("Open",):
                raise WriteError(f"Supplier invoice '{invoice.get('referenceNumber')}' is "
                                 f"{invoice.get('status')}; release it before paying it.")
            amount = float(paid.get("amountPaid") or 0.0)
            balance = _money(float(invoice.get("balance") or 0.0) - amount)
            if balance < 0:
                raise WriteError(f"The payment of {amount} exceeds the balance of supplier "
                                 f"invoice '{invoice.get('referenceNumber')}'.")
            invoice.update({"balance": balance, "balanceInCurrency": balance,
                            "status": "Closed" if balance == 0 else "Open"})
            self._save(ctx, invoices, invoice, row_id)

    # -- storage -----------------------------------------------------------------

    def _save(self, ctx: Context, entity: Entity, doc: dict, row_id: int | None) -> None:
        stamp = now_stamp()
        if entity.modified_field:
            doc[entity.modified_field] = stamp
            doc["timeStamp"] = row_version(time.time_ns())  # a new ETag per write
        doc.pop("metadata", None)
        conn, company_id = ctx.conn, ctx.company_id
        key = entity.key_of(doc)
        parent = doc.pop(PARENT_FIELD, None)
        status = doc.get(entity.status_field) if entity.status_field else None
        title = doc.get(entity.name_field) if entity.name_field else None
        modified = normalise_datetime(doc.get(entity.modified_field)) \
            if entity.modified_field else None
        created = normalise_datetime(doc.get(entity.created_field)) \
            if entity.created_field else None
        attrs = attribute_map(doc) if entity.attributes else None
        columns = (key, None if status is None else str(status),
                   None if title is None else str(title).casefold(), modified, created, attrs)
        if row_id is None:
            row_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM records").fetchone()[0]
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM records WHERE "
                               "company_id = ? AND entity = ?",
                               (company_id, entity.name)).fetchone()[0]
            conn.execute("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (row_id, company_id, entity.name, seq, *columns, parent))
        else:
            conn.execute("UPDATE records SET key=?, status=?, name=?, modified=?, created=?, "
                         "attrs=? WHERE id = ?", (*columns, row_id))
            conn.execute("DELETE FROM facets WHERE company_id = ? AND entity = ? AND id = ?",
                         (company_id, entity.name, row_id))
        conn.execute("INSERT OR REPLACE INTO main.docs VALUES (?, ?)",
                     (row_id, json.dumps(doc, ensure_ascii=False, separators=(",", ":"))))
        conn.executemany("INSERT OR IGNORE INTO facets VALUES (?,?,?,?,?)",
                         facet_rows(company_id, entity, doc, row_id))




# --------------------------------------------------------------------------- HTTP glue


def _owns_action(entity: str, action: str) -> bool:
    """Whether this module has behaviour for ``action`` on ``entity``."""
    name = action.split("|", 1)[0].lower()
    if entity == "customerinvoice" and name == "reverse":
        return True
    if entity == "supplierInvoice" and name in _AP_ACTIONS:
        return True
    return name == "release" and entity in RELEASABLE


def _reply(answer: Answer) -> Any:
    from fastapi.responses import Response

    if answer.body is None:
        return Response(status_code=answer.status, headers=answer.headers)
    return Response(json.dumps(answer.body, ensure_ascii=False).encode(),
                    status_code=answer.status, headers=answer.headers,
                    media_type="application/json; charset=utf-8")


def _fill(template: str | None, values: dict[str, str]) -> str | None:
    """``template`` with each ``{name}`` replaced by the path's value of that name."""
    if template is None:
        return None
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def _claim(writes: Writes, op) -> tuple[str, Entity, str | None, str | None] | Answer | None:
    """What this module does for a surface operation: ``(kind, resource, key template,
    action template)``, a fixed refusal, or None when the generic handlers answer it.

    Decided once per operation from its template, with the tables above (``WRITABLE``,
    ``RELEASABLE``, the actions of ``_owns_action``) and the settings' ``deletable``.
    """
    segments = op.path.split("/")[2:]
    routed = writes.route(op.method, segments, op.version)
    if isinstance(routed, Answer):
        first = lookup(segments[0])
        refusal = "cannot be" in str((routed.body or {}).get("message", ""))
        if routed.status == 405 and refusal and first is not None and first.name in WRITABLE:
            return routed  # e.g. deleting a customer: the API refuses it
        return None if routed.status in (404, 405) else routed
    kind, entity, _key, action = routed
    if kind == "action":
        return routed if _owns_action(entity.name, action or "") else None
    return routed if entity.name in WRITABLE else None


def handlers(writes: Writes) -> dict[str, Callable]:
    """The surface operations this module answers, by operation id; every other write
    is answered by the generic handlers (``routers._generic``)."""
    out: dict[str, Callable] = {}
    for op in surface().operations:
        if op.method == "GET":
            continue
        claimed = _claim(writes, op)
        if claimed is not None:
            out[op.operation_id] = _handler(writes, claimed)
    return out


def refusal(writes: Writes, method: str, op) -> Any:
    """This module's 405 for a write the surface lacks on ``op``'s path (``DELETE`` of
    a customer: "customer cannot be deleted through the API."), or None."""
    if method in ("GET", "HEAD"):
        return None
    routed = writes.route(method, op.path.split("/")[2:], op.version)
    return _reply(routed) if isinstance(routed, Answer) and routed.status == 405 else None


def _handler(writes: Writes, claimed: tuple | Answer) -> Callable:
    from starlette.concurrency import run_in_threadpool

    async def answer(call) -> Any:
        if isinstance(claimed, Answer):
            return _reply(claimed)
        kind, entity, key, action = claimed
        request = call.request
        body = await request.body()
        result = await run_in_threadpool(
            writes.run, kind, entity, _fill(key, call.values), _fill(action, call.values),
            body, call.company_id, _location_base(request, entity),
            request.headers.get("if-match"))
        return _reply(result)

    return answer


def _location_base(request, entity: Entity) -> str:
    """Where a created record will be read: the caller's layout and resource spelling
    (``/API/controller/api/v1/CustomerInvoice/``), on ``v1`` also for a ``v2`` create."""
    prefix = request.scope.get(ROOT_KEY) or "/v1/"
    raw = (request.scope.get("raw_path") or request.scope["path"].encode()).decode("latin-1")
    written = raw[len(prefix):].split("/", 1)[0]
    if prefix.lower().endswith("v2/"):
        prefix = prefix[:-3] + "v1/"
    resource = written if entity.name.lower() == unquote(written).lower() else entity.path
    return str(request.base_url).rstrip("/") + prefix.rstrip("/") + "/" + resource + "/"


# --------------------------------------------------------------------------- examples

# Request examples of the creates, shown in Swagger UI's "Try it out" (valid against the
# demo data); the OpenAPI document (``_openapi``) puts them on the surface's operations.
EXAMPLES: dict[str, dict] = {
    "customer": {"name": {"value": "Nordic Widgets AS"}, "customerClassId": {"value": "1"},
                 "mainAddress": {"value": {"addressLine1": {"value": "Storgata 1"},
                                           "postalCode": {"value": "0155"},
                                           "city": {"value": "OSLO"},
                                           "countryId": {"value": "NO"}}}},
    "supplier": {"name": {"value": "NewSupplier"}, "supplierClassId": {"value": "1"}},
    "inventory": {"inventoryNumber": {"value": "NEW-1"},
                  "description": {"value": "New item"}, "vatCodeId": {"value": "03"}},
    "customerinvoice": {"customerNumber": {"value": "10001"},
                        "documentDate": {"value": "2020-03-02"},
                        "invoiceLines": [{"operation": "Insert",
                                          "inventoryNumber": {"value": "6"},
                                          "quantity": {"value": 2},
                                          "unitPriceInCurrency": {"value": 100}}]},
    "supplierInvoice": {"supplierNumber": {"value": "50000"},
                        "date": {"value": "2019-11-08T00:00:00"},
                        "invoiceLines": [{"operation": "Insert",
                                          "inventoryNumber": {"value": "test*test"},
                                          "quantity": {"value": 1},
                                          "unitCostInCurrency": {"value": "1.60"}}]},
    "purchaseorder": {"orderType": {"value": "RegularOrder"}, "supplier": {"value": "50000"},
                      "lines": [{"operation": "Insert", "inventory": {"value": "teststock"},
                                 "warehouse": {"value": "2"}, "uom": {"value": "PALL"},
                                 "orderQty": {"value": 2}, "unitCost": {"value": 2000}}]},
    "supplierPayment": {"supplier": {"value": "50000"},
                        "paymentLines": [{"operation": "Insert",
                                          "refNbr": {"value": "000050"}}]},
    "attribute": {"attributeID": {"value": "FINISH"}, "description": {"value": "Finish"},
                  "controlType": {"value": "Combo"},
                  "details": [{"operation": "Insert", "valueId": {"value": "MATT"},
                               "description": {"value": "Matt"}}]},
}
