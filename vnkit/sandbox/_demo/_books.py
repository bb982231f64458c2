"""The books of a demo company: customer payments, the general ledger and balances.

Everything here is derived from the documents the hand-written generators yield, as
they stream past (:meth:`Books.observe` keeps a few numbers per document, never the
records), so the ledger agrees with the sub-ledgers by construction:

* every released customer document (invoice, debit note, credit note) and supplier
  document (invoice, supplier credit note, payment, prepayment) and every customer
  payment or refund made here is posted in a journal transaction of its module
  (``ModuleAR`` / ``ModuleAP``), one batch per module and day. The batch carries one
  line per document on the control account (receivables, payables) with the document's
  number as ``referenceNumber``, plus the batch's revenue, cost, VAT and bank lines
  summed per account and subaccount, so a batch balances exactly;
* stock movements (:mod:`._stock`) and the fixed-asset register (:mod:`._assets`) post
  through :meth:`Books.post` in modules ``IN`` and ``FA``: lines that balance on their
  own, without a control account. Stock movements go in one batch per period;
* a closed customer invoice or debit note was paid by a customer payment on the day it
  closed (one payment per customer and day), a part-paid one by a payment of the part;
  a closed credit note was refunded; a closed supplier credit note was refunded too;
* ``generalLedgerBalance`` sums the journal lines per account, subaccount and period;
  ``customer/balance`` and ``supplier/balance`` sum the open documents' balances, which
  equals the control account's balance per partner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from .. import _seed as S
from ._shape import complete, fit

_AR_TYPES = {"customerinvoice": "Invoice", "customerDebitNote": "DebitNote",
             "customerCreditNote": "CreditNote"}
_RELEASED = ("Open", "Closed")


def _day_of(text: str) -> int:
    return date.fromisoformat(text[:10]).toordinal()


class Books:
    """Collects what the ledger needs from one company's documents, then yields it."""

    def __init__(self, co) -> None:
        self.co = co
        self.books_from = co.p.books_from or co.p.first_day
        # postings: (day, module, ms, ref, partner number, control cents (debit +),
        #            [(account key, sub number, cents (debit +), vat id or None)], text)
        self.postings: list[tuple] = []
        self.ar_open: dict[str, int] = defaultdict(int)   # customer -> open cents
        self.ap_open: dict[str, int] = defaultdict(int)   # supplier -> open cents
        self.sales_period: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.ap_period: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.receipts: list[tuple] = []  # (day, customer ref, kind, doc, cents)
        self.ap_refunds: list[tuple] = []
        self.customer_refs: dict[str, dict] = {}
        self.supplier_refs: dict[str, dict] = {}
        self.po_totals: dict[str, list[int]] = {}
        self.po_modified: dict[str, str] = {}
        self.ap_pay_last = 0  # highest supplier payment number seen

    # -- observing -------------------------------------------------------------------

    def observe(self, name: str, record: dict) -> None:
        kind = _AR_TYPES.get(name)
        if kind is not None:
            self._ar(kind, record)
        elif name == "supplierInvoice":
            self._ap(record)
        elif name == "supplierPayment":
            self._ap_payment(record)
        elif name == "customer":
            self.customer_refs[record["number"]] = {"internalId": record["internalId"],
                                                    "name": record["name"]}
        elif name == "supplier":
            self.supplier_refs[record["number"]] = {
                "internalId": record["internalId"], "number": record["number"],
                "name": record["name"]}
        elif name == "purchaseorder":
            totals = self.po_totals.setdefault(record["supplier"]["number"], [0] * 6)
            status = record["status"]
            slot = 0 if status == "Hold" else 4 if status in ("Closed",) else (
                2 if status not in ("Cancelled", "Voided") else None)
            if slot is not None:
                totals[slot] += S._cents(record["orderTotal"])
                totals[slot + 1] += S._cents(record["lineTotal"])
            number = record["supplier"]["number"]
            self.po_modified[number] = max(self.po_modified.get(number, ""),
                                           record["lastModifiedDateTime"])

    def _ar(self, kind: str, doc: dict) -> None:
        if doc["status"] not in _RELEASED:
            return
        sign = -1 if kind == "CreditNote" else 1
        day = _day_of(doc["documentDate"])
        total, balance = S._cents(doc["amount"]), S._cents(doc["balance"])
        customer = doc["customer"]["number"]
        lines = []
        for line in doc["invoiceLines"]:
            lines.append((line["account"]["number"], line["subaccount"]["subaccountNumber"],
                          -sign * S._cents(line["amount"]), line["vatCode"]["id"]))
        vat = S._cents(doc["vatTotal"])
        if vat:
            lines.append((self.co.acct["output_vat"]["number"], "00-000", -sign * vat, None))
        self.postings.append((day, "AR", 0, doc["referenceNumber"], customer, sign * total,
                              lines, doc["invoiceText"], kind))
        self.ar_open[customer] += sign * balance
        period = doc["financialPeriod"]
        if period == S._period(self.co.p.as_of):
            self.sales_period[customer][0] += sign * S._cents(doc["detailTotal"])
        if period[:4] == S._period(self.co.p.as_of)[:4]:
            self.sales_period[customer][1] += sign * S._cents(doc["detailTotal"])
        paid = total - balance
        if paid > 0:
            when = _day_of(doc["lastModifiedDateTime"])
            # what a payment line shows of the document (nothing before the cut-over,
            # where only the amount reaches the opening balance); never the record
            seen = None if when < self.books_from else (
                doc["referenceNumber"], doc["documentDate"], doc["documentDueDate"],
                doc["cashDiscountDate"], doc["balance"], doc["invoiceText"],
                doc["postPeriod"], doc["customerRefNumber"])
            self.receipts.append((when, customer, kind, seen, paid))

    def _ap(self, doc: dict) -> None:
        if doc["status"] not in _RELEASED:
            return
        credit = doc["documentType"] == "DebitAdj"
        sign = 1 if credit else -1  # control (payables): an invoice is a credit
        day = _day_of(doc["date"])
        total = S._cents(doc["amount"])
        lines = [(line["account"]["number"], line["subaccount"]["subaccountNumber"],
                  -sign * S._cents(line["cost"]), line["vatCode"]["id"])
                 for line in doc["invoiceLines"]]
        vat = S._cents(doc["vatTotal"])
        if vat:
            lines.append((self.co.acct["input_vat"]["number"], "00-000", -sign * vat, None))
        supplier = doc["supplier"]["number"]
        self.postings.append((day, "AP", 0, doc["referenceNumber"], supplier, sign * total,
                              lines, doc["description"], doc["documentType"]))
        self.ap_open[supplier] += -sign * S._cents(doc["balance"])
        totals = self.ap_period[supplier]
        detail = total - vat
        if doc["financialPeriod"] == S._period(self.co.p.as_of):
            totals[0] += -sign * detail
            totals[1] += -sign * total
        if doc["financialPeriod"][:4] == S._period(self.co.p.as_of)[:4]:
            totals[2] += -sign * detail
            totals[3] += -sign * total
        if credit and doc["status"] == "Closed":
            self.ap_refunds.append((_day_of(doc["lastModifiedDateTime"]), supplier, doc))

    def _ap_payment(self, pay: dict) -> None:
        self.ap_pay_last = max(self.ap_pay_last, int(pay["refNbr"]))
        if not pay["released"]:
            return
        day = _day_of(pay["applicationDate"])
        amount = S._cents(pay["paymentAmount"])
        supplier = pay["supplier"]["number"]
        bank = self.co.acct["bank"]["number"]
        self.postings.append((day, "AP", 1, pay["refNbr"], supplier, amount,
                              [(bank, "00-000", -amount, None)], pay["description"],
                              pay["type"]))
        if pay["type"] == "Prepayment":
            self.ap_open[supplier] -= S._cents(pay["unappliedBalance"])

    def post(self, day: int, module: str, ref: str, parts: list[tuple[str, str, int]],
             kind: str) -> None:
        """Post a movement of a module without a control account (``IN``, ``FA``):
        ``parts`` are (account number, subaccount number, cents (debit +)) and balance."""
        assert sum(part[2] for part in parts) == 0, (module, ref)
        self.postings.append((day, module, 0, ref, None, 0,
                              [(a, s, c, None) for a, s, c in parts], kind, kind))

    # -- customer payments -------------------------------------------------------------

    def customer_payments(self) -> Iterator[tuple[str, dict]]:
        """Payments (one per customer and day) and refunds of closed credit notes."""
        co, t = self.co, self.co.t
        groups: dict[tuple[int, str, str], list] = {}
        for when, customer, kind, doc, cents in self.receipts:
            key = (when, customer, "Refund" if kind == "CreditNote" else "Payment")
            groups.setdefault(key, []).append((doc, cents, kind))
        bank = co.acct["bank"]["number"]
        branch = co.branch["number"]
        rng = co.rng("customerPayment")
        k = 0
        for (when, customer, kind), docs in sorted(groups.items()):
            amount = sum(c for _, c, _ in docs)
            sign = 1 if kind == "Refund" else -1  # receivables: a payment is a credit
            if when < self.books_from:
                # before the ledger's cut-over: only its effect on the opening balance
                self.postings.append((when, "AR", 2, None, customer, sign * amount,
                                      [(bank, "00-000", -sign * amount, None)], "", kind))
                continue
            k += 1
            number = f"{k:06d}"
            lines = []
            for (ref_nbr, day, due, discount_day, balance, text, period, order), cents, \
                    doc_kind in docs:
                lines.append({
                    "documentType": doc_kind, "refNbr": ref_nbr,
                    "amountPaid": S._money(cents), "cashDiscountTaken": 0.0,
                    "balanceWriteOff": 0.0, "writeOffReasonCode": None,
                    "date": day, "dueDate": due, "cashDiscountDate": discount_day,
                    "balance": balance, "cashDiscountBalance": 0.0, "description": text,
                    "currency": co.base, "postPeriod": period, "customerOrder": order,
                    "crossRate": 1.0})
            ref = {"number": customer, "name": self.customer_refs[customer]["name"]}
            stamp = S._stamp(when, S._office_ms(rng))
            self.postings.append((when, "AR", 2, number, customer, sign * amount,
                                  [(bank, "00-000", -sign * amount, None)],
                                  t("pay").format(S._day(when)), kind))
            yield "customerPayment", {
                "type": kind, "refNbr": number, "status": "Closed", "hold": False,
                "applicationDate": S._date(when), "applicationPeriod": S._period(when),
                "paymentRef": f"{S._day(when).replace('-', '')}-{k % 1000:03d}",
                "customer": ref, "location": {"id": co.location["id"],
                                              "name": co.location["name"]},
                "paymentMethod": {"id": co.payment_method["id"],
                                  "description": co.payment_method["description"]},
                "cashAccount": bank, "currency": co.base, "paymentAmount": S._money(amount),
                "invoiceText": t("pay").format(S._day(when)),
                "appliedToDocuments": S._money(amount), "appliedToOrders": 0.0,
                "availableBalance": 0.0, "writeOffAmount": 0.0, "financeCharges": 0.0,
                "deductedCharges": 0.0, "branch": branch, "lastModifiedDateTime": stamp,
                "paymentLines": lines, "ordersToApply": [],
                "financialDetails": {"paymentDate": S._date(when)},
                "paymentAmountInCurrency": S._money(amount),
                "availableBalanceInCurrency": 0.0, "errorInfo": None}
        # the supplier refunds what a closed supplier credit note owed us
        for k, (when, supplier, doc) in enumerate(sorted(
                self.ap_refunds, key=lambda r: (r[0], r[2]["referenceNumber"])),
                start=self.ap_pay_last + 1):
            cents = S._cents(doc["amount"])
            number = f"{k:06d}"
            self.postings.append((when, "AP", 3, number, supplier, -cents,
                                  [(bank, "00-000", cents, None)], doc["description"],
                                  "Refund"))
            yield "supplierPayment", {
                "type": "Refund", "documentType": "Refund", "refNbr": number,
                "status": "Closed", "hold": False, "applicationDate": S._date(when),
                "applicationPeriod": S._period(when),
                "paymentRef": f"{S._day(when).replace('-', '')}-R{k % 1000:03d}",
                "supplier": doc["supplier"], "location": doc["location"],
                "paymentMethod": co.payment_method["id"], "cashAccount": bank,
                "currency": fit(co.currency, "CurrencyInSupplierPaymentDto"),
                "description": doc["description"], "paymentAmount": S._money(cents),
                "financeCharges": 0.0, "balance": 0.0, "unappliedBalance": 0.0,
                "appliedAmount": S._money(cents), "released": True,
                "lastModifiedDateTime": S._stamp(when, S._office_ms(rng)), "branch": branch,
                "paymentLines": [{
                    "docType": "DebitAdj", "invoiceRefNbr": doc["referenceNumber"],
                    "amountPaid": doc["amount"], "cashDiscountTaken": 0.0,
                    "date": doc["date"], "dueDate": doc["dueDate"], "balance": 0.0,
                    "description": doc["description"], "currency": co.base,
                    "postPeriod": doc["postPeriod"],
                    "supplierRef": doc["supplierReference"]}],
                "errorInfo": None}

    # -- ledger ------------------------------------------------------------------------

    def ledger(self, periods: list[str]) -> Iterator[tuple[str, dict]]:
        """Journal transactions, their GL detail lines (recent periods) and balances."""
        co = self.co
        acct = {a["number"]: a for a in co.acct.values()}
        # journal lines name their subaccount without its segment breakdown (the
        # subaccount resource has it): tens of thousands of lines in the large company
        sub_ref = {s["subaccountNumber"]: complete(
            {k: s[k] for k in ("subaccountNumber", "subaccountId", "description", "active")},
            "SubaccountInJournalTransactionLineDto") for s in co.sub.values()}
        control = {"AR": co.acct["receivables"]["number"],
                   "AP": co.acct["payables"]["number"]}
        vat_ref = {e[1]["id"]: e[1] for e in co.vat_of.values()}
        ledger_id = "L1"
        rng = co.rng("ledger")
        batches: dict[tuple[int, str], list] = defaultdict(list)
        opening: dict[tuple[str, str], int] = defaultdict(int)
        # the stock movements of a period go to the ledger together, on its last
        # movement's day (one batch per period, not one per shipment day)
        last_day: dict[str, int] = {}
        for posting in self.postings:
            if posting[1] == "IN":
                period = S._period(posting[0])
                last_day[period] = max(last_day.get(period, 0), posting[0])
        for posting in self.postings:
            if posting[0] < self.books_from:
                _, module, _, _, _, cents, parts, _, _ = posting
                if control.get(module) is not None:
                    opening[(control[module], "00-000")] += cents
                for account, sub, amount, _ in parts:
                    opening[(account, sub)] += amount
            elif posting[1] == "IN":
                batches[(last_day[S._period(posting[0])], "IN")].append(posting)
            else:
                batches[(posting[0], posting[1])].append(posting)
        self.postings = []
        if any(opening.values()):
            # past years' income and expenses are closed into equity
            equity = (co.acct["equity"]["number"], "00-000")
            for (account, sub), cents in list(opening.items()):
                if acct[account]["type"] in ("Income", "Expense"):
                    opening[equity] += cents
                    opening[(account, sub)] = 0
            batches[(self.books_from, "GL")] = [
                (self.books_from, "GL", 0, None, None, 0,
                 [(a, s, c, None) for (a, s), c in sorted(opening.items()) if c],
                 co.t("opening"), "Opening")]
        control.update({"GL": None, "IN": None, "FA": None})
        movements: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        as_of = S._period(co.p.as_of)
        gl_periods = set([p for p in periods if p <= as_of][-3:])
        gl_rows: list[tuple] = []
        journal: list[dict] = []
        for number, (day, module) in enumerate(sorted(batches), start=1):
            docs = sorted(batches[(day, module)], key=lambda p: (p[2], p[3]))
            period = S._period(day)
            lines: list[tuple] = []
            summary: defaultdict[tuple, int] = defaultdict(int)
            for _, _, _, ref, partner, cents, parts, text, _kind in docs:
                if control[module] is not None:
                    lines.append((control[module], "00-000", cents, ref, partner, text, None))
                for account, sub, amount, vat in parts:
                    summary[(account, sub, vat)] += amount
            for (account, sub, vat), amount in sorted(summary.items(),
                                                      key=lambda kv: (kv[0][0], kv[0][1],
                                                                      kv[0][2] or "")):
                if amount:
                    lines.append((account, sub, amount, None, None,
                                  acct[account]["description"], vat))
            debit = sum(line[2] for line in lines if line[2] > 0)
            credit = -sum(line[2] for line in lines if line[2] < 0)
            assert debit == credit, (module, day)
            batch = f"{module}{number:06d}"
            stamp = S._stamp(day, 64_800_000 + rng.randrange(0, 3_600_000))
            out_lines = []
            for n, (account, sub, cents, ref, partner, text, vat) in enumerate(lines, 1):
                movements[(account, sub, period)][0 if cents > 0 else 1] += abs(cents)
                out_lines.append({
                    "lineNumber": n, "accountNumber": account, "description": text,
                    "subaccount": sub_ref[sub],
                    "referenceNumber": ref, "debitAmount": S._money(max(cents, 0)),
                    "debitAmountInCurrency": S._money(max(cents, 0)),
                    "creditAmount": S._money(max(-cents, 0)),
                    "creditAmountInCurrency": S._money(max(-cents, 0)),
                    "transactionDescription": text,
                    "vatCode": vat_ref.get(vat) if vat else None, "vat": None,
                    "branch": co.branch["number"], "customerSupplier": partner,
                    "transactionType": None, "module": f"Module{module}", "uom": None,
                    "project": None, "projectTask": None, "attachments": [],
                    "quantity": 0.0, "inventoryNumber": None, "note": None})
                if period in gl_periods:
                    gl_rows.append((account, sub, day, batch, module, n, ref, text, cents,
                                    stamp))
            journal.append({
                "module": f"Module{module}", "batchNumber": batch, "status": "Posted",
                "hold": False, "transactionDate": S._date(day), "postPeriod": period,
                "financialPeriod": period, "ledger": ledger_id,
                "ledgerDescription": co.t("ledger.actual"), "currencyId": co.base,
                "exchangeRate": 1.0, "autoReversing": False, "reversingEntry": False,
                "description": f"{module} {S._day(day)}", "originalBatchNumber": None,
                "debitTotal": S._money(debit), "debitTotalInCurrency": S._money(debit),
                "creditTotal": S._money(credit), "creditTotalInCurrency": S._money(credit),
                "controlTotal": S._money(debit), "controlTotalInCurrency": S._money(debit),
                "createVatTransaction": False, "skipVatAmountValidation": False,
                "lastModifiedDateTime": stamp, "transactionCode": None,
                "transactionCodeDescription": None, "branch": co.branch["number"],
                "journalTransactionLines": out_lines, "attachments": [], "errorInfo": None})
        # batches are numbered by day across modules; the list is in batch-number order
        for batch_record in sorted(journal, key=lambda r: r["batchNumber"]):
            yield "journaltransaction", batch_record
        yield from self._balances(movements, periods, acct)
        yield from self._gl_details(gl_rows, movements, periods, acct)

    def _balances(self, movements, periods, acct) -> Iterator[tuple[str, dict]]:
        """One balance per account, subaccount and period with movements, cumulative
        for balance-sheet accounts, from the start of the year for income/expense."""
        co = self.co
        branch = {"number": co.branch["number"], "name": co.branch["name"]}
        ledger = {"id": "L1", "description": co.t("ledger.actual")}
        keys = sorted({(a, s) for a, s, _ in movements})
        self.closing: dict[tuple[str, str, str], int] = {}
        stamp = S._stamp(co.p.as_of, 72_000_000)
        for account, sub in keys:
            running = 0
            kind = acct[account]["type"]
            for period in periods:
                if kind in ("Income", "Expense") and period.endswith("01"):
                    running = 0
                debit, credit = movements.get((account, sub, period), (0, 0))
                begin = running
                running += debit - credit
                self.closing[(account, sub, period)] = begin
                if not debit and not credit:
                    continue
                yield "generalLedgerBalance", {
                    "branch": branch, "ledger": ledger, "balanceType": "Actual",
                    "financialPeriod": period,
                    "account": fit(acct[account], "AccountNumberDescriptionDto"),
                    "subaccountId": sub, "subAccountCd": sub, "currencyId": co.base,
                    "periodToDateDebit": S._money(debit),
                    "periodToDateCredit": S._money(credit),
                    "beginningBalance": S._money(begin),
                    "yearToDateBalance": S._money(running),
                    "periodToDateDebitInCurrency": S._money(debit),
                    "periodToDateCreditInCurrency": S._money(credit),
                    "beginningBalanceInCurrency": S._money(begin),
                    "yearToDateBalanceInCurrency": S._money(running),
                    "yearClosed": period[:4] < S._period(co.p.as_of)[:4],
                    "lastModifiedDateTime": stamp, "errorInfo": None}

    def _gl_details(self, rows, movements, periods, acct) -> Iterator[tuple[str, dict]]:
        """GL transaction details of the last three periods, with running balances."""
        co = self.co
        branch = {"number": co.branch["number"], "name": co.branch["name"]}
        ledger = {"id": "L1", "description": co.t("ledger.actual")}
        rows.sort(key=lambda r: (r[0], r[1], r[2], r[3], r[5]))
        running: dict[tuple[str, str, str], int] = {}
        for _n, (account, sub, day, batch, module, line, ref, text, cents, stamp) in enumerate(
                rows, start=1):
            period = S._period(day)
            key = (account, sub, period)
            begin = running.get(key, self.closing[key])
            running[key] = begin + cents
            yield "GeneralLedgerTransactions", {
                "lineNumber": line, "module": module, "batchNumber": batch,
                "tranDate": S._date(day), "period": period, "description": text,
                "refNumber": ref, "branch": branch,
                "account": fit(acct[account], "AccountInGeneralLedgerTransactionDetailsDto"),
                "ledger": ledger, "subaccount": sub, "begBalance": S._money(begin),
                "debitAmount": S._money(max(cents, 0)),
                "creditAmount": S._money(max(-cents, 0)),
                "endingBalance": S._money(begin + cents), "currency": co.base,
                "currBegBalance": S._money(begin), "currDebitAmount": S._money(max(cents, 0)),
                "currCreditAmount": S._money(max(-cents, 0)),
                "currEndingBalance": S._money(begin + cents), "lastModifiedDateTime": stamp,
                "errorInfo": None}

    # -- partner balances --------------------------------------------------------------

    def partner_balances(self, open_orders: dict[str, int]) -> Iterator[tuple[str, dict]]:
        co = self.co
        stamp = S._stamp(co.p.as_of, 64_800_000)
        for number, customer in self.customer_refs.items():
            period = self.sales_period.get(number, (0, 0))
            yield "customer/balance", {
                "customer": {"internalId": customer["internalId"], "number": number,
                             "name": customer["name"]},
                "balance": S._money(self.ar_open.get(number, 0)),
                "totalOrder": S._money(open_orders.get(number, 0)), "totalLoan": 0.0,
                "totalSalePeriod": S._money(period[0]), "totalSaleYear": S._money(period[1]),
                "totalDiscountPeriod": 0.0, "totalDiscountYear": 0.0, "lastModified": stamp}
        for number, ref in self.supplier_refs.items():
            totals = self.ap_period.get(number, (0, 0, 0, 0))
            yield "supplier/balance", {
                "branchNumber": co.branch["number"], "supplier": ref,
                "balance": S._money(self.ap_open.get(number, 0)),
                "unreleasedPurchasesNotInApproval": {"withoutVat": 0.0, "withVat": 0.0},
                "totalSentForApproval": {"withoutVat": 0.0, "withVat": 0.0},
                "totalPurchaseInvoicePeriod": {"withoutVat": S._money(totals[0]),
                                               "withVat": S._money(totals[1])},
                "totalPurchaseInvoiceYear": {"withoutVat": S._money(totals[2]),
                                             "withVat": S._money(totals[3])},
                "lastModifiedDateTime": stamp}
        for number, totals in sorted(self.po_totals.items()):
            yield "supplier/POBalance", {
                "supplier": self.supplier_refs[number],
                "totalPOOnHoldOrderTotal": S._money(totals[0]),
                "totalPOOnHoldLineTotal": S._money(totals[1]),
                "totalOpenPOOrderTotal": S._money(totals[2]),
                "totalOpenPOLineTotal": S._money(totals[3]),
                "totalClosedPOOrderTotal": S._money(totals[4]),
                "totalClosedPOLineTotal": S._money(totals[5]),
                "lastModifiedDateTime": self.po_modified[number]}
