"""Records to DataFrame: flattening, lists, dates, metadata, empties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vnkit._frames import combine, is_date_column, normalise, to_frame

META = {"totalCount": 2, "maxPageSize": 500}


def test_flatten_nested_keep_lists_drop_metadata():
    records = [
        {"number": "1", "customer": {"number": "10001", "name": "A"},
         "mainAddress": {"city": "Oslo", "country": {"id": "NO", "name": "Norway"}},
         "invoiceLines": [{"lineNumber": 1}, {"lineNumber": 2}],
         "attributes": [], "metadata": META, "errorInfo": None},
        {"number": "2", "customer": {"number": "10002", "name": "B"},
         "mainAddress": None, "invoiceLines": [], "attributes": [{"id": "X"}],
         "metadata": META, "errorInfo": None},
    ]
    frame = to_frame(records)
    assert not [c for c in frame.columns if c.startswith("metadata")]
    assert {"customer.number", "customer.name", "mainAddress.city",
            "mainAddress.country.id"} <= set(frame.columns)
    assert "mainAddress" not in frame.columns  # all-null parent next to its children
    assert frame.loc[0, "invoiceLines"] == [{"lineNumber": 1}, {"lineNumber": 2}]
    assert frame.loc[1, "attributes"] == [{"id": "X"}]
    assert list(frame["customer.number"]) == ["10001", "10002"]
    assert records[0]["metadata"] == META  # the input is not modified


def test_dates_naive_single_offset_and_mixed():
    frame = to_frame([
        {"lastModifiedDateTime": "2020-03-01T10:00:00.123", "documentDate": "2020-03-01",
         "createdDateTime": "2020-03-01T10:00:00Z", "dueDate": "2020-03-01T00:00:00+01:00",
         "date": "2020-01-01T00:00:00", "receivedUtc": "2020-01-01T00:00:00Z",
         "financialPeriod": "202003", "noteDate": "n/a"},
        {"lastModifiedDateTime": "2020-03-02T11:00:00", "documentDate": None,
         "createdDateTime": "2020-03-02T10:00:00+02:00", "dueDate": "2020-03-02T00:00:00+01:00",
         "date": None, "receivedUtc": None, "financialPeriod": "202004", "noteDate": "n/a"},
    ])
    assert frame["lastModifiedDateTime"].dtype.kind == "M"
    assert frame["lastModifiedDateTime"].dt.tz is None
    assert frame.loc[0, "lastModifiedDateTime"] == pd.Timestamp("2020-03-01 10:00:00.123")
    assert pd.isna(frame.loc[1, "documentDate"])
    assert str(frame["createdDateTime"].dt.tz) == "UTC"  # mixed offsets
    assert frame.loc[1, "createdDateTime"] == pd.Timestamp("2020-03-02 08:00:00", tz="UTC")
    assert frame["dueDate"].dt.tz is not None  # one offset throughout: kept
    assert frame["date"].dtype.kind == "M" and frame["receivedUtc"].dtype.kind == "M"
    assert frame["financialPeriod"].tolist() == ["202003", "202004"]  # not a date name
    assert frame["noteDate"].tolist() == ["n/a", "n/a"]  # a date name that is not dates


def test_out_of_range_and_numbers_are_left_alone():
    frame = to_frame([{"startDate": "0001-01-01T00:00:00", "payDate": 5},
                      {"startDate": "2020-01-01T00:00:00", "payDate": 6}])
    assert frame["payDate"].tolist() == [5, 6]
    assert frame["startDate"].dtype.kind == "M"  # pandas 3 holds year 1 at us resolution


def test_no_date_parsing_when_asked():
    frame = to_frame([{"lastModifiedDateTime": "2020-03-01T10:00:00"}], parse_dates=False)
    assert frame["lastModifiedDateTime"].tolist() == ["2020-03-01T10:00:00"]


def test_empty_is_an_empty_frame():
    assert to_frame([]).empty


def test_date_column_names():
    for name in ("lastModifiedDateTime", "customer.createdDateTime", "documentDueDate",
                 "date", "dueDate", "promisedOn", "startedUtc", "lines.0.date"):
        assert is_date_column(name)
    for name in ("financialPeriod", "updateDates", "dateFormat", "mandatory", "update"):
        assert not is_date_column(name)


@given(st.lists(st.fixed_dictionaries({
    "number": st.text(max_size=5),
    "nested": st.fixed_dictionaries({"a": st.integers(), "b": st.text(max_size=3)}),
    "items": st.lists(st.integers(), max_size=3),
}), max_size=20))
def test_shape_is_one_row_per_record(records):
    frame = to_frame(records)
    assert len(frame) == len(records)
    if records:
        assert list(frame["nested.a"]) == [r["nested"]["a"] for r in records]
        assert list(frame["items"]) == [r["items"] for r in records]


# -- normalise: json_normalize's frame, built column by column -------------------------
_LEAVES = (st.none() | st.booleans() | st.integers(-(2**53), 2**53)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=3))
_KEYS = st.sampled_from(["a", "b", "c", "id", "name"])
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=2)
                       | st.dictionaries(_KEYS, inner, max_size=3), max_leaves=8)


@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=4), max_size=6))
def test_normalise_gives_json_normalizes_frame(records):
    expected = pd.json_normalize(records, sep=".")
    got = normalise(records)
    pd.testing.assert_frame_equal(got, expected, check_like=True)


def test_normalise_keeps_json_normalizes_column_order_for_one_shape():
    record = {"number": "1", "mainAddress": {"city": "Oslo", "country": {"id": "NO"}},
              "name": "A", "attributes": [], "customerClass": {"id": "X"},
              "metadata": META, "parentRecord": None}
    uniform = [dict(record, number=str(n)) for n in range(3)]
    pd.testing.assert_frame_equal(normalise(uniform), pd.json_normalize(uniform, sep="."))


def test_combine_leaves_out_the_rows_flagged_as_duplicates():
    pages = [normalise([{"number": "1", "d": {"x": 1}}, {"number": "2", "d": {"x": 2}}]),
             normalise([{"number": "2", "d": {"x": 2}}, {"number": "3", "d": None}])]
    frame = combine(pages, keep=[True, True, False, True])
    assert frame["number"].tolist() == ["1", "2", "3"]
    assert list(frame.index) == [0, 1, 2]
    assert "d" not in frame.columns  # the all-null parent is dropped as in to_frame
    with pytest.raises(ValueError, match="3 flags for 4 rows"):
        combine(pages, keep=[True, True, True])
