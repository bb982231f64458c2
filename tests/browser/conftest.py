"""Fixtures of the browser tests: JupyterLab on loopback and Debian's Chromium via Playwright.

The tests skip, with the reason in pytest's summary, where Chromium or the Playwright
driver is missing; ``VNKIT_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns that skip into
a failure so CI cannot pass without them. Playwright's own browser download is never
used: Debian's ``chromium`` package is launched by path.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from vnkit_browser_helpers import ROOT, screenshot

#: Chromium flags that work headless as root in a container, and stop it from calling home
#: (without the networking flags it keeps trying to reach the internet).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

#: JupyterLab settings for tests: no news/update toast over the notebook, and every cell
#: kept in the page so that the run's prompts and outputs can all be checked.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"checkForUpdates": False,
                                                    "fetchNews": "false"},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


def _unavailable(reason: str) -> None:
    if os.environ.get("VNKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (VNKIT_REQUIRE_BROWSER=1) but {reason}",
                    pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}; set VNKIT_REQUIRE_BROWSER=1 to make "
                "this a failure")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        _unavailable("Debian's chromium is not installed (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install playwright)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A running JupyterLab: where it is and the folder it serves."""

    def __init__(self, url: str, token: str, root: Path, env: dict[str, str]):
        self.url, self.token, self.root, self.env = url, token, root, env

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"


@pytest.fixture(scope="session")
def lab(chromium_path, tmp_path_factory):
    """JupyterLab serving a temporary copy of the notebooks, with its state in temp dirs."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", root,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = base / "app-settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES))
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        (base / name.lower()).mkdir()
        env[name] = str(base / name.lower())
    port, token = _free_port(), secrets.token_hex(16)
    log = open(base / "lab.log", "wb")  # noqa: SIM115 - closed below
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", "--allow-root",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.app_settings_dir={settings}"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                               cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("JupyterLab exited:\n"
                                   + (base / "lab.log").read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not answer within 60 s") from None
                time.sleep(0.3)
        yield Lab(url, token, root, env)
    finally:
        # Stopping the server by its own pid also shuts down the kernels it started.
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # What the page showed when the test failed, for whoever reads the CI log.
        screenshot(page, f"failed-{request.node.name}.png")
    context.close()
