"""Paging as article 08 describes it, on the tiny data's 350 customers."""

from __future__ import annotations

import pytest
import vnkit_tinydata as data

FIGURE = {"lastModifiedDateTime": "2020-03-01T00:00:00", "lastModifiedDateTimeCondition": ">="}
FIGURE_NUMBERS = [str(10000 + seq) for seq in data.FIGURE_SEQS]  # records 1..10 of the figure


def _pages(api, token, path="customer", **params):
    pages, number = [], 1
    while True:
        page = api.records(path, token=token, pageNumber=number, **params)
        if not page:
            return pages
        pages.append(page)
        number += 1


def test_350_customers_in_pages_of_100(api, article):
    token, _ = article
    pages = _pages(api, token, pageSize=100)
    assert [len(p) for p in pages] == [100, 100, 100, 50]
    numbers = [r["number"] for p in pages for r in p]
    assert numbers == [str(10000 + i) for i in range(1, 351)]  # stable order, no gaps
    assert {r["metadata"]["totalCount"] for p in pages for r in p} == {350}
    assert api.records("customer", token=token, pageSize=100, pageNumber=5) == []
    assert api.records("customer", token=token, pageSize=100, pageNumber=999) == []


def test_default_page_size_is_the_maximum(api, article):
    token, _ = article
    first = api.records("customer", token=token)
    assert len(first) == 200  # the fixture caps customer at 200
    assert first[0]["metadata"] == {"totalCount": 350, "maxPageSize": 200}
    assert [r["number"] for r in api.records("customer", token=token, pageNumber=2)] == \
        [str(10000 + i) for i in range(201, 351)]


def test_page_size_above_the_maximum_is_clamped(api, article):
    token, _ = article
    page = api.records("customer", token=token, pageSize=1000)
    assert len(page) == 200
    assert page[-1]["metadata"]["maxPageSize"] == 200
    second = api.records("customer", token=token, pageSize=1000, pageNumber=2)
    assert len(second) == 150  # the clamped size defines the pages
    other = api.records("inventory", token=token, pageSize=1000)
    assert other[0]["metadata"]["maxPageSize"] == 500  # registry default elsewhere


def test_order_is_stable_between_requests(api, article):
    token, _ = article
    a = api.get("customer", token=token, params={"pageSize": 37, "pageNumber": 4}).content
    b = api.get("customer", token=token, params={"pageSize": 37, "pageNumber": 4}).content
    assert a == b


@pytest.mark.parametrize("name, value", [
    ("pageSize", "0"), ("pageSize", "-1"), ("pageSize", "abc"), ("pageSize", "1.5"),
    ("pageNumber", "0"), ("pageNumber", "-3"), ("pageNumber", "x"),
])
def test_bad_paging_values_are_400_naming_the_parameter(api, article, name, value):
    token, _ = article
    answer = api.get("customer", token=token, params={name: value})
    assert answer.status_code == 400
    assert name in answer.json()["message"]


def test_paging_parameter_names_are_case_insensitive(api, article):
    token, _ = article
    page = api.records("customer", token=token, PAGESIZE=3, pagenumber=2)
    assert [r["number"] for r in page] == ["10004", "10005", "10006"]


# --------------------------------------------------------------------------- article 08


def test_figure_query_1_four_pages_of_three(api, article):
    token, _ = article
    pages = _pages(api, token, pageSize=3, **FIGURE)
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [r["number"] for p in pages for r in p] == FIGURE_NUMBERS
    assert {r["metadata"]["totalCount"] for p in pages for r in p} == {10}


def test_figure_query_2_two_pages_of_five(api, article):
    token, _ = article
    pages = _pages(api, token, pageSize=5, **FIGURE)
    assert [len(p) for p in pages] == [5, 5]


def test_figure_query_3_from_march_6(api, article):
    token, _ = article
    pages = _pages(api, token, pageSize=3, lastModifiedDateTime="2020-03-06T00:00:00",
                   lastModifiedDateTimeCondition=">=")
    assert len(pages) == 2
    assert [r["number"] for p in pages for r in p] == FIGURE_NUMBERS[5:]
    assert pages[0][0]["metadata"]["totalCount"] == 5


def test_changing_page_size_between_pages_skips_records(api, article):
    token, _ = article
    first = api.records("customer", token=token, pageSize=3, pageNumber=1, **FIGURE)
    second = api.records("customer", token=token, pageSize=5, pageNumber=2, **FIGURE)
    got = [r["number"] for r in first + second]
    assert got == FIGURE_NUMBERS[:3] + FIGURE_NUMBERS[5:10]  # records 4 and 5 are lost


def test_total_count_is_the_filtered_set(api, article):
    token, _ = article
    page = api.records("customer", token=token, name="Norwegian", pageSize=5, pageNumber=1)
    assert len(page) == 5
    assert page[0]["metadata"]["totalCount"] == 12
    active = api.records("customer", token=token, status="Active", pageSize=10, pageNumber=3)
    assert len(active) == 10
    assert active[0]["metadata"]["totalCount"] == 30


def test_paging_values_beyond_a_32_bit_int_are_400_not_500(api, article):
    token, company = article
    for name in ("pageNumber", "pageSize"):
        answer = api.get("/customer", token=token, company=company,
                         params={name: "2466844499036675566993408"})
        assert answer.status_code == 400 and name in answer.json()["message"]
    answer = api.get("/customer", token=token, company=company,
                     params={"pageNumber": str(2**31 - 1)})
    assert answer.status_code == 200 and answer.json() == []
