"""Every operation of the surface, served in-process through FastAPI's TestClient.

The app runs on the tiny data, which has a record of every resource (see
``vnkit_tinydata``): each operation is called with path parameters that name existing
records, and none may answer 404, 405 or 501 (nor 5xx). Also here: the OpenAPI document
holds every operation, the path canonicalisation (case, legacy layouts, ``b64(...)``
keys), a generic create -> read -> update -> delete round trip and 400s naming a body
field, a too-deep body, a lone surrogate and oversized ``attributes`` filters.
"""

from __future__ import annotations

import json
import re

import pytest
import vnkit_tinydata as data
from fastapi.testclient import TestClient
from vnkit_sandbox_helpers import ALL_SCOPES, env

from vnkit._surface import surface, template_key
from vnkit.sandbox import Settings
from vnkit.sandbox._answers import encode_key_b64, key_segment
from vnkit.sandbox._app import create_app
from vnkit.sandbox.routers import area_of, build_routers


@pytest.fixture(scope="module")
def client(tiny_tmp, tiny):  # `tiny` first: it builds the tiny template
    with env(VNKIT_CACHE_DIR=str(tiny_tmp / "cache")):
        app = create_app(Settings(data_module="vnkit_tinydata", rate_limit_enabled=False),
                         db=str(tiny_tmp / "in-process.sqlite3"), reset=True)
    with TestClient(app) as test_client:
        answer = test_client.post("/connect/token", data={
            "grant_type": "client_credentials", "client_id": "isv_tiny_demo",
            "client_secret": "tiny-secret", "tenant_id": data.ARTICLE_TENANT,
            "scope": ALL_SCOPES})
        assert answer.status_code == 200, answer.text
        test_client.headers.update({"Authorization": "Bearer " + answer.json()["access_token"],
                                    "ipp-company-id": str(data.ARTICLE)})
        yield test_client


def _url(op, values: dict[str, str]) -> str:
    parts = []
    for part in op.path.split("/"):
        if part.startswith("{"):
            parts.append(key_segment(values[part[1:-1]]))
        else:
            parts.append(part)
    return "/".join(parts)


def _body(op):
    """A small body of the operation's update DTO: its first text field, wrapped."""
    if not op.body or op.body == "object":
        return None
    for name, spec in surface().dto(op.body).items():
        if spec.type == "string" and not spec.enum:
            return {name: {"value": "x"} if spec.wrapped else "x"}
    return {}


def _call(client, op, records, known=None):
    values = data.fill_path(op, records)
    values.update({k: v for k, v in (known or {}).items() if k in values})
    url = _url(op, values)
    if op.path.lower().endswith("/attachment") and op.method == "POST":
        return client.post(url, files={"file": ("note.txt", b"hello", "text/plain")})
    body = _body(op)
    return client.request(op.method, url, json=body)


def test_every_operation_answers(client):
    records = data.first_records()
    # Reads first, then changes, deletes last: a delete must not take a record away
    # from an operation still to come.
    order = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}
    # Ids that only exist once made: an attachment and a background job.
    upload = client.post("/v1/customerinvoice/000001/attachment",
                         files={"file": ("a.txt", b"a", "text/plain")})
    job = client.get("/v1/customer", headers={"erp-api-background": "none"})
    known = {"attachmentId": upload.headers["Location"].rsplit("/", 1)[-1],
             "requestId": job.json()["id"]}
    failures = []
    deleted = set()  # (first segment, key) of records an earlier DELETE removed
    for op in sorted(surface().operations, key=lambda o: order[o.method]):
        answer = _call(client, op, records, known)
        if op.method == "DELETE":
            target = (op.path.split("/")[2].lower(),
                      data.fill_path(op, records)[op.path_params[-1]])
            if answer.status_code == 404 and target in deleted:
                continue  # the same record under another path (with its document type)
            deleted.add(target)
        if answer.status_code in (404, 405, 501) or answer.status_code >= 500:
            failures.append(f"{op.method} {op.path} -> {answer.status_code} "
                            f"{answer.text[:150]}")
    assert not failures, f"{len(failures)} operations failed:\n" + "\n".join(failures)


def test_lists_below_a_parent_hold_their_records(client):
    customer_lists = client.get("/v1/customer/10001/directdebit")
    assert customer_lists.status_code == 200
    assert len(customer_lists.json()) == 1
    assert "_parent" not in customer_lists.json()[0]
    assert client.get("/v1/customer/10002/directdebit").json() == []
    assert client.get("/v1/customer/99999/directdebit").status_code == 404
    # The bar-code DTO is shared by four lists; each holds its own record.
    for kind in ("purchasereceipt", "salesorder", "shipment", "stocktake"):
        answer = client.get(f"/v1/inventory/barcode/{kind}/X0")
        assert answer.status_code == 200
        assert len(answer.json()) == 1, kind
    # A partner's invoices: filtered by the field that names the partner.
    invoices = client.get("/v1/customer/10002/invoice").json()
    assert invoices and {i["customer"]["number"] for i in invoices} == {"10002"}


def test_single_get_of_a_dto_without_list_is_made_from_the_path(client):
    first = client.get("/v1/customer/10001/note")
    assert first.status_code == 200
    assert first.json() == client.get("/v1/customer/10001/note").json()
    missing = client.get("/v1/customer/99999/note")
    assert missing.status_code == 404
    assert "99999" in missing.json()["message"]


def test_single_get_404_names_the_key(client):
    answer = client.get("/v1/carrier/NO-SUCH-CARRIER")
    assert answer.status_code == 404
    assert "NO-SUCH-CARRIER" in answer.json()["message"]


def test_openapi_document_holds_every_operation(client):
    doc = client.get("/API-index/doc/swagger").json()
    assert doc["openapi"] == "3.0.3"
    have = {(method.upper(), template_key(path)) for path, item in doc["paths"].items()
            for method in item if method in ("get", "post", "put", "delete")}
    missing = [f"{o.method} {o.path}" for o in surface().operations
               if (o.method, o.key) not in have]
    assert not missing, missing[:10]
    customer = doc["paths"]["/v1/customer/{customerCd}"]["get"]
    names = {p["name"] for p in customer["parameters"]}
    assert {"customerCd", "ipp-company-id"} <= names
    ok = customer["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/CustomerDto"}
    schemas = doc["components"]["schemas"]
    assert schemas["CustomerDto"]["type"] == "object"
    status = schemas["CustomerDto"]["properties"]["status"]
    assert "$ref" in status or "enum" in status
    for path in ("/connect/token", "/sandbox/info", "/resources/v1/context"):
        assert path in doc["paths"], path


def test_routers_cover_every_area():
    routers = build_routers(_NoEngine())
    assert len(routers) >= 10
    routes = sum(len(r.routes) for r in routers)
    assert routes == len(surface().operations)
    assert area_of("SalesOrderV2") == "sales"
    assert area_of("FixedAssetClass") == "fixed assets"


class _NoEngine:
    def endpoint(self, op):
        async def answer() -> None:  # pragma: no cover - never called
            return None
        return answer


@pytest.mark.parametrize("path", [
    "/v1/CUSTOMER/10001", "/API/controller/api/v1/Customer/10001",
    "/api/v1/customer/10001", "/V1/customer/" + encode_key_b64("10001"),
    "/v1/customer/%31%30%30%30%31",
])
def test_case_legacy_layouts_and_encoded_keys_reach_one_route(client, path):
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.json()["number"] == "10001"


def test_keys_with_reserved_characters(client):
    for key in ("test*test", "a/b"):
        answer = client.get("/v1/Inventory/" + encode_key_b64(key))
        assert answer.status_code == 200, answer.text
        assert answer.json()["inventoryNumber"] == key
    slash = client.get("/API/controller/api/v1/inventory/a%2Fb")
    assert slash.status_code == 200
    assert slash.json()["inventoryNumber"] == "a/b"


def test_old_resource_names_still_answer(client):
    assert client.get("/v1/creditTerms").status_code == 200
    assert client.get("/v1/creditTerm").status_code == 200


def test_generic_create_read_update_delete(client):
    # expenseClaim has no hand-written behaviour: the generic handlers serve it.
    created = client.post("/v1/expenseClaim", json={"refNbr": {"value": "EC/1"},
                                                     "description": {"value": "Taxi"}})
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location.endswith("/v1/expenseClaim/" + encode_key_b64("EC/1"))
    path = location.split("testserver", 1)[1]
    record = client.get(path)
    assert record.status_code == 200
    assert record.json()["refNbr"] == "EC/1"
    assert record.json()["description"] == "Taxi"
    listed = client.get("/v1/expenseClaim").json()
    assert "EC/1" in [r["refNbr"] for r in listed]
    update = client.put(path, json={"description": {"value": "Train"},
                                    "refNbr": {"value": "OTHER"}})
    assert update.status_code == 204, update.text
    changed = client.get(path).json()
    assert changed["description"] == "Train" and changed["refNbr"] == "EC/1"
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert client.delete(path).status_code == 404
    again = client.post("/v1/expenseClaim", json={})
    assert again.status_code == 201
    assert client.post("/v1/expenseClaim",
                       json={"refNbr": {"value": again.headers["Location"].rsplit("/", 1)[-1]}}
                       ).status_code == 400  # the key is taken


def test_generic_create_below_a_parent(client):
    before = client.get("/v1/inventory/ITEM-2/crossReferences").json()
    created = client.post("/v1/inventory/ITEM-2/crossReferences",
                          json={"alternateID": {"value": "ALT-9"}})
    assert created.status_code == 201, created.text
    after = client.get("/v1/inventory/ITEM-2/crossReferences").json()
    assert len(after) == len(before) + 1
    assert "ALT-9" in [r["alternateID"] for r in after]
    assert all("_parent" not in r for r in after)
    assert client.get("/v1/inventory/ITEM-3/crossReferences").json() == []


def test_create_below_a_parent_with_a_non_ascii_key(client):
    # A generic create of a customer class whose key is not ASCII, then a record below
    # a parent of that kind of key: the Location stays ASCII (b64 segments).
    created = client.post("/v1/inventory/test*test/crossReferences",
                          json={"alternateID": {"value": "ÆØÅ/1"},
                                "timeStamp": {"value": "tid ø"}})
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location.isascii() and location.endswith(encode_key_b64("ÆØÅ/1"))
    listed = client.get("/v1/inventory/test*test/crossReferences").json()
    assert "ÆØÅ/1" in [r["alternateID"] for r in listed]


def test_bad_body_field_is_a_400_naming_it(client):
    op = next(o for o in surface().operations
              if o.method == "PUT" and o.path == "/v1/customerContract/{contractId}")
    fields = surface().dto(op.body)
    wrapped = next(name for name, f in fields.items() if f.wrapped and f.type == "string")
    records = data.first_records()
    url = _url(op, data.fill_path(op, records))
    answer = client.put(url, json={wrapped: "not wrapped"})
    assert answer.status_code == 400
    assert wrapped in answer.json()["message"]
    number = next((name for name, f in fields.items() if f.wrapped
                   and f.type in ("integer", "number")), None)
    if number:
        answer = client.put(url, json={number: {"value": "many"}})
        assert answer.status_code == 400
        assert number in answer.json()["message"]


def test_body_nested_too_deep_is_a_400(client):
    body = "[" * 1200 + "]" * 1200
    answer = client.put("/v1/customer/10001", content=body,
                        headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "nested" in answer.json()["message"]
    answer = client.post("/v1/department", content='{"a":' * 1100 + "1" + "}" * 1100,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "nested" in answer.json()["message"]


def test_lone_surrogate_in_a_body_is_a_400(client):
    for path, method in (("/v1/customer/10001", "PUT"), ("/v1/department", "POST")):
        answer = client.request(method, path, content=b'{"name": {"value": "\\ud800"}}',
                                headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, (path, answer.text)
        assert "surrogate" in answer.json()["message"]


def test_attributes_filter_too_large_or_deep_is_a_400(client):
    many = json.dumps({f"A{i}": "x" for i in range(1500)})
    answer = client.get("/v1/customer", params={"attributes": many})
    assert answer.status_code == 400
    assert "attributes" in answer.json()["message"]
    deep = "[" * 10000 + "]" * 10000
    answer = client.get("/v1/customer?attributes=" + deep)
    assert answer.status_code == 400
    assert "attributes" in answer.json()["message"]
    surrogate = '{"A": "\\ud800"}'
    answer = client.get("/v1/customer", params={"attributes": surrogate})
    assert answer.status_code == 400


def test_metadata_and_paging_on_a_generic_list(client):
    answer = client.get("/v1/carrier", params={"pageSize": 1})
    assert answer.status_code == 200
    assert answer.status_code == 200
    body = answer.json()
    assert len(body) == 1
    assert set(body[0]["metadata"]) == {"totalCount", "maxPageSize"}
    assert re.fullmatch(r"\d+", str(body[0]["metadata"]["totalCount"]))
