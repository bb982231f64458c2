"""vnkit.sync and vnkit.sql against the firm sandbox: real HTTP on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import vnkit
from vnkit import _sync
from vnkit._sync_state import SyncState

ENDPOINTS = ("customer", "supplier", "customerinvoice")
KEYS = {"customer": "number", "supplier": "number", "customerinvoice": "referenceNumber"}


def _truth(firm, company_id, endpoint) -> pd.DataFrame:
    with vnkit.connect(firm, company=company_id, progress=False) as client:
        return client.fetch(endpoint)


def test_first_sync_holds_every_record_with_one_call_per_page(firm, company_ids, tmp_path):
    report = vnkit.sync(firm, to=tmp_path, progress=False)
    assert report.ok, report
    assert {r.company_id for r in report.results} == set(company_ids)
    for r in report.results:
        assert r.since is None and r.calls == 1  # each endpoint fits on one page
        assert r.expected == r.unique == r.written
    assert report.calls == len(company_ids) * len(ENDPOINTS)
    for endpoint in ENDPOINTS:
        counts = vnkit.sql(f"select company_id, count(*) as n, count(distinct "
                           f"\"{KEYS[endpoint]}\") as keys from {endpoint} group by all",
                           tmp_path)
        assert (counts["n"] == counts["keys"]).all()
        for company_id in company_ids[:2]:
            truth = _truth(firm, company_id, endpoint)
            row = counts[counts["company_id"] == int(company_id)]
            assert int(row["n"].iloc[0]) == len(truth)
    # the same values as fetch, column by column where both have them
    truth = _truth(firm, company_ids[0], "customerinvoice").sort_values("referenceNumber")
    got = vnkit.sql("select * from customerinvoice where company_id = ? order by "
                    "\"referenceNumber\"", tmp_path, params=[int(company_ids[0])])
    for column in ("referenceNumber", "amount", "customer.number", "status", "documentDate",
                   "lastModifiedDateTime"):
        assert list(got[column]) == list(truth[column]), column


def test_second_run_spends_one_call_per_company_and_endpoint_and_writes_nothing(
        firm, company_ids, tmp_path, monkeypatch):
    vnkit.sync(firm, to=tmp_path, companies=company_ids[:2], progress=False)
    before = vnkit.sql("select count(*) as n from customer", tmp_path)["n"].iloc[0]
    sent = []
    send = _sync.CappedAdapter.send

    def record(self, request, **kwargs):
        sent.append(request.url)
        return send(self, request, **kwargs)

    monkeypatch.setattr(_sync.CappedAdapter, "send", record)
    again = vnkit.sync(firm, to=tmp_path, companies=company_ids[:2], progress=False)
    pages = [url for url in sent if "/v1/" in url and "context" not in url]
    assert len(pages) == 2 * len(ENDPOINTS)
    # the watermark goes with its condition, every time
    assert all("lastModifiedDateTime=" in url and "lastModifiedDateTimeCondition=%3E%3D" in url
               for url in pages), pages
    assert again.ok, again
    assert again.calls == 2 * len(ENDPOINTS)
    assert again.rows_written == 0
    assert all(r.since is not None for r in again.results)
    # what the overlap re-read was recognised as already stored
    assert all(r.unchanged == r.unique for r in again.results)
    assert vnkit.sql("select count(*) as n from customer", tmp_path)["n"].iloc[0] == before


def test_a_change_is_picked_up_and_replaces_the_old_row(firm, company_ids, writer, tmp_path):
    company = company_ids[1]
    vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customer"],
               progress=False)
    writer.use_company(company)
    number = writer.fetch("customer")["number"].iloc[3]
    writer.update("customer", number, {"name": "Endret Navn AS"})
    report = vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customer"],
                        progress=False)
    assert report.ok and report.rows_written >= 1 and report.calls == 1
    rows = vnkit.sql("select name from customer where number = ?", tmp_path,
                     params=[number])
    assert list(rows["name"]) == ["Endret Navn AS"]
    assert len(vnkit.sql("select * from customer", tmp_path)) == len(
        _truth(firm, company, "customer"))


def test_a_record_changed_while_the_run_reads_is_not_lost(firm, company_ids, writer,
                                                          tmp_path, monkeypatch):
    company = company_ids[2]
    writer.use_company(company)
    number = writer.fetch("supplier")["number"].iloc[0]
    done = []
    original = _sync._Progress.page

    def change_after_the_page_was_read(self, bar, result, calls, client):
        # The page holding the supplier is already read: the change lands after it.
        if result.endpoint == "supplier" and not done:
            writer.update("supplier", number, {"name": "Endret Under Kjøring AS"})
            done.append(True)
        return original(self, bar, result, calls, client)

    monkeypatch.setattr(_sync._Progress, "page", change_after_the_page_was_read)
    first = vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["supplier"],
                       progress=False)
    assert done and first.ok
    assert vnkit.sql("select name from supplier where number = ?", tmp_path,
                     params=[number])["name"].iloc[0] != "Endret Under Kjøring AS"
    second = vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["supplier"],
                        progress=False)
    assert second.ok and second.rows_written == 1
    assert vnkit.sql("select name from supplier where number = ?", tmp_path,
                     params=[number])["name"].iloc[0] == "Endret Under Kjøring AS"


def test_files_that_are_not_listed_are_never_read_and_are_removed(firm, company_ids,
                                                                  tmp_path):
    vnkit.sync(firm, to=tmp_path, companies=company_ids[:1], endpoints=["customer"],
               progress=False)
    n = len(vnkit.sql("select * from customer", tmp_path))
    partition = next(tmp_path.glob("endpoint=customer/company_id=*"))
    listed = next(partition.glob("*.parquet"))
    stray = partition / "part-killed-0001.parquet"  # renamed but never listed
    stray.write_bytes(listed.read_bytes())
    half = tmp_path / "_tmp" / "0123.parquet"  # a half-written file
    half.write_bytes(b"PAR1 half a file")
    assert len(vnkit.sql("select * from customer", tmp_path)) == n
    vnkit.sync(firm, to=tmp_path, companies=company_ids[:1], endpoints=["customer"],
               progress=False)
    assert not stray.exists() and not half.exists() and listed.exists()


def test_full_resync_writes_copies_that_the_views_count_once(firm, company_ids, tmp_path):
    vnkit.sync(firm, to=tmp_path, companies=company_ids[:1], progress=False)
    again = vnkit.sync(firm, to=tmp_path, companies=company_ids[:1], progress=False,
                       full=True)
    assert again.ok and again.rows_written > 0
    raw = sum(rows for *_, rows in SyncState(tmp_path).files(endpoint="customer"))
    view = len(vnkit.sql("select * from customer", tmp_path))
    assert raw == 2 * view


def test_requests_in_flight_stay_under_the_global_cap(firm, company_ids, tmp_path):
    report = vnkit.sync(firm, to=tmp_path, max_in_flight=2, page_workers=2,
                        company_workers=4, progress=False)
    assert report.ok
    assert 1 <= report.peak_in_flight <= 2


def test_each_company_is_counted_against_its_own_budget(firm, company_ids, tmp_path):
    report = vnkit.sync(firm, to=tmp_path, progress=False)
    assert set(report.budgets) == set(company_ids)
    for remaining, limit in report.budgets.values():
        assert limit == 15000 and 0 < remaining < limit


def test_a_shortfall_is_reported_and_the_watermark_stays(tmp_path):
    class Pages:
        calls, total_count, stable = 1, 5, True

        def __iter__(self):
            from vnkit._paging import Page

            yield Page(1, [{"number": str(i), "lastModifiedDateTime":
                            f"2026-01-0{i + 1}T10:00:00.000"} for i in range(3)], 5, 100)

    class FakeClient:
        def pages(self, endpoint, **filters):
            return Pages()

    state = SyncState(tmp_path)
    (tmp_path / "_tmp").mkdir()
    job = _sync._Job(tmp_path, state, "run1", _sync.DEFAULT_OVERLAP, 1000, False)
    result = _sync._sync_endpoint(job, FakeClient(), "1", "Firm", "customer")
    assert result.status == "incomplete"
    assert "2 of the 5 records" in result.message
    assert state.watermark("1", "customer") == (None, None)
    assert result.written == 3  # what did arrive is kept


def test_command_line_sync(firm, company_ids, tmp_path, capsys):
    from vnkit.__main__ import main

    code = main(["sync", "--sandbox", firm.url, "--to", str(tmp_path), "--company",
                 company_ids[0], "--endpoint", "customer", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 ok" in out and "1 calls" in out


def test_a_killed_run_is_finished_by_the_next_with_nothing_lost_or_doubled(
        firm, company_ids, tmp_path):
    command = [sys.executable, "-m", "vnkit", "sync", "--sandbox", firm.url, "--to",
               str(tmp_path), "--no-progress", "--max-in-flight", "1"]
    for delay in (0.9, 1.3):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.kill()
        process.wait()
    assert subprocess.run(command, capture_output=True).returncode == 0
    for endpoint in ENDPOINTS:
        got = vnkit.sql(f"select company_id, \"{KEYS[endpoint]}\" as k from {endpoint}",
                        tmp_path)
        assert not got.duplicated().any()
        for company_id in company_ids:
            truth = set(_truth(firm, company_id, endpoint)[KEYS[endpoint]])
            assert set(got[got["company_id"] == int(company_id)]["k"]) == truth
    assert not list((tmp_path / "_tmp").iterdir())


def test_sql_needs_a_synced_dataset(tmp_path):
    with pytest.raises(vnkit.ConfigurationError, match="not a synced dataset"):
        vnkit.sql("select 1", Path(tmp_path))


def test_a_partition_with_many_files_is_compacted_to_one_copy_per_key(firm, company_ids,
                                                                     tmp_path):
    company = company_ids[3]
    for _ in range(3):
        report = vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customer"],
                            progress=False, full=True, compact_after=2)
        assert report.ok and report.results[0].message is None
    files = SyncState(tmp_path).files(endpoint="customer", company_id=company)
    on_disk = list(tmp_path.glob("endpoint=customer/company_id=*/*.parquet"))
    assert len(files) == len(on_disk) == 1
    truth = _truth(firm, company, "customer")
    assert files[0][3] == len(truth)
    got = vnkit.sql("select number, name from customer order by number", tmp_path)
    assert list(got["number"]) == sorted(truth["number"])


def test_a_company_over_its_budget_fails_alone_and_says_why(company_ids, tmp_path):
    # A test client with 4 calls an hour per company: four endpoints of each company fit,
    # the fifth is refused with 429 and reported, not raised; each company has its own.
    with vnkit.sandbox.start(data_module="vnkit_firm_small", rate_limit_test=4) as small:
        client = vnkit.connect(small, client_id="isv_vnkit_demo_test",
                               client_secret="vnkit-demo-test-secret", progress=False)
        with client:
            report = vnkit.sync(client, to=tmp_path, companies=company_ids[:2],
                                endpoints=["customer", "supplier", "customerinvoice",
                                           "customerCreditNote", "inventory"],
                                max_in_flight=1, progress=False)
    failed = [r for r in report.results if r.status == "failed"]
    assert failed and all("RateLimitError" in r.message for r in failed)
    assert {r.company_id for r in report.results if r.status == "ok"} == set(company_ids[:2])
    for company_id in company_ids[:2]:
        remaining, limit = report.budgets[company_id]
        assert limit == 4 and remaining == 0


def _new_invoice(writer, company) -> str:
    """An invoice on Hold (the API deletes only those and Balanced ones)."""
    writer.use_company(company)
    customer = writer.fetch("customer")["number"].iloc[0]
    item = writer.fetch("inventory")["inventoryNumber"].iloc[0]
    return writer.create("customerinvoice", {
        "customerNumber": customer, "invoiceLines": [vnkit.line(inventoryNumber=item)]})


def _delete(writer, company, number) -> str:
    writer.use_company(company)
    writer.delete("customerinvoice", number)
    return number


def test_a_record_deleted_in_the_api_leaves_the_dataset_on_a_checked_run(
        firm, company_ids, writer, tmp_path):
    company = company_ids[3]
    number = _new_invoice(writer, company)
    vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customerinvoice"],
               progress=False)
    _delete(writer, company, number)
    query = "select count(*) as n from customerinvoice where \"referenceNumber\" = ?"
    # An incremental run cannot see a deletion, and by default does not look for one.
    plain = vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customerinvoice"],
                       progress=False)
    assert plain.ok and plain.rows_deleted == 0 and plain.calls == 1
    assert vnkit.sql(query, tmp_path, params=[number])["n"].iloc[0] == 1
    checked = vnkit.sync(firm, to=tmp_path, companies=[company],
                         endpoints=["customerinvoice"], progress=False, deletions="check")
    assert checked.ok, checked
    assert checked.rows_deleted == 1
    # the changes, the whole count, then every page of keys (one page here)
    assert checked.calls == 3
    assert vnkit.sql(query, tmp_path, params=[number])["n"].iloc[0] == 0
    truth = _truth(firm, company, "customerinvoice")
    held = vnkit.sql("select \"referenceNumber\" from customerinvoice", tmp_path)
    assert sorted(held["referenceNumber"]) == sorted(truth["referenceNumber"])
    # the swap went through the state: one file, no leftovers on disk
    state = SyncState(tmp_path)
    try:
        listed = {p for p, *_ in state.files()}
        assert state.runs(checked.run_id)[0]["deleted"] == 1
    finally:
        state.close()
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet")}
    assert on_disk == listed and len(listed) == 1
    # nothing more to drop: the next checked run spends two calls
    again = vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customerinvoice"],
                       progress=False, deletions="check")
    assert again.ok and again.rows_deleted == 0 and again.calls == 2


def test_command_line_checks_for_deletions_when_asked(firm, company_ids, writer, tmp_path,
                                                      capsys):
    from vnkit.__main__ import main

    company = company_ids[-1]
    number = _new_invoice(writer, company)
    args = ["sync", "--sandbox", firm.url, "--to", str(tmp_path), "--company", company,
            "--endpoint", "customerinvoice", "--no-progress"]
    assert main(args) == 0
    _delete(writer, company, number)
    capsys.readouterr()
    assert main([*args, "--deletions", "check"]) == 0
    assert "3 calls" in capsys.readouterr().out  # changes, the count, the keys
    query = "select count(*) as n from customerinvoice where \"referenceNumber\" = ?"
    assert vnkit.sql(query, tmp_path, params=[number])["n"].iloc[0] == 0


def test_a_full_run_drops_what_the_api_no_longer_lists(firm, company_ids, writer, tmp_path):
    company = company_ids[0]
    number = _new_invoice(writer, company)
    vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customerinvoice"],
               progress=False)
    _delete(writer, company, number)
    full = vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customerinvoice"],
                      progress=False, full=True)
    assert full.ok and full.rows_deleted == 1 and full.calls == 1
    held = vnkit.sql("select \"referenceNumber\" from customerinvoice", tmp_path)
    assert number not in set(held["referenceNumber"])
    assert len(held) == len(_truth(firm, company, "customerinvoice"))


def test_a_deletion_swap_killed_before_the_state_moves_is_redone(
        firm, company_ids, writer, tmp_path, monkeypatch):
    company = company_ids[1]
    number = _new_invoice(writer, company)
    vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customerinvoice"],
               progress=False)
    _delete(writer, company, number)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if the process died between rename and swap

    monkeypatch.setattr(SyncState, "replace_files", killed)
    with pytest.raises(KeyboardInterrupt):
        vnkit.sync(firm, to=tmp_path, companies=[company], endpoints=["customerinvoice"],
                   progress=False, deletions="check")
    monkeypatch.undo()
    query = "select count(*) as n from customerinvoice where \"referenceNumber\" = ?"
    assert vnkit.sql(query, tmp_path, params=[number])["n"].iloc[0] == 1  # old files: data
    redone = vnkit.sync(firm, to=tmp_path, companies=[company],
                        endpoints=["customerinvoice"], progress=False, deletions="check")
    assert redone.ok and redone.rows_deleted == 1
    assert vnkit.sql(query, tmp_path, params=[number])["n"].iloc[0] == 0


def test_deletions_must_be_a_known_mode(tmp_path):
    with pytest.raises(vnkit.ConfigurationError, match="deletions"):
        vnkit.sync(None, to=tmp_path, deletions="sometimes")
