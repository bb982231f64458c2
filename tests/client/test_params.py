"""Parameters and endpoints checked against the API's surface before any request.

The real API ignores a parameter it does not know, so a misspelled name returns every
record, unfiltered. These tests count the requests: a misspelling must cost none.
"""

from __future__ import annotations

from datetime import date

import pytest
from vnkit_client_fakes import Dataset, FakeApi, customers, sandbox_like

import vnkit
from vnkit import FilterError
from vnkit._params import UNCHECKED_HINT, check_query, query_enum, resolve
from vnkit._surface import surface


# -- against the sandbox: what a misspelling used to cost ---------------------------------------
@pytest.fixture
def sandbox_client(sandbox, counting):
    with vnkit.connect(sandbox, adapter=counting, progress=False) as c:
        counting.reset()
        yield c


MISSPELLINGS = [
    ({"stauts": "Active"}, "stauts", "`status`"),
    ({"lastModifiedDate": "2020-03-01"}, "lastModifiedDate", "`lastModifiedDateTime`"),
    ({"Status": "Active", "corporateID": "1", "expandPaymentMethod": True},
     "expandPaymentMethod", "`expandPaymentMethods`"),
]


@pytest.mark.sandbox
@pytest.mark.parametrize(("filters", "name", "suggestion"), MISSPELLINGS)
@pytest.mark.parametrize("call", ["fetch", "records", "pages", "get"])
def test_misspelled_parameter_fails_before_any_request(sandbox_client, counting, filters,
                                                       name, suggestion, call):
    with pytest.raises(FilterError) as caught:
        result = getattr(sandbox_client, call)("customer", **filters)
        if call == "pages":
            list(result)
    error = caught.value
    assert error.parameter == name and f"no query parameter {name!r}" in str(error)
    assert f"did you mean {suggestion}" in error.hint
    assert "its parameters: greaterThanValue" in error.hint  # the endpoint's own list
    assert "unchecked={" in error.hint                     # the way out, said
    assert sum(counting.counts.values()) == 0              # the sandbox saw nothing


@pytest.mark.sandbox
def test_what_the_misspelling_saves(sandbox_client, counting):
    """Unchecked, the misspelled filter is ignored and every customer comes back."""
    everything = sandbox_client.fetch("customer")
    unfiltered_requests = counting.api_gets("/customer")
    counting.reset()
    ignored = sandbox_client.fetch("customer", unchecked={"stauts": "Active"})
    assert counting.api_gets("/customer") == unfiltered_requests >= 1
    assert len(ignored) == len(everything) == 350              # not 30: a silent loss
    assert all(q.endswith("stauts=Active") or "stauts=Active&" in q
               for _, path, q in counting.queries if path.endswith("/customer"))
    assert len(sandbox_client.fetch("customer", status="Active")) == 30


@pytest.mark.sandbox
@pytest.mark.parametrize(("endpoint", "filters", "parameter", "message"), [
    ("customer", {"expandAccountInformation": "yes"}, "expandAccountInformation",
     "'yes' is not a boolean"),
    ("customer", {"numberToRead": "abc"}, "numberToRead", "'abc' is not a whole number"),
    ("customer", {"lastModifiedDateTime": ["2020-01-01"]}, "lastModifiedDateTime",
     "is not a date"),
    ("customer", {"lastModifiedDateTime": 20200101}, "lastModifiedDateTime", "is not a date"),
    ("customer", {"pageSize": "²"}, "pageSize", "not a whole number"),
    ("inventory", {"status": "Aktiv"}, "status", "'Aktiv' is not one of its values"),
    ("supplier", {"status": ["Active", "Hold"]}, "status", "takes one value"),
    ("customers", {}, "endpoint", "did you mean `customer`"),
    ("customer/{customerCd}/contact", {}, "customerCd", "left as a placeholder"),
    ("customer//contact", {}, "customerCd", "is missing"),
    ("customer/10001", {}, "endpoint", "answers one record"),
])
def test_wrong_values_and_endpoints_fail_before_any_request(sandbox_client, counting, endpoint,
                                                            filters, parameter, message):
    with pytest.raises(FilterError) as caught:
        sandbox_client.fetch(endpoint, **filters)
    assert caught.value.parameter == parameter
    assert message in str(caught.value) and caught.value.hint
    assert sum(counting.counts.values()) == 0


@pytest.mark.sandbox
def test_served_endpoints_still_read(sandbox_client):
    for endpoint in ("customer", "supplier", "inventory", "customerinvoice", "supplierInvoice",
                     "purchaseorder", "vat", "vatCategory", "attribute"):
        assert len(sandbox_client.fetch(endpoint)) > 0, endpoint
    assert sandbox_client.fetch("Customer", STATUS="active").shape[0] == 30  # case as the API


# -- offline: the hints, the escape, path parameters ------------------------------------------
def test_unknown_endpoint_hint_and_other_version():
    with pytest.raises(FilterError, match="no GET endpoint 'customers'") as caught:
        resolve("GET", "customers")
    assert caught.value.hint.startswith("did you mean `customer`")
    with pytest.raises(FilterError, match="v2 endpoint") as caught:
        resolve("GET", "journaltransaction/1", "v1")
    assert "version='v2'" in caught.value.hint
    with pytest.raises(FilterError, match="takes POST"):
        resolve("GET", "customer/10001/action/createDunningLetter")


def test_path_parameters_from_keywords_and_keys_encoded():
    call, used = resolve("GET", "customer/{customerCd}/contact", values={"customerCd": "A/B"})
    assert call.path == "customer/b64(QS9C)/contact" and used == {"customerCd"}
    assert call.operation.path == "/v1/customer/{customerCd}/contact"
    with pytest.raises(FilterError, match="customerCd: is None"):
        resolve("GET", "customer/{customerCd}/contact", values={"customerCd": None})


def test_unchecked_parameters_are_sent_as_given():
    api = FakeApi(datasets={"customer": Dataset(customers(5))})
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        client.fetch("customer", status="Active", unchecked={"brandNewFilter": "x y"})
        (call,) = api.api_calls("customer")
        assert call.params["brandNewFilter"] == "x y" and call.params["status"] == "Active"
        with pytest.raises(FilterError, match="given twice"):
            client.fetch("customer", status="Active", unchecked={"STATUS": "x"})
        with pytest.raises(FilterError, match="not a mapping"):
            client.fetch("customer", unchecked=["x"])
    assert "unchecked={'name': value}" in UNCHECKED_HINT


def test_enum_values_checked_only_where_the_surface_names_them_for_the_query():
    inventory = surface().find("GET", "/v1/inventory")
    assert query_enum(inventory, inventory.param("status"), from_records=False)
    customer = surface().find("GET", "/v1/customer")
    # Customer status values come from the records' enum: shown, but the API decides.
    assert "Active" in query_enum(customer, customer.param("status"))
    assert query_enum(customer, customer.param("status"), from_records=False) is None
    assert check_query(inventory, {"status": "active"}) == {"status": "Active"}


# -- every operation of the surface -------------------------------------------------------------
def _valid_value(op, p):
    from vnkit._params import is_date_param

    lowered = p.name.lower()
    if lowered == "attributes":
        return {"COLOR": "RED"}
    if is_date_param(p):
        if op.param(p.name + "Condition") is not None:
            return (">=", date(2020, 1, 14))
        return date(2020, 1, 14)
    if lowered.endswith("condition"):
        return None  # given with its date above
    allowed = query_enum(op, p, from_records=False)
    if allowed:
        return allowed[-1]
    return {"boolean": True, "integer": 5, "number": 1.5, "array": ["a", "b"]}.get(p.type, "x")


def test_every_operation_resolves_and_checks_its_parameters():
    """All 508 operations: the path resolves back to the operation, every parameter
    takes a value of its type, a misspelled name is refused with the right suggestion,
    and a wrong-typed boolean or integer is refused."""
    operations = surface().operations
    assert len(operations) == 508
    checked_names = 0
    for op in operations:
        values = {name: f"K{i}" for i, name in enumerate(op.path_params)}
        template = op.path.split("/", 2)[2]
        call, used = resolve(op.method, template, op.version, values=values)
        assert call.operation.key == op.key, op.path
        assert used == set(values)
        given = {p.name: _valid_value(op, p) for p in op.query}
        encoded = check_query(op, given)
        for p in op.query:
            if given[p.name] is not None:
                assert p.name in encoded, (op.path, p.name)
        for p in op.query:
            checked_names += 1
            wrong = p.name + "x" if len(p.name) > 3 else p.name + "xyz"
            if op.param(wrong) is not None:
                continue
            with pytest.raises(FilterError) as caught:
                check_query(op, {wrong: "1"})
            assert caught.value.parameter == wrong
            if len(p.name) > 3:
                assert f"`{p.name}`" in caught.value.hint, (op.path, p.name)
            if p.type == "boolean":
                with pytest.raises(FilterError, match="is not a boolean"):
                    check_query(op, {p.name: "yes"})
            elif p.type == "integer":
                with pytest.raises(FilterError, match="is not a whole number"):
                    check_query(op, {p.name: "abc"})
    assert checked_names == sum(len(op.query) for op in operations) > 1500


def test_attribute_pairs_are_one_rule_for_every_read():
    api = FakeApi(datasets={"customer": Dataset(customers(5))})
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        client.fetch("customer", attributes="COLOR=RED, SIZE=L")
        client.get("customer", attributes="COLOR=RED")
        client.get("customer", attributes='{"COLOR": "RED"}')   # the API's spelling, as is
    sent = [c.params["attributes"] for c in api.api_calls("customer")]
    assert sent == ['{"COLOR":"RED","SIZE":"L"}', '{"COLOR":"RED"}', '{"COLOR": "RED"}']
