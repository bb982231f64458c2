"""Reference data with meaning: countries, ledgers, periods, departments, people, money.

A handful of records each, in the company's language, pointing at the accounts,
subaccounts and branches the core generator made.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from .. import _seed as S
from ._shape import fit

S._T.update({
    "ledger.budget": ("Budsjett", "Budget", "Budjetti", "Budget"),
    "period": ("Periode {}", "Period {}", "Jakso {}", "Periode {}"),
    "card": ("Betalingskort", "Betalkort", "Maksukortti", "Betalingskort"),
    "cash": ("Kontant", "Kontant", "Käteinen", "Kontant"),
    "rate.SPOT": ("Dagskurs", "Dagskurs", "Päivän kurssi", "Dagskurs"),
    "rate.BUDGET": ("Budsjettkurs", "Budgetkurs", "Budjettikurssi", "Budgetkurs"),
    "carrier.POST": ("Posten", "PostNord", "Posti", "PostNord"),
    "carrier.EXPRESS": ("Ekspress", "Express", "Pikakuljetus", "Ekspres"),
    "carrier.PICKUP": ("Henting", "Avhämtning", "Nouto", "Afhentning"),
    "seq.AR": ("Kundefakturaer", "Kundfakturor", "Myyntilaskut", "Debitorfakturaer"),
    "seq.AP": ("Leverandørfakturaer", "Leverantörsfakturor", "Ostolaskut",
               "Kreditorfakturaer"),
    "seq.SO": ("Salgsordrer", "Försäljningsordrar", "Myyntitilaukset", "Salgsordrer"),
    "seq.PO": ("Innkjøpsordrer", "Inköpsordrar", "Ostotilaukset", "Indkøbsordrer"),
    "seq.GL": ("Bilag hovedbok", "Verifikationer", "Tositteet", "Bilag"),
})

# Base rates against the Norwegian krone (per unit), moved a little each month.
_NOK_PER = {"NOK": 1.0, "SEK": 0.97, "DKK": 1.52, "EUR": 11.35, "USD": 10.45, "GBP": 13.2}


def salespersons(co) -> list[tuple[str, str]]:
    """(id, name) of the company's salespeople, the same on every call."""
    cached = getattr(co, "_demo_salespersons", None)
    if cached is None:
        rng = co.rng("salesperson")
        cached = [(f"SP{k:02d}", f"{rng.choice(co.loc.first)} {rng.choice(co.loc.last)}")
                  for k in range(1, 6)]
        co._demo_salespersons = cached
    return cached


def employees(co) -> list[tuple[str, str, str]]:
    """(employee number, name, department) of the company's staff."""
    cached = getattr(co, "_demo_employees", None)
    if cached is None:
        rng = co.rng("employee")
        depts = ("10", "10", "20", "30", "30", "40", "40", "10")
        cached = [(f"EMP{k:03d}", f"{rng.choice(co.loc.first)} {rng.choice(co.loc.last)}",
                   depts[k - 1]) for k in range(1, 9)]
        co._demo_employees = cached
    return cached


def periods(co) -> list[str]:
    """Financial periods from the first document year to the end of the current year."""
    first = date.fromordinal(co.p.first_day).year
    last = date.fromordinal(co.p.as_of).year
    return [f"{y}{m:02d}" for y in range(first, last + 1) for m in range(1, 13)]


def records(co, books) -> Iterator[tuple[str, dict]]:
    t, rng = co.t, co.rng("reference-demo")
    setup = S._stamp(co.setup_day, 33_000_000)
    for cid in ("DK", "FI", "GB", "NO", "SE", "US"):
        name = co.countries[cid]["name"] if cid in co.countries else {
            "GB": "UNITED KINGDOM", "US": "UNITED STATES"}[cid]
        yield "country", {"id": cid, "name": name, "errorInfo": None}

    yield "ledger", {"internalId": 1, "number": "L1", "description": t("ledger.actual"),
                     "balanceType": "Actual", "currencyId": co.base,
                     "consolidationSource": False, "consolBranch": None,
                     "branchAccounting": False, "lastModifiedDateTime": setup,
                     "postInterCompany": False}
    yield "ledger", {"internalId": 2, "number": "L2", "description": t("ledger.budget"),
                     "balanceType": "Budget", "currencyId": co.base,
                     "consolidationSource": False, "consolBranch": None,
                     "branchAccounting": False, "lastModifiedDateTime": setup,
                     "postInterCompany": False}

    as_of = S._period(co.p.as_of)
    for period in periods(co):
        y, m = int(period[:4]), int(period[4:])
        start = date(y, m, 1)
        end = date(y + (m == 12), m % 12 + 1, 1).toordinal() - 1
        closed = period < as_of[:4] + "01" and period < as_of
        yield "financialPeriod", {
            "year": y, "period": period, "startDate": S._date(start.toordinal()),
            "endDate": S._date(end), "description": t("period").format(f"{m:02d}-{y}"),
            "active": True, "closedInSupplierLedger": closed,
            "closedInCustomerLedger": closed, "closedInInventoryManagement": closed,
            "closedInGeneralLedger": closed, "closedInCashManagement": closed,
            "closedInFixedAssets": closed}

    for dept in ("00", "10", "20", "30", "40"):
        yield "department", {
            "departmentId": dept, "publicId": S._guid(co.cid, "department", dept),
            "description": t(f"dept.{dept}"),
            "expenseAccount": fit(co.acct["office"], "ExpenseAccountInDepartmentDto"),
            "expenseSubaccount": fit(co.sub[(dept, "000")], "ExpenseSubaccountInDepartmentDto"),
            "lastModifiedDateTime": setup}

    for pid, name in salespersons(co):
        yield "salesperson", {
            "salespersonID": pid, "name": name, "isActive": True, "commissionPct": 5.0,
            "salesSub": {"id": co.sub[("10", "000")]["subaccountNumber"],
                         "description": co.sub[("10", "000")]["description"]},
            "customers": [], "commissionHistory": [], "createdDateTime": setup,
            "lastModifiedDateTime": setup, "errorInfo": None}

    for k, (number, name, dept) in enumerate(employees(co), start=1):
        first, last = name.split(" ", 1)
        email = f"{S._slug(first)}.{S._slug(last)}@example.com"
        yield "employee", {
            "employeeUserId": S._guid(co.cid, "employee-user", number), "employeeId": k,
            "employeeNumber": number, "employeeName": name, "status": "Active",
            "department": dept,
            "contact": {"employeeContact": name, "firstName": first, "lastName": last,
                        "contactId": 9000 + k, "name": name, "email": email,
                        "phone1": co.phone(rng, co.country)},
            "address": fit(co.wh_address, "AddressInEmployeeDto"),
            "lastModifiedDateTime": setup, "employeeClass": {"id": "EMPL",
                                                             "description": "Employee"},
            "branch": co.branch, "calendarID": "MAIN", "employeeLogin": email,
            "workGroupDescription": [], "errorInfo": None}

    bank = co.acct["bank"]
    for pid, means, desc, in_ap in (("BANK", "DirectDeposit", t("bank"), True),
                                    ("CARD", "CreditCard", t("card"), False),
                                    ("CASH", "CashOrCheck", t("cash"), False)):
        yield "paymentmethod", {"paymentMethodID": pid, "active": True,
                                "meansOfPayment": means, "description": desc,
                                "useInAP": in_ap, "details": []}
    yield "cashaccount", {
        "lastModifiedDateTime": setup, "entryTypes": [], "currency": co.base,
        "account": fit(bank, "AccountInCashAccountDto"),
        "subaccount": fit(co.sub[("00", "000")], "SubaccountInCashAccountDto"),
        "number": bank["number"], "description": bank["description"]}

    # in key order, as the list answers
    yield "currencyratetype", {"id": "BUDGET", "description": t("rate.BUDGET"),
                               "daysEffective": 365}
    yield "currencyratetype", {"id": "SPOT", "description": t("rate.SPOT"),
                               "daysEffective": 0}
    # monthly spot rates of the other currencies against the base currency
    rate_rng = co.rng("currencyrate")
    k = 1000  # ids of one width: the list is in key order as text too
    base = _NOK_PER[co.base]
    drift = {c: 1.0 for c in _NOK_PER}
    for period in periods(co):
        day = date(int(period[:4]), int(period[4:]), 1).toordinal()
        if day > co.p.as_of:
            break
        for cur in sorted(_NOK_PER):
            drift[cur] *= 1 + rate_rng.uniform(-0.02, 0.02)
            if cur == co.base:
                continue
            k += 1
            rate = round(_NOK_PER[cur] * drift[cur] / (base * drift[co.base]), 6)
            yield "currencyrate", {
                "id": k, "fromCurrencyId": cur, "toCurrencyId": co.base, "rateType": "SPOT",
                "rate": rate, "effectiveDate": S._date(day), "multDiv": "Multiply",
                "rateReciprocal": round(1 / rate, 6)}

    for cid in ("EXPRESS", "PICKUP", "POST"):
        yield "carrier", {"carrierId": cid, "carrierDescription": t(f"carrier.{cid}"),
                          "lastModifiedDateTime": setup}

    for sid in ("APBILL", "ARINVOICE", "BATCH", "POORDER", "SOORDER"):
        key = {"APBILL": "AP", "ARINVOICE": "AR", "BATCH": "GL", "POORDER": "PO",
               "SOORDER": "SO"}[sid]
        yield "numberSequence", {"numberingId": sid, "description": t(f"seq.{key}"),
                                 "newNumberSymbol": "<NEW>", "manualNumbering": False,
                                 "sequence": []}
