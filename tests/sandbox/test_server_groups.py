"""Demo data built group by group: the same records as a build in one go, and a server
that generates a later group when a request first names one of its companies."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import vnkit_tinydata
import vnkit_tinygroups
from vnkit_sandbox_helpers import Api, env

from vnkit import sandbox
from vnkit.sandbox import _store


def _served(template: Path, work: Path) -> dict[tuple[int, str], list[bytes]]:
    """Every record a store made from ``template`` serves, by company and resource."""
    store = _store.Store(_store.prepare_working_db(template, work))
    try:
        pairs = store.connection().execute(
            "SELECT DISTINCT company_id, entity FROM records ORDER BY 1, 2").fetchall()
        return {(c, e): store.page("r.company_id = ? AND r.entity = ?", (c, e), None)
                for c, e in pairs}
    finally:
        store.close()


def _ids(template: Path) -> list[tuple[int, int, str, int]]:
    conn = sqlite3.connect(template)
    try:
        return conn.execute("SELECT id, company_id, entity, seq FROM records "
                            "ORDER BY id").fetchall()
    finally:
        conn.close()


def test_groups_follow_the_data_module():
    assert _store.company_groups(vnkit_tinydata) == (
        tuple(c.company_id for c in vnkit_tinydata.COMPANIES),)
    groups = _store.company_groups(vnkit_tinygroups)
    assert groups == ((vnkit_tinygroups.ARTICLE,),
                      (vnkit_tinygroups.SHARED_A, vnkit_tinygroups.SHARED_B))
    # the first group, in every working copy, has the highest ids
    bases = _store.id_bases(vnkit_tinygroups)
    assert bases[vnkit_tinygroups.ARTICLE] > max(bases[vnkit_tinygroups.SHARED_A],
                                                 bases[vnkit_tinygroups.SHARED_B])


def test_a_template_built_group_by_group_serves_what_one_build_serves(tmp_path):
    with env(VNKIT_CACHE_DIR=str(tmp_path / "cache")):
        first = _store.ensure_template(vnkit_tinygroups, 1)
        assert _store.built_companies(first) == {vnkit_tinygroups.ARTICLE}
        early = _served(first, tmp_path / "early.sqlite3")
        assert {c for c, _ in early} == {vnkit_tinygroups.ARTICLE}
        grown = _store.ensure_template(
            vnkit_tinygroups, 1, companies=[vnkit_tinygroups.SHARED_B])
        assert grown == first
        assert _store.built_companies(grown) == {
            c.company_id for c in vnkit_tinygroups.COMPANIES}
    whole = tmp_path / "whole.sqlite3"
    _store.build_template(whole, vnkit_tinygroups, 1)
    assert _ids(grown) == _ids(whole)  # ids (and so timeStamps) too
    assert _served(grown, tmp_path / "a.sqlite3") == _served(whole, tmp_path / "b.sqlite3")
    # A working database made before the template grew gains the new companies (and
    # keeps what was written to it).
    work = tmp_path / "early.sqlite3"
    conn = sqlite3.connect(work)
    conn.execute("INSERT INTO docs VALUES (1, '{}')")
    conn.commit()
    conn.close()
    reused = _served(grown, work)
    assert {c for c, _ in reused} == {c.company_id for c in vnkit_tinygroups.COMPANIES}
    conn = sqlite3.connect(work)
    assert conn.execute("SELECT doc FROM docs WHERE id = 1").fetchone() == ("{}",)
    conn.close()


def test_a_request_for_a_later_group_generates_it_and_waits(tmp_path):
    with env(VNKIT_CACHE_DIR=str(tmp_path / "cache")):
        box = sandbox.start(data_module="vnkit_tinygroups", quiet=True)
    try:
        api = Api(box)
        names = [c.company_id for c in box.companies]
        assert names == [c.company_id for c in vnkit_tinygroups.COMPANIES]  # all listed
        template = _store.template_path(vnkit_tinygroups, 1).name
        cache = tmp_path / "cache" / template
        assert _store.built_companies(cache) == {vnkit_tinygroups.ARTICLE}
        token = api.token(vnkit_tinygroups.ARTICLE)
        assert len(api.records("customer", token=token, company=vnkit_tinygroups.ARTICLE,
                               pageSize=500)) == 350
        shared = api.token(vnkit_tinygroups.SHARED_A)
        # the context list names every company without needing their records
        listed = api.get("context", token=shared, company=vnkit_tinygroups.SHARED_A,
                         root="/resources/v1")
        assert listed.status_code == 200, listed.text
        assert _store.built_companies(cache) == {vnkit_tinygroups.ARTICLE}
        wanted = [c for _, e, c in _generated(vnkit_tinygroups.SHARED_A) if e == "customer"]
        got = api.records("customer", token=shared, company=vnkit_tinygroups.SHARED_A)
        assert [r["number"] for r in got] == [r["number"] for r in wanted]
        assert _store.built_companies(cache) == {
            c.company_id for c in vnkit_tinygroups.COMPANIES}
        # the log says what is generated: the whole group, and when it is done
        assert "Generating the demo data of Shared Nord AS, Shared Syd AB" in box.server_log()
        assert "generated Shared Nord AS, Shared Syd AB" in box.server_log()
        # the other company of the group came with it: no second generation
        log_size = len(box.server_log())
        assert api.records("customer", token=shared, company=vnkit_tinygroups.SHARED_B)
        assert len(box.server_log()) == log_size
        info = json.loads(api.http.get(f"{box.url}/sandbox/info").text)
        assert info["records"] == sum(1 for _ in vnkit_tinygroups.generate(1))
    finally:
        box.stop()


def _generated(company_id: int):
    return [(c, e, r) for c, e, r in vnkit_tinygroups.generate(1, companies=[company_id])]


def test_the_user_is_told_why_a_first_request_for_a_company_waits(tmp_path, capsys):
    with env(VNKIT_CACHE_DIR=str(tmp_path / "cache")):
        box = sandbox.start(data_module="vnkit_tinygroups")
    try:
        shown = capsys.readouterr().out
        assert shown.startswith("vnkit sandbox: generating the demo data once (a few")
        api = Api(box)
        token = api.token(vnkit_tinygroups.SHARED_B)
        assert api.records("customer", token=token, company=vnkit_tinygroups.SHARED_B)
        deadline = time.monotonic() + 10  # printed by the thread that reads the events
        while "Shared Syd AB" not in shown and time.monotonic() < deadline:
            time.sleep(0.05)
            shown += capsys.readouterr().out
        assert ("vnkit sandbox: generating the demo data once for Shared Nord AS, "
                "Shared Syd AB") in shown
    finally:
        box.stop()
