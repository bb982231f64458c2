"""A small, hand-made demo-data module with the ``_seed`` contract, for server tests.

Every figure the tests assert is built in here on purpose, so the server's semantics
(paging, date operators, attributes of each kind, keys with reserved characters) are
tested independently of the real demo data. The real data is tested separately.

Layout
------
Company 1 (``ARTICLE``, own tenant): 350 customers ``10001``..``10350``
    * 30 are ``Active``; 12 names contain "Norwegian";
    * ten (the article 08 figure) were modified on 2020-03-01 .. 2020-03-10 at noon,
      one per day, in list order; all others in 2019;
    * attributes on some customers: TEST (text), DATETEST (date), ACTIVE (checkbox),
      TAGS (multi-select);
    * inventory ``test*test``, ``a/b``, ``ITEM-1``..``ITEM-5``;
    * suppliers 50000 and 50001; purchase orders of 50000 in Open, Closed, Hold and of
      50001 in Open; three vat codes; invoices of customers 10001 .. 10003.
    * one record made from its read DTO (``_fabricate``) for every other resource of
      the surface, so that every operation has a record to read, change or list;
      records of lists below a parent carry ``_parent`` with the path that
      :func:`fill_path` gives that list.
Companies 2 and 3 share one tenant (``SHARED``) with a few customers each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

DATA_VERSION = 5
DEFAULT_SEED = 1


@dataclass(frozen=True)
class DemoCompany:
    company_id: int
    name: str
    tenant_id: str
    country: str
    currency: str
    organization_number: str
    role: str


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    client_secret: str = field(repr=False)
    kind: str = "test"
    tenant_ids: tuple[str, ...] = ()


ARTICLE, SHARED_A, SHARED_B = 1111111, 2222222, 3333333
ARTICLE_TENANT, SHARED_TENANT = "11111111-aaaa-4aaa-8aaa-111111111111", \
    "22222222-bbbb-4bbb-8bbb-222222222222"

COMPANIES = (
    DemoCompany(ARTICLE, "Article Widgets AS", ARTICLE_TENANT, "NO", "NOK", "911111111",
                "Customer"),
    DemoCompany(SHARED_A, "Shared Nord AS", SHARED_TENANT, "NO", "NOK", "922222222",
                "Customer"),
    DemoCompany(SHARED_B, "Shared Syd AB", SHARED_TENANT, "SE", "SEK", "5566778899",
                "Customer"),
)
CLIENTS = (
    DemoClient("isv_tiny_demo", "tiny-secret", "test", (ARTICLE_TENANT, SHARED_TENANT)),
    DemoClient("isv_tiny_other", "other-secret", "production", (SHARED_TENANT,)),
)

FIGURE_SEQS = (5, 40, 77, 120, 150, 200, 222, 260, 301, 349)  # the article's records 1..10
ACTIVE_SEQS = tuple(range(3, 351, 11))[:30]
NORWEGIAN_SEQS = tuple(range(7, 350, 29))[:12]


def _customer(seq: int) -> dict:
    number = str(10000 + seq)
    name = f"Customer {seq:03d}"
    if seq in NORWEGIAN_SEQS:
        name = f"Norwegian Goods {seq:03d}"
    if seq in FIGURE_SEQS:
        day = FIGURE_SEQS.index(seq) + 1
        modified = f"2020-03-{day:02d}T12:00:00.5+01:00"
    else:
        modified = f"2019-{1 + seq % 12:02d}-{1 + seq % 28:02d}T08:30:00"
    attributes = []
    if seq % 10 == 1:
        attributes.append({"id": "TEST", "value": "testvalue", "description": "Test"})
    elif seq % 10 == 2:
        attributes.append({"id": "TEST", "value": "testvalue plus", "description": "Test"})
    if seq % 20 == 1:
        attributes.append({"id": "DATETEST", "value": "2019-01-01T00:00:00",
                           "description": "Date"})
    if seq % 3 == 0:
        attributes.append({"id": "ACTIVE", "value": "True", "description": "Active"})
    if seq % 25 == 0:
        attributes.append({"id": "TAGS", "value": "V2,V1", "description": "Tags"})
    return {
        "internalId": seq, "number": number, "name": name,
        "status": "Active" if seq in ACTIVE_SEQS else ("OnHold" if seq % 2 else "Inactive"),
        "corporateId": f"9{seq:08d}",
        "mainContact": {"email": f"post{seq}@example.no", "phone1": f"+47 2200{seq:04d}"},
        "attributes": attributes,
        "createdDateTime": f"2018-{1 + seq % 12:02d}-15T09:00:00",
        "lastModifiedDateTime": modified,
        "errorInfo": None,
    }


def _records(company_id: int) -> Iterator[tuple[str, dict]]:
    if company_id != ARTICLE:
        count = 5 if company_id == SHARED_A else 3
        for seq in range(1, count + 1):
            record = _customer(seq)
            record["name"] = f"Shared {company_id} customer {seq}"
            yield "customer", record
        return
    for attribute_id, kind in (("TEST", "Text"), ("DATETEST", "Datetime"),
                               ("ACTIVE", "Checkbox"), ("TAGS", "MultiSelectCombo")):
        yield "attribute", {"attributeID": attribute_id, "description": attribute_id.title(),
                            "controlType": kind, "internal": False, "details": [],
                            "createdDateTime": "2019-01-01T00:00:00",
                            "lastModifiedDateTime": "2019-01-01T00:00:00"}
    for seq in range(1, 351):
        yield "customer", _customer(seq)
    for number, name in (("50000", "Main Supplier AS"), ("50001", "Second Supplier AS")):
        yield "supplier", {"number": number, "name": name, "status": "Active",
                           "lastModifiedDateTime": "2019-06-01T00:00:00", "attributes": []}
    for order, (supplier, status) in enumerate(
            [("50000", "Open"), ("50000", "Closed"), ("50000", "Hold"), ("50001", "Open")], 1):
        yield "purchaseorder", {"orderType": "RegularOrder", "orderNbr": f"00000{order}",
                                "status": status,
                                "supplier": {"internalId": 1, "number": supplier,
                                             "name": "x"},
                                "lastModifiedDateTime": "2019-12-27T09:46:11.202"}
    for number, description, kind in (("test*test", "Reserved-character item", "Text"),
                                      ("a/b", "Slash item", None)):
        yield "inventory", {"inventoryId": len(number), "inventoryNumber": number,
                            "description": description, "status": "Active",
                            "type": "NonStockItem",
                            "attributes": [{"id": "TEST", "value": "testvalue"}] if kind else [],
                            "lastModifiedDateTime": "2019-04-19T10:00:00"}
    for i in range(1, 6):
        yield "inventory", {"inventoryId": 100 + i, "inventoryNumber": f"ITEM-{i}",
                            "description": f"Widget {i}", "status": "Active",
                            "type": "FinishedGoodItem", "attributes": [],
                            "lastModifiedDateTime": "2019-04-19T10:00:00"}
    for vat_id, rate in (("1", 25), ("3", 15), ("5", 0)):
        yield "vat", {"vatId": vat_id, "description": f"VAT {rate} %", "type": "Vat",
                      "lastModifiedDateTime": "2019-01-01T00:00:00"}
    for i in range(1, 10):
        customer = str(10000 + (i - 1) % 3 + 1)
        yield "customerinvoice", {"documentType": "Invoice", "referenceNumber": f"{i:06d}",
                                  "status": "Open", "customer": {"number": customer,
                                                                 "name": "x"},
                                  "invoiceLines": [{"lineNumber": 1, "attachments": []}],
                                  "createdDateTime": f"2020-01-{i:02d}T10:00:00",
                                  "lastModifiedDateTime": f"2020-01-{i:02d}T10:00:00"}


def fill_path(op, records: dict[str, dict]) -> dict[str, str]:
    """Values for the path parameters of ``op`` that name existing records.

    ``records`` holds the first record of each resource (by resource name). A parameter
    that names a field of the operation's own record takes that field's value; the last
    one otherwise its key; a parameter that keys a parent (``customer/{customerCd}/...``)
    the parent's key; anything else a placeholder.
    """
    from vnkit.sandbox._resources import (
        attachment_target,
        for_operation,
        single_resource,
    )
    from vnkit.sandbox.routers._generic import _write_target

    target = None
    key_index = len(op.path_params) - 1
    if op.method == "GET" and not op.is_list:
        target = for_operation(op)
    elif op.method in ("PUT", "DELETE"):
        found = _write_target(op)
        target = found[1] if found else None
    elif op.method == "POST" and attachment_target(op.path):
        target, key_index, _ = attachment_target(op.path)
    own = records.get(target.name) if target is not None else None
    values: dict[str, str] = {}
    parts = op.path.split("/")
    index = -1
    for i, part in enumerate(parts):
        if not part.startswith("{"):
            continue
        index += 1
        name = part[1:-1]
        last = index == key_index
        if name.lower() == "linenumber":
            values[name] = _first_line(own)
            continue
        field = next((f for f in (own or {}) if f.lower() == name.lower()), None)
        if own is not None and field is not None and own[field] is not None \
                and not isinstance(own[field], (dict, list)):
            values[name] = str(own[field])
            continue
        if own is not None and last:
            values[name] = target.key_of(own) or "X"
            continue
        parent = single_resource("/".join(parts[:i + 1]))
        record = records.get(parent.name) if parent is not None else None
        if record is not None:
            inner = next((f for f in record if f.lower() == name.lower()), None)
            if inner is not None and record[inner] is not None \
                    and not isinstance(record[inner], (dict, list)):
                values[name] = str(record[inner])
            else:
                values[name] = parent.key_of(record) or "X"
            continue
        values[name] = f"X{index}"
    return values


def _first_line(record: dict | None) -> str:
    """The ``lineNumber`` of the first line of a document (1 when it has none)."""
    fields = sorted((record or {}).items(),
                    key=lambda pair: not pair[0].lower().endswith("lines"))
    for _, value in fields:
        if isinstance(value, list):
            for item in value:
                for name in ("lineNumber", "lineNbr", "lineNo"):
                    if isinstance(item, dict) and item.get(name) is not None:
                        return str(item[name])
    return "1"


#: Resources whose records another resource's path also reads (the deprecated
#: creditNote endpoint addresses customer credit notes).
_SAME_RECORDS = {"creditNote": "customerCreditNote"}


def _made_up(hand_made: dict[str, dict]) -> Iterator[tuple[str, dict]]:
    """One record for every resource without hand-made records (see the docstring)."""
    import random
    import zlib

    from vnkit._surface import surface
    from vnkit.sandbox._fabricate import fabricate
    from vnkit.sandbox._resources import ENTITIES, resource

    records = {resource(name).name: record for name, record in hand_made.items()}
    made: list[tuple[str, dict]] = []
    for entity in sorted(ENTITIES.values(), key=lambda e: e.name in _SAME_RECORDS):
        if entity.name in records:
            continue
        rng = random.Random(zlib.crc32(entity.name.encode()))
        key = f"T{len(records) + 1}"
        if entity.name in _SAME_RECORDS and _SAME_RECORDS[entity.name] in records:
            key = ENTITIES[_SAME_RECORDS[entity.name]].key_of(
                records[_SAME_RECORDS[entity.name]]) or key
        record = fabricate(entity.dto, rng, {entity.key: key})
        for value in record.values():  # document lines numbered 1, 2, ...
            if isinstance(value, list):
                for number, item in enumerate(value, 1):
                    if isinstance(item, dict) and ("lineNumber" in item or
                                                   "invoiceLines" in record):
                        item["lineNumber"] = number
        records[entity.name] = record
        made.append((entity.name, record))
    for name, record in made:
        entity = ENTITIES[name]
        if entity.parented:
            lists = [o for o in surface().lists()
                     if o.path_params and surface().resource_name(o) == name]
            for n, op in enumerate(lists):
                copy = dict(record) if n else record
                if n:  # one record per list (the bar code lists share their DTO)
                    copy[entity.key] = f"{record[entity.key]}-{n}"
                values = fill_path(op, records)
                copy["_parent"] = "/".join(values.get(p[1:-1], p) if p.startswith("{")
                                           else p for p in op.path.split("/")[2:])
                yield name, copy
        else:
            yield name, record


def first_records(company_id: int = ARTICLE) -> dict[str, dict]:
    """The first record of each resource in a company, by resource name."""
    from vnkit.sandbox._resources import resource

    out: dict[str, dict] = {}
    for name, record in _all_records(company_id):
        out.setdefault(resource(name).name, record)
    return out


def _all_records(company_id: int) -> Iterator[tuple[str, dict]]:
    hand_made: dict[str, dict] = {}
    for name, record in _records(company_id):
        hand_made.setdefault(name, record)
        yield name, record
    if company_id == ARTICLE:
        yield from _made_up(hand_made)


def generate(seed: int = DEFAULT_SEED, *,
             companies: Iterable[int] | None = None) -> Iterator[tuple[int, str, dict]]:
    """Yield ``(company_id, entity, record)`` in list order (``seed`` is unused)."""
    wanted = None if companies is None else set(companies)
    for company in COMPANIES:
        if wanted is None or company.company_id in wanted:
            for entity, record in _all_records(company.company_id):
                yield company.company_id, entity, record
