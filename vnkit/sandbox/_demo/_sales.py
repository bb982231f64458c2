"""Sales orders, shipments and purchase receipts, made from the documents they led to.

A share of the goods invoices came from a sales order (type ``SO``) shipped shortly
before the invoice: the order, its basic view, its shipment, its salesperson's
commission and barcode scans are derived from the invoice as it streams past, and the
invoice's lines point back (``soOrderType``, ``soOrderNbr``, ``soShipmentNbr``). A few
orders taken in the company's last weeks are still open. Every purchase order with
received quantities has its purchase receipt. Nothing here is kept in memory beyond a
few numbers per open order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from .. import _seed as S
from ._reference import salespersons
from ._shape import complete, fit, resource_dto

# Orders derived for at most this many invoices per company (the large company has
# 50,000 invoices; a few thousand orders make the order views interesting enough).
_MAX_ORDERS = 2_000
_BARCODE_PARENTS = 12  # documents per barcode list that have scans


def ean13(number: str) -> str:
    """A stable EAN-13 (internal 2xx prefix) for an item number, with its check digit."""
    digits = "20" + str(S._mix("ean", number) % 10**10).zfill(10)
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


class Sales:
    def __init__(self, co) -> None:
        self.co = co
        self.rng = co.rng("salesorder")
        self.share = None
        self.order_no = 0
        self.shipment_no = 0
        self.receipt_no = 0
        self.pending: list[tuple] = []
        self.open_orders: dict[str, int] = defaultdict(int)
        self.people: list[tuple[str, str]] = []
        self.barcodes: defaultdict[str, int] = defaultdict(int)
        # receipts are kept from the ledger's cut-over on (the large company's 2026)
        self.books_from = co.p.books_from or co.p.first_day

    # -- invoices -> orders ----------------------------------------------------------

    def observe(self, name: str, record: dict) -> None:
        """Decide (before the invoice is yielded) whether it came from a sales order."""
        if name != "customerinvoice" or record["documentType"] != "Invoice":
            return
        co = self.co
        if self.share is None:
            self.share = min(0.5, _MAX_ORDERS / max(1, co.p.invoices))
            self.people = list(salespersons(co))
        if record["status"] == "Voided" or self.rng.random() >= self.share:
            return
        items = [co.item_by_number.get(line["inventoryNumber"])
                 for line in record["invoiceLines"]]
        if not any(it is not None and it.stock for it in items):
            return
        self.order_no += 1
        self.shipment_no += 1
        order, shipment = f"{self.order_no:06d}", f"{self.shipment_no:06d}"
        for line in record["invoiceLines"]:
            line["soOrderType"], line["soOrderNbr"] = "SO", order
            line["soShipmentNbr"] = shipment
        self.pending.append((order, shipment, record))

    def after(self, name: str, record: dict) -> Iterator[tuple[str, dict]]:
        if name == "purchaseorder":
            yield from self._receipt(record)
        if not self.pending:
            return
        order, shipment, invoice = self.pending.pop()
        yield from self._order(order, shipment, invoice)

    def _order(self, number: str, shipment: str, inv: dict) -> Iterator[tuple[str, dict]]:
        co, rng = self.co, self.rng
        day = _ordinal(inv["documentDate"])
        ship_day = S._workday(day - rng.randrange(0, 3))
        order_day = S._workday(ship_day - rng.randrange(1, 12))
        customer = inv["customer"]
        partner = co.customer_by_number[customer["number"]]
        person = self.people[S._mix(customer["number"]) % len(self.people)]
        warehouse = co.warehouses[0]
        lines, ship_lines, qty_total = [], [], 0.0
        for n, line in enumerate(inv["invoiceLines"], start=1):
            item = co.item_by_number[line["inventoryNumber"]]
            qty = line["quantity"]
            qty_total += qty
            lines.append({
                "invoiceNbr": inv["referenceNumber"], "operation": "Issue",
                "freeItem": False, "requestedOn": S._date(ship_day),
                "shipOn": S._date(ship_day), "shipComplete": "BackOrderAllowed",
                "undershipThreshold": 100.0, "overshipThreshold": 100.0, "completed": True,
                "markForPO": False, "poSource": None, "salesPerson": {
                    "id": person[0], "description": person[1]},
                "taxCategory": item.category, "commissionable": True,
                "subaccount": {"active": True, "id": line["subaccount"]["subaccountNumber"],
                               "description": line["subaccount"]["description"]},
                "lineNbr": n, "sortOrder": n,
                "inventory": {"number": item.number, "description": item.description},
                "warehouse": warehouse if item.stock else None, "uom": line["uom"],
                "quantity": qty, "qtyOnShipments": qty, "openQty": 0.0,
                "unitCost": S._money(item.cost), "unitPrice": line["unitPrice"],
                "unitPriceInBaseCurrency": line["unitPrice"],
                "discountPercent": line["discountPercent"], "discountAmount": 0.0,
                "manualDiscount": line["manualDiscount"],
                "discUnitPrice": line["unitPrice"], "extPrice": line["amount"],
                "unbilledAmount": 0.0, "lineDescription": line["description"],
                "branchNumber": co.branch, "note": None, "attachments": []})
            ship_lines.append({
                "lineNumber": n, "orderType": "SO", "orderNbr": number,
                "inventoryNumber": item.number, "freeItem": False,
                "warehouse": warehouse if item.stock else None,
                "location": {"countryId": co.country, "id": "S1",
                             "name": co.t("loc.ship")},
                "uom": line["uom"], "shippedQty": qty, "orderedQty": qty, "openQty": 0.0,
                "description": line["description"], "orderLineNbr": n, "allocations": []})
        detail = S._cents(inv["detailTotal"])
        commission = detail * 5 // 100
        stamp = inv["lastModifiedDateTime"]
        head = {
            "orderType": "SO", "orderNo": number, "status": "Completed", "hold": False,
            "date": S._date(order_day), "requestOn": S._date(ship_day),
            "customerOrder": inv["customerRefNumber"], "customerRefNo": None,
            "customer": {"internalId": partner.internal_id, **customer},
            "contactId": partner.contact["contactId"],
            "location": {"id": co.location["id"], "name": co.location["name"]},
            "currency": co.base, "description": co.t("inv.order").format(number),
            "orderTotal": inv["amount"], "orderTotalInBaseCurrency": inv["amount"],
            "vatTaxableTotal": inv["vatTaxableTotal"],
            "vatTaxableTotalInBaseCurrency": inv["vatTaxableTotal"],
            "vatExemptTotal": inv["vatExemptTotal"],
            "vatExemptTotalInBaseCurrency": inv["vatExemptTotal"],
            "taxTotal": inv["vatTotal"], "taxTotalInBaseCurrency": inv["vatTotal"],
            "exchangeRate": 1.0, "discountTotal": 0.0, "discountTotalInBaseCurrency": 0.0,
            "lastModifiedDateTime": stamp, "branchNumber": co.branch, "note": None,
            "attachments": [], "errorInfo": None}
        order = {
            "projectCD": inv["project"]["id"], "printDescriptionOnInvoice": False,
            "printNoteOnExternalDocuments": False, "printNoteOnInternalDocuments": False,
            "soBillingContact": {"overrideContact": False, **partner.invoice_contact},
            "soBillingAddress": {"overrideAddress": False, **partner.invoice_address},
            "customerVATZone": fit(partner.zone_ref, "CustomerVatzoneInSalesOrderDto"),
            "invoiceSeparately": False, "invoiceNbr": inv["referenceNumber"],
            "invoiceDate": inv["documentDate"], "terms": partner.terms_ref,
            "dueDate": inv["documentDueDate"], "cashDiscountDate": inv["cashDiscountDate"],
            "postPeriod": inv["postPeriod"],
            "salesPerson": {"id": person[0], "description": person[1]},
            "commissionPercent": "5.0", "commissionAmount": f"{S._money(commission):.2f}",
            "commissionableAmount": f"{S._money(detail):.2f}",
            "owner": None, "origOrderType": None, "origOrderNbr": None,
            "soShippingContact": {"overrideContact": False, **partner.contact},
            "soShippingAddress": {"overrideAddress": False, **partner.address},
            "schedShipment": S._date(ship_day), "shipSeparately": False,
            "shipComplete": "BackOrderAllowed", "cancelBy": None, "canceled": False,
            "preferredWarehouse": warehouse, "priority": 0,
            "paymentMethod": co.payment_method, "cashAccount": co.acct["bank"]["number"],
            "isRotRutDeductible": False, "emailed": False, "lines": lines,
            "shipments": [{"shipmentType": "Issue", "shipmentNo": shipment,
                           "shipmentDate": S._date(ship_day), "shippedQty": qty_total,
                           "shippedWeight": 0.0, "shippedVolume": 0.0,
                           "invoiceType": "Invoice", "invoiceNo": inv["referenceNumber"],
                           "inventoryDocType": "Issue", "inventoryRefNo": None}],
            **head}
        yield "salesorder", order
        basic = fit(head, resource_dto("salesorderbasic"))
        basic["lines"] = [fit(line, "SalesOrderDocumentLineDto") for line in lines]
        yield "salesorderbasic", complete(basic, resource_dto("salesorderbasic"))
        yield "salesorder/{orderType}/{orderNbr}/commissions", {
            "salesPersonId": person[0], "commissionPercent": 5.0,
            "commissionAmount": S._money(commission),
            "commissionableAmount": S._money(detail),
            "_parent": f"salesorder/SO/{number}/commissions"}
        yield "shipment", {
            "shipmentNumber": shipment, "shipmentType": "Issue", "status": "Invoiced",
            "hold": False, "operation": "Issue", "shipmentDate": S._date(ship_day),
            "customer": {"internalId": partner.internal_id, **customer},
            "location": {"id": co.location["id"], "name": co.location["name"]},
            "fromWarehouse": warehouse, "toWarehouse": None, "currencyId": co.base,
            "owner": None, "shippedQuantity": qty_total, "shippedWeight": 0.0,
            "shippedVolume": 0.0, "packages": 1, "packagesWeight": 0.0,
            "packagesVolume": 0.0, "controlQuantity": qty_total,
            "deliveryAddress": {"overrideAddress": False, **partner.address},
            "deliveryContact": {"overrideContact": False, **partner.contact},
            "residentialDelivery": False, "saturdayDelivery": False,
            "useCustomerAccount": False, "insurance": False, "freightCost": 0.0,
            "freightAmt": 0.0, "container": False, "shipmentDetailLines": ship_lines,
            "shipmentOrderLines": [{
                "orderType": "SO", "orderNbr": number, "shippedQty": qty_total,
                "shippedWeight": 0.0, "shippedVolume": 0.0, "invoiceType": "Invoice",
                "invoiceNbr": inv["referenceNumber"], "inventoryDocType": "Issue",
                "inventoryRefNbr": None, "note": None}],
            "shipmentPackageLines": [], "lastModifiedDateTime": stamp, "note": None,
            "errorInfo": None}
        for kind, ref in (("salesorder", number), ("shipment", shipment)):
            yield from self._scans(kind, ref, [li["inventory"]["number"] for li in lines])

    def _scans(self, kind: str, ref: str, numbers: list[str]) -> Iterator[tuple[str, dict]]:
        """Barcodes scanned for a document (the first few documents of each list)."""
        if self.barcodes[kind] >= _BARCODE_PARENTS:
            return
        self.barcodes[kind] += 1
        for number in dict.fromkeys(numbers):
            yield "inventory/barcode/purchasereceipt/{receiptNbr}", {
                "barCode": ean13(number), "inventoryNumber": number,
                "_parent": f"inventory/barcode/{kind}/{ref}"}

    # -- purchase orders -> receipts ---------------------------------------------------

    def _receipt(self, po: dict) -> Iterator[tuple[str, dict]]:
        received = [li for li in po["lines"] if li["qtyOnReceipts"]]
        if not received or _ordinal(po["lastModifiedDateTime"]) < self.books_from:
            return
        co = self.co
        self.receipt_no += 1
        number = f"{self.receipt_no:06d}"
        stamp = po["lastModifiedDateTime"]
        day = _ordinal(stamp)
        lines, qty, amount = [], 0.0, 0
        for n, li in enumerate(received, start=1):
            cost = S._cents(li["unitCost"])
            ext = round(li["qtyOnReceipts"] * cost)
            qty += li["qtyOnReceipts"]
            amount += ext
            lines.append({
                "lineNbr": n, "branch": {"number": co.branch["number"],
                                         "name": co.branch["name"]},
                "branchNumber": co.branch,
                "inventory": li["inventory"], "lineType": li["lineType"],
                "warehouse": li["warehouse"],
                "location": {"id": "R1", "description": co.t("loc.recv")},
                "transactionDescription": li["lineDescription"], "uom": li["uom"],
                "orderQty": li["orderQty"], "openQty": li["orderQty"] - li["qtyOnReceipts"],
                "receiptQty": li["qtyOnReceipts"], "baseReceiptQty": li["qtyOnReceipts"],
                "unitCost": li["unitCost"], "extCost": S._money(ext),
                "discountPercent": 0.0, "discountAmount": 0.0, "manualDiscount": False,
                "amount": S._money(ext), "taxCategory": li["taxCategory"],
                "account": li["account"],
                "sub": fit(li["sub"], _field_dto("PurchaseReceiptLineDto", "sub")),
                "project": li["project"],
                "poOrderType": po["orderType"], "poOrderNbr": po["orderNbr"],
                "poOrderLineNbr": li["lineNbr"], "completePoLine": po["status"] == "Closed",
                "allocations": []})
        receipt = {
            "receiptType": "PoReceipt", "receiptNbr": number, "hold": False,
            "status": "Released", "date": S._date(day), "postPeriod": S._period(day),
            "warehouse": po["warehouse"], "supplier": po["supplier"],
            "location": po["location"], "currency": co.base, "exchangeRate": 1.0,
            "createBill": True, "supplierRef": po["supplierRef"], "totalQty": qty,
            "controlQty": qty, "vatExemptTotal": 0.0, "vatTaxableTotal": S._money(amount),
            "totalAmt": S._money(amount), "controlTotal": S._money(amount),
            "lastModifiedDateTime": stamp, "branchNumber": co.branch, "lines": lines,
            "dueDate": None, "note": None, "landedCost": [], "errorInfo": None}
        yield "PurchaseReceipt", receipt
        dto = resource_dto("PurchaseReceiptBasic")
        yield "PurchaseReceiptBasic", complete(fit(receipt, dto), dto)
        yield from self._scans("purchasereceipt", number,
                               [li["inventory"]["number"] for li in lines])

    # -- orders still open --------------------------------------------------------------

    def finish(self) -> Iterator[tuple[str, dict]]:
        """Orders taken in the last weeks that are not shipped yet."""
        co, rng = self.co, self.co.rng("salesorder-open")
        people = salespersons(co)
        active = [c for c in co.customers if c.status == "Active"]
        stock = [it for it in co.items if it.stock and it.sells]
        count = max(6, min(200, self.order_no // 20))
        statuses = ("Open", "Open", "Open", "BackOrder", "Hold", "CreditHold", "Cancelled")
        drafts = sorted((co.p.as_of - rng.randrange(0, 25), rng.randrange(len(active)))
                        for _ in range(count))
        for k, (day, who) in enumerate(drafts):
            day = S._workday(day)
            c = active[who]
            status = statuses[k % len(statuses)] if k < len(statuses) else rng.choice(
                statuses)
            self.order_no += 1
            number = f"{self.order_no:06d}"
            person = people[S._mix(c.number) % len(people)]
            chosen = rng.sample(stock, min(len(stock), rng.randrange(1, 4)))
            lines, cats, detail = [], [], 0
            for n, item in enumerate(chosen, start=1):
                qty = float(rng.choice((1, 2, 5, 10, 20)))
                amount = int(qty * item.price)
                detail += amount
                cats.append((item.category, amount))
                lines.append({
                    "operation": "Issue", "lineNbr": n, "sortOrder": n,
                    "inventory": item.ref, "warehouse": co.warehouses[0],
                    "uom": item.sales_unit, "quantity": qty,
                    "qtyOnShipments": 0.0, "openQty": 0.0 if status == "Cancelled" else qty,
                    "unitCost": S._money(item.cost), "unitPrice": S._money(item.price),
                    "unitPriceInBaseCurrency": S._money(item.price), "discountPercent": 0.0,
                    "discountAmount": 0.0, "manualDiscount": False,
                    "discUnitPrice": S._money(item.price), "extPrice": S._money(amount),
                    "unbilledAmount": S._money(amount), "lineDescription": item.description,
                    "taxCategory": item.category, "completed": status == "Cancelled",
                    "salesPerson": {"id": person[0], "description": person[1]},
                    "branchNumber": co.branch, "shipComplete": "BackOrderAllowed",
                    "requestedOn": S._date(day + 7), "shipOn": S._date(day + 7),
                    "commissionable": True, "attachments": []})
            _, vat, taxable, exempt = co._taxes(c.zone, cats, day)
            total = detail + vat
            if status in ("Open", "BackOrder", "Hold", "CreditHold"):
                self.open_orders[c.number] += total
            head = {
                "orderType": "SO", "orderNo": number, "status": status,
                "hold": status == "Hold", "date": S._date(day),
                "requestOn": S._date(day + 7), "customerOrder": None, "customerRefNo": None,
                "customer": {"internalId": c.internal_id, **c.ref},
                "contactId": c.contact["contactId"],
                "location": {"id": co.location["id"], "name": co.location["name"]},
                "currency": co.base, "description": co.t("inv.order").format(number),
                "orderTotal": S._money(total), "orderTotalInBaseCurrency": S._money(total),
                "vatTaxableTotal": S._money(taxable),
                "vatTaxableTotalInBaseCurrency": S._money(taxable),
                "vatExemptTotal": S._money(exempt),
                "vatExemptTotalInBaseCurrency": S._money(exempt),
                "taxTotal": S._money(vat), "taxTotalInBaseCurrency": S._money(vat),
                "exchangeRate": 1.0, "discountTotal": 0.0, "discountTotalInBaseCurrency": 0.0,
                "lastModifiedDateTime": S._stamp(day, S._office_ms(rng)),
                "branchNumber": co.branch, "note": None, "attachments": [],
                "errorInfo": None}
            yield "salesorder", {
                **head, "terms": c.terms_ref, "postPeriod": S._period(day),
                "salesPerson": {"id": person[0], "description": person[1]},
                "soBillingContact": {"overrideContact": False, **c.invoice_contact},
                "soBillingAddress": {"overrideAddress": False, **c.invoice_address},
                "soShippingContact": {"overrideContact": False, **c.contact},
                "soShippingAddress": {"overrideAddress": False, **c.address},
                "customerVATZone": fit(c.zone_ref, "CustomerVatzoneInSalesOrderDto"),
                "shipComplete": "BackOrderAllowed", "canceled": status == "Cancelled",
                "preferredWarehouse": co.warehouses[0], "schedShipment": S._date(day + 7),
                "paymentMethod": co.payment_method, "commissionPercent": "5.0",
                "commissionAmount": f"{S._money(detail * 5 // 100):.2f}",
                "commissionableAmount": f"{S._money(detail):.2f}", "lines": lines,
                "shipments": []}
            basic = fit(head, resource_dto("salesorderbasic"))
            basic["lines"] = [fit(line, "SalesOrderDocumentLineDto") for line in lines]
            yield "salesorderbasic", complete(basic, resource_dto("salesorderbasic"))
            yield "salesorder/{orderType}/{orderNbr}/commissions", {
                "salesPersonId": person[0], "commissionPercent": 5.0,
                "commissionAmount": S._money(detail * 5 // 100),
                "commissionableAmount": S._money(detail),
                "_parent": f"salesorder/SO/{number}/commissions"}


def _field_dto(dto: str, field: str) -> str:
    """The nested DTO of a field."""
    from ..._surface import surface

    nested = surface().dto(dto)[field].dto
    assert nested is not None, f"{dto}.{field} is not a nested DTO"
    return nested


def _ordinal(text: str) -> int:
    from datetime import date

    return date.fromisoformat(text[:10]).toordinal()
