"""Every write example of articles 19 and 20 (and the supplier ledger reads around them)
succeeds against the sandbox exactly as the articles write it: path spelling, legacy
layout, and bodies including their non-canonical parts."""

from __future__ import annotations

import base64

# Article 20, POST Supplier: note mainAddress is NOT DtoValue-wrapped (a read shape).
SUPPLIER_POST = {
    "number": {"value": "50002"},
    "name": {"value": "NewSupplier"},
    "mainAddress": {
        "addressId": 3001,
        "addressLine1": "Testroad 5",
        "postalCode": "0110",
        "city": "OSLO",
        "country": {"id": "NO", "name": "NORGE"},
        "county": {"id": "0301", "name": "OSLO"},
    },
    "supplierClassId": {"value": "1"},
}

# Article 20, POST SupplierInvoice: item "test*test", string line number and cost.
SUPPLIER_INVOICE_POST = {
    "date": {"value": "2019-11-08T00:00:00"},
    "documentType": {"value": "Invoice"},
    "referenceNumber": {"value": "000357"},
    "invoiceLines": [
        {
            "inventoryNumber": {"value": "test*test"},
            "lineNumber": {"value": "1"},
            "operation": "Insert",
            "projectId": {"value": "X"},
            "quantity": {"value": 1},
            "subaccount": [{"segmentId": 1, "segmentValue": "00"}],
            "unitCostInCurrency": {"value": "1.60"},
            "vatCodeId": {"value": "1"},
        }
    ],
    "paymentRefNo": {"value": "test"},
    "postPeriod": {"value": "112019"},
    "supplierNumber": {"value": "50000"},
    "supplierReference": {"value": "test"},
}

# Article 20, PUT SupplierInvoice/000050: "lines" is not a supplier invoice member.
SUPPLIER_INVOICE_PUT = {
    "lines": [
        {
            "operation": "Insert",
            "lineNumber": {"value": 1},
            "inventoryNumber": {"value": "6"},
            "quantity": {"value": 1},
            "unitPriceInCurrency": {"value": 1},
        }
    ]
}

# Article 20, POST PurchaseOrder.
PURCHASE_ORDER_POST = {
    "orderType": {"value": "RegularOrder"},
    "date": {"value": "2019-12-27T09:46:11.202Z"},
    "supplier": {"value": "50000"},
    "lines": [
        {
            "operation": "Insert",
            "inventory": {"value": "teststock"},
            "lineType": {"value": "GoodsForInventory"},
            "warehouse": {"value": "2"},
            "uom": {"value": "PALL"},
            "orderQty": {"value": 2},
            "unitCost": {"value": 2000},
        }
    ],
}

# Article 20, PUT PurchaseOrder/25698: operation Update on line 1.
PURCHASE_ORDER_PUT = {
    "lines": [
        {
            "operation": "Update",
            "lineNumber": {"value": 1},
            "inventoryNumber": {"value": "6"},
            "quantity": {"value": 1},
            "unitPriceInCurrency": {"value": 1},
        }
    ]
}


def _last_segment(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def test_supplier_post_as_written(http):
    answer = http.call("POST", "Supplier", SUPPLIER_POST)
    assert answer.status_code == 201, answer.text
    location = answer.headers["Location"]
    assert location == f"{http.url}/API/controller/api/v1/Supplier/50002"
    created = http.one("supplier/50002")
    assert created["name"] == "NewSupplier"
    assert created["supplierClass"]["id"] == "1"
    assert created["mainAddress"]["addressLine1"] == "Testroad 5"
    assert created["mainAddress"]["country"] == {"id": "NO", "name": "NORGE"}
    assert created["mainAddress"]["county"] == {"id": "0301", "name": "OSLO"}
    # the modified filter of article 20 now finds it
    listed = http.get("Supplier?lastModifiedDateTime=2020-01-14&lastModifiedDateTimeCondition=>=")
    assert "50002" in {s["number"] for s in listed.json()}


def test_supplier_post_again_is_refused(http):
    http.call("POST", "Supplier", SUPPLIER_POST)  # may be the first or second time
    again = http.call("POST", "Supplier", SUPPLIER_POST)
    assert again.status_code == 400
    assert "50002" in again.json()["message"]


def test_supplier_invoice_post_as_written(http):
    answer = http.call("POST", "SupplierInvoice", SUPPLIER_INVOICE_POST)
    assert answer.status_code == 201, answer.text
    key = _last_segment(answer.headers["Location"])
    assert key == "000357"
    doc = http.one(f"supplierInvoice/{key}")
    assert doc["supplier"]["number"] == "50000"
    assert doc["postPeriod"] == "201911"  # the article's MMYYYY read as November 2019
    line = doc["invoiceLines"][0]
    assert line["lineNumber"] == 1
    assert line["inventoryNumber"] == "test*test"
    assert line["unitCostInCurrency"] == 1.6
    assert line["vatCode"]["id"] == "1"
    assert line["subaccount"]["segments"][0]["segmentValue"] == "00"
    assert doc["project"]["id"] == "X"
    assert doc["vatAmount"] == 0.4  # 25 % of 1.60


def test_supplier_invoice_put_with_unknown_member_is_ignored(http):
    before = http.one("supplierInvoice/000050")
    answer = http.call("PUT", "SupplierInvoice/000050", SUPPLIER_INVOICE_PUT)
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    after = http.one("supplierInvoice/000050")
    assert after["invoiceLines"] == before["invoiceLines"]
    assert after["lastModifiedDateTime"] > before["lastModifiedDateTime"]


def test_purchase_order_post_as_written(http):
    answer = http.call("POST", "PurchaseOrder", PURCHASE_ORDER_POST)
    assert answer.status_code == 201, answer.text
    location = answer.headers["Location"]
    assert location.startswith(f"{http.url}/API/controller/api/v1/PurchaseOrder/")
    order = http.one(f"purchaseorder/{_last_segment(location)}")
    assert order["supplier"]["number"] == "50000"
    line = order["lines"][0]
    assert (line["inventory"]["number"], line["warehouse"]["id"], line["uom"]) == \
        ("teststock", "2", "PALL")
    assert line["amount"] == 4000.0
    assert order["orderTotal"] == 4000.0


def test_purchase_order_put_update_line_one(http):
    before = http.one("purchaseorder/25698")
    answer = http.call("PUT", "PurchaseOrder/25698", PURCHASE_ORDER_PUT)
    assert answer.status_code == 204, answer.text
    after = http.one("purchaseorder/25698")
    assert [x["lineNbr"] for x in after["lines"]] == [x["lineNbr"] for x in before["lines"]]


def test_article_reads_around_the_writes(http):
    assert http.get("purchaseorder?Supplier=50000&status=open").status_code == 200
    assert http.get("SupplierPayment?SupplierId=50000").status_code == 200
    assert http.get("customerDebitNote?project=20").status_code == 200


def test_location_uses_the_current_layout_too(http):
    body = dict(SUPPLIER_POST, number={"value": "59990"})
    answer = http.call("POST", "supplier", body, root="/v1")
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"{http.url}/v1/supplier/59990"


def test_reserved_key_through_b64(http):
    key = "b64(" + base64.urlsafe_b64encode(b"test*test").rstrip(b"=").decode() + ")"
    answer = http.call("PUT", f"inventory/{key}", {"body": {"value": "Stjerne"}})
    assert answer.status_code == 204, answer.text
    assert http.one(f"inventory/{key}")["body"] == "Stjerne"


def test_article_14_queries_as_written(net_http):
    """Article 14's encodings, sent byte for byte (the equal sign never encoded)."""
    import requests

    http = net_http  # real HTTP: the in-process client would re-encode the query
    for path in ('inventory?attributes=%7B"TEST":"testvalue"%7D',
                 "inventory?attributes=%7B%22TEST%22%3A%22testvalue%22%7D",
                 'customer?attributes=%7B"DATETEST":"2019-01-01","TEST":"testvalue"%7D',
                 'inventory?attributes={"ACTIVE":"1"}'):
        prepared = requests.Request("GET", http.url, headers=http.headers()).prepare()
        prepared.url = f"{http.url}/API/controller/api/v1/{path}"
        answer = http.session.send(prepared)
        assert answer.status_code == 200, (path, answer.text)
    found = http.get('inventory?attributes={"TEST":"testvalue"}').json()
    assert "teststock" in {i["inventoryNumber"] for i in found}


def test_written_attributes_are_filterable(http):
    body = {"inventoryNumber": {"value": "ATTR-1"}, "description": {"value": "Attributt"},
            "itemClassId": {"value": "90"},
            "attributeLines": [{"attributeId": {"value": "TEST"},
                                "attributeValue": {"value": "written"}}]}
    assert http.call("POST", "inventory", body).status_code == 201
    found = http.get('inventory?attributes={"TEST":"written"}').json()
    assert [i["inventoryNumber"] for i in found] == ["ATTR-1"]


def test_member_names_are_case_insensitive_and_unknown_ones_ignored(http):
    body = {"NAME": {"VALUE": "Store Bokstaver AS"}, "SupplierClassID": {"value": "2"},
            "noSuchField": {"value": 1}, "overrideWithClassValues": True}
    answer = http.call("POST", "supplier", body)
    assert answer.status_code == 201, answer.text
    created = http.one("supplier/" + answer.headers["Location"].rsplit("/", 1)[-1])
    assert created["name"] == "Store Bokstaver AS"
    assert created["supplierClass"]["id"] == "2"


def test_writes_need_their_scope(box):
    from vnkit_writes_helpers import Http

    reader = Http(box, 2310401, scope="vismanet_erp_service_api:read")
    answer = reader.call("POST", "Supplier", SUPPLIER_POST)
    assert answer.status_code == 403
    assert "vismanet_erp_service_api:create" in answer.json()["message"]


def test_created_key_with_reserved_characters_comes_back_as_b64(http):
    body = {"inventoryNumber": {"value": "KIT/2*B"}, "description": {"value": "Sett"}}
    answer = http.call("POST", "inventory", body)
    assert answer.status_code == 201, answer.text
    segment = answer.headers["Location"].rsplit("/", 1)[-1]
    assert segment.startswith("b64(")
    assert http.one(f"inventory/{segment}")["inventoryNumber"] == "KIT/2*B"
