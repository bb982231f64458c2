"""Tests of the sandbox's demo data generator (``vnkit.sandbox._seed``).

Most tests generate only the small companies (well under a second); one test generates
the large company and checks its size and speed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from vnkit._surface import surface
from vnkit.sandbox import _seed
from vnkit.sandbox._resources import ENTITIES, FILTERS, resource

ARTICLE = _seed.COMPANIES[0].company_id
LARGE = _seed.COMPANIES[1].company_id
SMALL = [c.company_id for c in _seed.COMPANIES if c.company_id != LARGE]
PO_STATUSES = {"Balanced", "Cancelled", "Closed", "Hold", "Open", "PendingEmail",
               "PendingPrint", "Printed", "Voided"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")
MIDNIGHT = re.compile(r"^\d{4}-\d\d-\d\dT00:00:00$")


def _collect(records):
    """{company: {entity: [records in yield order]}}"""
    out: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for company_id, entity, record in records:
        out[company_id][entity].append(record)
    return out


@pytest.fixture(scope="module")
def small():
    return _collect(_seed.generate(companies=SMALL))


@pytest.fixture(scope="module")
def article(small):
    return small[ARTICLE]


def _path(record: dict, dotted: str):
    """(found, value) for a dotted path; found is False when a key along it is missing.

    Through a list (``paymentLines.invoiceRefNbr``) every item must have the rest.
    """
    value = record
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if isinstance(value, list):
            found = [_path(item, ".".join(parts[i:])) for item in value]
            return all(f for f, _ in found), [v for _, v in found]
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _by_key(records: list[dict], key: str) -> dict:
    return {r[key]: r for r in records}


def _attribute_match(record: dict, wanted: dict[str, str], kinds: dict[str, str]) -> bool:
    """Article 14's filter rule: every wanted attribute present with exactly that value."""
    have = {a["id"].upper(): a["value"] for a in record.get("attributes") or ()}
    for attribute_id, value in wanted.items():
        stored = have.get(attribute_id.upper())
        if stored is None:
            return False
        kind = kinds[attribute_id.upper()]
        if kind == "MultiSelectCombo":
            if set(stored.split(",")) != set(value.split(",")):
                return False
        elif kind == "Datetime":
            if stored[:10] != value:
                return False
        elif stored != value:
            return False
    return True


# --------------------------------------------------------------------------- contract


def test_companies_and_clients_follow_the_contract():
    ids = [c.company_id for c in _seed.COMPANIES]
    assert len(ids) == len(set(ids)) >= 4
    assert all(1_000_000 <= i <= 9_999_999 for i in ids)
    assert {c.country for c in _seed.COMPANIES} >= {"NO", "SE", "FI"}
    tenants = Counter(c.tenant_id for c in _seed.COMPANIES)
    # one tenant holds two companies: tokens for it need ipp-company-id
    assert sorted(tenants.values())[-1] == 2
    assert all(re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", t) for t in tenants)
    assert all(c.role and c.organization_number and c.currency for c in _seed.COMPANIES)

    service = _seed.CLIENTS[0]
    assert service.kind == "production"
    assert set(service.tenant_ids) == set(tenants)
    test_clients = [c for c in _seed.CLIENTS if c.kind == "test"]
    assert test_clients and set(test_clients[0].tenant_ids) == set(tenants)
    for client in _seed.CLIENTS:
        assert client.client_secret not in repr(client)
    assert isinstance(_seed.DATA_VERSION, int)


def test_same_seed_same_bytes_and_subsets_agree():
    wanted = SMALL[2:]

    def dump(records):
        return [json.dumps(r, sort_keys=False, ensure_ascii=False) + e + str(c)
                for c, e, r in records]

    first = dump(_seed.generate(companies=wanted))
    assert first == dump(_seed.generate(companies=wanted))
    # one company alone is exactly what a run of several yields for it
    alone = dump(_seed.generate(companies=wanted[:1]))
    assert alone == [line for line in first if line.endswith(str(wanted[0]))]
    assert first != dump(_seed.generate(seed=_seed.DEFAULT_SEED + 1, companies=wanted))


_DIGEST = """
import hashlib, json, sys
from vnkit.sandbox import _seed
h = hashlib.sha256()
for item in _seed.generate(companies=[int(sys.argv[1])]):
    h.update(json.dumps(item, ensure_ascii=False).encode())
print(h.hexdigest())
"""


def test_same_bytes_across_processes_with_different_hash_salts():
    company = SMALL[-1]
    digests = set()
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        out = subprocess.run([sys.executable, "-c", _DIGEST, str(company)], env=env,
                             check=True, capture_output=True, text=True)
        digests.add(out.stdout.strip())
    here = hashlib.sha256()
    for item in _seed.generate(companies=[company]):
        here.update(json.dumps(item, ensure_ascii=False).encode())
    assert digests == {here.hexdigest()}


def test_unknown_company_is_refused():
    with pytest.raises(ValueError, match="unknown demo company"):
        list(_seed.generate(companies=[1234567]))


def test_records_are_json_in_read_shape(small):
    for company in small.values():
        for entity, records in company.items():
            assert resource(entity) is not None, entity  # a resource (old names too)
            for record in records:
                assert "metadata" not in record
                json.dumps(record, allow_nan=False)


def test_every_resource_has_data_in_every_company(small):
    for company in small.values():
        assert {resource(name).name for name in company} == set(ENTITIES)


# Lists without a single GET whose records are lines or balances: no one field of the DTO
# tells them apart (a journal's lines share its batch number), so the fields that do
# together are checked instead, and the list is in no key's order.
NATURAL_KEYS = {
    "GeneralLedgerTransactions": ("batchNumber", "lineNumber"),
    "generalLedgerBalance": ("financialPeriod", "account.number", "subAccountCd",
                             "ledger.id", "branch.number"),
    "projectbudget": ("projectID", "projectTaskID", "accountGroupID", "inventoryNumber"),
}


def test_keys_unique_and_in_list_order(small):
    for company in small.values():
        for entity, records in company.items():
            keys = [resource(entity).key_of(r) for r in records]
            assert all(isinstance(k, str) and k for k in keys), entity
            natural = NATURAL_KEYS.get(resource(entity).name)
            if natural is not None:
                assert not any(_single_get(resource(entity))), entity
                tuples = [tuple(_path(r, f)[1] for f in natural) for r in records]
                assert len(set(tuples)) == len(tuples), entity
                continue
            # the store compares keys case-insensitively, within one parent where the
            # records live below one (the same bar code on two shipments)
            scoped = {(r.get("_parent", ""), k.casefold()) for r, k in zip(records, keys)}
            assert len(scoped) == len(keys), entity
            # top-level lists come in key order; below a parent only uniqueness counts
            # (the store orders a parent's records itself)
            top = [k for r, k in zip(records, keys) if "_parent" not in r]
            assert top == sorted(top), entity
            assert top == sorted(top, key=str.casefold), entity


def _single_get(spec):
    """The single-record GETs of a resource's records."""
    return [o for o in surface().operations if o.method == "GET" and not o.is_list
            and o.record_dto == spec.dto]


def test_every_record_has_the_fields_the_store_lifts(small):
    for company_id, company in small.items():
        today = datetime.fromordinal(_seed._PLANS[company_id].as_of).isoformat()[:10]
        for entity, records in company.items():
            spec = resource(entity)
            if spec.name != entity:
                continue  # a pre-surface name and shape (creditTerms): the data branch's
            fields = [spec.key, spec.status_field, spec.name_field, spec.modified_field,
                      spec.created_field, *FILTERS.get(spec.name, {}).values()]
            for record in records:
                for dotted in filter(None, fields):
                    found, _ = _path(record, dotted)
                    assert found, (entity, dotted)
                for stamp_field in filter(None, (spec.modified_field, spec.created_field)):
                    stamp = record[stamp_field]
                    assert STAMP.match(stamp), (entity, stamp)
                    datetime.fromisoformat(stamp)  # a real clock time
                    assert stamp[:10] <= today, (entity, stamp)
                if spec.modified_field and spec.created_field:
                    assert record[spec.created_field] <= record[spec.modified_field], entity
                if spec.status_field:
                    assert record[spec.status_field], entity
                if spec.attributes:
                    for attribute in record["attributes"]:
                        assert set(attribute) == {"id", "value", "description"}


def test_supplier_inventory_and_purchase_orders_have_no_created_field(article):
    for entity in ("supplier", "inventory", "purchaseorder", "supplierPayment"):
        assert all("createdDateTime" not in r for r in article[entity]), entity


# --------------------------------------------------------------------------- article 08


def test_article_08_paging_numbers(article):
    customers = article["customer"]
    assert len(customers) == 350
    assert math.ceil(len(customers) / 100) == 4
    assert sum(c["status"] == "Active" for c in customers) == 30
    assert {c["status"] for c in customers} == {"Active", "OnHold", "CreditHold",
                                                "Inactive", "OneTime"}
    assert sum("norwegian" in c["name"].casefold() for c in customers) == 12

    modified = [c["lastModifiedDateTime"] for c in customers]
    since_1st = [m for m in modified if m >= "2020-03-01T00:00:00"]
    since_6th = [m for m in modified if m >= "2020-03-06T00:00:00"]
    assert len(since_1st) == 10 and len(since_6th) == 5
    assert (math.ceil(10 / 3), math.ceil(10 / 5), math.ceil(5 / 3)) == (4, 2, 2)
    # everything else between 2017 and February 2020, and nothing later than the ten
    others = [m for m in modified if m < "2020-03-01"]
    assert min(others) >= "2017-01-01" and max(others) < "2020-03-01"
    assert max(modified) < "2020-03-10"


# --------------------------------------------------------------------------- article 14


def test_article_14_attribute_definitions(article):
    attributes = _by_key(article["attribute"], "attributeID")
    expected = {"DATETEST": "Datetime", "TEST": "Text", "DATETIME": "Datetime",
                "TEXT": "Text", "ACTIVE": "Checkbox", "AttributeID1": "Combo",
                "AttributeID2": "Combo", "AttributeID": "MultiSelectCombo",
                "COLOR": "Combo", "SIZE": "Combo", "SEGMENT": "Combo"}
    for attribute_id, control in expected.items():
        assert attributes[attribute_id]["controlType"] == control
    assert {d["valueId"] for d in attributes["SIZE"]["details"]} >= {"S", "M", "L"}
    assert {d["valueId"] for d in attributes["COLOR"]["details"]} >= {"RED", "BLUE", "GREEN"}
    assert {d["valueId"] for d in attributes["SEGMENT"]["details"]} == {
        "RETAIL", "WHOLESALE", "PUBLIC"}


def test_article_14_filter_examples_match(small):
    for company_id, company in small.items():
        definitions = _by_key(company["attribute"], "attributeID")
        kinds = {k.upper(): v["controlType"] for k, v in definitions.items()}
        for entity in ("customer", "supplier", "inventory"):
            for record in company[entity]:
                for attribute in record["attributes"]:
                    definition = definitions[attribute["id"]]
                    assert attribute["description"] == definition["description"]
                    values = {d["valueId"] for d in definition["details"]}
                    control = definition["controlType"]
                    if control == "Checkbox":
                        assert attribute["value"] in ("0", "1")
                    elif control == "Combo":
                        assert attribute["value"] in values
                    elif control == "MultiSelectCombo":
                        assert set(attribute["value"].split(",")) <= values
                    elif control == "Datetime":
                        datetime.strptime(attribute["value"], "%Y-%m-%d")
        if company_id != ARTICLE:
            continue
        examples = {
            "customer": [{"DATETEST": "2019-01-01", "TEST": "testvalue"}],
            "inventory": [{"TEST": "testvalue"}, {"DATETIME": "2019-04-19"},
                          {"TEXT": "long text to filter upon"}, {"ACTIVE": "1"},
                          {"AttributeID1": "ValueID1", "AttributeID2": "ValueID2"},
                          {"AttributeID": "ValueID1,ValueID2"},
                          {"COLOR": "RED"}, {"SIZE": "L"}],
        }
        for entity, filters in examples.items():
            for wanted in filters:
                hits = [r for r in company[entity] if _attribute_match(r, wanted, kinds)]
                assert hits, (entity, wanted)
                # exact match: not every record with the attribute qualifies
                assert len(hits) < len(company[entity]), (entity, wanted)
        hits = [r for r in company["customer"]
                if _attribute_match(r, {"SEGMENT": "PUBLIC"}, kinds)]
        assert hits


# --------------------------------------------------------------------------- article 17


def _vat_ids_for(company: dict, zone: str, category: str) -> list[str]:
    return [v["vatId"] for v in company["vat"]
            if zone in {z["id"] for z in v["zones"]}
            and category in {c["vatCategoryId"] for c in v["categories"]}]


def test_article_17_vat_rule(article):
    assert "01" in {z["id"] for z in article["vatZone"]}
    assert "03" in {c["vatCategoryId"] for c in article["vatCategory"]}
    assert _vat_ids_for(article, "01", "03") == ["3"]
    assert "01" not in {v["vatId"] for v in article["vat"]}
    assert any(c["vatZone"]["id"] == "01" for c in article["customer"])
    assert any(i["vatCode"]["id"] == "03" for i in article["inventory"])


def test_vat_tables_are_coherent_in_every_company(small):
    for company in small.values():
        zones = {z["id"] for z in company["vatZone"]}
        categories = {c["vatCategoryId"]: c for c in company["vatCategory"]}
        vats = _by_key(company["vat"], "vatId")
        for zone in zones:
            for category in categories:
                assert len(_vat_ids_for(company, zone, category)) == 1, (zone, category)
        # a category lists exactly the VAT ids that name it
        for category_id, category in categories.items():
            listed = {line["vatId"] for line in category["vatCategoryLines"]}
            naming = {v for v, rec in vats.items()
                      if category_id in {c["vatCategoryId"] for c in rec["categories"]}}
            assert listed == naming
        for customer in company["customer"]:
            assert customer["vatZone"]["id"] in zones
        for item in company["inventory"]:
            assert item["vatCode"]["id"] in categories


# --------------------------------------------------------------------------- article 20


def test_article_20_entities_exist(article):
    suppliers = _by_key(article["supplier"], "number")
    assert "50000" in suppliers and "50002" not in suppliers
    assert "1" in {c["id"] for c in article["supplier/supplierClass"]}
    items = _by_key(article["inventory"], "inventoryNumber")
    assert {"test*test", "6", "teststock"} <= set(items)
    assert items["teststock"]["purchaseUnit"] == "PALL"
    assert "2" in {w["warehouseID"] for w in article["warehouse"]}
    assert "PALL" in {u["unit"] for u in article["unitofmeasure"]}
    assert {"20", "X"} <= {p["projectID"] for p in article["project"]}
    assert "1" in {v["vatId"] for v in article["vat"]}
    assert any(s["segments"][0]["segmentValue"] == "00" for s in article["subaccount"])

    invoices = _by_key(article["supplierInvoice"], "referenceNumber")
    assert "000050" in invoices and "000357" not in invoices  # 357 is the article's new one
    assert invoices["000050"]["status"] == "Hold"
    assert invoices["000050"]["supplier"]["number"] == "50000"
    assert any(i["project"]["id"] == "20" for i in article["supplierInvoice"])
    assert sum(n["project"]["id"] == "20" for n in article["customerDebitNote"]) >= 5

    orders = _by_key(article["purchaseorder"], "orderNbr")
    assert orders["25698"]["supplier"]["number"] == "50000"
    assert orders["25698"]["status"] == "Open"
    own = {o["status"] for o in article["purchaseorder"] if o["supplier"]["number"] == "50000"}
    assert own == PO_STATUSES

    modified = [s["lastModifiedDateTime"] for s in article["supplier"]]
    assert 5 <= sum(m >= "2020-01-14" for m in modified) < len(modified)


def test_purchase_orders_in_every_status(small):
    for company in small.values():
        assert {o["status"] for o in company["purchaseorder"]} == PO_STATUSES


# --------------------------------------------------------------------------- coherence


def _cents(value: float) -> int:
    return round(value * 100)


def _check_taxes(details: list[dict], vat_total: float, company: dict, day: str):
    vats = _by_key(company["vat"], "vatId")
    total = 0
    for row in details:
        vat = vats[row["taxId"]]
        rates = [s for s in vat["schedules"] if s["startDate"] <= day]
        assert row["vatRate"] == rates[-1]["vatRate"]
        expected = (_cents(row["taxableAmount"]) * round(row["vatRate"] * 100) + 5000) // 10000
        assert _cents(row["vatAmount"]) == expected
        total += expected
    assert total == _cents(vat_total)


def test_customer_documents_add_up_and_follow_the_vat_rule(small):
    for company in small.values():
        items = _by_key(company["inventory"], "inventoryNumber")
        customers = _by_key(company["customer"], "number")
        projects = {p["projectID"] for p in company["project"]}
        accounts = {a["accountCD"] for a in company["account"]}
        subaccounts = {s["subaccountNumber"] for s in company["subaccount"]}
        for entity in ("customerinvoice", "customerDebitNote", "customerCreditNote"):
            for doc in company[entity]:
                customer = customers[doc["customer"]["number"]]
                assert doc["customer"]["name"] == customer["name"]
                assert doc["createdDateTime"][:10] >= customer["createdDateTime"][:10]
                assert doc["project"]["id"] in projects
                assert MIDNIGHT.match(doc["documentDate"]) and doc["financialPeriod"] == (
                    doc["documentDate"][:4] + doc["documentDate"][5:7])
                lines = doc["invoiceLines"]
                assert 1 <= len(lines) <= 4
                assert sum(_cents(li["amount"]) for li in lines) == _cents(doc["detailTotal"])
                assert _cents(doc["amount"]) == _cents(doc["detailTotal"]) + _cents(
                    doc["vatTotal"])
                _check_taxes(doc["taxDetails"], doc["vatTotal"], company, doc["documentDate"])
                zone = customer["vatZone"]["id"]
                for line in lines:
                    item = items[line["inventoryNumber"]]
                    assert _vat_ids_for(company, zone, item["vatCode"]["id"]) == [
                        line["vatCode"]["id"]]
                    assert line["account"]["number"] in accounts
                    assert line["subaccount"]["subaccountNumber"] in subaccounts
                if doc["status"] in ("Closed", "Voided"):
                    assert doc["balance"] == 0
                else:
                    assert 0 < doc["balance"] <= doc["amount"]


def test_supplier_side_is_consistent(small):
    for company in small.values():
        suppliers = _by_key(company["supplier"], "number")
        invoices = _by_key(company["supplierInvoice"], "referenceNumber")
        orders = _by_key(company["purchaseorder"], "orderNbr")
        for invoice in invoices.values():
            supplier = suppliers[invoice["supplier"]["number"]]
            assert invoice["supplierTaxZone"]["id"] == supplier["vatZone"]["id"]
            cost = sum(_cents(li["cost"]) for li in invoice["invoiceLines"])
            assert _cents(invoice["amount"]) == cost + _cents(invoice["vatTotal"])
            _check_taxes(invoice["taxDetailLines"], invoice["vatTotal"], company,
                         invoice["date"])
            for line in invoice["invoiceLines"]:
                if line["poNumber"]:
                    assert orders[line["poNumber"]]["supplier"]["number"] == (
                        invoice["supplier"]["number"])
        for order in orders.values():
            assert order["supplier"]["number"] in suppliers
            total = sum(_cents(li["amount"]) for li in order["lines"])
            assert total == _cents(order["lineTotal"])
            assert _cents(order["orderTotal"]) == total + _cents(order["taxTotal"])
            assert order["hold"] == (order["status"] == "Hold")
        paid = Counter()
        for payment in company["supplierPayment"]:
            lines = payment["paymentLines"]
            assert _cents(payment["paymentAmount"]) == sum(
                _cents(li["amountPaid"]) for li in lines) + _cents(payment["unappliedBalance"])
            for line in lines:
                invoice = invoices[line["invoiceRefNbr"]]
                assert invoice["supplier"]["number"] == payment["supplier"]["number"]
                assert line["amountPaid"] == invoice["amount"]
                expected = "Closed" if payment["released"] else "Open"
                assert invoice["status"] == expected
                paid[line["invoiceRefNbr"]] += 1
        assert max(paid.values()) == 1  # nobody pays an invoice twice
        closed = [i for i in invoices.values()
                  if i["status"] == "Closed" and i["documentType"] == "Invoice"]
        assert all(i["referenceNumber"] in paid for i in closed)


def test_references_point_at_existing_reference_data(small):
    for company in small.values():
        terms = {t["termsId"] for t in company["creditTerm"]}
        branches = {b["number"] for b in company["branch"]}
        classes = {c["id"] for c in company["customer/customerClass"]}
        item_classes = {c["id"] for c in company["inventory/itemClass"]}
        units = {u["unit"] for u in company["unitofmeasure"]}
        warehouses = {w["warehouseID"] for w in company["warehouse"]}
        for customer in company["customer"]:
            assert customer["creditTerms"]["id"] in terms
            assert customer["customerClass"]["id"] in classes
        for item in company["inventory"]:
            assert item["itemClass"]["id"] in item_classes
            assert {item["baseUnit"], item["salesUnit"], item["purchaseUnit"]} <= units
        for order in company["purchaseorder"]:
            assert order["branch"]["number"] in branches
            for line in order["lines"]:
                assert line["warehouse"] is None or line["warehouse"]["id"] in warehouses
                assert line["uom"] in units


# --------------------------------------------------------------------------- large


def test_large_company_size_and_spread():
    # Its generation time is a benchmark figure (house rule: no timed tests); the
    # machines running the suite are shared and their wall clock says little.
    counts: Counter = Counter()
    due_years: Counter = Counter()
    statuses: Counter = Counter()
    modified_years: Counter = Counter()
    spend_months: set[str] = set()
    for _, entity, record in _seed.generate(companies=[LARGE]):
        counts[entity] += 1
        if entity == "customerinvoice":
            due_years[record["documentDueDate"][:4]] += 1
            statuses[record["status"]] += 1
        elif entity == "customer":
            modified_years[record["lastModifiedDateTime"][:4]] += 1
        elif entity == "supplierInvoice":
            spend_months.add(record["financialPeriod"])
    assert counts["customer"] >= 20_000
    assert counts["customerinvoice"] >= 50_000
    assert 1_500 <= counts["supplier"] <= 2_500
    assert 10_000 <= counts["supplierInvoice"] <= 14_000
    assert 2_500 <= counts["purchaseorder"] <= 3_500
    assert 6_000 <= counts["supplierPayment"] <= 10_000
    assert 1_200 <= counts["inventory"] <= 1_800
    # receivables ageing needs open and closed invoices due in every year 2023-2026
    assert {"2023", "2024", "2025", "2026"} <= set(due_years)
    assert statuses["Open"] > 500 and statuses["Closed"] > 30_000
    assert len(modified_years) >= 8
    assert len(spend_months) >= 46
