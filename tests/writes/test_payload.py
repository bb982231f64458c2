"""Payload helpers: the DtoValue rule, round trips and clear-versus-omit (hypothesis)."""

from __future__ import annotations

import warnings
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vnkit
from vnkit import CLEAR, line, payload, unwrap

names = st.from_regex(r"[a-z][A-Za-z0-9]{0,12}", fullmatch=True).filter(
    lambda n: n.lower() not in {"operation", "id", "overridewithclassvalues",
                                "changedatesonlines", "recalculateshipment", "segmentid",
                                "segmentvalue", "paymentmethoddetaildescription"}
    and not n.lower().endswith(("address", "contact", "lines", "subaccount"))
    and n.lower() not in {"sub", "defsub", "lines", "periods", "details", "tasks",
                          "employees", "allocations", "landedcost", "glaccounts",
                          "einvoicecontract", "defaultpaymentmethod"})
scalars = st.one_of(st.text(max_size=20), st.integers(-10**9, 10**9), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, width=32))


@given(st.dictionaries(names, scalars, max_size=8))
def test_round_trip_of_scalars(values):
    body = payload("customer", values, warn=False)
    assert all(body[k] == {"value": v} for k, v in values.items())
    assert unwrap(body) == values


@given(st.dictionaries(names, scalars, max_size=6),
       st.dictionaries(st.sampled_from(["addressLine1", "postalCode", "city", "countryId"]),
                       st.text(max_size=10), max_size=4))
def test_round_trip_with_double_wrapped_address(values, address):
    body = payload("customer", {**values, "mainAddress": address}, warn=False)
    assert body["mainAddress"] == {"value": {k: {"value": v} for k, v in address.items()}}
    assert unwrap(body) == {**values, "mainAddress": address}


@given(st.dictionaries(names, scalars, min_size=1, max_size=6), st.data())
def test_clear_sends_null_and_none_leaves_out(values, data):
    cleared = data.draw(st.sampled_from(sorted(values)))
    omitted = data.draw(st.sampled_from(sorted(values)))
    changed = {**values, cleared: CLEAR}
    if omitted != cleared:
        changed[omitted] = None
    body = payload("customer", changed, warn=False)
    assert body[cleared] == {"value": None}
    if omitted != cleared:
        assert omitted not in body


@given(st.dictionaries(names, scalars, max_size=6))
def test_payload_is_idempotent(values):
    once = payload("supplier", values, warn=False)
    assert payload("supplier", once, warn=False) == once


@settings(max_examples=50)
@given(st.lists(st.dictionaries(names, scalars, max_size=4), max_size=5))
def test_lines_are_plain_arrays_with_plain_operation(lines):
    body = payload("customerinvoice", {"invoiceLines": [line(**x) for x in lines]},
                   warn=False)
    assert isinstance(body["invoiceLines"], list)
    for item, original in zip(body["invoiceLines"], lines):
        assert item["operation"] == "Insert"
        assert {k: v for k, v in unwrap(item).items() if k != "operation"} == original


def test_types_and_special_members():
    body = payload("supplierInvoice", {
        "date": date(2019, 11, 8), "supplierNumber": "50000",
        "invoiceLines": [line(inventoryNumber="test*test", quantity=Decimal("1"),
                              unitCostInCurrency=Decimal("1.60"), subaccount="00-000")]})
    assert body["date"] == {"value": "2019-11-08T00:00:00"}
    item = body["invoiceLines"][0]
    assert item["unitCostInCurrency"] == {"value": 1.6}
    assert item["quantity"] == {"value": 1}
    assert item["subaccount"] == [{"segmentId": 1, "segmentValue": "00"},
                                  {"segmentId": 2, "segmentValue": "000"}]
    assert payload("customer", {"overrideWithClassValues": True},
                   warn=False)["overrideWithClassValues"] is True
    stamp = payload("customer", {"x": datetime(2020, 1, 2, 3, 4, 5)}, warn=False)
    assert stamp["x"] == {"value": "2020-01-02T03:04:05"}


def test_unknown_fields_warn_and_known_ones_do_not():
    with pytest.warns(vnkit.UnknownFieldWarning, match="'lines'"):
        payload("supplierInvoice", {"lines": []})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        payload("supplierInvoice", {"invoiceLines": [], "supplierNumber": "1"})


def test_bad_values_name_the_field():
    with pytest.raises(TypeError, match="mainAddress.city"):
        payload("customer", {"mainAddress": {"city": object()}})
    with pytest.raises(ValueError, match="creditLimit"):
        payload("customer", {"creditLimit": float("nan")})
    with pytest.raises(ValueError, match="line_number"):
        line("Update", quantity=1)
    with pytest.raises(ValueError, match="Upsert"):
        line("Upsert")
    assert repr(CLEAR) == "vnkit.CLEAR" and not CLEAR


# -- bodies from the surface: every resource the API writes -------------------------------------
def _plain_value(field, depth=0):
    """A plain Python value for ``field`` (what a user writes), nested DTOs as dicts."""
    from vnkit._surface import surface

    s = surface()
    if field.items_dto == "SegmentUpdateDto":
        return "00-000"
    if field.items_dto:
        return [_plain_object(field.items_dto, depth + 1)] if depth < 2 else []
    if field.type == "array":
        return ["a"]
    if field.dto:
        return _plain_object(field.dto, depth + 1) if depth < 2 else {}
    if field.enum:
        return s.enums[field.enum][0]
    return {"integer": 7, "number": 1.5, "boolean": True,
            "date-time": datetime(2024, 5, 6, 7, 8, 9)}.get(field.type, "text")


def _plain_object(dto, depth=0):
    from vnkit._surface import surface

    return {name: _plain_value(f, depth) for name, f in surface().dto(dto).items()}


def _assert_shape(body, values, dto, where=""):
    """Exactly the DTO's wrapped fields are wrapped, nested DTOs and lines recursively."""
    from vnkit._surface import surface

    fields = surface().dto(dto)
    assert set(body) == set(values), where
    for name, value in values.items():
        f, sent = fields[name], body[name]
        inner = sent["value"] if f.wrapped else sent
        if f.wrapped:
            assert isinstance(sent, dict) and list(sent) == ["value"], f"{where}{name}"
        else:
            assert not (isinstance(sent, dict) and list(sent) == ["value"] and f.dto is None
                        and not f.items_dto), f"{where}{name} must not be wrapped"
        if f.items_dto == "SegmentUpdateDto":
            assert inner == [{"segmentId": 1, "segmentValue": "00"},
                             {"segmentId": 2, "segmentValue": "000"}]
        elif f.items_dto:
            assert isinstance(inner, list) and len(inner) == len(value)
            for i, (item, plain) in enumerate(zip(inner, value)):
                _assert_shape(item, plain, f.items_dto, f"{where}{name}[{i}].")
        elif f.dto:
            _assert_shape(inner, value, f.dto, f"{where}{name}.")


def test_every_written_resource_wraps_exactly_what_its_update_dto_wraps():
    from vnkit._payload import write_dto
    from vnkit._surface import surface

    covered = set()
    for op in surface().operations:
        if op.body not in surface().dtos or op.is_action or op.method not in ("POST", "PUT"):
            continue
        resource = op.path.split("/", 2)[2] if op.version == "v1" else op.path.lstrip("/")
        dto = write_dto(resource)
        assert dto is not None, op.path
        values = _plain_object(dto)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every field is known: no warning
            body = payload(resource, values)
        _assert_shape(body, values, dto, f"{op.method} {op.path}: ")
        assert payload(resource, body, warn=False) == body  # applied twice: the same
        covered.add(dto)
    assert len(covered) >= 60


def test_known_resources_by_hand_before_are_now_from_the_surface():
    body = payload("customer", {"name": "Acme", "overrideWithClassValues": True,
                                "mainAddress": {"addressLine1": "Gate 1"},
                                "attributeLines": [{"attributeId": "COLOR",
                                                    "attributeValue": "RED"}]})
    assert body["overrideWithClassValues"] is True          # a plain flag
    assert body["mainAddress"] == {"value": {"addressLine1": {"value": "Gate 1"}}}
    assert body["attributeLines"] == [{"attributeId": {"value": "COLOR"},
                                       "attributeValue": {"value": "RED"}}]
    journal = payload("v2/journaltransaction", {"transactionDate": date(2024, 1, 2)})
    assert journal == {"transactionDate": {"value": "2024-01-02T00:00:00"}}


def test_unknown_fields_warn_with_the_closest_names_at_any_depth():
    with pytest.warns(vnkit.UnknownFieldWarning) as caught:
        payload("customer", {"nmae": "Acme", "mainAddress": {"addresLine1": "x"},
                             "directDebitLines": [{"mandatId": "M1"}]})
    text = str(caught[0].message)
    assert "'nmae' (did you mean 'name'" in text
    assert "'mainAddress.addresLine1' (did you mean 'addressLine1'" in text
    assert "'directDebitLines[0].mandatId' (did you mean 'mandateId'" in text
    assert "vnkit.describe('customer')" in text
