"""Every remaining resource, filled from its DTO with references to real records.

Where the API is regular and the demo companies give the data no story of its own
(classes, codes, settings, fixed assets, expense claims ...), records come from
:func:`~vnkit.sandbox._demo._shape.make` and are then *grounded*: every field, at any
depth, whose name says it refers to a customer, supplier, item, warehouse, account,
subaccount, branch, project, employee, currency or period is set to a record that
exists in the same company, in the field's own type (a number text or a nested
reference). Keys are numbered, dates fall inside the company's document period.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from ..._surface import surface
from .. import _seed as S
from ._projects import tasks
from ._reference import employees, salespersons
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
})

# Documents get more records than settings; the large company a few more again.
_DOCUMENTS = frozenset({
    "budget", "cashsale", "cashTransaction", "contact", "creditNote", "customerContract",
    "customerCreditWriteOff", "customerOverdueCharge", "customerSalesPrice", "discount",
    "fixedAsset", "fixedAssetTransaction",
    "inventoryadjustment", "inventoryissue", "inventoryReceipt", "inventoryTransfer",
    "kitassembly", "projecttransaction", "timeCard",
    "contractUsage", "location", "supplierlocation",
    "customer/{customerCd}/directdebit", "customer/{customerCd}/salespersons",
    "customerpaymentmethod/{customerId}", "inventory/{inventoryNumber}/crossReferences",
    "inventorysummary/{inventoryNumber}", "multilanguage/inventory/{inventoryNumber}",
})
_SINGLE = frozenset({"firstTimeStartup/status", "organization"})
_FIVE = frozenset({"multilanguage/languages"})
# Money documents made here wait for release (on hold or balanced), so they stay out of
# the ledger and the partners' balances, which only the released documents make.
_UNRELEASED = frozenset({"cashsale", "creditNote", "customerOverdueCharge",
                         "customerCreditWriteOff", "cashTransaction"})

_KEY_ENDS = ("refnbr", "referencenumber", "nbr", "number", "id", "cd", "code", "no")


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
        self.accounts = list(co.acct.values())
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
    lines = []
    for value in obj.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            sums = [add_up(v, rng) for v in value]
            if all(x is not None for x in sums):
                lines = sums
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
        for k in range(1, count + 1):
            pins = {"day": ctx.day(rng)}
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
            if parent is not None:
                record["_parent"] = parent
            yield resource, record
