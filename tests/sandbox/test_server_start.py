"""The ``start()`` handle, ``attach()``, the command line and the on-disk cache."""

from __future__ import annotations

import os
from pathlib import Path
import sqlite3
import subprocess
import sys
import time

import pytest
import requests
import vnkit_tinydata as data
from vnkit_sandbox_helpers import env, start_tiny

from vnkit import sandbox
from vnkit._exceptions import ConfigurationError


def test_handle_shows_url_and_company_names_only(tiny):
    text = repr(tiny)
    assert tiny.url in text and "Article Widgets AS" in text
    assert "tiny-secret" not in text
    assert "tiny-secret" not in repr(tiny.credentials)
    assert "***" in repr(tiny.credentials)
    assert tiny.credentials.client_secret == "tiny-secret"
    assert tiny.url.startswith("http://127.0.0.1:")
    assert tiny.api_url == tiny.url + "/v1"
    assert tiny.token_url == tiny.url + "/connect/token"


def test_credentials_find_tenants_by_name_or_id(tiny):
    creds = tiny.credentials
    assert creds.tenant_id("Article Widgets AS") == data.ARTICLE_TENANT
    assert creds.tenant_id("article widgets") == data.ARTICLE_TENANT  # unique prefix
    assert creds.tenant_id(data.SHARED_B) == data.SHARED_TENANT
    assert creds.tenant_id(str(data.SHARED_A)) == data.SHARED_TENANT
    assert [c.company_id for c in tiny.companies] == [data.ARTICLE, data.SHARED_A,
                                                     data.SHARED_B]
    with pytest.raises(ConfigurationError):
        creds.tenant_id("Shared")  # two companies start with it
    with pytest.raises(ConfigurationError):
        creds.tenant_id("Nobody AS")


def test_attach_to_a_running_sandbox(tiny):
    attached = sandbox.Sandbox.attach(tiny.url)
    assert attached.url == tiny.url
    assert attached.credentials.client_id == "isv_tiny_demo"
    assert attached.companies == tiny.companies
    assert attached.running
    attached.stop()  # does nothing to a server it did not start
    assert requests.get(f"{tiny.url}/sandbox/health").status_code == 200


def test_attach_to_nothing_is_a_clear_error():
    with pytest.raises(sandbox.SandboxStartError):
        sandbox.Sandbox.attach("http://127.0.0.1:9", timeout=1)


def test_unknown_setting_is_refused_before_starting():
    with pytest.raises(ConfigurationError):
        sandbox.start(no_such_knob=1)
    with pytest.raises(ConfigurationError):
        sandbox.start(default_condition="==")


def test_context_manager_stops_the_process_and_restart_is_quick(tiny_tmp, tiny):
    started = time.perf_counter()
    with start_tiny(tiny_tmp, "tiny") as box:  # the working copy already exists: reused
        elapsed = time.perf_counter() - started
        url = box.url
        assert requests.get(f"{url}/sandbox/health").status_code == 200
        pid = box.pid
    print(f"\ntiny sandbox restart: {elapsed:.2f} s")
    assert not box.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/sandbox/health", timeout=2)
    if hasattr(os, "kill"):
        with pytest.raises(OSError):
            os.kill(pid, 0)


def test_fixed_port_and_reset(tiny_tmp, tiny):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tiny_tmp / "reset.sqlite3"
    with env(VNKIT_CACHE_DIR=str(tiny_tmp / "cache")):
        first = sandbox.start(port=port, db=db, data_module="vnkit_tinydata", quiet=True)
    try:
        assert first.url == f"http://127.0.0.1:{port}"
        key_before = _signing_key(db)
    finally:
        first.stop()
    with env(VNKIT_CACHE_DIR=str(tiny_tmp / "cache")):
        again = sandbox.start(db=db, data_module="vnkit_tinydata", quiet=True)
        again.stop()
        assert _signing_key(db) == key_before  # reused: tokens survive a restart
        fresh = sandbox.start(db=db, reset=True, data_module="vnkit_tinydata", quiet=True)
        fresh.stop()
    assert _signing_key(db) != key_before  # a reset is a new database


def _signing_key(db) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT value FROM meta WHERE key='signing_key'").fetchone()[0]
    finally:
        conn.close()


def test_a_failing_start_reports_the_childs_error(tiny_tmp):
    with env(VNKIT_CACHE_DIR=str(tiny_tmp / "cache")):
        with pytest.raises(sandbox.SandboxStartError) as info:
            sandbox.start(db=tiny_tmp / "x.sqlite3", data_module="no_such_module_here",
                          quiet=True)
    assert "no_such_module_here" in str(info.value)


def test_command_line_prints_url_and_demo_credentials(tiny_tmp, tiny):
    env = dict(os.environ, VNKIT_CACHE_DIR=str(tiny_tmp / "cache"))
    process = subprocess.Popen(
        [sys.executable, "-m", "vnkit", "sandbox", "--db", str(tiny_tmp / "cli.sqlite3"),
         "--settings-json", '{"data_module": "vnkit_tinydata"}', "--latency-ms", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Shared Syd AB" in line:
                break
        text = "".join(lines)
        assert "vnkit sandbox running at http://127.0.0.1:" in text
        assert "isv_tiny_demo" in text and "tiny-secret" in text
        assert "DEMO" in text
        assert data.ARTICLE_TENANT in text and str(data.SHARED_B) in text
        url = text.split("running at ")[1].split()[0]
        assert requests.get(f"{url}/sandbox/health").json() == {"status": "ok"}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_command_line_help():
    out = subprocess.run([sys.executable, "-m", "vnkit", "sandbox", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for flag in ("--port", "--db", "--reset", "--latency-ms", "--host"):
        assert flag in out


def test_default_start_serves_a_fresh_copy_and_removes_it_at_stop(tiny_tmp, tiny):
    cache = tiny_tmp / "cache-runs"
    with env(VNKIT_CACHE_DIR=str(cache)):
        box = sandbox.start(data_module="vnkit_tinydata", quiet=True)
        try:
            working = Path(box.info["db"])
            assert working.parent == cache / "runs" and working.exists()
        finally:
            box.stop()
    assert not working.exists()
    assert not list((cache / "runs").glob("sandbox-*"))  # lock file included


def test_a_killed_sandboxs_copy_is_removed_by_the_next_start(tiny_tmp, tiny):
    cache = tiny_tmp / "cache-killed"
    with env(VNKIT_CACHE_DIR=str(cache)):
        first = sandbox.start(data_module="vnkit_tinydata", quiet=True)
        abandoned = Path(first.info["db"])
        os.kill(first.pid, 9)
        first._process.wait(10)
        assert abandoned.exists()  # nobody cleaned up after a SIGKILL
        second = sandbox.start(data_module="vnkit_tinydata", quiet=True)
        second.stop()
        first.stop()
    assert not abandoned.exists()
