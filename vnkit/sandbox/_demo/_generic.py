"""Every remaining resource, filled from its DTO with references to real records.

Where the API is regular and the demo companies give the data no story of its own
(classes, codes, settings, contracts, time cards ...), records come from
:func:`~vnkit.sandbox._demo._shape.make` and are then *grounded*: every field, at any
depth, whose name says it refers to a customer, supplier, item, warehouse, account,
subaccount, branch, project, employee, currency or period is set to a record that
exists in the same company, in the field's own type (a number text or a nested
reference). Keys are numbered, dates fall inside the company's document period.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import cache
from typing import Any

from ..._surface import surface
from .. import _seed as S
from .._resources import resource as registry
from ._projects import tasks
from ._reference import employees, salespersons
from ._sales import _field_dto
from ._shape import fit, make, resource_dto

# Resources made by the hand-written generators or the other modules of this package.
HANDLED = frozenset({
    "account", "attribute", "branch", "creditTerm", "currency", "customer",
    "customer/customerClass", "customerCreditNote", "customerDebitNote", "customerinvoice",
    "inventory", "inventory/itemClass", "project", "purchaseorder", "subaccount", "supplier",
    "supplier/supplierClass", "supplierInvoice", "supplierPayment", "unitofmeasure", "vat",
    "vatCategory", "vatZone", "warehouse",
    "customerdocument", "supplierdocument", "purchaseorderbasic", "projectbasic",
    "customerPayment", "journaltransaction", "GeneralLedgerTransactions",
    "generalLedgerBalance", "customer/balance", "supplier/balance", "supplier/POBalance",
    "salesorder", "salesorderbasic", "salesorder/{orderType}/{orderNbr}/commissions",
    "shipment", "PurchaseReceipt", "PurchaseReceiptBasic",
    "inventory/barcode/purchasereceipt/{receiptNbr}",
    "country", "ledger", "financialPeriod", "department", "salesperson", "employee",
    "paymentmethod", "cashaccount", "currencyratetype", "currencyrate", "carrier",
    "numberSequence", "project/tasks", "projectbudget", "projectaccountgroup",
    "expenseClaim", "expenseReceipt",
    "inventoryReceipt", "inventoryissue", "inventoryadjustment", "inventoryTransfer",
    "inventorysummary/{inventoryNumber}", "fixedAsset", "fixedAssetTransaction",
})

# Documents get more records than settings; the large company a few more again.
_DOCUMENTS = frozenset({
    "budget", "cashsale", "cashTransaction", "contact", "creditNote", "customerContract",
    "customerCreditWriteOff", "customerOverdueCharge", "customerSalesPrice", "discount",
    "kitassembly", "projecttransaction", "timeCard",
    "contractUsage", "location", "supplierlocation",
    "customer/{customerCd}/directdebit", "customer/{customerCd}/salespersons",
    "customerpaymentmethod/{customerId}", "inventory/{inventoryNumber}/crossReferences",
    "multilanguage/inventory/{inventoryNumber}",
})
_SINGLE = frozenset({"firstTimeStartup/status", "organization"})
_FIVE = frozenset({"multilanguage/languages"})
# Money documents made here wait for release (on hold or balanced), so they stay out of
# the ledger and the partners' balances, which only the released documents make.
_UNRELEASED = frozenset({"cashsale", "creditNote", "customerOverdueCharge",
                         "customerCreditWriteOff", "cashTransaction"})

_KEY_ENDS = ("refnbr", "referencenumber", "nbr", "number", "id", "cd", "code", "no")


# Pure, and asked about the same few hundred field names a million times a build.
@cache
def _is_ref(lname: str, *words: str) -> bool:
    return any(lname == w or lname.startswith(w) and lname[len(w):] in (
        "", "id", "cd", "nbr", "number", "no") for w in words)


class _Context:
    """The company's real records that generic data may refer to."""

    def __init__(self, co, sales) -> None:
        self.co = co
        self.customers = [c for c in co.customers if c.status != "Inactive"] or co.customers
        self.suppliers = co.suppliers
        self.items = co.items
        self.stock = [it for it in co.items if it.stock] or co.items
        # (the fixed-asset accounts belong to the asset register alone)
        self.accounts = [a for key, a in co.acct.items()
                         if key not in S._FIXED_ASSET_ACCOUNTS[co.country]]
        self.subs = list(co.sub.values())
        # documents of the generic resources belong to real projects (never to "X")
        self.projects = co.project_list
        self.tasks = tasks(co)
        self.people = employees(co)
        self.sales = salespersons(co)
        self.first, self.last = co.p.first_day, co.p.as_of

    def _project(self, rng: random.Random, pins: dict) -> dict:
        """One project per record: every project field of a record names the same."""
        p = pins.get("project")
        if p is None:
            p = pins["project"] = rng.choice(self.projects)
        return p

    def day(self, rng: random.Random) -> int:
        return S._workday(self.first + rng.randrange(self.last - self.first + 1))

    def value(self, lname: str, f, rng: random.Random, pins: dict):
        """A grounded value for a field, or ``...`` when the name means nothing known."""
        co = self.co
        if f.type == "array" or f.enum:
            return ...
        if _is_ref(lname, "customer", "customervendor"):
            c = pins.get("customer") or rng.choice(self.customers)
            return c.number if not f.dto else {"internalId": c.internal_id,
                                               "number": c.number, "name": c.name,
                                               "id": c.number, "description": c.name}
        if _is_ref(lname, "supplier", "vendor"):
            s = rng.choice(self.suppliers)
            return s.number if not f.dto else {"internalId": s.internal_id,
                                               "number": s.number, "name": s.name,
                                               "id": s.number, "description": s.name}
        if _is_ref(lname, "inventory", "item", "inventoryitem") and lname != "itemclass":
            it = pins.get("item") or rng.choice(self.items)
            self.last_item = it
            return it.number if not f.dto else {"number": it.number, "id": it.number,
                                                "description": it.description}
        if _is_ref(lname, "warehouse", "site", "fromwarehouse", "towarehouse"):
            w = rng.choice(co.warehouses)
            return w["id"] if not f.dto else dict(w)
        if _is_ref(lname, "account", "debitaccount", "creditaccount", "expenseaccount",
                   "salesaccount", "cogsaccount", "accountnumber"):
            a = rng.choice(self.accounts)
            return a["number"] if not f.dto else {**a, "id": a["number"]}
        if _is_ref(lname, "subaccount", "sub", "debitsubaccount", "creditsubaccount",
                   "expensesubaccount", "salessubaccount"):
            s = rng.choice(self.subs)
            return s["subaccountNumber"] if not f.dto else {
                **s, "id": s["subaccountNumber"], "number": s["subaccountNumber"]}
        if _is_ref(lname, "branch", "branchnumber"):
            return co.branch["number"] if not f.dto else {**co.branch,
                                                          "id": co.branch["number"]}
        if _is_ref(lname, "project", "projectcd"):
            p = self._project(rng, pins)
            return p["id"] if not f.dto else {"id": p["id"], "description": p["description"]}
        if _is_ref(lname, "projecttask", "task"):
            p = self._project(rng, pins)
            task = pins.get("task")
            if task is None:
                task = pins["task"] = rng.choice(self.tasks[p["id"]])
            return task[0] if not f.dto else {"id": task[0], "taskId": task[0],
                                              "description": task[1]}
        if _is_ref(lname, "accountgroup"):
            group = rng.choice(("EXPENSE", "LABOR"))
            return group if not f.dto else {"id": group, "description": co.t(
                f"group.{group}")}
        if _is_ref(lname, "employee", "claimedby", "owner"):
            number, name, _ = pins.get("employee") or rng.choice(self.people)
            return number if not f.dto else {"id": number, "number": number, "name": name,
                                             "description": name}
        if _is_ref(lname, "salesperson"):
            sid, name = rng.choice(self.sales)
            return sid if not f.dto else {"id": sid, "description": name}
        if lname in ("currency", "currencyid", "curyid", "basecurrency"):
            return co.base if not f.dto else {"id": co.base, "description": co.base}
        if lname in ("uom", "unit", "baseunit", "salesunit", "purchaseunit"):
            return co.unit["piece"] if not f.dto else ...
        if not f.dto and f.type == "string" and lname.endswith("period"):
            return S._period(pins["day"])
        if not f.dto and f.type == "date-time":
            return S._stamp(pins["day"], S._office_ms(rng)) if "modified" in lname or (
                "created" in lname) else S._date(pins["day"])
        return ...

    def ground(self, obj: dict, dto: str, rng: random.Random, pins: dict,
               depth: int = 0) -> dict:
        item = None
        for name, f in surface().dto(dto).items():
            if name not in obj:
                continue
            self.last_item = None
            value = self.value(name.lower(), f, rng, pins)
            if self.last_item is not None and value is not ...:
                item = self.last_item
            if value is not ... and not (isinstance(value, dict) if f.dto
                                         else isinstance(value, str)
                                         and f.type in ("string", "date-time")):
                value = ...  # a reference of another type (an internal integer id)
            if value is not ...:
                obj[name] = fit(value, f.dto) if f.dto and isinstance(value, dict) else value
            elif depth < 3 and f.dto and isinstance(obj[name], dict):
                self.ground(obj[name], f.dto, rng, pins, depth + 1)
            elif depth < 3 and f.items_dto and isinstance(obj[name], list):
                for entry in obj[name]:
                    if isinstance(entry, dict):
                        self.ground(entry, f.items_dto, rng, pins, depth + 1)
        if item is not None:
            # a line about an item describes it and counts in its unit
            if isinstance(obj.get("description"), str):
                obj["description"] = item.description
            if isinstance(obj.get("uom"), str):
                obj["uom"] = item.sales_unit
        return obj


# Quantity and money fields by name: a line's extended amount is its quantity times its
# unit amount, and a document's total is the sum of its lines'.
_QUANTITIES = ("quantity", "qty", "receiptQty", "shippedQty", "orderQty", "timeSpent")
_EXTENDED = (("unitCost", ("extCost", "totalCost")), ("unitPrice", ("extPrice", "amount")),
             ("unitRate", ("amount",)), ("unitCost", ("totalAmount", "amount")))
_LINE_AMOUNTS = ("extCost", "amount", "totalAmount", "claimAmount", "extPrice", "tranAmt")
_TOTALS = ("totalAmount", "totalCost", "controlAmount", "controlTotal", "claimTotal",
           "totalAmt", "amount", "docTotal")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def add_up(obj: dict, rng: random.Random) -> int | None:
    """Make ``obj``'s amounts consistent (in place); returns its amount in cents."""
    for name in _QUANTITIES:
        value = obj.get(name)
        if _number(value):
            count = rng.choice((1, 1, 2, 3, 4, 5, 8, 10, 12, 20))
            obj[name] = count if isinstance(value, int) else float(count)
    quantity = next((obj[n] for n in _QUANTITIES if _number(obj.get(n))), None)
    amount = None
    if quantity is not None:
        for unit, extended in _EXTENDED:
            if _number(obj.get(unit)):
                for name in extended:
                    if _number(obj.get(name)):
                        amount = round(quantity * obj[unit] * 100)
                        obj[name] = amount / 100
                        break
                if amount is not None:
                    break
    lines: list[int] = []
    for value in obj.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            sums = [add_up(v, rng) for v in value]
            if all(x is not None for x in sums):
                lines = [x for x in sums if x is not None]
    if lines and amount is None:
        amount = sum(lines)
        for name in _TOTALS:
            if _number(obj.get(name)):
                obj[name] = amount / 100
    if amount is None:
        found = next((obj[n] for n in _LINE_AMOUNTS if _number(obj.get(n))), None)
        amount = None if found is None else round(found * 100)
    return amount


def _key_field(dto: str) -> str | None:
    for name, f in surface().dto(dto).items():
        lname = name.lower()
        if f.type == "string" and lname.endswith(_KEY_ENDS) and not _is_ref(
                lname, "customer", "supplier", "inventory", "branch", "project", "employee",
                "account", "subaccount", "warehouse", "currency", "vendor", "salesperson"):
            return name
    return None


def _parent_param(resource: str) -> str | None:
    start = resource.find("{")
    return None if start < 0 else resource[start + 1:resource.index("}")]


_LANGUAGES = (("da-DK", "Dansk"), ("en-GB", "English"), ("fi-FI", "Suomi"),
              ("nb-NO", "Norsk bokmål"), ("sv-SE", "Svenska"))


def _known(co, resource: str, k: int, pins: dict, rng: random.Random) -> dict:
    """Values with meaning for a few resources the surface alone fills poorly."""
    if resource == "customer/{customerCd}/directdebit":
        c = pins["customer"]
        iban = S._iban(c.country if c.country != "NO" else "NO",
                       str(S._mix("iban", co.cid, c.number) % 10**14).zfill(14))
        return {"id": f"{k:04d}", "mandateId": f"MND-{c.number}-{k:02d}",
                "mandateDescription": f"{c.name}", "iban": iban,
                "bic": {"NO": "DNBANOKK", "SE": "ESSESESS", "FI": "NDEAFIHH",
                        "DK": "DABADKKK"}.get(c.country, "NDEAFIHH"),
                "branch": co.branch["number"]}
    if resource == "customer/{customerCd}/salespersons":
        sid, name = salespersons(co)[k % len(salespersons(co))]
        return {"salePersonID": sid, "name": name, "locationID": co.location["id"],
                "locationName": co.location["name"], "commisionPct": 5.0,
                "isDefault": True, "errorInfo": None}
    if resource == "inventory/{inventoryNumber}/crossReferences":
        from ._sales import ean13

        item = pins["item"]
        return {"alternateType": "Barcode", "alternateID": ean13(item.number),
                "description": item.description, "uom": item.sales_unit,
                "bAccount": None}
    if resource == "multilanguage/inventory/{inventoryNumber}":
        language = _LANGUAGES[k % len(_LANGUAGES)][0]
        return {"languageISO": language, "translation": pins["item"].description,
                "isTranslated": language[:2] in ("da", "fi", "nb", "sv")}
    if resource == "multilanguage/languages":
        language, native = _LANGUAGES[(k - 1) % len(_LANGUAGES)]
        return {"isDefault": language[:2] == {"no": "nb"}.get(co.lang, co.lang),
                "languageISO": language, "nativeName": native, "isActive": True}
    return {}


def records(co, sales) -> Iterator[tuple[str, dict]]:
    ctx = _Context(co, sales)
    large = co.p.invoices > 10_000
    for resource in surface().resources():
        if resource in HANDLED:
            continue
        dto = resource_dto(resource)
        rng = co.rng(f"generic/{resource}")
        count = (1 if resource in _SINGLE else 5 if resource in _FIVE else
                 (40 if large else 12) if resource in _DOCUMENTS else 3)
        key = _key_field(dto)
        param = _parent_param(resource)
        spec = registry(resource)
        assert spec is not None, resource  # every surface resource is in the registry
        keys = _planned_keys(co, ctx, resource) if param is None else None
        if keys is not None:
            count = len(keys)
        for k in range(1, count + 1):
            pins: dict[str, Any] = {"day": ctx.day(rng)}
            parent = None
            if param is not None:
                if "inventory" in param.lower():
                    pins["item"] = ctx.stock[(k * 7) % len(ctx.stock)]
                    value = pins["item"].number
                elif "customer" in param.lower():
                    pins["customer"] = ctx.customers[(k * 13) % len(ctx.customers)]
                    value = (str(pins["customer"].internal_id) if "id" in param.lower()
                             else pins["customer"].number)
                else:
                    value = f"{k:04d}"
                parent = resource.replace("{" + param + "}", value)
            if "employee" in resource.lower() or resource in ("expenseClaim",
                                                              "expenseReceipt", "timeCard"):
                pins["employee"] = ctx.people[k % len(ctx.people)]
            record = make(dto, rng)
            ctx.ground(record, dto, rng, pins)
            add_up(record, rng)
            record.update(_known(co, resource, k, pins, rng))
            if resource in _UNRELEASED:
                record["status"] = "Hold" if k % 3 == 0 else "Balanced"
                record["hold"] = record["status"] == "Hold"
            if key is not None and parent is None:
                record[key] = f"{k:06d}" if count > 3 or resource in _SINGLE else f"{k:02d}"
            if parent is None:
                _set_key(record, spec.key, dto, keys[k - 1] if keys else k, count)
            else:
                record["_parent"] = parent
            _realistic(record, co, ctx, rng, pins, label=_label(resource))
            _known_after(co, resource, record, keys[k - 1] if keys else None, pins)
            _stamps_in_order(record)
            yield resource, record


# -- keys and values with meaning ---------------------------------------------------------

_ORDER_TYPES = (("CS", "Cash sale"), ("IN", "Invoice"), ("SO", "Sales order"))


def _planned_keys(co, ctx: _Context, resource: str) -> list | None:
    """The keys of a resource whose records stand for real things (in key order), or
    None where numbered records will do. Their number is the record count."""
    if resource == "budget":
        # one budget per profit-and-loss account for the company's current year (no
        # single GET: the list is keyed by its account)
        accounts = [a for a in ctx.accounts if a["type"] in ("Income", "Expense")]
        return sorted(accounts or ctx.accounts, key=lambda a: a["number"])
    if resource == "customerinvoice/worktypes":
        return sorted(surface().enums["WorkTypeRutRotTypeEnum"])
    if resource == "salesordertype":
        return [code for code, _ in _ORDER_TYPES]
    if resource == "KitSpecifications":
        return sorted(it.number for it in ctx.items[:3])
    if resource == "customerpaymentmethod":
        return sorted(c.number for c in ctx.customers[:3])
    if resource == "firstTimeStartup/status":
        return ["Completed"]
    return None


def _set_key(record: dict, key: str, dto: str, value, count: int) -> None:
    """Give a top-level record its registry key: a planned value, or number ``value``
    formatted for the key field's type (in the same order as the numbers)."""
    head, _, rest = key.partition(".")
    f = surface().dto(dto).get(head)
    if f is None:
        return
    if isinstance(value, dict):
        record[head] = fit(value, f.dto) if f.dto else value[rest or "number"]
        return
    if isinstance(value, str):
        if rest and isinstance(record.get(head), dict):
            record[head][rest] = value
        elif not rest:
            record[head] = value
        return
    if rest or f.dto or f.enum:
        return
    if f.type == "integer":
        record[head] = value if count < 10 else 1000 + value
    elif f.type == "string":
        record[head] = f"{value:06d}" if count > 3 else f"{value:02d}"


def _year(pins: dict) -> int:
    return int(S._day(pins["day"])[:4])


def _known_after(co, resource: str, record: dict, key, pins: dict) -> None:
    """Values that follow from a record's key."""
    if resource == "budget":
        year = S._day(co.p.as_of)[:4]
        cents = 100 * (1200 * (1 + S._mix("budget", co.cid, key["number"]) % 500))
        record.update({
            "financialYear": year, "description": key["description"],
            "amount": cents / 100, "distributedAmount": cents / 100,
            "releasedAmount": cents / 100 if record.get("released") else 0.0,
            "periods": [{"periodId": f"{year}{m:02d}", "amount": cents / 1200}
                        for m in range(1, 13)]})
        if isinstance(record.get("subaccount"), dict):
            record["subaccount"] = fit({**co.sub[("00", "000")],
                                        "id": co.sub[("00", "000")]["subaccountNumber"]},
                                       _field_dto("BudgetDto", "subaccount"))
    elif resource == "salesordertype":
        record["description"] = dict(_ORDER_TYPES)[key]
    elif resource == "KitSpecifications":
        item = next(it for it in co.items if it.number == key)
        record["description"] = item.description
        record["revision"] = "1"
    elif resource == "customerinvoice/worktypes":
        record["description"] = {"Rut": "RUT (household services)",
                                 "Rot": "ROT (repair and renovation)"}[key]
        record["xmlTag"] = {"Rut": "HushallsArbete", "Rot": "RotArbete"}[key]
    elif resource == "contact":
        c = pins.get("customer")
        if c is not None:
            record["businessAccount"] = c.number


def _label(resource: str) -> str:
    """A resource's name as words for a description (``fixedAssetClass`` -> ``Fixed
    asset class``)."""
    last = [p for p in resource.split("/") if not p.startswith("{")][-1]
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in last).strip()
    return words[:1].upper() + words[1:]


def _placeholder(value, name: str) -> bool:
    """Whether ``value`` is the ``"<field name> <n>"`` filler of the fabricator."""
    if not isinstance(value, str) or " " not in value:
        return False
    head, _, tail = value.rpartition(" ")
    return tail.isdigit() and head.lower() == name.lower()


# Code-like text fields the fabricator fills with its "<name> <n>" filler, by name.
_CODES = {
    "recordtype": "Asset", "doctype": "Invoice", "businessaccounttype": "Customer",
    "organizationtype": "Company", "breakby": "Amount", "discountby": "Percent",
    "applicableto": "Customer", "discounttype": "Line", "series": "Document",
    "volumeuom": "M3", "weightuom": "KG", "entrytype": "Receipt", "type": "Standard",
    "approvalstatustext": "Approved", "autoincrementalvalue": "000001",
    "subaccountmask": "XX-XXX", "accumulateddepreciationsubaccountmask": "XX-XXX",
    "depreciatedexpensesubaccountmask": "XX-XXX", "gainlosssubaccountmask": "XX-XXX",
    "proceedsubaccountmask": "XX-XXX", "revision": "1", "terms": "30",
    "paymentmethoddetailbankingdetailtype": "AccountNumber",
}


def _realistic(obj, co, ctx: _Context, rng: random.Random, pins: dict,
               depth: int = 0, owner: str = "", label: str = "") -> None:
    """Replace the fabricator's filler in code-like fields (years, periods, time
    stamps, accounts, codes) by values of the kind the API holds, at any depth."""
    from .._store import row_version

    if isinstance(obj, list):
        for item in obj:
            _realistic(item, co, ctx, rng, pins, depth + 1, owner)
        return
    if not isinstance(obj, dict) or depth > 6:
        return
    for name, value in obj.items():
        if isinstance(value, (dict, list)):
            _realistic(value, co, ctx, rng, pins, depth + 1, name.lower())
            continue
        if not _placeholder(value, name):
            continue
        lname = name.lower()
        if lname.endswith("year"):
            new = str(_year(pins) - (rng.randrange(1, 8) if "manufactur" in lname else 0))
        elif lname == "timestamp":
            new = row_version(rng.randrange(1, 1 << 31))
        elif lname in _CODES:
            new = _CODES[lname]
        elif lname.endswith("period") or lname.endswith("periodid"):
            new = S._period(pins["day"])
        elif lname in ("cashaccount",):
            new = co.acct["bank"]["number"]
        elif lname.endswith("account") and "business" not in lname:
            new = rng.choice(ctx.accounts)["number"]
        elif lname.endswith("subaccount") or lname.endswith("subaccountid"):
            new = rng.choice(ctx.subs)["subaccountNumber"]
        elif lname in ("location", "locationid"):
            new = co.location["id"]
        elif lname == "vatcategory" or lname == "defaultvatcategory":
            new = "1"
        elif lname in ("web", "url"):
            new = "https://www.example.com/"
        elif lname == "gln":
            new = "70" + str(S._mix("gln", co.cid, value) % 10**11).zfill(11)
        elif lname in ("businessaccount",):
            new = (pins.get("customer") or rng.choice(ctx.customers)).number
        elif lname in ("paymentref", "paymentreference", "documentref",
                       "externalreference"):
            new = f"{S._mix(lname, co.cid, value) % 10**8:08d}"
        elif lname in ("customerproject",):
            new = ctx._project(rng, pins)["id"]
        elif lname == "salesorderlink":
            new = None
        elif lname == "status":
            new = "Balanced"
        elif lname == "message":
            new = "Completed"
        elif lname == "errorinfo":
            new = None
        elif lname == "city":
            new = co.wh_address.get("city") if isinstance(co.wh_address, dict) else None
        elif lname in ("note", "externallink"):
            new = None  # free text nobody wrote
        elif lname == "segmentvalue":
            new = "000"
        elif lname == "name" and owner == "attachments":
            new = f"{S._mix('attachment', co.cid, value) % 10**6:06d}.pdf"
        elif lname == "name" and owner in ("location", "tolocation"):
            new = co.location["name"]
        elif lname in ("name", "description") and owner in ("county",):
            new = None
        elif lname == "description" and depth == 0 and label:
            new = f"{label} {S._mix(label, co.cid, value) % 900 + 100}"
        else:
            continue
        obj[name] = new


def _stamps_in_order(obj, depth: int = 0) -> None:
    """A record is created before it is last modified (at every depth)."""
    if isinstance(obj, list):
        for item in obj:
            _stamps_in_order(item, depth + 1)
        return
    if not isinstance(obj, dict) or depth > 6:
        return
    created, modified = obj.get("createdDateTime"), obj.get("lastModifiedDateTime")
    if isinstance(created, str) and isinstance(modified, str) and created > modified:
        obj["createdDateTime"], obj["lastModifiedDateTime"] = modified, created
    for value in obj.values():
        if isinstance(value, (dict, list)):
            _stamps_in_order(value, depth + 1)
