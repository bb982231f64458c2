"""Date, status, name, exact and attributes filters (facts section 4, articles 14 and 20)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import vnkit_tinydata as data

# Record 1 of the article figure was modified at 2020-03-01 12:00:00.500 (wall clock).
BOUNDARY = "2020-03-01 12:00:00.500"
FIGURE = [str(10000 + seq) for seq in data.FIGURE_SEQS]


def _numbers(api, token, path="customer", **params) -> list[str]:
    return [r.get("number") or r.get("orderNbr") or r.get("inventoryNumber")
            for r in api.records(path, token=token, **params)]


@pytest.mark.parametrize("operator, expected", [
    (">", FIGURE[1:]), (">=", FIGURE), ("<", None), ("<=", None)])
def test_the_four_operators_at_a_boundary(api, article, operator, expected):
    token, _ = article
    records = api.records("customer", token=token, lastModifiedDateTime=BOUNDARY,
                          lastModifiedDateTimeCondition=operator, pageSize=200)
    got = [r["number"] for r in records]
    if expected is not None:
        assert got == expected
        return
    rest = records + api.records("customer", token=token, lastModifiedDateTime=BOUNDARY,
                                 lastModifiedDateTimeCondition=operator, pageSize=200,
                                 pageNumber=2)
    numbers = {r["number"] for r in rest}
    assert records[0]["metadata"]["totalCount"] == len(rest)
    if operator == "<":
        assert len(rest) == 340 and FIGURE[0] not in numbers
    else:
        assert len(rest) == 341 and FIGURE[0] in numbers and FIGURE[1] not in numbers


def test_condition_defaults_to_greater_or_equal(api, article):
    token, _ = article
    assert _numbers(api, token, lastModifiedDateTime="2020-03-01") == FIGURE


def test_condition_without_a_date_is_ignored(api, article):
    token, _ = article
    assert len(_numbers(api, token, lastModifiedDateTimeCondition="<")) == 200


@pytest.mark.parametrize("value", [
    "2020-03-01", "2020-03-01 12:00:00", "2020-03-01 12:00:00.500",
    "2020-03-01T12:00:00", "2020-03-01T12:00:00.500"])
def test_accepted_date_formats(api, article, value):
    token, _ = article
    answer = api.get("customer", token=token, params={"lastModifiedDateTime": value})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()) in (9, 10)


@pytest.mark.parametrize("parameter", ["lastModifiedDateTime", "createdDateTime"])
@pytest.mark.parametrize("value", [
    "2020-03-01Z", "2020-03-01T12:00:00Z", "2020/01/14", "2020-03-01 12:00",
    "2020-03-01 12:00:00.5", "2020-03-01T12:00:00+01:00", "01-03-2020", "yesterday",
    "2020-02-30", "2020-3-1"])
def test_refused_date_formats(api, article, parameter, value):
    token, _ = article
    answer = api.get("customer", token=token, params={parameter: value})
    assert answer.status_code == 400, value
    assert parameter in answer.json()["message"]


@pytest.mark.parametrize("operator", ["=", "==", "=>", "gt", "<>", "!="])
def test_unknown_operator_is_400_naming_the_condition(api, article, operator):
    token, _ = article
    answer = api.get("customer", token=token, params={
        "lastModifiedDateTime": "2020-03-01", "lastModifiedDateTimeCondition": operator})
    assert answer.status_code == 400
    assert "lastModifiedDateTimeCondition" in answer.json()["message"]


def test_raw_operator_in_the_query_string(api, article):
    """Article 20 writes ``Condition=>=`` unencoded; that must work as written."""
    token, _ = article
    answer = api.raw("/API/controller/api/v1/Customer?lastModifiedDateTime=2020-03-01"
                     "&lastModifiedDateTimeCondition=>=", token=token)
    assert answer.status_code == 200
    assert len(answer.json()) == 10


def test_created_date_time_filter(api, article):
    token, _ = article
    got = api.records("customerinvoice", token=token, createdDateTime="2020-01-05",
                      createdDateTimeCondition="<")
    assert [r["referenceNumber"] for r in got] == ["000001", "000002", "000003", "000004"]


def test_filter_names_are_case_insensitive_and_unknown_ones_ignored(api, article):
    token, _ = article
    got = _numbers(api, token, LASTMODIFIEDDATETIME="2020-03-06",
                   LastModifiedDateTimeCondition=">=", noSuchFilter="x", orderBy="name")
    assert got == FIGURE[5:]


# --------------------------------------------------------------------------- status, name, exact


def test_status_is_case_insensitive(api, article):
    token, _ = article
    assert len(_numbers(api, token, status="active")) == 30
    assert len(_numbers(api, token, status="ACTIVE")) == 30
    assert _numbers(api, token, status="OneTime") == []  # valid, just absent


def test_unknown_status_is_400_listing_valid_values(api, article):
    token, _ = article
    answer = api.get("customer", token=token, params={"status": "Sleeping"})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert "status" in message and "Active" in message and "OnHold" in message


def test_purchase_orders_filter_on_order_status(api, article):
    token, _ = article
    assert _numbers(api, token, "purchaseorder", orderStatus="open") == ["000001", "000004"]
    bad = api.get("purchaseorder", token=token, params={"orderStatus": "Sleeping"})
    assert bad.status_code == 400 and "orderStatus" in bad.json()["message"]


def test_article_20_purchase_order_query_ignores_status(api, article):
    token, _ = article
    answer = api.raw("/API/controller/api/v1/purchaseorder?Supplier=50000&status=open",
                     token=token)
    assert answer.status_code == 200
    assert [(r["orderNbr"], r["status"]) for r in answer.json()] == [
        ("000001", "Open"), ("000002", "Closed"), ("000003", "Hold")]


def test_name_contains_case_insensitive(api, article):
    token, _ = article
    assert len(_numbers(api, token, name="norwegian")) == 12
    assert len(_numbers(api, token, name="NORWEGIAN GOODS")) == 12
    assert _numbers(api, token, name="Customer 042") == ["10042"]


def test_exact_filters_are_whole_values(api, article):
    token, _ = article
    assert _numbers(api, token, corporateId="900000042") == ["10042"]
    assert _numbers(api, token, corporateId="90000004") == []
    assert _numbers(api, token, email="POST7@example.no") == ["10007"]
    assert _numbers(api, token, "inventory", inventoryNumber="test*test") == ["test*test"]
    answer = api.get("inventory", token=token,
                     params=[("inventoryTypes", "NonStockItem"),
                             ("inventoryTypes", "FinishedGoodItem")])
    assert len(answer.json()) == 7
    only = api.get("inventory", token=token, params={"inventoryTypes": "nonstockitem"})
    assert [r["inventoryNumber"] for r in only.json()] == ["test*test", "a/b"]


def test_description_is_the_text_filter_of_inventory(api, article):
    token, _ = article
    assert _numbers(api, token, "inventory", description="widget") == [
        f"ITEM-{i}" for i in range(1, 6)]


# --------------------------------------------------------------------------- attributes

# Article 14's two accepted encodings of {"TEST":"testvalue"} (the '=' stays plain).
ENCODINGS = ['%7B"TEST":"testvalue"%7D', "%7B%22TEST%22%3A%22testvalue%22%7D"]


@pytest.mark.parametrize("encoded", ENCODINGS)
@pytest.mark.parametrize("path", ["/v1/customer", "/API/controller/api/v1/Customer"])
def test_attributes_both_encodings_over_raw_http(api, article, encoded, path):
    token, _ = article
    answer = api.raw(f"{path}?attributes={encoded}&pageSize=500", token=token)
    assert answer.status_code == 200, answer.text
    numbers = [r["number"] for r in answer.json()]
    assert numbers == [str(10000 + s) for s in range(1, 351) if s % 10 == 1]
    assert answer.json()[0]["metadata"]["totalCount"] == 35


def test_attributes_two_values_as_in_the_article(api, article):
    token, _ = article
    query = quote('{"DATETEST":"2019-01-01","TEST":"testvalue"}', safe='"{}:,')
    answer = api.raw(f"/v1/customer?attributes={query}", token=token)
    assert answer.status_code == 200, answer.text
    assert [r["number"] for r in answer.json()] == [
        str(10000 + s) for s in range(1, 351) if s % 20 == 1]
    full = quote('{"DATETEST":"2019-01-01","TEST":"testvalue"}', safe="")
    assert api.raw(f"/v1/customer?attributes={full}", token=token).json() == answer.json()


def test_inventory_attributes(api, article):
    token, _ = article
    answer = api.raw('/v1/inventory?attributes=%7B"TEST":"testvalue"%7D', token=token)
    assert [r["inventoryNumber"] for r in answer.json()] == ["test*test"]


@pytest.mark.parametrize("attributes, seqs", [
    ('{"TEST":"testvalue"}', [s for s in range(1, 351) if s % 10 == 1]),
    ('{"TEST":"testvalue plus"}', [s for s in range(1, 351) if s % 10 == 2]),
    ('{"TEST":"test"}', []),                      # no partial match
    ('{"TEST":"TESTVALUE"}', []),                 # exact text
    ('{"test":"testvalue"}', [s for s in range(1, 351) if s % 10 == 1]),  # id case-free
    ('{"DATETEST":"2019-01-01"}', [s for s in range(1, 351) if s % 20 == 1]),
    ('{"DATETEST":"2019-01-01T00:00:00"}', [s for s in range(1, 351) if s % 20 == 1]),
    ('{"DATETEST":"2019-01-02"}', []),
    ('{"DATETEST":"not a date"}', []),
    ('{"ACTIVE":"1"}', [s for s in range(1, 351) if s % 3 == 0]),
    ('{"ACTIVE":true}', [s for s in range(1, 351) if s % 3 == 0]),
    ('{"TAGS":"V1,V2"}', [s for s in range(1, 351) if s % 25 == 0]),
    ('{"TAGS":"V2,V1"}', [s for s in range(1, 351) if s % 25 == 0]),
    ('{"TAGS":"V1"}', []),
    ('{"NOSUCH":"x"}', []),
    ('{}', list(range(1, 201))),
])
def test_attribute_kinds(api, article, attributes, seqs):
    token, _ = article
    answer = api.get("customer", token=token, params={"attributes": attributes})
    assert answer.status_code == 200, answer.text
    assert [r["number"] for r in answer.json()] == [str(10000 + s) for s in seqs][:200]


@pytest.mark.parametrize("attributes", ['{"TEST":', "TEST=testvalue", '["TEST"]', '"x"',
                                        '{"TEST":["a"]}', '{"TEST":{"v":1}}', "null"])
def test_bad_attributes_are_400(api, article, attributes):
    token, _ = article
    answer = api.get("customer", token=token, params={"attributes": attributes})
    assert answer.status_code == 400, attributes
    assert "attributes" in answer.json()["message"]


def test_attributes_combine_with_paging_and_other_filters(api, article):
    token, _ = article
    page = api.records("customer", token=token, attributes='{"ACTIVE":"1"}',
                       status="Active", pageSize=2, pageNumber=2)
    expected = [s for s in range(1, 351) if s % 3 == 0 and s in data.ACTIVE_SEQS]
    assert [r["number"] for r in page] == [str(10000 + s) for s in expected[2:4]]
    assert page[0]["metadata"]["totalCount"] == len(expected)
