"""The template cache: built once, atomically, even when two processes race for it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
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
