"""URL layouts, path case, the company list, single records, keys, Swagger UI, admin."""

from __future__ import annotations

import json

import pytest
import vnkit_tinydata as data

from vnkit.sandbox._answers import encode_key_b64


@pytest.mark.parametrize("root, path", [
    ("/v1", "customer"),
    ("/API/controller/api/v1", "customer"),
    ("/API/controller/api/v1", "Customer"),
    ("/api/controller/API/V1", "CUSTOMER"),
    ("/V1", "cUsToMeR"),
])
def test_both_layouts_and_any_path_case(api, article, root, path):
    token, _ = article
    answer = api.get(path, token=token, root=root, params={"pageSize": 2})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert [r["number"] for r in answer.json()] == ["10001", "10002"]


@pytest.mark.parametrize("path", ["Supplier", "SupplierInvoice", "PurchaseOrder",
                                  "supplierpayment", "customer/customerClass"])
def test_article_spellings_are_known_resources(api, article, path):
    token, _ = article
    answer = api.get(path, token=token, root="/API/controller/api/v1")
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json(), list)


def test_unknown_resource_is_404_with_message(api, article):
    token, _ = article
    answer = api.get("nosuchthing", token=token)
    assert answer.status_code == 404
    assert "message" in answer.json()


@pytest.mark.parametrize("root", ["/resources/v1", "/API/resources/v1"])
def test_context_lists_the_tokens_companies_without_company_header(api, root):
    token = api.token(data.SHARED_A)  # the shared tenant: two companies
    answer = api.get("context", token=token, root=root)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {c["id"] for c in body} == {data.SHARED_A, data.SHARED_B}
    assert all(set(c) == {"id", "name", "type"} for c in body)  # no metadata


def test_context_detail_is_a_company_dto(api):
    token = api.token(data.SHARED_A)
    answer = api.get(f"context/{data.SHARED_B}", token=token, root="/resources/v1")
    assert answer.status_code == 200
    body = answer.json()
    assert body["companyName"] == "Shared Syd AB"
    assert body["organizationNumber"] == "5566778899"
    foreign = api.get(f"context/{data.ARTICLE}", token=token, root="/resources/v1")
    assert foreign.status_code == 400
    assert foreign.json()["ExceptionFaultCode"] == "12002"


def test_single_record_and_unknown_key(api, article):
    token, _ = article
    one = api.get("customer/10042", token=token)
    assert one.status_code == 200
    assert one.json()["number"] == "10042"
    assert "metadata" not in one.json()
    missing = api.get("customer/99999", token=token)
    assert missing.status_code == 404
    assert "99999" in missing.json()["message"]


@pytest.mark.parametrize("key", ["test*test", "a/b"])
def test_reserved_character_keys_percent_encoded_and_b64(api, article, key):
    token, _ = article
    encoded = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in key)
    for path in (f"/v1/inventory/{encoded}", f"/v1/inventory/{encode_key_b64(key)}",
                 f"/API/controller/api/v1/Inventory/{encode_key_b64(key)}"):
        answer = api.raw(path, token=token)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json()["inventoryNumber"] == key


def test_b64_form_of_the_facts_example_is_decoded():
    from vnkit.sandbox._answers import decode_key

    assert decode_key("b64(Oi8_I1tdQCYqKzs)") == ":/?#[]@&*+;"
    assert decode_key("b64(dGVzdCp0ZXN0)") == "test*test"
    assert decode_key("plain%20key") == "plain key"


def test_customer_invoice_sub_list(api, article):
    token, _ = article
    invoices = api.records("customer/10001/invoice", token=token)
    assert [i["referenceNumber"] for i in invoices] == ["000001", "000004", "000007"]
    assert all(i["metadata"]["totalCount"] == 3 for i in invoices)
    paged = api.records("customer/10001/invoice", token=token, pageSize=2, pageNumber=2)
    assert [i["referenceNumber"] for i in paged] == ["000007"]
    assert api.get("customer/99999/invoice", token=token).status_code == 404
    # The supplier sub-list exists (no supplier invoices in the tiny data).
    assert api.records("Supplier/50000/Invoice", token=token) == []


def test_vat_has_no_paging_and_no_metadata(api, article):
    token, _ = article
    records = api.records("vat", token=token, pageSize=1, pageNumber=2)
    assert [r["vatId"] for r in records] == ["1", "3", "5"]
    assert all("metadata" not in r for r in records)


def test_every_answer_has_a_request_id(api, article):
    token, _ = article
    for answer in (api.get("customer", token=token, params={"pageSize": 1}),
                   api.get("customer", token=None),
                   api.get("customer", token=token, params={"pageSize": "x"}),
                   api.token_response(tenant=None),
                   api.http.get(f"{api.url}/sandbox/health")):
        assert answer.headers.get("Ipp-Request-Id"), answer.url


def test_application_type_header_is_accepted(api, article):
    token, company = article
    answer = api.get("customer", token=token, company=company, params={"pageSize": 1},
                     headers={"ipp-application-type": "Visma.net Financials"})
    assert answer.status_code == 200


def test_swagger_ui_is_served_offline(api):
    index = api.http.get(f"{api.url}/API-index/")
    assert index.status_code == 200
    assert "swagger-ui-bundle.js" in index.text
    assert "http://" not in index.text and "https://" not in index.text  # no CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css",
                  "swagger-ui-standalone-preset.js"):
        assert api.http.get(f"{api.url}/API-index/ui/{asset}").status_code == 200
    assert api.http.get(f"{api.url}/API-index/index.html").status_code == 200
    redirect = api.http.get(f"{api.url}/API-index", allow_redirects=False)
    assert redirect.status_code in (301, 302, 307, 308)


def test_openapi_document_lists_list_parameters(api):
    doc = api.http.get(f"{api.url}/API-index/doc/swagger").json()
    assert doc["openapi"].startswith("3.0")
    operation = doc["paths"]["/v1/customer"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"pageNumber", "pageSize", "lastModifiedDateTime", "lastModifiedDateTimeCondition",
            "createdDateTime", "status", "name", "attributes", "corporateId",
            "ipp-company-id"} <= names
    page_size = next(p for p in operation["parameters"] if p["name"] == "pageSize")
    assert page_size["schema"]["default"] == 200  # the fixture's customer override
    po = {p["name"] for p in doc["paths"]["/v1/purchaseorder"]["get"]["parameters"]}
    assert {"orderStatus", "supplier", "orderType"} <= po and "status" not in po
    vat = {p["name"] for p in doc["paths"]["/v1/vat"]["get"]["parameters"]}
    assert "pageSize" not in vat
    assert "/v1/inventory/{inventoryNumber}" in doc["paths"]
    assert "/v1/customer/{customerNumber}/invoice" in doc["paths"]
    assert "/connect/token" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_admin_surface_never_shows_the_secret(api):
    assert api.http.get(f"{api.url}/sandbox/health").json() == {"status": "ok"}
    info = api.http.get(f"{api.url}/sandbox/info")
    assert info.status_code == 200
    body = info.json()
    assert body["demo_client_id"] == "isv_tiny_demo"
    assert [c["company_id"] for c in body["companies"]] == [data.ARTICLE, data.SHARED_A,
                                                            data.SHARED_B]
    assert "tiny-secret" not in info.text and "other-secret" not in info.text


def test_openid_configuration(api):
    doc = api.http.get(f"{api.url}/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == f"{api.url}/connect/token"
    assert doc["issuer"] == api.url
    assert "client_credentials" in doc["grant_types_supported"]
    json.dumps(doc)
