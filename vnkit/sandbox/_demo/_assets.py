"""The fixed-asset register of a demo company and its depreciation.

Assets (computers, furniture, machinery, in the classes ``01``..``03`` of the
``fixedAssetClass`` list) are bought during the company's document period and
depreciated straight-line, one book, from the month after they were received: after
``m`` months an asset has lost ``(cost - salvage) * m // (useful life in months)``,
so the monthly amounts differ by at most a cent and add up exactly. Each asset has one
acquisition transaction and one depreciation transaction per financial period up to
the last period closed before the company's "today" (the asset's
``lastDepreciationPeriod``); the transactions of an asset sum to its accumulated
depreciation, and its book value is its cost less that.

The transactions are posted (module ``FA``): an acquisition debits the fixed-asset
account against the bank (the assets were paid on delivery), a period's depreciation
debits the depreciation expense against the accumulated depreciation, so the two
balance-sheet accounts hold the register's cost and accumulated depreciation.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import _seed as S

S._T.update({
    "fa.01": ("Datautstyr", "Datorutrustning", "Tietokonelaitteet", "IT-udstyr"),
    "fa.02": ("Kontormøbler", "Kontorsmöbler", "Toimistokalusteet", "Kontormøbler"),
    "fa.03": ("Maskiner", "Maskiner", "Koneet", "Maskiner"),
    "fa.book": ("Regnskapsbok", "Bokföringsbok", "Kirjanpito", "Regnskabsbog"),
    "fa.acquired": ("Anskaffelse", "Anskaffning", "Hankinta", "Anskaffelse"),
    "fa.depreciated": ("Avskrivning {}", "Avskrivning {}", "Poisto {}", "Afskrivning {}"),
})

# class -> (useful life in years, cost range in the company's money)
_CLASSES = {"01": (3, (12_000, 60_000)), "02": (5, (20_000, 120_000)),
            "03": (10, (150_000, 900_000))}
BOOK = "1"


def months(first: str, last: str) -> int:
    """Periods from ``first`` through ``last`` (``YYYYMM``), both included."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[4:]) - int(first[4:]) + 1


def _shift(period: str, count: int) -> str:
    index = int(period[:4]) * 12 + int(period[4:]) - 1 + count
    return f"{index // 12}{index % 12 + 1:02d}"


def _period_end(period: str) -> int:
    """The last day of a period, as a day number."""
    return S._o(int(_shift(period, 1)[:4]), int(_shift(period, 1)[4:]), 1) - 1


def depreciated(base: int, life_months: int, count: int) -> int:
    """Straight-line depreciation (cents) of ``base`` after ``count`` months."""
    return base * min(count, life_months) // life_months


def records(co, books) -> Iterator[tuple[str, dict]]:
    """The register, then its transactions; posts them to ``books`` (a
    :class:`~._books.Books`)."""
    p = co.p
    accounts = {key: co.acct[key]["number"] for key in (
        "fixed_assets", "accumulated_depreciation", "depreciation", "bank")}
    sub = "00-000"
    rng = co.rng("fixed-assets")
    large = p.invoices > 10_000
    closed = _shift(S._period(p.as_of), -1)  # the last period depreciation ran for
    assets, rows = [], []
    span = max(1, p.as_of - 45 - p.first_day)
    dept = "10" if ("10", "000") in co.sub else "00"
    for n in range(1, (25 if large else 8) + 1):
        cls = rng.choice(sorted(_CLASSES))
        life, (low, high) = _CLASSES[cls]
        day = S._workday(p.first_day + rng.randrange(span))
        cost = S._cents(rng.uniform(low, high) * p.money / 100) * 100
        salvage = cost // 10 if cls == "03" else 0
        start = _shift(S._period(day), 1)
        life_months = life * 12
        count = max(0, min(months(start, closed), life_months))
        last = _shift(start, count - 1) if count else None
        asset_id = f"{n:06d}"
        status = "FullyDepreciated" if count == life_months else "Active"
        text = f"{co.t(f'fa.{cls}')} {n}"
        rows.append((day, asset_id, "Purchasing", "PurchasingPlus", cost, S._period(day),
                     co.t("fa.acquired")))
        done = 0
        for m in range(1, count + 1):
            period = _shift(start, m - 1)
            amount = depreciated(cost - salvage, life_months, m) - done
            done += amount
            rows.append((_period_end(period), asset_id, "Depreciation", "DepreciationPlus",
                         amount, period, co.t("fa.depreciated").format(period)))
        stamp = S._stamp(min(p.as_of, _period_end(last) + 1) if last else day,
                         S._office_ms(rng))
        assets.append({
            "assetID": asset_id, "recordType": "Asset", "parentAssetID": None,
            "description": text, "classID": cls, "isTangible": True, "quantity": 1.0,
            "depreciable": True, "usefulLife": float(life),
            "accounts": {
                "accountID": accounts["fixed_assets"], "subAccountID": sub,
                "accumulatedDepreciationAccountID": accounts["accumulated_depreciation"],
                "accumulatedDepreciationSubAccountID": sub,
                "depreciatedExpenseAccountID": accounts["depreciation"],
                "depreciatedExpenseSubAccountID": sub},
            "details": {
                "propertyType": "Property", "status": status, "receiptDate": S._date(day),
                "depreciateFromDate": S._date(_period_end(_shift(start, -1)) + 1),
                "acquisitionCost": S._money(cost), "salvageAmount": S._money(salvage),
                "disposalDate": None, "disposalPeriodID": None, "disposalMethodID": 0,
                "saleAmount": 0.0, "billNumber": None,
                "serialNumber": f"SN{S._mix('fa', co.cid, n) % 10**8:08d}",
                "disposalMethod": None, "leaseAndRentInfo": None},
            "bookBalance": {
                "acquisitionCost": S._money(cost), "depreciationMethodID": "SL",
                "depreciationFromDate": S._date(_period_end(_shift(start, -1)) + 1),
                "depreciationFromPeriod": start,
                "depreciationToPeriod": _shift(start, life_months - 1),
                "lastDepreciationPeriod": last, "salvageAmount": S._money(salvage),
                "usefulLife": float(life),
                "book": {"bookID": BOOK, "description": co.t("fa.book")}},
            "location": {"departmentID": dept, "branchID": co.branch["number"]},
            "propertyTax": None, "type": {"assetTypeID": cls,
                                          "description": co.t(f"fa.{cls}")},
            "lastModifiedDateTime": stamp, "errorInfo": None})
    yield from (("fixedAsset", a) for a in assets)
    rows.sort(key=lambda r: (r[0], r[1]))
    for n, (day, asset_id, origin, kind, cents, period, text) in enumerate(rows, start=1):
        debit, credit = (("fixed_assets", "bank") if origin == "Purchasing" else
                         ("depreciation", "accumulated_depreciation"))
        ref = f"{n:06d}"
        books.post(day, "FA", ref, [(accounts[debit], sub, cents),
                                    (accounts[credit], sub, -cents)], origin)
        yield "fixedAssetTransaction", {
            "refNo": ref, "lineNo": 1, "branchID": co.branch["number"],
            "origin": origin, "assetID": asset_id, "transactionDescription": text,
            "bookID": BOOK, "transactionType": kind,
            "accounts": {"debitAccountID": accounts[debit], "debitSubAccountID": sub,
                         "creditAccountID": accounts[credit], "creditSubAccountID": sub},
            "transactionAmount": S._money(cents), "batchNo": None,
            "transactionPeriodID": period, "transactionDate": S._date(day),
            "register": {"documentDate": S._date(day), "status": "Posted",
                         "hold": False},
            "lastModifiedDateTime": S._stamp(min(day, p.as_of), S._office_ms(rng)),
            "errorInfo": None}
