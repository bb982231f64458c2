"""Replay the Binder build and start-up without Docker.

What repo2docker does with ``binder/``, step by step, on this machine:

1. a fresh virtual environment (the same Python as this test run),
2. ``pip install -r binder/requirements.txt`` from the repository root,
3. ``binder/postBuild`` with that environment's ``bin`` first on ``PATH``,
4. ``binder/start <probe>``: the probe plays the notebook server Binder would launch. It
   starts ``jupyter server`` from the new environment and checks, through it, that the
   sandbox ``start`` launched answers, directly and behind jupyter-server-proxy
   (``/proxy/<port>/connect/authorize`` shows the sign-in page, ``/proxy/<port>/API-index/``
   Swagger UI).

The install needs the package index (pip may use its cache): if the index cannot be
reached the test fails with a message saying so; it is never skipped. Every process it
starts runs in one process group of its own, which is killed at the end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BINDER = REPO / "binder"

#: Bound on the whole replay (the install is most of it).
TOTAL_BUDGET = 900.0
PIP_BUDGET = 600.0
POSTBUILD_BUDGET = 240.0
PROBE_BUDGET = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _index_url() -> str:
    return os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple/"


def _check_index_reachable() -> None:
    url = _index_url().rstrip("/") + "/pip/"
    problem = None
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            resp.read(1)
    except Exception as exc:  # noqa: BLE001 - any failure means the same thing here
        problem = exc
    if problem is not None:
        exc = problem
        pytest.fail(f"The Binder replay needs the package index to install "
                    f"binder/requirements.txt, but {url} cannot be reached: {exc!r}. "
                    "Connect this machine to the index (or set PIP_INDEX_URL to a mirror) "
                    "and run the test again.", pytrace=False)


# The probe runs as the arguments of binder/start, with the new venv's python. It only
# prints and exits non-zero on failure; the test reads its output.
PROBE = textwrap.dedent(r'''
    import os, re, subprocess, sys, time, urllib.error, urllib.request

    sandbox_port = int(os.environ["VNKIT_SANDBOX_PORT"])
    jupyter_port = int(os.environ["PROBE_JUPYTER_PORT"])
    token = os.environ["PROBE_TOKEN"]
    deadline = time.monotonic() + float(os.environ["PROBE_BUDGET"])
    bindir = os.path.dirname(sys.executable)

    def get(url, headers=None):
        req = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return resp.status, resp.headers.get("Content-Type", ""), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read()

    def wait_for(url, what, headers=None):
        last = None
        while time.monotonic() < deadline:
            try:
                status, _, _ = get(url, headers)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.3)
        sys.exit(f"PROBE FAIL: {what} did not answer at {url} (last: {last})")

    print("PROBE VNKIT_SANDBOX_URL=" + os.environ.get("VNKIT_SANDBOX_URL", "<unset>"), flush=True)
    cmd = [os.path.join(bindir, "jupyter"), "server", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={jupyter_port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={os.environ['PROBE_ROOT_DIR']}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(os.environ["PROBE_JUPYTER_LOG"], "wb")
    t0 = time.monotonic()
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        auth = {"Authorization": f"token {token}"}
        base = f"http://127.0.0.1:{jupyter_port}"
        wait_for(f"{base}/api/status", "jupyter server", auth)
        print(f"PROBE jupyter server up in {time.monotonic() - t0:.1f}s", flush=True)

        # (a) the sandbox binder/start launched, directly.
        direct = f"http://127.0.0.1:{sandbox_port}"
        wait_for(f"{direct}/sandbox/health", "the sandbox of binder/start")
        status, ctype, body = get(f"{direct}/sandbox/health")
        print(f"PROBE sandbox health: HTTP {status} {body[:200]!r}", flush=True)

        # (b) the same sandbox through jupyter-server-proxy: the sign-in page ...
        proxy = f"{base}/proxy/{sandbox_port}"
        query = ("response_type=code&client_id=vnkit_interactive_demo"
                 "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fcallback"
                 "&scope=vismanet_erp_interactive_api%3Aread%20openid"
                 "&state=binder-replay"
                 "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
                 "&code_challenge_method=S256")
        status, ctype, body = get(f"{proxy}/connect/authorize?{query}&token={token}")
        html = body.decode("utf-8", "replace")
        if status != 200 or "text/html" not in ctype or not re.search(r'id="email"', html):
            sys.exit(f"PROBE FAIL: sign-in page through the proxy: HTTP {status} {ctype}\n"
                     + html[:2000])
        print("PROBE sign-in page through the proxy: OK (#email present)", flush=True)

        # ... and Swagger UI, with its assets and the OpenAPI document (relative URLs).
        status, ctype, body = get(f"{proxy}/API-index/?token={token}")
        html = body.decode("utf-8", "replace")
        if status != 200 or 'id="swagger-ui"' not in html:
            sys.exit(f"PROBE FAIL: Swagger UI through the proxy: HTTP {status} {ctype}\n"
                     + html[:2000])
        for rel in ("ui/swagger-ui-bundle.js", "ui/swagger-ui.css", "doc/swagger"):
            status, ctype, body = get(f"{proxy}/API-index/{rel}", auth)
            if status != 200 or not body:
                sys.exit(f"PROBE FAIL: {rel} through the proxy: HTTP {status} {ctype}")
        print("PROBE Swagger UI through the proxy: OK", flush=True)
        print("PROBE OK", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
''')


def _run(step: str, cmd: list[str], *, env: dict[str, str], budget: float,
         timings: dict[str, float], log_dir: Path) -> str:
    """Run one step in its own process group; on timeout kill the group."""
    t0 = time.monotonic()
    log = log_dir / f"{step}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            # The step's leftovers (the sandbox binder/start puts in the background, a
            # jupyter server of a failed probe) share its process group: end them all.
            _kill_group(proc.pid)
    timings[step] = time.monotonic() - t0
    text = log.read_text(errors="replace")
    print(f"[binder replay] {step}: {timings[step]:.1f}s", flush=True)
    if rc is None:
        pytest.fail(f"{step} took longer than {budget:.0f}s; its output:\n{text[-4000:]}",
                    pytrace=False)
    if rc != 0:
        pytest.fail(f"{step} failed with exit status {rc}; its output:\n{text[-6000:]}",
                    pytrace=False)
    return text


def _kill_group(pgid: int) -> None:
    for sig, pause in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        end = time.monotonic() + pause
        while time.monotonic() < end:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def test_binder_replay(tmp_path: Path) -> None:
    started = time.monotonic()
    timings: dict[str, float] = {}
    _check_index_reachable()

    venv = tmp_path / "venv"
    bindir = venv / "bin"
    logs = tmp_path / "logs"
    logs.mkdir()

    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "VNKIT_SANDBOX_URL",
                        "JUPYTER_PATH", "JUPYTER_CONFIG_PATH")}
    env["PATH"] = os.pathsep.join([str(bindir), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(venv)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # The demo data: this session's cache (the user cache unless VNKIT_CACHE_DIR moves
    # it), so it is generated at most once per machine, not once per replay.
    if "VNKIT_CACHE_DIR" not in env:
        from vnkit.sandbox._store import cache_dir
        env["VNKIT_CACHE_DIR"] = str(cache_dir())
    # Jupyter's per-user directories in the temp dir: nothing of the user's leaks in.
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR",
                 "IPYTHONDIR"):
        env[name] = str(tmp_path / name.lower())
    env["TMPDIR"] = str(tmp_path)

    _run("venv", [sys.executable, "-m", "venv", str(venv)], env=env, budget=120,
         timings=timings, log_dir=logs)
    _run("pip install", [str(bindir / "python"), "-m", "pip", "install",
                         "--progress-bar", "off", "-r", "binder/requirements.txt"],
         env=env, budget=PIP_BUDGET, timings=timings, log_dir=logs)
    _run("postBuild", [str(BINDER / "postBuild")], env=env, budget=POSTBUILD_BUDGET,
         timings=timings, log_dir=logs)
    overrides = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert overrides.is_file(), "postBuild did not write JupyterLab's overrides.json"

    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    sandbox_port, jupyter_port = _free_port(), _free_port()
    while jupyter_port == sandbox_port:
        jupyter_port = _free_port()
    env.update(VNKIT_SANDBOX_PORT=str(sandbox_port), PROBE_JUPYTER_PORT=str(jupyter_port),
               PROBE_TOKEN="binder-replay-" + os.urandom(8).hex(),
               PROBE_BUDGET=str(PROBE_BUDGET - 20), PROBE_ROOT_DIR=str(REPO),
               PROBE_JUPYTER_LOG=str(logs / "jupyter-server.log"))
    try:
        out = _run("start + probe", [str(BINDER / "start"), str(bindir / "python"), str(probe)],
                   env=env, budget=PROBE_BUDGET, timings=timings, log_dir=logs)
    except BaseException:
        for extra in ("vnkit-sandbox.log", "logs/jupyter-server.log"):
            path = tmp_path / extra
            if path.is_file():
                print(f"--- {extra} ---\n{path.read_text(errors='replace')[-3000:]}")
        raise
    print("".join(f"[binder replay]   {line}\n" for line in out.splitlines()
                  if line.startswith("PROBE")), end="", flush=True)
    assert "PROBE OK" in out, out
    assert f"VNKIT_SANDBOX_URL=http://127.0.0.1:{sandbox_port}" in out, out

    # Nothing left: the ports are free again.
    for port in (sandbox_port, jupyter_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"

    total = time.monotonic() - started
    summary = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    print(f"[binder replay] total {total:.1f}s ({summary})", flush=True)
    assert total < TOTAL_BUDGET, f"the replay took {total:.0f}s (budget {TOTAL_BUDGET:.0f}s)"
