"""The template cache: built once, atomically, even when two processes race for it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import vnkit_tinydata

from vnkit.sandbox import _store

HERE = Path(__file__).resolve().parent

_BUILD = """
import sys, vnkit_tinydata
from vnkit.sandbox import _store
path = _store.ensure_template(vnkit_tinydata, 1,
                              on_generate=lambda p: print("generated", flush=True))
print(path)
"""


def test_two_processes_racing_build_one_template(tmp_path):
    env = dict(os.environ, VNKIT_CACHE_DIR=str(tmp_path),
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    runs = [subprocess.Popen([sys.executable, "-c", _BUILD], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    generated = sum(out.count("generated") for out, _ in outputs)
    assert generated == 1  # the lock made the second process wait and reuse
    templates = sorted(tmp_path.glob("template-*.sqlite3"))
    assert [t.name.endswith(".docs.sqlite3") for t in templates] == [True, False]
    assert not list(tmp_path.glob("*.tmp*"))
    conn = sqlite3.connect(templates[1])
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        assert meta["data_version"] == _store.data_version(vnkit_tinydata)
        assert meta["data_version"].startswith(f"{vnkit_tinydata.DATA_VERSION}.")
        assert "signing_key" not in meta  # keys belong to working copies only
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_dates_are_normalised_to_sortable_text():
    assert _store.normalise_datetime("2020-03-01T12:00:00.5+01:00") == \
        "2020-03-01T12:00:00.500000"
    assert _store.normalise_datetime("2020-03-01") == "2020-03-01T00:00:00.000000"
    assert _store.normalise_datetime("2024-03-05T14:22:10.533Z") == \
        "2024-03-05T14:22:10.533000"
    assert _store.normalise_datetime(None) is None
    assert _store.normalise_datetime("not a date") is None


def test_attribute_matcher_kinds():
    attrs = '{"T":"Red","D":"2019-04-19T00:00:00","B":"True","M":"V2, V1"}'
    match = _store.attribute_match
    assert match(attrs, '[["T","text","Red"]]') == 1
    assert match(attrs, '[["T","text","red"]]') == 0
    assert match(attrs, '[["T","itext","red"]]') == 1
    assert match(attrs, '[["D","date","2019-04-19"]]') == 1
    assert match(attrs, '[["B","bool","1"]]') == 1
    assert match(attrs, '[["B","bool","0"]]') == 0
    assert match(attrs, '[["M","multi","V1,V2"]]') == 1
    assert match(attrs, '[["M","multi","V1"]]') == 0
    assert match(attrs, '[["T","text","Red"],["X","text","1"]]') == 0
    assert match(None, '[["T","text","Red"]]') == 0


def _plain(record) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()


def test_template_documents_are_compressed_and_read_back_as_generated(tmp_path):
    template = tmp_path / "template.sqlite3"
    _store.build_template(template, vnkit_tinydata, 1)
    generated = [record for _, _, record in vnkit_tinydata.generate(1)]
    conn = sqlite3.connect(_store.docs_path(template))
    try:
        stored = [doc for (doc,) in conn.execute("SELECT doc FROM docs ORDER BY id")]
        resources = [r for (r,) in conn.execute("SELECT resource FROM dictionaries")]
    finally:
        conn.close()
    assert len(stored) == len(generated)
    assert all(doc[0] == _store._DEFLATED for doc in stored)
    assert len(resources) == len(set(resources)) > 1  # one dictionary per resource
    assert sum(map(len, stored)) * 4 < sum(len(_plain(r)) for r in generated)

    store = _store.Store(_store.prepare_working_db(template, tmp_path / "work.sqlite3"))
    try:
        company = vnkit_tinydata.COMPANIES[0].company_id
        where, params = "r.company_id = ? AND r.entity = ?", (company, "customer")
        page = store.page(where, params, None)
        assert len(page) == 350
        first = json.loads(page[0])
        assert first["number"] == "10001"
        assert store.one(company, "customer", "10350") == page[-1]
        # What the sandbox serves is the JSON the generator made (plus the timeStamp
        # the build adds), byte for byte.
        record = next(r for r in generated if r.get("number") == "10001"
                      and "timeStamp" not in r)
        record["timeStamp"] = first["timeStamp"]
        assert page[0] == _plain(record)
        # A document written at run time goes to the overlay as plain text and wins.
        conn = store.connection()
        (row_id,) = conn.execute("SELECT id FROM records WHERE company_id = ? AND "
                                 "entity = 'customer' AND key = '10001'",
                                 (company,)).fetchone()
        conn.execute("INSERT INTO main.docs VALUES (?, ?)", (row_id, '{"number":"10001"}'))
        assert store.one(company, "customer", "10001") == b'{"number":"10001"}'
        assert store.page(where, params, 1) == [b'{"number":"10001"}']
    finally:
        store.close()


def test_plain_json_is_what_json_dumps_writes():
    odd = {"name": "Ærø – “quoted” \u2028 \\ \"", "float": 0.1 + 0.2, "big": 10**30,
           "neg": -1.5e-7, "nested": [{"a": None, "b": True}, []], 3: "integer key"}
    assert _store._plain_json(odd) == _plain(odd)
    for value in (1e16, 1e-4, 1e-5, -1.5e-6, 1e-7, 2.5e-9, 1e-10, 123456789.125,
                  float(2**53), -0.0, [1e-5, 1e-8], "0.00001 e-7"):
        assert _store._plain_json({"v": value}) == _plain({"v": value}), value


def test_document_reader_passes_plain_json_through():
    reader = _store.DocumentReader(())
    assert reader(None) is None
    assert reader(b'{"a":1}') == b'{"a":1}'
    assert reader('{"å":1}') == '{"å":1}'.encode()


def test_pages_seek_after_earlier_pages_and_follow_every_write(tmp_path):
    """Later pages start where earlier ones ended (no OFFSET walk), and still answer
    exactly what OFFSET would: in any order, under a filter, after writes, and when a
    write lands while a page is being read."""
    template = tmp_path / "template.sqlite3"
    _store.build_template(template, vnkit_tinydata, 1)
    store = _store.Store(_store.prepare_working_db(template, tmp_path / "work.sqlite3"))
    company = vnkit_tinydata.COMPANIES[0].company_id
    where, params = "r.company_id = ? AND r.entity = ?", (company, "customer")
    filtered = (where + " AND r.status = ?", (*params, "OnHold"))

    def pages(query, size, numbers):
        return {n: store.page(*query, size, (n - 1) * size) for n in numbers}

    def expected(query, size, numbers):
        everything = store.page(*query, None)  # no offset: never anchored
        return {n: everything[(n - 1) * size:n * size] for n in numbers}

    def delete(key):
        with store.transaction() as conn:
            conn.execute("DELETE FROM records WHERE company_id = ? AND entity = 'customer' "
                         "AND key = ?", (company, key))

    try:
        for query in ((where, params), filtered):
            for numbers in (range(1, 52), [3, 1, 2, 9, 4, 51, 50, 8, 7]):
                assert pages(query, 7, numbers) == expected(query, 7, numbers)
        # The pages above left anchors behind: the next reads do seek from them.
        assert store._anchors.before((where, params), store.generation, 70) is not None

        delete("10003")  # before every anchor: each later page moves up by one
        assert pages((where, params), 7, range(1, 52)) == \
            expected((where, params), 7, range(1, 52))
        assert len(store.page(where, params, None)) == 349

        # Inside a write, its own connection's reads see the change before it is
        # committed: no anchor of the committed data may be used then.
        anchored = store.page(where, params, 10, 100)
        with store.transaction() as conn:
            conn.execute("DELETE FROM records WHERE company_id = ? AND entity = 'customer' "
                         "AND key = '10020'", (company,))
            assert store.page(where, params, 10, 110) == \
                store.page(where, params, None)[110:120]
        assert store.page(where, params, 10, 100) != anchored

        # A write committed after the anchor was chosen but before the page was read:
        # the page is read again without it.
        store.page(where, params, 10, 200)
        real_rows = store._page_rows

        def write_first(*args):
            if args[-1] is not None:
                done = threading.Thread(target=delete, args=("10030",))
                done.start()
                done.join()
            return real_rows(*args)

        store._page_rows = write_first  # type: ignore[method-assign]
        page = store.page(where, params, 10, 210)
        store._page_rows = real_rows  # type: ignore[method-assign]
        assert page == store.page(where, params, None)[210:220]
        assert len(store.page(where, params, None)) == 347
    finally:
        store.close()
