"""A new user's first minute: fresh clone to JupyterLab answering, with empty caches.

Usage::

    python benchmarks/first_minute.py              # uv (the Makefile's first choice), then pip
    python benchmarks/first_minute.py --only pip   # the pip-only fallback alone

For each installer it clones this repository into a temporary folder, runs ``make lab``
there in the background with every package cache empty (temporary ``UV_CACHE_DIR``,
``PIP_CACHE_DIR`` and ``XDG_CACHE_HOME``, so each wheel is downloaded again) and polls
JupyterLab's URL until it answers. The pip run sets ``INSTALL_UV=false``, which sends
the Makefile down its "uv is not available" branch. Needs the package registry; prints
the figures, asserts nothing. JupyterLab is stopped and the folders removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def first_minute(installer: str, timeout: float) -> dict[str, float | str]:
    """Seconds from ``git clone`` to the clone's JupyterLab answering on loopback."""
    with tempfile.TemporaryDirectory(prefix=f"vnkit-first-minute-{installer}-") as tmp:
        work = Path(tmp)
        caches = {name: str(work / "caches" / name) for name in
                  ("UV_CACHE_DIR", "PIP_CACHE_DIR", "XDG_CACHE_HOME", "VNKIT_CACHE_DIR")}
        port, token = free_port(), secrets.token_hex(16)
        env = {**os.environ, **caches, "JUPYTER_PORT": str(port), "JUPYTER_TOKEN": token,
               "BROWSER": "true"}  # no browser window: "true" is a command that does nothing
        env.pop("VIRTUAL_ENV", None)
        branch = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--abbrev-ref", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        started = time.perf_counter()
        subprocess.run(["git", "clone", "--quiet", "--branch", branch, str(ROOT),
                        str(work / "vnkit")], check=True)
        cloned = time.perf_counter() - started
        make = ["make", "lab"] + (["INSTALL_UV=false"] if installer == "pip" else [])
        log = open(work / "make.log", "w+b")  # noqa: SIM115 - read after the process ends
        process = subprocess.Popen(make, cwd=work / "vnkit", env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}/api/status?token={token}"
        result: dict[str, float | str] = {"clone_s": cloned}
        try:
            while time.perf_counter() - started < timeout:
                if process.poll() is not None:
                    result["error"] = f"make lab exited with {process.returncode}"
                    break
                if answers(url):
                    result["lab_s"] = time.perf_counter() - started
                    break
                time.sleep(0.5)
            else:
                result["error"] = f"no answer within {timeout:.0f} s"
        finally:
            if process.poll() is None:  # the whole session make started: make, jupyter
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            log.seek(0)
            if "error" in result:
                result["log"] = log.read().decode(errors="replace")[-2000:]
            log.close()
        # The environment as the user would have it, for the record.
        venv = work / "vnkit" / ".venv"
        result["venv_mb"] = sum(f.stat().st_size for f in venv.rglob("*")
                                if f.is_file()) / 1e6 if venv.exists() else 0.0
        shutil.rmtree(work, ignore_errors=True)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["uv", "pip"], default=None)
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds to wait for JupyterLab (default 900)")
    args = parser.parse_args(argv)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"fresh clone to JupyterLab answering, empty package caches "
          f"({os.cpu_count()} cores, load average {load})")
    for installer in [args.only] if args.only else ["uv", "pip"]:
        result = first_minute(installer, args.timeout)
        if "lab_s" in result:
            print(f"  {installer:<4} clone {result['clone_s']:.1f} s, JupyterLab answering "
                  f"after {result['lab_s']:.0f} s (.venv {result['venv_mb']:.0f} MB)",
                  flush=True)
        else:
            print(f"  {installer:<4} FAILED: {result['error']}\n{result.get('log', '')}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
