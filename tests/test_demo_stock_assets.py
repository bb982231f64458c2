"""Stock movements and the fixed-asset register of the demo companies tie together
(``vnkit.sandbox._demo._stock`` and ``._assets`` via ``_seed``): the stock per item and
warehouse is the sum of the movements that brought it there, never below zero, and
each asset's depreciation transactions add up to what its register entry implies.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from vnkit_demo_records import SMALL, cents, small_companies

from vnkit.sandbox import _seed
from vnkit.sandbox._demo._assets import depreciated, months

_SUMMARY = "inventorysummary/{inventoryNumber}"
_LINES = {"inventoryReceipt": "receiptLines", "inventoryissue": "issueLines",
          "inventoryadjustment": "adjusmentLines", "inventoryTransfer": "transferLines"}


@pytest.fixture(scope="module")
def small():
    return small_companies()


def _movements(company: dict[str, list]) -> list[tuple[str, str, str, float]]:
    """Every released stock movement: (day, item, warehouse, quantity (+ in))."""
    moves = []
    for receipt in company["PurchaseReceipt"]:
        if receipt["status"] == "Released":
            for line in receipt["lines"]:
                if line["warehouse"]:
                    moves.append((receipt["date"], line["inventory"]["number"],
                                  line["warehouse"]["id"], line["receiptQty"]))
    main = company["warehouse"][0]["warehouseID"]
    stock = {it["inventoryNumber"] for it in company["inventory"] if it["stockItem"]}
    for invoice in company["customerinvoice"]:
        if invoice["documentType"] == "Invoice" and invoice["status"] in ("Open", "Closed"):
            for line in invoice["invoiceLines"]:
                if line["inventoryNumber"] in stock and not line["soShipmentNbr"]:
                    moves.append((invoice["documentDate"], line["inventoryNumber"], main,
                                  -line["quantity"]))
    for shipment in company["shipment"]:
        for line in shipment["shipmentDetailLines"]:
            if line["warehouse"]:
                moves.append((shipment["shipmentDate"], line["inventoryNumber"],
                              line["warehouse"]["id"], -line["shippedQty"]))
    for kind, field in _LINES.items():
        for doc in company[kind]:
            if doc["status"] != "Released":
                continue
            for line in doc[field]:
                item, wh, qty = (line["inventoryItem"]["number"], line["warehouse"]["id"],
                                 line["quantity"])
                if kind == "inventoryTransfer":
                    moves.append((doc["date"], item, wh, -qty))
                    moves.append((doc["date"], item, doc["toWarehouse"]["id"], qty))
                else:
                    moves.append((doc["date"], item, wh, -qty if kind == "inventoryissue"
                                  else qty))
    return moves


def test_stock_on_hand_is_the_sum_of_its_movements_and_never_negative(small):
    for company_id in SMALL:
        company = small[company_id]
        moves = _movements(company)
        assert len({m[1] for m in moves}) > 3, company_id
        totals: Counter = Counter()
        # in date order, goods in before goods out on the same day
        for _, item, wh, qty in sorted(moves, key=lambda m: (m[0], -m[3])):
            totals[(item, wh)] += qty
            assert totals[(item, wh)] >= -1e-9, (company_id, item, wh)
        pending: Counter = Counter()
        for doc in company["inventoryissue"]:
            if doc["status"] != "Released":
                assert doc["date"] >= max(d["date"] for d in company["inventoryissue"]
                                          if d["status"] == "Released")
                for line in doc["issueLines"]:
                    pending[(line["inventoryItem"]["number"], line["warehouse"]["id"])] += (
                        line["quantity"])
        summary = {}
        for row in company[_SUMMARY]:
            assert row["_parent"] == f"inventorysummary/{row['inventory']['number']}"
            key = (row["inventory"]["number"], row["warehouse"]["id"])
            assert key not in summary
            summary[key] = row
        assert set(summary) == {k for k, v in totals.items()} | set(pending)
        for key, row in summary.items():
            assert row["onHand"] == pytest.approx(totals[key]), (company_id, key)
            assert row["inIssues"] == pytest.approx(pending[key])
            assert row["available"] == pytest.approx(row["onHand"] - row["inIssues"])
            assert row["available"] >= 0
            assert cents(row["estimatedTotalCost"]) == round(
                row["onHand"] * cents(row["estimatedUnitCost"]))


def test_stock_documents_refer_to_real_items_and_warehouses_and_add_up(small):
    for company_id in SMALL:
        company = small[company_id]
        items = {it["inventoryNumber"]: it for it in company["inventory"]}
        warehouses = {w["warehouseID"] for w in company["warehouse"]}
        periods = {p["period"] for p in company["financialPeriod"]}
        for kind, field in _LINES.items():
            refs = [d["referenceNumber"] for d in company[kind]]
            assert refs and refs == sorted(set(refs)), (company_id, kind)
            for doc in company[kind]:
                assert doc["postPeriod"] in periods
                assert doc["postPeriod"] == doc["date"][:4] + doc["date"][5:7]
                lines = doc[field]
                assert lines
                assert doc["totalQuantity"] == pytest.approx(
                    sum(abs(x["quantity"]) for x in lines))
                for line in lines:
                    assert line["inventoryItem"]["number"] in items
                    assert line["warehouse"]["id"] in warehouses
                    if kind != "inventoryTransfer":
                        assert cents(line["extCost"]) == round(
                            line["quantity"] * cents(line["unitCost"]))
                if kind == "inventoryTransfer":
                    assert doc["toWarehouse"]["id"] in warehouses
                    # between warehouses, or between the areas of the only one
                    assert (doc["toWarehouse"]["id"] != doc["warehouse"]["id"]) == (
                        len(warehouses) > 1)
                    assert {(x["location"]["id"], x["toLocation"]["id"]) for x in lines} == {
                        ("S1", "R1") if len(warehouses) > 1 else ("R1", "S1")}
                    assert {x["warehouse"]["id"] for x in lines} == {doc["warehouse"]["id"]}
                else:
                    total = doc["totalAmount" if kind == "inventoryissue" else "totalCost"]
                    assert cents(total) == sum(cents(x["extCost"]) for x in lines)


def _in_movements(company: dict[str, list]) -> int:
    """Stock account movement of all journal lines of module IN (cents, debit +)."""
    return sum(cents(x["debitAmount"]) - cents(x["creditAmount"])
               for j in company["journaltransaction"] if j["module"] == "ModuleIN"
               for x in j["journalTransactionLines"])


def test_stock_account_holds_the_value_on_hand(small):
    for company_id in SMALL:
        company = small[company_id]
        chart = _seed._CHARTS[_seed._PLANS[company_id].company.country]
        stock = sum(cents(b["periodToDateDebit"]) - cents(b["periodToDateCredit"])
                    for b in company["generalLedgerBalance"]
                    if b["account"]["number"] == chart["stock"])
        value = sum(cents(r["estimatedTotalCost"]) for r in company[_SUMMARY])
        assert stock == value != 0, company_id
        assert _in_movements(company) == 0  # every IN batch balances
        assert any(j["module"] == "ModuleIN" for j in company["journaltransaction"])


def test_fixed_asset_transactions_add_up_to_each_assets_depreciation(small):
    for company_id in SMALL:
        company = small[company_id]
        plan = _seed._PLANS[company_id]
        closed = _seed._period(plan.as_of)
        periods = {p["period"] for p in company["financialPeriod"]}
        classes = {c["classID"] for c in company["fixedAssetClass"]}
        accounts = {a["accountCD"] for a in company["account"]}
        subaccounts = {s["subaccountNumber"] for s in company["subaccount"]}
        by_asset: dict[str, list[dict]] = defaultdict(list)
        for row in company["fixedAssetTransaction"]:
            by_asset[row["assetID"]].append(row)
            assert row["transactionPeriodID"] in periods
            assert row["register"]["status"] == "Posted"
            assert {row["accounts"]["debitAccountID"], row["accounts"]["creditAccountID"]} <= (
                accounts)
        refs = [r["refNo"] for r in company["fixedAssetTransaction"]]
        assert refs == sorted(set(refs))
        assert set(by_asset) == {a["assetID"] for a in company["fixedAsset"]}
        for asset in company["fixedAsset"]:
            book = asset["bookBalance"]
            rows = by_asset[asset["assetID"]]
            assert asset["classID"] in classes
            named = {k: v for k, v in asset["accounts"].items() if v}
            assert {v for k, v in named.items() if "subaccount" not in k.lower()} <= accounts
            assert {v for k, v in named.items() if "subaccount" in k.lower()} <= subaccounts
            assert named["accountID"] in accounts
            acquired = [r for r in rows if r["transactionType"] == "PurchasingPlus"]
            assert len(acquired) == 1
            assert cents(acquired[0]["transactionAmount"]) == cents(book["acquisitionCost"])
            assert acquired[0]["transactionDate"] == asset["details"]["receiptDate"]
            assert plan.first_day <= _seed._o(*map(int, acquired[0]["transactionDate"][
                :10].split("-"))) <= plan.as_of
            depreciation = sorted((r for r in rows if r["transactionType"] ==
                                   "DepreciationPlus"), key=lambda r: r["transactionPeriodID"])
            # one row per period, from the first depreciation period through the last
            count = len(depreciation)
            assert [r["transactionPeriodID"] for r in depreciation] == sorted(
                {r["transactionPeriodID"] for r in depreciation})
            if count:
                assert depreciation[0]["transactionPeriodID"] == book["depreciationFromPeriod"]
                assert depreciation[-1]["transactionPeriodID"] == book[
                    "lastDepreciationPeriod"] < closed
                assert months(book["depreciationFromPeriod"],
                              book["lastDepreciationPeriod"]) == count
            base = cents(book["acquisitionCost"]) - cents(book["salvageAmount"])
            life = int(book["usefulLife"] * 12)
            accumulated = sum(cents(r["transactionAmount"]) for r in depreciation)
            assert accumulated == depreciated(base, life, count)
            assert 0 <= accumulated <= base
            fully = accumulated == base
            assert (asset["details"]["status"] == "FullyDepreciated") == fully
            assert months(book["depreciationFromPeriod"], book["depreciationToPeriod"]) == life
            # straight line: the monthly amounts differ by at most a cent
            amounts = {cents(r["transactionAmount"]) for r in depreciation}
            assert not amounts or max(amounts) - min(amounts) <= 1


def _balance(company: dict[str, list], account: str) -> int:
    """An account's balance over all periods (cents, debit +)."""
    return sum(cents(b["periodToDateDebit"]) - cents(b["periodToDateCredit"])
               for b in company["generalLedgerBalance"] if b["account"]["number"] == account)


def test_the_ledger_holds_the_registers_cost_and_depreciation(small):
    for company_id in SMALL:
        company = small[company_id]
        chart = _seed._FIXED_ASSET_ACCOUNTS[_seed._PLANS[company_id].company.country]
        rows = company["fixedAssetTransaction"]
        cost = sum(cents(a["bookBalance"]["acquisitionCost"]) for a in company["fixedAsset"])
        depreciation = sum(cents(r["transactionAmount"]) for r in rows
                           if r["transactionType"] == "DepreciationPlus")
        assert _balance(company, chart["fixed_assets"]) == cost > 0
        assert _balance(company, chart["accumulated_depreciation"]) == -depreciation < 0
        assert _balance(company, chart["depreciation"]) == depreciation
        journals = [j for j in company["journaltransaction"] if j["module"] == "ModuleFA"]
        assert {j["transactionDate"] for j in journals} == {
            r["transactionDate"] for r in rows}


def test_stock_and_assets_are_deterministic_from_the_seed():
    company = SMALL[-1]
    names = ("inventoryReceipt", "inventoryissue", "inventoryadjustment",
             "inventoryTransfer", _SUMMARY, "fixedAsset", "fixedAssetTransaction")

    def made(seed):
        return [(n, r) for _, n, r in _seed.generate(seed, companies=[company])
                if n in names]

    first = made(_seed.DEFAULT_SEED)
    assert first == made(_seed.DEFAULT_SEED)
    assert first != made(_seed.DEFAULT_SEED + 1)
