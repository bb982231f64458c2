"""Filter builders: formats the API accepts, refusals with the parameter named."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vnkit
from vnkit import FilterError, attributes, created, last_modified
from vnkit._filters import encode_params, format_when

API_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{3})?)?")
naive = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31))
aware = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=st.timezones())
ops = st.sampled_from([">", "<", ">=", "<="])


# -- dates --------------------------------------------------------------------------------
@given(st.dates(min_value=date(1753, 1, 1)), ops)
def test_dates_round_trip(day, op):
    params = last_modified(op, day)
    assert params == {"lastModifiedDateTime": day.isoformat(),
                      "lastModifiedDateTimeCondition": op}
    assert date.fromisoformat(params["lastModifiedDateTime"]) == day


@given(naive, ops)
def test_datetimes_round_trip_to_the_millisecond(when, op):
    text = created(op, when)["createdDateTime"]
    assert API_FORMAT.fullmatch(text) and len(text) == 23
    back = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")
    assert back == when.replace(microsecond=when.microsecond // 1000 * 1000)


@given(naive, st.sampled_from([" ", "T"]), st.sampled_from(["none", "3", "1"]))
def test_strings_in_api_formats_are_accepted_and_normalised(when, sep, fraction):
    text = when.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if fraction == "3":
        text += f".{when.microsecond // 1000:03d}"
    elif fraction == "1":
        text += f".{when.microsecond // 100000}"
    out = format_when(text)
    assert API_FORMAT.fullmatch(out)
    assert format_when(out) == out  # idempotent
    assert out.replace(" ", "T").startswith(text.replace(" ", "T")[:19])
    if fraction == "none":
        assert out == text.replace("T", " ")


@given(aware)
def test_time_zone_aware_datetimes_are_refused(when):
    with pytest.raises(FilterError) as info:
        last_modified(">=", when)
    assert info.value.parameter == "lastModifiedDateTime"
    assert "time zone" in info.value.hint


@given(naive, st.sampled_from(["Z", "+01:00", "-0530", "z"]))
def test_offsets_in_strings_are_refused(when, suffix):
    text = when.strftime("%Y-%m-%dT%H:%M:%S") + suffix
    with pytest.raises(FilterError) as info:
        created(">", text)
    assert info.value.parameter == "createdDateTime"


@pytest.mark.parametrize("bad", ["2020-13-01", "2020-02-30", "2020-01-01 25:00:00",
                                 "14.01.2020", "2020-01-01 10:00", "2020-01-01 10:00:00.1234",
                                 "", "yesterday", 20200101, None, 1.5])
def test_bad_dates_are_refused(bad):
    with pytest.raises(FilterError, match="lastModifiedDateTime"):
        last_modified(">=", bad)


@given(st.text(max_size=3).filter(lambda s: s.strip() not in (">", "<", ">=", "<=")))
def test_unknown_operators_are_refused(op):
    with pytest.raises(FilterError) as info:
        last_modified(op, date(2020, 1, 1))
    assert info.value.parameter == "lastModifiedDateTimeCondition"
    assert isinstance(info.value, ValueError)


def test_article_examples():
    assert last_modified(">=", "2020-01-14") == {
        "lastModifiedDateTime": "2020-01-14", "lastModifiedDateTimeCondition": ">="}
    assert format_when("2020-03-01T00:00:00") == "2020-03-01 00:00:00"
    assert format_when("2001-01-01 13:13:13.133") == "2001-01-01 13:13:13.133"
    assert format_when(datetime(2020, 3, 1, 8, 30, 0, 123999)) == "2020-03-01 08:30:00.123"


# -- attributes ------------------------------------------------------------------------------
attr_id = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())
plain = st.text(max_size=20)
item = st.text(min_size=1, max_size=10).filter(lambda s: "," not in s)
value = st.one_of(plain, st.booleans(), st.dates(), st.lists(item, min_size=1, max_size=4),
                  st.integers(min_value=-10**6, max_value=10**6))


def expected(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list):
        return ",".join(v)
    return str(v)


@given(st.dictionaries(attr_id, value, min_size=1, max_size=5))
def test_attributes_round_trip(mapping):
    text = attributes(mapping)
    assert json.loads(text) == {k: expected(v) for k, v in mapping.items()}
    assert text == json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def test_attribute_examples_of_article_14():
    assert attributes({"AttributeID1": "ValueID1", "AttributeID2": "ValueID2"}) == \
        '{"AttributeID1":"ValueID1","AttributeID2":"ValueID2"}'
    assert attributes(DATETIME=date(2019, 4, 19)) == '{"DATETIME":"2019-04-19"}'
    assert attributes(ACTIVE=True) == '{"ACTIVE":"1"}'
    assert attributes(AttributeID=["ValueID1", "ValueID2"]) == \
        '{"AttributeID":"ValueID1,ValueID2"}'
    assert attributes(S={"B", "A"}) == '{"S":"A,B"}'
    assert attributes(D=datetime(2019, 1, 1, 15, 0)) == '{"D":"2019-01-01"}'


@pytest.mark.parametrize(("args", "kwargs"), [
    ({"": "x"}, {}), ({"  ": "x"}, {}), ({1: "x"}, {}),
    ({"A": None}, {}), ({"A": {"nested": "x"}}, {}), ({"A": ["x,y"]}, {}),
    ({"A": [""]}, {}), ({"A": []}, {}), ({"A": 1.5}, {}), ({"A": object()}, {}),
    ({"A": "1"}, {"A": "2"}), (None, {}), ("A=1", {}),
    ({"A": datetime(2020, 1, 1, tzinfo=timezone.utc)}, {}),
])
def test_attribute_refusals(args, kwargs):
    with pytest.raises(FilterError) as info:
        attributes(args, **kwargs)
    assert info.value.parameter == "attributes"


@given(st.dictionaries(attr_id, st.lists(st.text(max_size=5), min_size=1, max_size=3)
                       .filter(lambda xs: any("," in x or not x for x in xs)), min_size=1))
def test_list_items_with_commas_or_empty_are_refused(mapping):
    with pytest.raises(FilterError):
        attributes(mapping)


# -- all parameters of a fetch ----------------------------------------------------------------
def test_encode_params_converts_and_checks():
    params = encode_params({
        "status": "Active", "lastModifiedDateTime": (">=", date(2020, 3, 1)),
        "createdDateTime": datetime(2020, 1, 1, 12, 0), "createdDateTimeCondition": "<",
        "attributes": {"COLOR": "RED"}, "expandAccountInformation": False,
        "inventoryTypes": ["FinishedGoodItem", "ServiceItem"], "name": None,
        "dunningLetterDateTime": "2020-01-01T10:00:00",
    })
    assert params == {
        "status": "Active", "lastModifiedDateTime": "2020-03-01",
        "lastModifiedDateTimeCondition": ">=", "createdDateTime": "2020-01-01 12:00:00.000",
        "createdDateTimeCondition": "<", "attributes": '{"COLOR":"RED"}',
        "expandAccountInformation": "false",
        "inventoryTypes": ["FinishedGoodItem", "ServiceItem"],
        "dunningLetterDateTime": "2020-01-01 10:00:00",
    }


@pytest.mark.parametrize(("filters", "parameter"), [
    ({"lastModifiedDateTime": "2020-01-01Z"}, "lastModifiedDateTime"),
    ({"lastModifiedDateTime": "01/14/2020"}, "lastModifiedDateTime"),
    ({"lastModifiedDateTimeCondition": "="}, "lastModifiedDateTimeCondition"),
    ({"lastModifiedDateTime": ("=>", date(2020, 1, 1))}, None),
    ({"createdDateTime": (">", "2020-01-01"), "createdDateTimeCondition": ">"},
     "createdDateTime"),
    ({"attributes": {"A": None}}, "attributes"),
    ({"attributes": "not json"}, "attributes"),
    ({"attributes": '{"A": 1}'}, "attributes"),
    ({"attributes": ["A"]}, "attributes"),
    ({"status": {"a": 1}}, "status"),
    ({"lastModifiedDateTime": datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=1)))},
     "lastModifiedDateTime"),
])
def test_fetch_refuses_bad_filters_before_any_request(client, api, filters, parameter):
    with pytest.raises(FilterError) as info:
        client.fetch("customer", **filters)
    if parameter:
        assert info.value.parameter == parameter
    with pytest.raises(FilterError):
        client.pages("customer", **filters)  # checked at creation, not on iteration
    assert api.calls == api.token_calls()  # nothing but the sign-in went out


def test_tuple_of_op_and_date_is_not_confused_with_a_list(client, api):
    client.fetch("customer", lastModifiedDateTime=(">=", "2020-01-14"))
    params = api.api_calls()[0].params
    assert params["lastModifiedDateTime"] == "2020-01-14"
    assert params["lastModifiedDateTimeCondition"] == ">="


def test_attribute_json_reaches_the_wire_fully_encoded(client, api):
    client.fetch("customer", attributes={"DATETEST": date(2019, 1, 1), "TEST": "testvalue"})
    raw_query = api.api_calls()[0].url.split("?", 1)[1]
    assert ("attributes=%7B%22DATETEST%22%3A%222019-01-01%22%2C%22TEST%22%3A%22testvalue"
            "%22%7D") in raw_query


def test_filter_error_is_a_value_error_with_hint():
    err = pytest.raises(FilterError, last_modified, "==", date(2020, 1, 1)).value
    assert isinstance(err, ValueError) and isinstance(err, vnkit.VnkitError)
    assert "HINT:" in str(err)
