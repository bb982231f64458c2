"""Stock of the demo companies: how much of each item lies in each warehouse, and why.

Goods come in on purchase receipts (made from the purchase orders, :mod:`._sales`) and
leave on the shipments of sales orders, or from the main warehouse on the release of
an invoice that no order led to; all are observed as they stream past. Around them the
warehouse keeps its own documents:

* inventory issues: goods taken out for the company's own use, a few a month;
* inventory adjustments: differences found when counting, up or down;
* inventory transfers: goods moved between the company's warehouses;
* inventory receipts: replenishments. The movements are walked in date order, and
  whenever one would take more than a warehouse holds, the main warehouse first fetches
  what the others hold of the item (a transfer that day: purchase orders deliver to the
  second warehouse), and what is still short is received first, on a receipt of that
  week, so no stock ever falls below zero.

``inventorysummary`` sums the released movements per item and warehouse (``onHand``);
issues of the last days still wait for release and count in ``inIssues`` only. Every
released movement but a transfer is posted (module ``IN``, one batch per period):
goods in debit the stock account against the goods account, goods out the reverse, at
the item's cost, so the stock account holds the value of what is on hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from .. import _seed as S
from ._books import _day_of as day_of

S._T.update({
    "stock.receipt": ("Påfylling av lager", "Påfyllning av lager", "Varaston täydennys",
                      "Lagerpåfyldning"),
    "stock.issue": ("Uttak til eget bruk", "Uttag för eget bruk", "Otto omaan käyttöön",
                    "Udtag til eget brug"),
    "stock.count": ("Varetelling", "Inventering", "Inventaario", "Optælling"),
    "stock.transfer": ("Overføring mellom lagre", "Förflyttning mellan lager",
                       "Siirto varastojen välillä", "Overførsel mellem lagre"),
})

# The order of movements on one day: goods come in before they go out.
_IN, _MOVE, _COUNT, _OUT = range(4)
_PENDING_DAYS = 7  # issues of the company's last week are not released yet
_AREAS = {"R1": "loc.recv", "S1": "loc.ship"}  # a warehouse's receiving and shipping


class Stock:
    """Observes the goods that come and go on other documents, then adds its own."""

    def __init__(self, co) -> None:
        self.co = co
        self._stock: dict | None = None
        # (day, order, item number, warehouse id, quantity (+ in), kind, reference)
        self.moves: list[tuple] = []

    @property
    def stock(self) -> dict:
        """Item number -> the company's stock items (known once items are made)."""
        if self._stock is None:
            self._stock = {it.number: it for it in self.co.items if it.stock}
        return self._stock

    def observe(self, name: str, record: dict) -> None:
        if name == "PurchaseReceipt" and record["status"] == "Released":
            day = day_of(record["date"])
            for line in record["lines"]:
                number, wh = line["inventory"]["number"], line["warehouse"]
                if number in self.stock and wh:
                    self.moves.append((day, _IN, number, wh["id"], line["receiptQty"],
                                       "PurchaseReceipt", record["receiptNbr"]))
        elif (name == "customerinvoice" and record["documentType"] == "Invoice"
              and record["status"] in ("Open", "Closed")):
            # goods sold without a sales order leave the main warehouse when the
            # invoice is released (those of an order left on its shipment)
            day = day_of(record["documentDate"])
            wh = self.co.warehouses[0]["id"]
            for line in record["invoiceLines"]:
                number = line.get("inventoryNumber")
                if number in self.stock and not line.get("soShipmentNbr"):
                    self.moves.append((day, _OUT, number, wh, -line["quantity"],
                                       "customerinvoice", record["referenceNumber"]))
        elif name == "shipment" and record["status"] in ("Confirmed", "Invoiced",
                                                            "Completed"):
            day = day_of(record["shipmentDate"])
            for line in record["shipmentDetailLines"]:
                number, wh = line["inventoryNumber"], line["warehouse"]
                if number in self.stock and wh:
                    self.moves.append((day, _OUT, number, wh["id"], -line["shippedQty"],
                                       "shipment", record["shipmentNumber"]))

    # -- the warehouse's own documents ------------------------------------------------

    def _plan(self) -> list[tuple]:
        """Issues, counts and transfers: (day, order, kind, [(item, warehouse, qty)],
        to warehouse). Quantities of counts and transfers are settled on the walk."""
        co, p = self.co, self.co.p
        rng = co.rng("stock")
        items = sorted(self.stock)
        whs = [w["id"] for w in co.warehouses]
        large = p.invoices > 10_000
        count = 40 if large else 12
        plan = []
        span = p.as_of - _PENDING_DAYS - p.first_day  # released: before the last week
        for kind, order, n in (("inventoryissue", _OUT, count),
                               ("inventoryadjustment", _COUNT, count // 2),
                               ("inventoryTransfer", _MOVE, count // 2)):
            for _ in range(n):
                day = S._workday(p.first_day + rng.randrange(span))
                wh = rng.choice(whs)
                chosen = rng.sample(items, min(len(items), rng.randrange(1, 4)))
                lines = [(it, wh, float(rng.choice((1, 2, 3, 5, 10)))) for it in chosen]
                # with one warehouse, goods move from its receiving to its shipping area
                to = rng.choice([w for w in whs if w != wh] or whs) if order == _MOVE else None
                plan.append((day, order, kind, lines, to))
        # ... and the last week's issues, still waiting for release
        for _ in range(2):
            day = S._workday(p.as_of - rng.randrange(_PENDING_DAYS - 1))
            it = rng.choice(items)
            plan.append((day, _OUT, "pending", [(it, rng.choice(whs), 1.0)], None))
        return plan

    def records(self, books) -> Iterator[tuple[str, dict]]:
        """The warehouse documents, then the stock per item and warehouse; posts the
        released movements to ``books`` (a :class:`~._books.Books`)."""
        co = self.co
        if not self.stock:
            return
        rng = co.rng("stock-walk")
        on_hand: dict[tuple[str, str], float] = defaultdict(float)
        reserved: dict[tuple[str, str], float] = defaultdict(float)
        received: dict[tuple[int, str], dict[str, float]] = defaultdict(
            lambda: defaultdict(float))
        docs: dict[str, list[tuple]] = defaultdict(list)

        main = co.warehouses[0]["id"]
        others = [w["id"] for w in co.warehouses[1:]]
        moved: dict[tuple[int, str], dict[str, float]] = defaultdict(
            lambda: defaultdict(float))

        def take(day: int, key: tuple[str, str], qty: float) -> None:
            """Make room for ``qty`` out of ``key``: the main warehouse first fetches what
            the others hold of the item, then goods are received that week if short."""
            short = qty + reserved[key] - on_hand[key]
            if short > 0 and key[1] == main:
                for other in others:
                    spare = on_hand.get((key[0], other), 0) - reserved.get((key[0], other), 0)
                    if spare > 0:
                        moved[(day, other)][key[0]] += spare
                        on_hand[(key[0], other)] -= spare
                        on_hand[key] += spare
                        short -= spare
            if short > 0:
                lot = float(rng.choice((10, 20, 25, 50)))
                # (a shipment of the first invoices may precede the document period)
                when = min(day, max(co.p.first_day, day - S._weekday(day)))
                received[(when, key[1])][key[0]] += short + lot
                on_hand[key] += short + lot

        events = [(m[0], m[1], 0, m) for m in self.moves]
        events += [(e[0], e[1], 1, e) for e in self._plan()]
        for day, _, own, event in sorted(events, key=lambda e: e[:3]):
            if not own:
                _, _, number, wh, qty, _, _ = event
                if qty < 0:
                    take(day, (number, wh), -qty)
                on_hand[(number, wh)] += qty
                continue
            _, _, kind, lines, to = event
            if kind == "inventoryadjustment":
                # a count finds a few more or a few less than the books say
                lines = [(it, wh, -min(q, 3.0) if on_hand[(it, wh)] - reserved[(it, wh)]
                          >= 3 and rng.random() < 0.6 else min(q, 3.0))
                         for it, wh, q in lines]
            for it, wh, qty in lines:
                key = (it, wh)
                if kind == "inventoryadjustment":
                    on_hand[key] += qty
                elif kind == "pending":
                    take(day, key, qty)
                    reserved[key] += qty
                else:
                    take(day, key, qty)
                    on_hand[key] -= qty
                    if kind == "inventoryTransfer":
                        on_hand[(it, to)] += qty
            docs[kind].append((day, lines, to))
        for (day, wh), lines in moved.items():
            docs["inventoryTransfer"].append(
                (day, [(it, wh, q) for it, q in sorted(lines.items())], main))
        for (day, wh), lines in received.items():
            docs["inventoryReceipt"].append((day, sorted(lines.items()), wh))
        yield from self._documents(docs, books)
        yield from self._summary(on_hand, reserved)

    def _documents(self, docs: dict[str, list[tuple]], books) -> Iterator[tuple[str, dict]]:
        co = self.co
        rng = co.rng("stock-documents")
        branch = {"number": co.branch["number"], "name": co.branch["name"]}
        whs = {w["id"]: w for w in co.warehouses}
        goods, stock = co.acct["goods"]["number"], co.acct["stock"]["number"]
        # goods that came and went on other documents post in the same module
        for day, _, number, _, qty, kind, ref in self.moves:
            cents = round(qty * self.stock[number].cost)
            books.post(day, "IN", ref, [(stock, "00-000", cents), (goods, "00-000", -cents)],
                       kind)
        pending = docs.pop("pending", [])
        for kind, key in (("inventoryReceipt", "receiptLines"),
                          ("inventoryissue", "issueLines"),
                          ("inventoryadjustment", "adjusmentLines"),
                          ("inventoryTransfer", "transferLines")):
            entries = sorted(docs.get(kind, []), key=lambda d: (d[0], str(d[1]), str(d[2])))
            if kind == "inventoryissue":
                entries = sorted(entries + [(d, ls, "pending") for d, ls, _ in pending],
                                 key=lambda d: (d[0], str(d[1])))
            text = co.t({"inventoryReceipt": "stock.receipt", "inventoryissue": "stock.issue",
                         "inventoryadjustment": "stock.count",
                         "inventoryTransfer": "stock.transfer"}[kind])
            for n, (day, lines, extra) in enumerate(entries, start=1):
                ref = f"{n:06d}"
                released = extra != "pending"
                if kind == "inventoryReceipt":
                    lines = [(it, extra, q) for it, q in lines]
                out_lines, qty_total, cost_total = [], 0.0, 0
                sign = -1 if kind == "inventoryissue" else 1
                for line_no, (it, wh, qty) in enumerate(lines, start=1):
                    item = self.stock[it]
                    ext = round(abs(qty) * item.cost)
                    qty_total += abs(qty)
                    cost_total += ext
                    out = {
                        "lineNumber": line_no,
                        "inventoryItem": {"number": item.number,
                                          "description": item.description},
                        "warehouse": dict(whs[wh]),
                        "location": {"countryId": co.country, "id": "R1",
                                     "name": co.t("loc.recv")},
                        "quantity": qty if kind == "inventoryadjustment" else abs(qty),
                        "uom": item.sales_unit, "description": item.description,
                        "reasonCode": None, "allocations": [], "attachments": [],
                        "branchNumber": branch}
                    if kind != "inventoryTransfer":
                        out.update({"unitCost": S._money(item.cost),
                                    "extCost": S._money(ext if qty > 0 else -ext)})
                    if kind == "inventoryissue":
                        out.update({"transactionType": "Issue",
                                    "unitPrice": S._money(item.cost),
                                    "extPrice": S._money(ext)})
                    if kind == "inventoryTransfer":
                        here, there = ("R1", "S1") if extra == wh else ("S1", "R1")
                        out["location"] = {"countryId": co.country, "id": here,
                                           "name": co.t(_AREAS[here])}
                        out["toLocation"] = {"id": there, "name": co.t(_AREAS[there]),
                                             "description": co.t(_AREAS[there])}
                    out_lines.append(out)
                    if released and kind != "inventoryTransfer":
                        cents = sign * round(qty * item.cost) if kind != (
                            "inventoryadjustment") else round(qty * item.cost)
                        books.post(day, "IN", ref, [(stock, "00-000", cents),
                                                    (goods, "00-000", -cents)], kind)
                total = S._money(cost_total)
                if kind == "inventoryadjustment":
                    total = S._money(sum(round(q * self.stock[i].cost) for i, _, q in lines))
                record = {
                    "referenceNumber": ref, "status": "Released" if released else "Balanced",
                    "hold": False, "date": S._date(day), "postPeriod": S._period(day),
                    "externalReference": None, "description": text,
                    "totalQuantity": qty_total, "controlQuantity": qty_total,
                    "lastModifiedDateTime": S._stamp(day, S._office_ms(rng)),
                    "branchNumber": branch, key: out_lines, "attachments": [],
                    "errorInfo": None}
                if kind == "inventoryissue":
                    record.update({"totalAmount": total, "controlAmount": total})
                elif kind == "inventoryTransfer":
                    record.update({"warehouse": dict(whs[lines[0][1]]),
                                   "toWarehouse": dict(whs[extra])})
                else:
                    record.update({"totalCost": total, "controlCost": total})
                yield kind, record

    def _summary(self, on_hand: dict, reserved: dict) -> Iterator[tuple[str, dict]]:
        co = self.co
        whs = {w["id"]: w for w in co.warehouses}
        for (number, wh) in sorted(set(on_hand) | set(reserved)):
            item = self.stock[number]
            qty = round(on_hand[(number, wh)], 4)
            pending = reserved[(number, wh)]
            assert qty >= 0 and qty >= pending, (number, wh, qty)
            yield "inventorysummary/{inventoryNumber}", {
                "inventory": {"number": number, "description": item.description},
                "warehouse": dict(whs[wh]), "location": None,
                "available": qty - pending, "availableForShipment": qty - pending,
                "notAvailable": 0.0, "inIssues": pending, "onHand": qty,
                "baseUnit": item.sales_unit, "estimatedUnitCost": S._money(item.cost),
                "estimatedTotalCost": S._money(round(qty * item.cost)), "errorInfo": None,
                "_parent": f"inventorysummary/{number}"}
