"""Facts the sandbox keeps that a client can see: ETag and If-Match, the read shape of a
created record, the supplier invoice's documentType path, the user-details context call,
the missing customer filter on customer invoices, and the window of the unpaged VAT list."""

from __future__ import annotations

from urllib.parse import quote


def test_if_match_guards_an_update_with_the_etag_of_a_read(http):
    read = http.get("customer/10000")
    tag = read.headers["ETag"]
    assert tag == f'"{read.json()["timeStamp"]}"'  # the body's timeStamp, quoted
    assert all(c["timeStamp"] for c in http.one("customer?pageSize=5"))  # lists: in body
    stale = http.call("PUT", "customer/10000", {"name": {"value": "Changed elsewhere"}})
    assert stale.status_code == 204  # someone else changes it: the tag is now old
    refused = http.session.put(f"{http.url}/API/controller/api/v1/customer/10000",
                               json={"name": {"value": "Mine"}},
                               headers={**http.headers(), "If-Match": tag})
    assert refused.status_code == 412 and "If-Match" in refused.json()["message"]
    assert http.one("customer/10000")["name"] == "Changed elsewhere"  # nothing written
    fresh = http.get("customer/10000").headers["ETag"]
    assert fresh != tag
    ok = http.session.put(f"{http.url}/API/controller/api/v1/customer/10000",
                          json={"name": {"value": "Mine"}},
                          headers={**http.headers(), "If-Match": fresh.strip('"')})
    assert ok.status_code == 204 and http.one("customer/10000")["name"] == "Mine"
    anything = http.session.put(f"{http.url}/v1/customer/10000",
                                json={"name": {"value": "Mine"}},
                                headers={**http.headers(), "If-Match": "*"})
    assert anything.status_code == 204


def test_a_created_customer_has_the_read_shape_and_its_created_time(http):
    stored = http.one("customer/10000")
    made = http.call("POST", "customer", {"name": {"value": "Nytt Kundeforhold AS"}})
    assert made.status_code == 201, made.text
    number = made.headers["Location"].rsplit("/", 1)[-1]
    created = http.one(f"customer/{number}")
    assert set(stored) <= set(created) | {"metadata"}
    assert created["createdDateTime"] and created["paymentMethods"] == []
    day = created["createdDateTime"][:10]
    found = http.get(f"customer?createdDateTime={day}&createdDateTimeCondition=>=")
    assert number in [c["number"] for c in found.json()]


def test_supplier_invoice_by_document_type_and_number(http):
    invoice = http.one("supplierInvoice?pageSize=1")[0]
    number, kind = invoice["referenceNumber"], invoice["documentType"]
    assert http.one(f"supplierInvoice/{kind}/{number}")["referenceNumber"] == number
    other = "CreditAdj" if kind != "CreditAdj" else "Invoice"
    assert http.get(f"supplierInvoice/{other}/{number}").status_code == 404


def test_customer_invoices_filter_by_customer_as_the_surface_says(http):
    # API 8.43 had no customer filter on this list; the current OpenAPI document has one
    # (and the surface file wins over the facts file on parameters).
    every = http.get("customerinvoice?pageSize=1").json()[0]["metadata"]["totalCount"]
    one = http.one("customerinvoice?pageSize=1")[0]["customer"]["number"]
    filtered = http.get(f"customerinvoice?customer={one}&pageSize=1").json()
    own = http.get(f"customer/{one}/invoice?pageSize=1").json()
    assert filtered[0]["metadata"]["totalCount"] == own[0]["metadata"]["totalCount"] < every


def test_date_filters_with_their_condition_on_any_date_field(http):
    every = http.get("customerinvoice?pageSize=1").json()[0]["metadata"]["totalCount"]
    dates = sorted(d["documentDate"] for d in http.one("customerinvoice?pageSize=500"))
    middle = dates[len(dates) // 2][:10]
    count = {}
    for condition in (">=", "<"):
        page = http.get(f"customerinvoice?documentDate={middle}"
                        f"&documentDateCondition={quote(condition)}&pageSize=500").json()
        assert all((d["documentDate"][:10] >= middle) == (condition == ">=") for d in page)
        count[condition] = page[0]["metadata"]["totalCount"] if page else 0
    assert count[">="] + count["<"] == every and 0 < count["<"] < every
    assert http.get("customerinvoice?documentDate=soon").status_code == 400
    assert http.get(f"customerinvoice?documentDate={middle}"
                    "&documentDateCondition=%3D%3E").status_code == 400


def test_ledger_lists_filter_by_period(http):
    v2 = "/API/controller/api/v2"
    balance = http.get("generalLedgerBalance?pageSize=1", root=v2).json()[0]
    period = balance["financialPeriod"]
    for path in ("generalLedgerBalance", "journaltransaction"):
        answer = http.get(f"{path}?periodId={period}&pageSize=500", root=v2)
        rows = answer.json()
        assert rows and {r["financialPeriod"] for r in rows} == {period}, path


def test_vat_list_takes_number_to_read_and_skip_records(http):
    every = http.one("vat")
    window = http.one("vat?numberToRead=2&skipRecords=2")
    assert [v["vatId"] for v in window] == [v["vatId"] for v in every[2:4]]
    assert [v["vatId"] for v in http.one("vat?skipRecords=3")] == [
        v["vatId"] for v in every[3:]]
    assert http.get("vat?numberToRead=0").status_code == 400


def test_user_details_need_a_user_token(http):
    answer = http.session.get(f"{http.url}/resources/v1/context/userdetails",
                              headers={"Authorization": f"Bearer {http.token}"})
    assert answer.status_code == 404 and "service" in answer.json()["message"]


def test_released_and_the_other_documented_list_filters(http):
    every = http.get("customerinvoice?pageSize=1").json()[0]["metadata"]["totalCount"]
    released = http.get("customerinvoice?released=1&pageSize=500").json()
    waiting = http.get("customerinvoice?released=0&pageSize=500").json()
    assert {d["status"] for d in released} <= {"Open", "Closed", "Voided"}
    assert {d["status"] for d in waiting} <= {"Hold", "Balanced", "Scheduled"}
    total = sum(p[0]["metadata"]["totalCount"] if p else 0 for p in (released, waiting))
    assert total == every
    assert http.get("customerinvoice?released=maybe").status_code == 400
    one = http.one("customerinvoice?pageSize=1")[0]
    found = http.one(f"customerinvoice?paymentReference={one['paymentReference']}")
    assert one["referenceNumber"] in [d["referenceNumber"] for d in found]
    assert http.one("customerinvoice?paymentReference=NOPE") == []
    payment = next(p for p in http.one("supplierPayment?pageSize=500") if p["paymentLines"])
    ref = payment["paymentLines"][0]["invoiceRefNbr"]
    paying = http.one(f"supplierPayment?invoiceRefNbr={ref}")
    assert payment["refNbr"] in [p["refNbr"] for p in paying]
    assert all(any(line["invoiceRefNbr"] == ref for line in p["paymentLines"])
               for p in paying)
    assert http.one("attribute?internal=true") == []
    supplier = http.one("supplierInvoice?pageSize=1")[0]["supplier"]["number"]
    filtered = http.get(f"supplierInvoice?supplier={supplier}&pageSize=1").json()
    assert filtered[0]["metadata"]["totalCount"] == http.get(
        f"supplier/{supplier}/invoice?pageSize=1").json()[0]["metadata"]["totalCount"]


def test_credit_notes_release_and_supplier_invoices_prebook_then_void(http):
    # The demo notes are all released already: the action is there and says so.
    note = next(n for n in http.one("customerCreditNote?pageSize=500") if n["status"] == "Open")
    again = http.call("POST", f"customerCreditNote/{note['referenceNumber']}/action/release",
                      {})
    assert again.status_code == 400 and "already released" in again.json()["message"]
    made = http.call("POST", "supplierInvoice", {
        "supplierNumber": {"value": "50000"}, "documentType": {"value": "Invoice"},
        "hold": {"value": False},
        "invoiceLines": [{"operation": "Insert", "inventoryNumber": {"value": "6"},
                          "quantity": {"value": 1}, "unitCostInCurrency": {"value": 10}}]})
    assert made.status_code == 201, made.text
    number = made.headers["Location"].rsplit("/", 1)[-1]
    assert http.call("POST", f"supplierInvoice/Invoice/{number}/action/voidinvoice",
                     {}).status_code == 400  # not prebooked yet
    prebooked = http.call("POST", f"supplierInvoice/Invoice/{number}/action/prebook", {})
    assert prebooked.status_code == 200, prebooked.text
    assert http.one(f"supplierInvoice/{number}")["status"] == "Prebooked"
    voided = http.call("POST", f"supplierInvoice/Invoice/{number}/action/voidinvoice", {})
    assert voided.status_code == 200
    assert http.one(f"supplierInvoice/{number}")["status"] == "Voided"


def test_attributes_are_created_changed_and_deleted(http):
    body = {"attributeID": {"value": "FINISH"}, "description": {"value": "Overflate"},
            "controlType": {"value": "Combo"},
            "details": [{"operation": "Insert", "valueId": {"value": "MATT"},
                         "description": {"value": "Matt"}},
                        {"operation": "Insert", "valueId": {"value": "GLOSS"},
                         "description": {"value": "Blank"}}]}
    made = http.call("POST", "attribute", body)
    assert made.status_code == 201, made.text
    assert made.headers["Location"].endswith("/attribute/FINISH")
    stored = http.one("attribute/FINISH")
    assert stored["controlType"] == "Combo" and stored["createdDateTime"]
    assert [d["valueId"] for d in stored["details"]] == ["MATT", "GLOSS"]
    assert http.call("POST", "attribute", body).status_code == 400  # the id is taken
    changed = http.call("PUT", "attribute/FINISH", {
        "description": {"value": "Finish"},
        "details": [{"operation": "Delete", "valueId": {"value": "MATT"}},
                    {"operation": "Update", "valueId": {"value": "GLOSS"},
                     "disabled": {"value": True}}]})
    assert changed.status_code == 204, changed.text
    stored = http.one("attribute/FINISH")
    assert stored["description"] == "Finish"
    assert stored["details"] == [{"valueId": "GLOSS", "description": "Blank", "sortOrder": 2,
                                  "disabled": True}]
    assert http.call("PUT", "attribute/FINISH", {"controlType": {"value": "Slider"}}
                     ).status_code == 400
    assert http.call("DELETE", "attribute/FINISH").status_code == 204
    assert http.get("attribute/FINISH").status_code == 404


def test_reversing_a_released_invoice_makes_a_credit_note(http):
    invoice = next(i for i in http.one("customerinvoice?status=Open&pageSize=50"))
    before = http.get("customerCreditNote?pageSize=1").json()[0]["metadata"]["totalCount"]
    done = http.call("POST", f"customerinvoice/{invoice['referenceNumber']}/action/reverse",
                     {})
    assert done.status_code == 200 and done.json()["actionResult"] == "Done", done.text
    notes = http.get("customerCreditNote?pageSize=500").json()
    assert notes[0]["metadata"]["totalCount"] == before + 1
    note = next(n for n in notes
                if n["invoiceText"] == f"Reversal of invoice {invoice['referenceNumber']}")
    assert note["status"] == "Balanced" and note["amount"] == invoice["amount"]
    assert note["customer"] == invoice["customer"] and note["createdDateTime"]
    voided = http.one("customerinvoice?status=Voided&pageSize=1")[0]
    refused = http.call("POST", f"customerinvoice/{voided['referenceNumber']}/action/reverse",
                        {})
    assert refused.status_code == 400 and "released" in refused.json()["message"]
