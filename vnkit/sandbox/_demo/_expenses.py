"""Employees' expense receipts and the claims that gather them.

Each employee files a claim every few months; a claim holds the receipts of one trip
or month (travel, hotel, meals, taxi), its total is the sum of its receipts, and each
receipt names the claim it went into. Released and approved claims are in the past;
the last claims of the company are still waiting for approval.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import _seed as S
from ._reference import employees

S._T.update({
    "exp.TRAVEL": ("Flybillett", "Flygbiljett", "Lentolippu", "Flybillet"),
    "exp.HOTEL": ("Hotellovernatting", "Hotellnatt", "Hotelliyö", "Hotelovernatning"),
    "exp.MEALS": ("Bevertning", "Representation", "Ateriat", "Fortæring"),
    "exp.TAXI": ("Drosje", "Taxi", "Taksi", "Taxa"),
    "exp.claim": ("Reiseregning {}", "Reseräkning {}", "Matkalasku {}", "Rejseafregning {}"),
})

_KINDS = (("TRAVEL", (900, 6_500)), ("HOTEL", (1_100, 2_900)), ("MEALS", (150, 1_200)),
          ("TAXI", (120, 900)))


def records(co) -> Iterator[tuple[str, dict]]:
    rng = co.rng("expenses")
    p = co.p
    claims, receipts = [], []
    claim_no = receipt_no = 0
    start = max(p.first_day, p.as_of - 540)
    for number, name, dept in employees(co):
        day = start + rng.randrange(0, 60)
        while day < p.as_of:
            claim_no += 1
            claim_ref = f"{claim_no:06d}"
            claim_day = S._workday(day)
            age = p.as_of - claim_day
            status = ("Released" if age > 45 else "Approved" if age > 20 else
                      rng.choice(("PendingApproval", "PendingApproval", "Hold")))
            details, total = [], 0
            for line, (kind, (low, high)) in enumerate(
                    rng.sample(_KINDS, rng.randrange(1, 4)), start=1):
                receipt_no += 1
                when = S._workday(claim_day - rng.randrange(1, 20))
                cents = S._cents((low + (high - low) * rng.random()) * p.money)
                total += cents
                sub = co.sub[(dept, "000")]
                text = co.t(f"exp.{kind}")
                receipt = {
                    "internalId": receipt_no, "receiptId": f"{receipt_no:06d}",
                    "date": S._date(when), "taxTotal": 0.0,
                    "currency": {"id": co.base, "description": co.t(f"cur.{co.base}")},
                    "refNbr": claim_ref, "inventory": None, "description": text,
                    "uom": co.unit["piece"], "quantity": 1.0, "unitCost": S._money(cents),
                    "totalAmount": S._money(cents), "employeePart": 0.0,
                    "claimAmount": S._money(cents),
                    "status": {"Released": "Released", "Approved": "Approved"}.get(
                        status, "Pending"),
                    "claimedBy": {"number": number, "name": name},
                    "branch": {"number": co.branch["number"], "name": co.branch["name"]},
                    "expenseClaim": {"refNbr": claim_ref}, "invoiceable": False,
                    "project": co.project_x, "projectTask": None, "customer": None,
                    "location": None, "expenseAccount": co.acct["travel"],
                    "expenseSub": {"id": sub["subaccountNumber"],
                                   "description": sub["description"]},
                    "salesAccount": None, "salesSub": None,
                    "taxCategory": {"number": "03",
                                    "description": co.cat_ref["03"]["description"]},
                    "image": None}
                receipts.append(receipt)
                details.append({
                    "claimDetailId": receipt_no, "lineId": f"{line}", "date": S._date(when),
                    "expenseItem": None, "description": text, "quantity": 1.0,
                    "uom": co.unit["piece"], "unitCost": S._money(cents),
                    "currency": co.base, "totalAmount": S._money(cents),
                    "invoiceable": False, "claimAmount": S._money(cents),
                    "amountInClaimCurr": S._money(cents), "project": co.project_x,
                    "projectTask": None, "expenseAccount": co.acct["travel"],
                    "expenseSubaccount": {"id": sub["subaccountNumber"],
                                          "description": sub["description"]},
                    "branch": {"number": co.branch["number"], "name": co.branch["name"]},
                    "taxCategory": {"number": "03",
                                    "description": co.cat_ref["03"]["description"]},
                    "refNbr": receipt["receiptId"], "employeePart": 0.0, "customer": None,
                    "attachments": []})
            approved = status in ("Released", "Approved")
            claims.append({
                "refNbr": claim_ref, "status": status,
                "approvalStatus": "ReceivedByApproval" if approved else (
                    "SentToApproval" if status == "PendingApproval" else "New"),
                "date": S._date(claim_day),
                "description": co.t("exp.claim").format(S._month_label(claim_day, co.lang)),
                "claimedBy": {"number": number, "name": name},
                "claimTotal": S._money(total), "vatTaxableTotal": S._money(total),
                "vatExemptTotal": 0.0, "customer": None, "currency": co.base,
                "approvalDate": S._date(min(p.as_of, claim_day + 5)) if approved else None,
                "department": {"id": dept, "description": co.t(f"dept.{dept}")},
                "location": None,
                "lastModifiedDateTime": S._stamp(min(p.as_of, claim_day + (
                    30 if status == "Released" else 5 if approved else 0)),
                    S._office_ms(rng)),
                "details": details, "errorInfo": None})
            day = claim_day + rng.randrange(45, 120)
    claims.sort(key=lambda c: c["refNbr"])
    for claim in claims:
        yield "expenseClaim", claim
    receipts.sort(key=lambda r: r["receiptId"])
    for receipt in receipts:
        yield "expenseReceipt", receipt
