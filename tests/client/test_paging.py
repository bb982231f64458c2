"""Paging over a fake transport: article 08's algorithm, order, counts, and no silent loss."""

from __future__ import annotations

import gc
import random
import threading
import time
import warnings

import pandas as pd
import pytest
from vnkit_client_fakes import Dataset, FakeApi, customers, sandbox_like

import vnkit
from vnkit import IncompleteResultError
from vnkit._endpoints import lookup
from vnkit._paging import LOOKAHEAD, FirstSeen, Pager, collect, cyclic_gc_paused


def test_fetch_350_customers_in_four_calls(client, api):
    frame = client.fetch("customer")
    assert len(frame) == 350
    assert frame["number"].is_unique
    calls = api.api_calls("customer")
    assert len(calls) == 4  # one per page at maxPageSize, no count call
    assert [c.params["pageNumber"] for c in calls[:1]] == ["1"]
    assert sorted(int(c.params["pageNumber"]) for c in calls) == [1, 2, 3, 4]
    assert client.last_pager.page_size == 100
    assert client.last_pager.total_count == 350


def test_first_page_probes_then_page_size_is_constant(client, api):
    client.fetch("customer", status="Active", name="Customer")
    calls = api.api_calls("customer")
    first, rest = calls[0], calls[1:]
    assert int(first.params["pageSize"]) >= 1000  # the probe; the API clamps it
    assert {c.params["pageSize"] for c in rest} == {"100"}  # maxPageSize, never changed
    filters = [{k: v for k, v in c.params.items() if not k.startswith("page")} for c in calls]
    assert all(f == {"status": "Active", "name": "Customer"} for f in filters)


def test_concurrency_keeps_page_order(api):
    api.datasets["customer"] = Dataset(customers(1000), max_page_size=50)
    rng = random.Random(7)
    delays = {n: rng.uniform(0, 0.03) for n in range(1, 21)}
    delays[2] = 0.08  # page 2 arrives last
    api.page_delay = lambda n: delays[n]
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False,
                       max_workers=4) as client:
        pages = list(client.pages("customer"))
        assert [p.number for p in pages] == list(range(1, 21))
        records = [r["number"] for p in pages for r in p.records]
        assert records == [c["number"] for c in customers(1000)]
    assert api.max_in_flight > 1  # pages really were fetched concurrently


def test_max_workers_one_is_sequential(api):
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False,
                       max_workers=1) as client:
        assert len(client.fetch("customer")) == 350
    assert api.max_in_flight == 1


def test_pager_is_lazy_and_single_use(client, api):
    pager = client.pages("customer")
    assert api.api_calls() == []
    first = next(iter(pager))
    assert first.number == 1 and first.total_count == 350 and first.max_page_size == 100
    assert len(first.records) == 100
    with pytest.raises(RuntimeError):
        list(pager)


def test_total_count_growth_fetches_the_extra_page(api):
    api.datasets["customer"] = Dataset(customers(300), max_page_size=100)

    def grow(endpoint, number):
        if number == 2 and len(api.datasets["customer"].records) == 300:
            api.datasets["customer"].records.extend(customers(2, start=90001))

    api.before_page = grow
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        frame = client.fetch("customer")
    assert len(frame) == 302
    assert len(api.api_calls("customer")) == 4  # 3 planned + 1 for the growth
    assert set(frame["number"].iloc[-2:]) == {"90001", "90002"}


def test_records_added_before_the_cursor_raise_with_numbers(api):
    # Records keep arriving before the cursor on every pass: the re-reads of
    # collect_stable (three passes) never see the set hold still.
    api.datasets["customer"] = Dataset(customers(300), max_page_size=100)

    def insert_front(endpoint, number):
        if number == 2:
            start = len(api.datasets["customer"].records) - 299
            api.datasets["customer"].records[:0] = customers(2, start=start)

    api.before_page = insert_front
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        with pytest.raises(IncompleteResultError) as info:
            client.fetch("customer")
    err = info.value
    assert (err.expected, err.received) == (306, 304)
    assert err.failed_pages == []
    assert "306" in str(err) and "304" in str(err) and "HINT" in str(err)
    assert "still changing after 3 pass(es)" in str(err)
    assert "lastModifiedDateTime" in err.hint


def test_records_added_before_the_cursor_once_are_read_again(api):
    # Article 08: the set changes once, between page 1 and page 2; the second pass
    # holds still and gives every record exactly once.
    api.datasets["customer"] = Dataset(customers(300), max_page_size=100)

    def insert_front(endpoint, number):
        if number == 2 and len(api.datasets["customer"].records) == 300:
            api.datasets["customer"].records[:0] = customers(2, start=90001)

    api.before_page = insert_front
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        frame = client.fetch("customer")
    assert len(frame) == 302 and frame["number"].is_unique
    assert {"90001", "90002"} <= set(frame["number"])


def test_duplicates_are_dropped_and_counted(api):
    records = customers(250)
    records.insert(120, dict(records[60]))  # the API serves one record twice
    api.datasets["customer"] = Dataset(records, max_page_size=100)
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        with pytest.raises(IncompleteResultError) as info:
            client.fetch("customer")  # 251 reported, 250 unique
        assert (info.value.expected, info.value.received) == (251, 250)
        with pytest.warns(vnkit.IncompleteResultWarning, match="250 unique records"):
            frame = client.fetch("customer", on_incomplete="warn")
        assert len(frame) == 250 and frame["number"].is_unique


def test_shrinking_total_warns(api):
    api.datasets["customer"] = Dataset(customers(300), max_page_size=100)

    def delete(endpoint, number):
        if number == 2 and len(api.datasets["customer"].records) == 300:
            del api.datasets["customer"].records[5]

    api.before_page = delete
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        with pytest.warns(vnkit.IncompleteResultWarning, match="totalCount fell from 300 to 299"):
            frame = client.fetch("customer")
    assert len(frame) == 299  # the count adds up, yet record 101 was never seen


def test_failed_page_names_it_and_returns_nothing(api):
    api.fail_pages = {3: (500, {"message": "boom"})}
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        with pytest.raises(IncompleteResultError) as info:
            client.fetch("customer")
    err = info.value
    assert err.failed_pages == [3]
    assert "page(s) 3 of 4" in str(err)
    assert isinstance(err.__cause__, vnkit.ServerError)


def test_several_failed_pages_are_all_named(api):
    api.datasets["customer"] = Dataset(customers(800), max_page_size=100)
    api.fail_pages = {2: (503, {"Message": "down"}), 5: (429, {"message": "slow down"})}
    api.page_delay = lambda n: 0.05 if n == 2 else 0.0  # page 5 fails before page 2
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        with pytest.raises(IncompleteResultError) as info:
            client.records("customer")
    assert info.value.failed_pages == [2, 5]


def test_first_page_error_is_the_api_error(client, api):
    api.errors["customer"] = (400, {"message": "The status 'Nope' is not valid."}, {})
    with pytest.raises(vnkit.BadRequestError):
        client.fetch("customer", status="Nope")


def test_user_page_size_is_kept_and_page_number_refused(client, api):
    client.fetch("customer", pageSize=60)
    assert {c.params["pageSize"] for c in api.api_calls()} == {"60"}
    assert len(api.api_calls()) == 6
    with pytest.raises(vnkit.FilterError, match="pageNumber"):
        client.fetch("customer", pageNumber=2)
    for bad in (0, -1, "ten", True):
        with pytest.raises(vnkit.FilterError, match="pageSize"):
            client.fetch("customer", pageSize=bad)
    assert len(api.api_calls()) == 6


def test_endpoint_without_metadata_reads_until_short_page(api):
    api.datasets["vatCategory"] = Dataset(
        [{"vatCategoryId": f"C{i}", "description": "x"} for i in range(250)],
        max_page_size=100, metadata=False)
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        frame = client.fetch("vatCategory")
        assert len(frame) == 250
        assert len(api.api_calls("vatCategory")) == 3  # 100, 100, 50 (short: stop)
        api.datasets["vatCategory"].records[7:] = []
        api.calls.clear()
        assert len(client.fetch("vatCategory")) == 7
        assert len(api.api_calls("vatCategory")) == 2  # 7, then an empty page


def test_unpaged_vat_is_one_call_without_paging_parameters(api):
    api.datasets["vat"] = Dataset([{"vatId": str(i)} for i in range(40)], metadata=False,
                                  paged=False)
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        frame = client.fetch("vat", lastModifiedDateTime=(">=", "2020-01-01"))
    calls = api.api_calls("vat")
    assert len(frame) == 40 and len(calls) == 1
    assert "pageNumber" not in calls[0].params and "pageSize" not in calls[0].params


def test_endpoint_that_ignores_page_number_stops(api):
    api.datasets["currency"] = Dataset([{"id": "NOK"}, {"id": "SEK"}], metadata=False,
                                       paged=False)
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        assert list(client.fetch("currency")["id"]) == ["NOK", "SEK"]
    assert len(api.api_calls("currency")) == 2


def test_sub_path_uses_the_document_key(api):
    invoices = [{"referenceNumber": f"{i:06d}", "customer": {"number": "10001"},
                 "documentDate": "2020-01-01T00:00:00"} for i in range(130)]
    invoices.insert(100, dict(invoices[99]))  # page boundary duplicate
    api.datasets["customer/10001/invoice"] = Dataset(invoices, max_page_size=100)
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        with pytest.warns(vnkit.IncompleteResultWarning, match="130 unique records") as caught:
            frame = client.fetch("customer/10001/invoice", on_incomplete="warn")
    assert caught[0].filename == __file__  # the warning points at the caller's line
    assert len(frame) == 130 and frame["referenceNumber"].is_unique
    assert api.api_calls()[0].path == "/v1/customer/10001/invoice"


def test_empty_result_is_one_call_and_an_empty_frame(client, api):
    api.datasets["supplier"] = Dataset([], max_page_size=100)
    frame = client.fetch("supplier")
    assert isinstance(frame, pd.DataFrame) and frame.empty
    assert len(api.api_calls("supplier")) == 1


def test_composite_key_of_supplier_invoices(api):
    rows = [{"documentType": t, "referenceNumber": "000001"} for t in ("Invoice", "DebitAdj")]
    api.datasets["supplierInvoice"] = Dataset(rows)
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        assert len(client.fetch("supplierInvoice")) == 2  # same number, different type


def test_progress_bar_does_not_change_results(api, capsys):
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=True) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tqdm's notebook fallback warning, if any
            assert len(client.fetch("customer")) == 350
    assert "customer" in capsys.readouterr().err


def test_v2_paths(api):
    api.datasets["customer"] = Dataset(customers(3))
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        with pytest.raises(vnkit.NotFoundError):
            client.fetch("v2/salesorder")
        assert api.calls[-1].path == "/v2/salesorder"
        # The API has no v2 customer list: said before any request, with the way out.
        sent = len(api.calls)
        with pytest.raises(vnkit.FilterError, match="v1 endpoint") as caught:
            client.fetch("v2/customer")
        assert "version='v1'" in caught.value.hint and len(api.calls) == sent


def test_fake_api_self_check():
    # The fake clamps like the API: a page size over the maximum gives the maximum.
    api = FakeApi(datasets={"customer": Dataset(customers(5), max_page_size=2)})
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        page = client.get("customer", pageSize=50, pageNumber=1)
    assert len(page) == 2 and page[0]["metadata"] == {"totalCount": 5, "maxPageSize": 2}


# -- the pager keeps the wire busy; the collector is held off while pages pile up -------
def _page_of(number: int, total: int, size: int = 2) -> list[dict]:
    return [{"number": f"{number}-{i}", "metadata": {"totalCount": total, "maxPageSize": size}}
            for i in range(size)]


def test_a_slow_page_does_not_hold_up_the_pages_after_it():
    started, finished = [], {}
    lock = threading.Lock()
    page_two_done = threading.Event()

    def fetch_page(query):
        number = int(query["pageNumber"])
        with lock:
            started.append(number)
        if number == 2:
            time.sleep(0.5)  # a slow answer for the page handed out next
            with lock:
                finished[2] = len(started)
            page_two_done.set()
        return _page_of(number, total=60)

    pager = Pager(fetch_page, "customer", {}, info=lookup("customer"), max_workers=4)
    assert len(collect(pager)) == 60
    assert sorted(started) == list(range(1, 31))  # every page once
    # The other workers went on past page 2 while it was slow, as far as the
    # look-ahead allows (it bounds what waits in memory for page 2).
    ahead = 4 * LOOKAHEAD
    assert finished[2] == 1 + ahead  # page 1, then pages 2 .. 1 + ahead


def test_the_collector_is_held_off_while_pages_arrive_and_restored_after():
    seen = []

    def fetch_page(query):
        seen.append(gc.isenabled())
        return _page_of(int(query["pageNumber"]), total=8)

    assert gc.isenabled()
    assert len(collect(Pager(fetch_page, "customer", {}, info=lookup("customer")))) == 8
    assert seen and not any(seen)
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        collect(Pager(fetch_page, "customer", {}, info=lookup("customer")))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_comes_back_after_a_failed_run_and_nested_runs():
    def failing(query):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        collect(Pager(failing, "customer", {}, info=lookup("customer")))
    assert gc.isenabled()
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer run is still going
    assert gc.isenabled()


def test_first_seen_works_a_page_at_a_time():
    first_seen = FirstSeen(("number",))
    assert first_seen.mask([{"number": "1"}, {"number": "2"}, {"number": "1"}]) == [
        True, True, False]
    assert first_seen.mask([{"number": "2"}, {"number": None}, {"number": None},
                            {"number": "3"}]) == [False, True, True, True]
    pairs = FirstSeen(("type", "number"))
    assert pairs.mask([{"type": "A", "number": "1"}, {"type": "B", "number": "1"},
                       {"type": "A", "number": "1"}, {}]) == [True, True, False, True]
    assert FirstSeen(()).mask([{"x": 1}, {"x": 1}]) == [True, True]
    assert FirstSeen(("number",)).mask([{"number": ["unhashable"]}] * 2) == [True, True]
