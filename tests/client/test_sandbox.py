"""The client against a real sandbox over HTTP on loopback (marked ``sandbox``).

Written against the sandbox contract: ``vnkit.sandbox.start(port, db, reset, latency_ms)``
returns a handle with ``url``, ``credentials`` and ``stop()``; its first company is the
articles' company (350 customers, 30 of them Active); one tenant holds two companies.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from urllib.parse import parse_qsl

import pandas as pd
import pytest
import requests

import vnkit
from vnkit import Environment

pytestmark = pytest.mark.sandbox


def api_queries(counting, suffix):
    return [dict(parse_qsl(q)) for method, path, q in counting.queries
            if method == "GET" and "/v1/" in path and path.endswith(suffix)]


# -- article 08 ------------------------------------------------------------------------------
def test_all_350_customers_in_the_minimum_number_of_requests(sandbox_client, counting):
    frame = sandbox_client.fetch("customer")
    pager = sandbox_client.last_pager
    assert len(frame) == 350 and frame["number"].is_unique
    minimum = math.ceil(350 / pager.page_size)
    assert counting.api_gets("/customer") == minimum == pager.calls
    assert counting.counts[("POST", "/connect/token")] == 0  # the token was reused


def test_active_customers(sandbox_client, counting):
    frame = sandbox_client.fetch("customer", status="Active")
    assert len(frame) == 30 and set(frame["status"]) == {"Active"}
    assert counting.api_gets("/customer") == 1
    assert all(q["status"] == "Active" for q in api_queries(counting, "/customer"))


def test_article_table_four_requests_of_100(sandbox_client, counting):
    frame = sandbox_client.fetch("customer", pageSize=100)
    assert len(frame) == 350 and frame["number"].is_unique
    queries = api_queries(counting, "/customer")
    assert sorted(q["pageNumber"] for q in queries) == ["1", "2", "3", "4"]
    assert {q["pageSize"] for q in queries} == {"100"}


@pytest.mark.parametrize(("since", "size", "pages"), [
    ("2020-03-01T00:00:00", 3, 4),  # query 1 of the figure
    ("2020-03-01T00:00:00", 5, 2),  # query 2
    ("2020-03-06T00:00:00", 3, 2),  # query 3
])
def test_article_figure_queries(sandbox_client, counting, since, size, pages):
    got = list(sandbox_client.pages("customer", pageSize=size,
                                    lastModifiedDateTime=(">=", since)))
    assert len(got) == pages == counting.api_gets("/customer")
    queries = api_queries(counting, "/customer")
    assert {(q["lastModifiedDateTime"], q["lastModifiedDateTimeCondition"], q["pageSize"])
            for q in queries} == {(since.replace("T", " "), ">=", str(size))}
    cutoff = datetime.fromisoformat(since)
    for page in got:
        for record in page.records:
            # The API compares the company's local wall-clock time; drop any offset.
            local = datetime.fromisoformat(record["lastModifiedDateTime"]).replace(tzinfo=None)
            assert local >= cutoff


def test_figure_queries_1_and_2_cover_the_same_records(sandbox_client):
    by3 = sandbox_client.fetch("customer", pageSize=3,
                               lastModifiedDateTime=(">=", "2020-03-01T00:00:00"))
    by5 = sandbox_client.fetch("customer", pageSize=5,
                               lastModifiedDateTime=(">=", "2020-03-01T00:00:00"))
    assert sorted(by3["number"]) == sorted(by5["number"])


def test_the_pitfall_of_changing_page_size(sandbox_client):
    """Page 1 at size 3 then page 2 at size 5 skips records 4 and 5 (the article)."""
    query = {"lastModifiedDateTime": "2020-03-01T00:00:00",
             "lastModifiedDateTimeCondition": ">="}
    whole = sandbox_client.get("customer", pageSize=10, pageNumber=1, **query)
    first = sandbox_client.get("customer", pageSize=3, pageNumber=1, **query)
    second = sandbox_client.get("customer", pageSize=5, pageNumber=2, **query)
    numbers = [r["number"] for r in whole]
    assert [r["number"] for r in first + second] == numbers[:3] + numbers[5:10]


def test_large_company_pages_concurrently_without_loss(sandbox, counting):
    company = sandbox.credentials.companies[1]
    with vnkit.connect(sandbox, company=company.company_id, adapter=counting,
                       progress=False, max_workers=4) as client:
        counting.reset()
        frame = client.fetch("customer")
        pager = client.last_pager
    assert len(frame) == pager.total_count and frame["number"].is_unique
    assert counting.api_gets("/customer") == math.ceil(pager.total_count / pager.page_size)
    numbers = Counter(q["pageNumber"] for q in api_queries(counting, "/customer"))
    assert all(n == 1 for n in numbers.values())  # no page asked twice


# -- filters -------------------------------------------------------------------------------
def test_attributes_both_encodings(sandbox_client, sandbox):
    """Article 14: the fully encoded form (what vnkit sends) and the partial form."""
    wanted = {"DATETEST": "2019-01-01", "TEST": "testvalue"}
    frame = sandbox_client.fetch("customer", attributes=wanted)
    assert len(frame) >= 1
    partial = '%7B"DATETEST":"2019-01-01","TEST":"testvalue"%7D'
    session = sandbox_client.session
    prepared = session.prepare_request(requests.Request(
        "GET", f"{sandbox.url}/v1/customer",
        headers={"ipp-company-id": str(sandbox_client.company)}))
    prepared.url = f"{sandbox.url}/v1/customer?attributes={partial}"  # exactly as written
    answer = session.send(prepared)
    assert answer.status_code == 200, answer.text
    assert sorted(r["number"] for r in answer.json()) == sorted(frame["number"])


def test_inventory_attribute_filter(sandbox_client):
    frame = sandbox_client.fetch("inventory", attributes={"TEST": "testvalue"})
    assert len(frame) >= 1


def test_supplier_modified_since_article_20(sandbox_client):
    frame = sandbox_client.fetch("supplier", **vnkit.last_modified(">=", "2020-01-14"))
    assert len(frame) >= 1
    local = frame["lastModifiedDateTime"]
    if local.dt.tz is not None:
        local = local.dt.tz_localize(None)
    assert (local >= datetime(2020, 1, 14)).all()


@pytest.mark.parametrize("filters", [
    {"lastModifiedDateTime": "2020-01-14Z"},
    {"lastModifiedDateTime": "14.01.2020"},
    {"lastModifiedDateTimeCondition": "="},
    {"attributes": {"TEST": None}},
    {"attributes": "{TEST: testvalue}"},
])
def test_bad_filters_fail_before_any_request(sandbox_client, counting, filters):
    with pytest.raises(vnkit.FilterError):
        sandbox_client.fetch("customer", **filters)
    assert sum(counting.counts.values()) == 0


@pytest.mark.parametrize(("raw", "parameter"), [
    ({"lastModifiedDateTime": "14.01.2020", "lastModifiedDateTimeCondition": ">="},
     "lastModifiedDateTime"),
    ({"lastModifiedDateTime": "2020-01-14", "lastModifiedDateTimeCondition": "="},
     "lastModifiedDateTimeCondition"),
    ({"attributes": "{TEST: testvalue}"}, "attributes"),
])
def test_bad_filters_sent_raw_get_a_400_naming_the_parameter(sandbox_client, raw, parameter):
    with pytest.raises(vnkit.BadRequestError) as info:
        sandbox_client.get("customer", **raw)
    assert parameter in info.value.api_message
    assert parameter in info.value.hint
    assert "?" not in info.value.url


# -- endpoints without metadata, sub-paths, layouts ----------------------------------------------
def test_vat_is_one_call(sandbox_client, counting):
    frame = sandbox_client.fetch("vat")
    assert len(frame) >= 1 and frame["vatId"].is_unique
    assert counting.api_gets("/vat") == 1


def test_vat_category_reads_until_a_short_page(sandbox_client, counting):
    frame = sandbox_client.fetch("vatCategory")
    assert len(frame) >= 1 and frame["vatCategoryId"].is_unique
    assert counting.api_gets("/vatCategory") <= 2


def test_customer_invoice_sub_path(sandbox_client):
    invoices = sandbox_client.fetch("customerinvoice", pageSize=50)
    number = invoices["customer.number"].iloc[0]
    mine = sandbox_client.fetch(f"customer/{number}/invoice")
    assert len(mine) >= 1 and set(mine["customer.number"]) == {number}
    assert mine["referenceNumber"].is_unique


def test_legacy_layout(sandbox, counting):
    env = Environment.sandbox(sandbox.url, layout="legacy")
    with vnkit.connect(sandbox, environment=env, adapter=counting, progress=False) as client:
        assert len(client.fetch("customer", status="Active")) == 30
    paths = [path for method, path in counting.counts if method == "GET"]
    assert paths and all(p.startswith("/API/controller/api/v1/") for p in paths)


# -- companies and tenants ---------------------------------------------------------------------
def test_companies_and_the_shared_tenant(sandbox, counting):
    tenants = Counter(c.tenant_id for c in sandbox.credentials.companies)
    shared = [c for c in sandbox.credentials.companies if tenants[c.tenant_id] > 1]
    assert len(shared) >= 2
    first, second = shared[:2]
    with vnkit.connect(sandbox, company=first.name, adapter=counting,
                       progress=False) as client:
        listed = client.companies()
        assert {first.company_id, second.company_id} <= set(listed["id"])
        a = client.fetch("customer")
        client.use_company(second.name)
        b = client.fetch("customer")
        assert set(a["name"]) != set(b["name"])  # numbering may coincide, names do not
        # Without ipp-company-id a token for a two-company tenant is ambiguous: 12002.
        del client.session.headers["ipp-company-id"]
        with pytest.raises(vnkit.BadRequestError) as info:
            client.get("customer")
    assert info.value.code == "12002"
    assert "use_company" in info.value.hint
    assert counting.counts[("POST", "/connect/token")] == 1  # one tenant, one token


def test_switching_to_another_tenant_signs_in_again(sandbox, counting):
    companies = sandbox.credentials.companies
    other = next(c for c in companies if c.tenant_id != companies[0].tenant_id)
    with vnkit.connect(sandbox, adapter=counting, progress=False) as client:
        client.use_company(other.company_id)
        assert len(client.fetch("customer")) >= 1
    assert counting.counts[("POST", "/connect/token")] == 2


def test_wrong_tenant_is_an_auth_error_with_a_hint(sandbox):
    with pytest.raises(vnkit.AuthError) as info:
        vnkit.connect(sandbox, tenant_id="00000000-0000-0000-0000-000000000000")
    assert "tenant id" in info.value.hint
    assert sandbox.credentials.client_secret not in str(info.value)


def test_wrong_secret_is_an_auth_error(sandbox):
    with pytest.raises(vnkit.AuthError) as info:
        vnkit.connect(sandbox, client_secret="not-the-Secret-123")
    assert info.value.error == "invalid_client"
    assert "not-the-Secret-123" not in str(info.value)


def test_unknown_company_is_refused_before_any_request(sandbox, counting):
    with pytest.raises(vnkit.ConfigurationError):
        vnkit.connect(sandbox, company="No Such Company AS", adapter=counting)
    assert sum(counting.counts.values()) == 0


def test_no_secret_in_reprs(sandbox_client, sandbox):
    secret = sandbox.credentials.client_secret
    for text in (repr(sandbox_client), repr(sandbox_client.credentials),
                 repr(sandbox_client.session.auth)):
        assert secret not in text


def test_fetch_builds_the_same_frame_as_one_normalisation_of_all_records(sandbox_client):
    # fetch normalises each page as it arrives; the result must not depend on that.
    from vnkit._frames import to_frame

    for endpoint, filters in (("customer", {"pageSize": 37}),
                              ("customerinvoice", {"pageSize": 100}),
                              ("vatCategory", {})):
        fetched = sandbox_client.fetch(endpoint, progress=False, **filters)
        direct = to_frame(sandbox_client.records(endpoint, progress=False, **filters))
        assert len(fetched) > 0
        pd.testing.assert_frame_equal(fetched, direct[fetched.columns], check_like=False)
        assert set(fetched.columns) == set(direct.columns)
