"""Client-side checks of the security issue (items 4 and 10): every bad argument is a
vnkit error before any request, and a lost answer to a write says what may have happened.

The property tests feed every public builder and helper arbitrary values: whatever comes
in, the only exceptions out are vnkit's own (``VnkitError`` subclasses).
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3.exceptions import NewConnectionError
from vnkit_client_fakes import (
    ROOT,
    Dataset,
    FakeAdapter,
    FakeApi,
    customers,
    sandbox_like,
)

import vnkit
from vnkit import FilterError, PayloadError, TransportError, VnkitError
from vnkit._filters import encode_params, format_when
from vnkit._writes import key_segment


# -- item 4: a lost answer to a POST -----------------------------------------------------------
class LosingAdapter(FakeAdapter):
    """Answers like the fake API, but the answer to every write is lost (or, with
    ``refused``, the connection is never made)."""

    def __init__(self, api: FakeApi, refused: bool = False):
        super().__init__(api)
        self.refused = refused
        self.writes = 0

    def send(self, request, **kwargs):
        if request.method in ("POST", "PUT") and "/connect/token" not in request.url:
            if self.refused:
                raise requests.ConnectionError(NewConnectionError(None, "Connection refused"))
            self.writes += 1  # it reached the server: it may have been carried out
            raise requests.ConnectionError("('Connection aborted.', RemoteDisconnected())")
        return super().send(request, **kwargs)


@pytest.fixture
def losing():
    api = FakeApi(datasets={"customer": Dataset(customers(3))})
    adapter = LosingAdapter(api)
    with vnkit.connect(sandbox_like(), adapter=adapter, progress=False) as client:
        yield client, adapter


def test_lost_answer_to_a_create_says_it_may_exist_and_how_to_check(losing):
    client, adapter = losing
    with pytest.raises(TransportError) as caught:
        client.create("customerinvoice", {"customerNumber": "10001",
                                          "externalReference": "ORDER-77"})
    error = caught.value
    assert adapter.writes == 1
    assert "may have been carried out" in str(error)
    assert "externalReference" in error.hint and "before sending it again" in error.hint
    assert "client.get(" in error.hint
    assert not error.hint.startswith("check the network")
    assert "sandbox" not in str(error)  # fake.test is not a sandbox on loopback


def test_refused_connection_says_nothing_was_received():
    api = FakeApi(datasets={"customer": Dataset(customers(3))})
    with vnkit.connect(sandbox_like(), adapter=LosingAdapter(api, refused=True),
                       progress=False) as client:
        with pytest.raises(TransportError, match="nothing was received") as caught:
            client.create("customer", {"name": "Acme"})
    assert "may have" not in str(caught.value)


def test_connection_hints_name_a_sandbox_only_for_loopback():
    from vnkit._client import _transport_hint

    lost = requests.ConnectionError("aborted")
    _, production = _transport_hint("GET", "https://api.finance.visma.net/v1/customer", lost)
    _, local = _transport_hint("GET", "http://127.0.0.1:8123/v1/customer", lost)
    assert "sandbox" not in production and "api_url" in production
    assert "sandbox" in local


def test_404_hints_are_about_the_request(client, api):
    from vnkit._client import _not_found_hint

    assert "no record has this key (customerCd='10009')" in _not_found_hint(
        "GET", f"{ROOT}/v1/customer/10009")
    assert "no such endpoint" in _not_found_hint("GET", f"{ROOT}/v1/customers")
    assert "base64" not in _not_found_hint("GET", f"{ROOT}/v1/customer")
    with pytest.raises(vnkit.NotFoundError) as caught:
        client.get("customer/10009")  # the fake has no record endpoint: a missing record
    assert "no record has this key" in caught.value.hint


# -- item 10: gaps, each a vnkit error before any request ----------------------------------------
@pytest.mark.parametrize("value", [["2020-01-01"], 20200101, True, 1.5, {"a": 1}])
def test_non_dates_for_a_datetime_filter(client, api, value):
    for call in (lambda: client.fetch("customer", lastModifiedDateTime=value),
                 lambda: client.get("customer", createdDateTime=value),
                 lambda: client.request("GET", "customer",
                                        params={"lastModifiedDateTime": value})):
        with pytest.raises(FilterError, match="is not a date"):
            call()
    assert api.api_calls() == []


def test_year_999_is_refused_not_written_with_three_digits():
    with pytest.raises(FilterError, match="before 1753"):
        format_when(datetime(999, 1, 1))
    with pytest.raises(FilterError, match="before 1753"):
        vnkit.last_modified(">=", date(999, 1, 1))
    assert format_when(datetime(1753, 1, 1)) == "1753-01-01 00:00:00.000"


@pytest.mark.parametrize("size", ["²", "١٠", "10.0", 1.7, True, 0, -3, "abc", [10]])
def test_page_size_that_is_not_a_positive_whole_number(client, api, size):
    with pytest.raises(FilterError, match="pageSize"):
        client.fetch("customer", pageSize=size)
    assert api.api_calls() == []


@pytest.mark.parametrize("values", [5, "name=Acme", ["name"], object()])
def test_payload_of_something_that_is_not_a_mapping(values):
    with pytest.raises(PayloadError, match="takes a mapping"):
        vnkit.payload("customer", values)


@pytest.mark.parametrize("number", ["abc", 1.7, True, 0, -1, None, "²"])
def test_line_numbers_are_whole_numbers_from_one(number):
    with pytest.raises(PayloadError, match="line"):
        vnkit.line("Update", number)
    assert vnkit.line("Update", "2")["lineNumber"] == 2


def test_action_body_that_is_not_json_and_keys_that_are_not_keys(client, api):
    with pytest.raises(PayloadError, match="cannot be sent as JSON"):
        client.action("customerinvoice", "1", "release", body={1, 2})
    with pytest.raises(PayloadError, match="cannot be sent as JSON"):
        client.action("customerinvoice", "1", "release", body={"x": float("nan")})
    for key in (None, True, 1.7, ["1"], b"1"):
        with pytest.raises(FilterError, match="key"):
            client.update("customer", key, {"name": "A"})
        with pytest.raises(FilterError, match="key"):
            client.delete("customer", key)
    with pytest.raises(FilterError, match="key: is None"):
        client.action("customerinvoice", None, "release")
    assert api.api_calls() == []
    assert key_segment(10001) == "10001"


# -- property tests: nothing but vnkit's own errors ----------------------------------------------
anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
              st.binary(max_size=6), st.decimals(), st.dates(), st.times(),
              st.datetimes(timezones=st.one_of(st.none(), st.just(timezone.utc))),
              st.just(vnkit.CLEAR), st.builds(object)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.frozensets(st.integers(), max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)
names = st.one_of(st.sampled_from(["status", "lastModifiedDateTime", "pageSize", "attributes",
                                   "lastModifiedDateTimeCondition", "expandAddress",
                                   "numberToRead", "name", "createdDateTime", "stauts"]),
                  st.text(max_size=10))
resources = st.one_of(st.sampled_from(["customer", "supplier", "customerinvoice",
                                       "supplierInvoice", "inventory", "salesorder",
                                       "v2/journaltransaction", "nosuch"]),
                      st.text(max_size=10), anything)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def only_vnkit_errors(call, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(*args, **kwargs)
    except VnkitError:
        pass


@PROPERTY
@given(anything, anything)
def test_date_builders(op, when):
    only_vnkit_errors(vnkit.last_modified, op, when)
    only_vnkit_errors(vnkit.created, op, when)
    only_vnkit_errors(format_when, when)


@PROPERTY
@given(anything, st.dictionaries(st.text(max_size=6).filter(str.isidentifier), anything,
                                 max_size=3))
def test_attributes_builder(mapping, more):
    only_vnkit_errors(vnkit.attributes, mapping, **more)


@PROPERTY
@given(st.dictionaries(names, anything, max_size=4), st.booleans())
def test_encode_params(params, strict):
    only_vnkit_errors(encode_params, params, strict=strict)


@PROPERTY
@given(resources, anything, st.booleans())
def test_payload_builder(resource, values, warn):
    only_vnkit_errors(vnkit.payload, resource, values, warn=warn)
    only_vnkit_errors(vnkit.unwrap, values)


@PROPERTY
@given(anything, anything, st.dictionaries(st.text(max_size=6).filter(str.isidentifier),
                                           anything, max_size=3))
def test_line_builder(operation, number, values):
    only_vnkit_errors(vnkit.line, operation, number, **values)


@PROPERTY
@given(anything)
def test_key_segment(key):
    only_vnkit_errors(key_segment, key)


@PROPERTY
@given(anything, st.one_of(st.none(), st.sampled_from(["GET", "PUT", "POST"]), anything))
def test_describe(endpoint, method):
    only_vnkit_errors(vnkit.describe, endpoint, method)
    only_vnkit_errors(vnkit.endpoints, endpoint if isinstance(endpoint, str) else None)


@PROPERTY
@given(st.one_of(st.sampled_from(["customer", "Customer", "customer/{customerCd}/contact",
                                  "customer/10001/invoice", "vat", "customers"]),
                 st.text(max_size=12), anything),
       st.dictionaries(names, anything, max_size=4), st.one_of(st.none(), anything))
def test_reads_check_everything_before_a_request(client, api, endpoint, filters, unchecked):
    sent = len(api.api_calls())
    # pages() checks and encodes, and requests nothing until iterated.
    only_vnkit_errors(client.pages, endpoint, unchecked=unchecked, **filters)
    assert len(api.api_calls()) == sent


@PROPERTY
@given(resources, anything, anything, anything)
def test_writes_check_everything_before_a_request(client, api, resource, key, values, body):
    sent = len(api.api_calls())
    for call in (lambda: client.update(resource, key, values),
                 lambda: client.delete(resource, key) if key is None else None,
                 lambda: client.action(resource, key, "release", body=body)
                 if key is None or isinstance(body, (set, frozenset, bytes, object))
                 and not isinstance(body, (dict, list, str, int, float, type(None)))
                 else None):
        only_vnkit_errors(call)
    # Whatever went wrong was found before a request (the fake answers any write 404).
    assert all(c.method in ("PUT", "POST") for c in api.api_calls()[sent:])


def test_time_values_in_payloads_are_sent_as_text():
    assert vnkit.payload("customer", {"x": time(10, 30)}, warn=False) == {
        "x": {"value": "10:30:00"}}
    assert vnkit.payload("customer", {"creditLimit": Decimal("12.50")}) == {
        "creditLimit": {"value": 12.5}}


def test_production_sign_in_without_network_does_not_mention_a_sandbox():
    class Offline(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            raise requests.ConnectionError(NewConnectionError(None, "no route"))

        def close(self):
            pass

    with pytest.raises(TransportError) as caught:
        vnkit.connect("production", client_id="isv_x", client_secret="s", tenant_id="t",
                      adapter=Offline())
    assert "sandbox" not in str(caught.value) and "connect_url" in caught.value.hint
