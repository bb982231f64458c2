"""The demo companies' data as an analyst sees it: every resource, full records that
refer to each other, and books that add up (``vnkit.sandbox._demo`` via ``_seed``).

The generator runs directly (no server). The small companies are collected whole; the
large company is checked in one streaming pass that keeps only sums.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
from vnkit_demo_records import LARGE, SMALL, cents, small_companies

from vnkit._surface import surface
from vnkit.sandbox import _seed

RESOURCES = surface().resources()
_JSON = {"string": str, "date-time": str, "integer": int, "number": (int, float),
         "boolean": bool, "object": dict}
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?$")


@pytest.fixture(scope="module")
def small():
    return small_companies()


# --------------------------------------------------------------------------- coverage


def test_every_resource_has_records_in_every_company(small):
    assert len(RESOURCES) == 107
    for company_id in SMALL:
        assert set(small[company_id]) == set(RESOURCES), company_id


def _check_fields(record: dict, dto: str, counts: Counter, depth: int = 0) -> None:
    """Count fields present / missing / of the wrong type, through nested DTOs."""
    for name, f in surface().dto(dto).items():
        counts["fields"] += 1
        if name not in record:
            counts["missing"] += 1
            continue
        value = record[name]
        if value is None:
            continue  # the API shows null for "nothing here"
        if f.dto:
            ok = isinstance(value, dict)
            if ok and depth < 3:
                _check_fields(value, f.dto, counts, depth + 1)
        elif f.type == "array":
            ok = isinstance(value, list)
            if ok and f.items_dto and depth < 3:
                for item in value[:3]:
                    _check_fields(item, f.items_dto, counts, depth + 1)
        elif f.enum:
            ok = value in surface().enums.get(f.enum, ())
        else:
            kind = _JSON.get(f.type or "")
            ok = kind is None or (isinstance(value, kind) and not (
                isinstance(value, bool) and f.type in ("integer", "number")))
            if ok and f.type == "date-time":
                ok = bool(_STAMP.match(value))
        if not ok:
            counts["wrong"] += 1
            counts[f"wrong:{dto}.{name}"] += 1


def test_records_carry_their_dto_fields_with_the_surface_types(small):
    for company_id in SMALL:
        counts: Counter = Counter()
        for name, records in small[company_id].items():
            for record in records[:25]:
                _check_fields(record, RESOURCES[name], counts)
        present = 1 - counts["missing"] / counts["fields"]
        wrong = counts["wrong"] / counts["fields"]
        assert present >= 0.98, (company_id, present)
        # the hand-written records keep a few values where the surface's type differs
        # from what the API answers (manualAmount, location ids): well under 1 %
        assert wrong < 0.01, (company_id, counts.most_common(12))


def test_parent_paths_fill_their_template(small):
    for company in small.values():
        for name, records in company.items():
            for record in records:
                if "{" not in name:
                    assert "_parent" not in record, name
                    continue
                parent = record["_parent"]
                literal = re.escape(name.split("{")[0].split("/")[0])
                assert re.match(literal, parent, re.IGNORECASE), (name, parent)
                assert "{" not in parent and not parent.startswith("v1/")
                assert surface().match("GET", "/v1/" + parent) is not None, parent


def test_summary_views_are_projections_of_their_documents(small):
    for company in small.values():
        def keys(name, field, company=company):
            return [r[field] for r in company[name]]
        documents = (keys("customerinvoice", "referenceNumber")
                     + keys("customerDebitNote", "referenceNumber")
                     + keys("customerCreditNote", "referenceNumber"))
        # one list for the three kinds, each numbered in its own series: in key order
        assert keys("customerdocument", "referenceNumber") == sorted(documents)
        assert keys("supplierdocument", "referenceNumber") == keys(
            "supplierInvoice", "referenceNumber")
        assert keys("purchaseorderbasic", "orderNbr") == keys("purchaseorder", "orderNbr")
        assert keys("projectbasic", "projectID") == keys("project", "projectID")
        assert keys("salesorderbasic", "orderNo") == keys("salesorder", "orderNo")
        assert keys("PurchaseReceiptBasic", "receiptNbr") == keys("PurchaseReceipt",
                                                                   "receiptNbr")
        full = {r["referenceNumber"]: r for r in company["customerinvoice"]}
        for view in company["customerdocument"]:
            if view["referenceNumber"] in full:
                doc = full[view["referenceNumber"]]
                assert (view["amount"], view["balance"], view["status"]) == (
                    doc["amount"], doc["balance"], doc["status"])


# --------------------------------------------------------------------------- references


def test_orders_shipments_and_invoices_refer_to_each_other(small):
    for company in small.values():
        customers = {c["number"] for c in company["customer"]}
        items = {i["inventoryNumber"] for i in company["inventory"]}
        warehouses = {w["warehouseID"] for w in company["warehouse"]}
        invoices = {i["referenceNumber"]: i for i in company["customerinvoice"]}
        orders = {o["orderNo"]: o for o in company["salesorder"]}
        people = {p["salespersonID"] for p in company["salesperson"]}
        assert orders
        for order in orders.values():
            assert order["customer"]["number"] in customers
            assert order["salesPerson"]["id"] in people
            for line in order["lines"]:
                assert line["inventory"]["number"] in items
                assert line["warehouse"] is None or line["warehouse"]["id"] in warehouses
            if order["invoiceNbr"]:
                invoice = invoices[order["invoiceNbr"]]
                assert invoice["customer"]["number"] == order["customer"]["number"]
                assert invoice["amount"] == order["orderTotal"]
        for shipment in company["shipment"]:
            for line in shipment["shipmentOrderLines"]:
                order = orders[line["orderNbr"]]
                assert order["customer"]["number"] == shipment["customer"]["number"]
                assert line["invoiceNbr"] == order["invoiceNbr"]
        for invoice in invoices.values():
            for line in invoice["invoiceLines"]:
                if line.get("soOrderNbr"):
                    assert orders[line["soOrderNbr"]]["invoiceNbr"] == (
                        invoice["referenceNumber"])
        commissions = {r["_parent"].split("/")[2] for r in
                       company["salesorder/{orderType}/{orderNbr}/commissions"]}
        assert commissions == set(orders)


def test_payments_and_receipts_refer_to_documents_of_their_partner(small):
    for company in small.values():
        ar = {}
        for name in ("customerinvoice", "customerDebitNote", "customerCreditNote"):
            ar.update({d["referenceNumber"]: d for d in company[name]})
        for payment in company["customerPayment"]:
            assert payment["paymentLines"]
            assert cents(payment["paymentAmount"]) == sum(
                cents(line["amountPaid"]) for line in payment["paymentLines"])
            for line in payment["paymentLines"]:
                doc = ar[line["refNbr"]]
                assert doc["customer"]["number"] == payment["customer"]["number"]
        orders = {o["orderNbr"]: o for o in company["purchaseorder"]}
        for receipt in company["PurchaseReceipt"]:
            for line in receipt["lines"]:
                order = orders[line["poOrderNbr"]]
                assert order["supplier"]["number"] == receipt["supplier"]["number"]


_REFERENCE_FIELDS = {
    "customer": "customer", "supplier": "supplier", "inventoryNumber": "inventory",
    "warehouse": "warehouse", "branchNumber": "branch", "project": "project",
}


def _refs(value):
    if isinstance(value, dict):
        return value.get("number") or value.get("id")
    return value


def _refers_to_known(obj: dict, known: dict, name: str, depth: int = 0) -> None:
    for field, kind in _REFERENCE_FIELDS.items():
        value = _refs(obj.get(field))
        if isinstance(value, str):
            assert value in known[kind], (name, field, value)
    if depth < 2:
        for value in obj.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    _refers_to_known(item, known, name, depth + 1)


def test_generic_records_refer_to_records_that_exist(small):
    for company in small.values():
        known = {
            "customer": {c["number"] for c in company["customer"]},
            "supplier": {s["number"] for s in company["supplier"]},
            "inventory": {i["inventoryNumber"] for i in company["inventory"]},
            "warehouse": {w["warehouseID"] for w in company["warehouse"]},
            "branch": {b["number"] for b in company["branch"]},
            "project": {p["projectID"] for p in company["project"]},
            "employee": {e["employeeNumber"] for e in company["employee"]},
        }
        for name in ("timeCard", "projecttransaction",
                     "inventoryissue", "inventoryReceipt", "inventoryTransfer", "cashsale",
                     "customerContract", "inventorysummary/{inventoryNumber}"):
            for record in company[name]:
                _refers_to_known(record, known, name)
        receipts: dict[str, list] = defaultdict(list)
        for receipt in company["expenseReceipt"]:
            receipts[receipt["expenseClaim"]["refNbr"]].append(receipt)
            assert receipt["claimedBy"]["number"] in known["employee"]
        for claim in company["expenseClaim"]:
            assert _refs(claim["claimedBy"]) in known["employee"]
            own = receipts[claim["refNbr"]]
            assert own and {r["claimedBy"]["number"] for r in own} == {
                claim["claimedBy"]["number"]}
            assert cents(claim["claimTotal"]) == sum(cents(r["totalAmount"]) for r in own)
            assert cents(claim["claimTotal"]) == sum(
                cents(d["totalAmount"]) for d in claim["details"])


def test_generic_money_documents_wait_for_release(small):
    # they stay out of the ledger and the partner balances the tests below add up
    for company in small.values():
        for name in ("cashsale", "creditNote", "customerOverdueCharge",
                     "customerCreditWriteOff", "cashTransaction"):
            assert {r["status"] for r in company[name]} <= {"Hold", "Balanced"}, name


def test_project_tasks_budgets_and_transactions_belong_together(small):
    for company in small.values():
        projects = {p["projectID"]: p for p in company["project"]}
        task_ids = {}
        for task in company["project/tasks"]:
            task_ids.setdefault(task["projectInternalId"], set()).add(task["taskId"])
        by_internal = {p["internalId"]: p["projectID"] for p in company["project"]}
        tasks = {by_internal[k]: v for k, v in task_ids.items()}
        actual: Counter = Counter()
        for line in company["projectbudget"]:
            assert line["projectTaskID"] in tasks[line["projectID"]]
            actual[(line["projectID"], line["type"])] += cents(line["actualAmount"])
        for project_id in tasks:
            project = projects[project_id]
            # shared out over three tasks, each share rounded down to the cent
            assert 0 <= cents(project["income"]) - actual[(project_id, "Income")] <= 2
            assert 0 <= cents(project["expenses"]) - actual[(project_id, "Expense")] <= 2
        for document in company["projecttransaction"]:
            for line in document["lines"]:
                project_id = line["project"]["id"]
                assert line["projectTask"]["id"] in tasks[project_id]


# --------------------------------------------------------------------------- books


class _Ledger:
    """Sums kept from one streaming pass over a company's records."""

    def __init__(self) -> None:
        self.moves: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        self.balances: dict[tuple, tuple[int, int]] = {}
        self.refs: set[str] = set()
        self.released: list[tuple[str, str]] = []
        self.ar: Counter = Counter()
        self.ap: Counter = Counter()
        self.customer_balance: Counter = Counter()
        self.supplier_balance: Counter = Counter()
        self.periods: set[str] = set()
        self.journals = 0

    def add(self, name: str, r: dict) -> None:
        if name == "journaltransaction":
            self.journals += 1
            lines = r["journalTransactionLines"]
            debit = sum(cents(x["debitAmount"]) for x in lines)
            credit = sum(cents(x["creditAmount"]) for x in lines)
            assert debit == credit == cents(r["debitTotal"]) == cents(r["creditTotal"])
            for x in lines:
                move = self.moves[(x["accountNumber"], x["subaccount"]["subaccountNumber"],
                                   r["financialPeriod"])]
                move[0] += cents(x["debitAmount"])
                move[1] += cents(x["creditAmount"])
                if x["referenceNumber"]:
                    self.refs.add((x["module"], x["referenceNumber"]))
        elif name == "GeneralLedgerTransactions":
            assert cents(r["begBalance"]) + cents(r["debitAmount"]) - cents(
                r["creditAmount"]) == cents(r["endingBalance"])
        elif name == "generalLedgerBalance":
            key = (r["account"]["number"], r["subAccountCd"], r["financialPeriod"])
            self.balances[key] = (cents(r["periodToDateDebit"]),
                                  cents(r["periodToDateCredit"]))
            assert cents(r["beginningBalance"]) + cents(r["periodToDateDebit"]) - cents(
                r["periodToDateCredit"]) == cents(r["yearToDateBalance"])
        elif name == "financialPeriod":
            self.periods.add(r["period"])
        elif name in ("customerinvoice", "customerDebitNote", "customerCreditNote"):
            if r["status"] in ("Open", "Closed"):
                sign = -1 if name == "customerCreditNote" else 1
                self.ar[r["customer"]["number"]] += sign * cents(r["balance"])
                self.released.append(("ModuleAR", r["referenceNumber"], r["documentDate"]))
        elif name == "supplierInvoice":
            if r["status"] in ("Open", "Closed"):
                sign = -1 if r["documentType"] == "DebitAdj" else 1
                self.ap[r["supplier"]["number"]] += sign * cents(r["balance"])
                self.released.append(("ModuleAP", r["referenceNumber"], r["date"]))
        elif name == "supplierPayment":
            if r["type"] == "Prepayment" and r["released"]:
                self.ap[r["supplier"]["number"]] -= cents(r["unappliedBalance"])
        elif name == "customerPayment":
            self.released.append(("ModuleAR", r["refNbr"], r["applicationDate"]))
        elif name == "customer/balance":
            self.customer_balance[r["customer"]["number"]] += cents(r["balance"])
        elif name == "supplier/balance":
            self.supplier_balance[r["supplier"]["number"]] += cents(r["balance"])

    def check(self, company_id: int) -> None:
        plan = _seed._PLANS[company_id]
        chart = _seed._CHARTS[plan.company.country]
        assert self.journals
        # balances are the journals' movements, period by period
        moved = {k: tuple(v) for k, v in self.moves.items() if v != [0, 0]}
        assert self.balances == moved
        assert {k[2] for k in moved} <= self.periods
        # partner balances are their open documents ...
        assert +self.customer_balance == +self.ar
        assert +self.supplier_balance == +self.ap
        # ... and add up to the control accounts
        receivables = sum(d - c for (a, _, _), (d, c) in moved.items()
                          if a == chart["receivables"])
        payables = sum(c - d for (a, _, _), (d, c) in moved.items()
                       if a == chart["payables"])
        assert receivables == sum(self.ar.values())
        assert payables == sum(self.ap.values())
        # every released document since the ledger's cut-over is in a journal
        since = _seed._date(plan.books_from or plan.first_day)
        for module, ref, day in self.released:
            if day >= since:
                assert (module, ref) in self.refs, (module, ref)


def test_books_add_up_in_the_small_companies(small):
    for company_id in SMALL:
        ledger = _Ledger()
        for name, records in small[company_id].items():
            for record in records:
                ledger.add(name, record)
        ledger.check(company_id)


def test_books_add_up_in_the_large_company():
    ledger = _Ledger()
    counts: Counter = Counter()
    for _, name, record in _seed.generate(companies=[LARGE]):
        counts[name] += 1
        ledger.add(name, record)
    ledger.check(LARGE)
    assert set(counts) == set(RESOURCES)
    # the large company keeps its sizes; new documents stay modest
    assert counts["customer"] == 20_000 and counts["customerinvoice"] == 50_000
    assert 1_000 <= counts["salesorder"] <= 3_000
    assert counts["journaltransaction"] < 2_000


def test_same_seed_same_derived_records():
    company = SMALL[-1]

    def derived(seed):
        return [(n, r) for _, n, r in _seed.generate(seed, companies=[company])
                if n in ("journaltransaction", "customerPayment", "salesorder",
                         "generalLedgerBalance", "expenseClaim")]

    first = derived(_seed.DEFAULT_SEED)
    assert first == derived(_seed.DEFAULT_SEED)
    assert first != derived(_seed.DEFAULT_SEED + 1)
