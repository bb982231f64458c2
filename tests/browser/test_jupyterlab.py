"""The widgets in a real browser: JupyterLab in Debian's Chromium, driven by Playwright.

One journey per test, on a temporary copy of ``notebooks/00-start-here.ipynb``: restart
the kernel and run every cell, check that every widget rendered, then use them as a
person would: sign in with the service API form, switch company in the picker, click
"Get DataFrame" in the explorer and see the table; and sign in through the sandbox's
own sign-in pages in a new tab (the interactive API).
"""

from __future__ import annotations

import json
import re
import os
import shutil
import time
import urllib.error
import urllib.request

import nbformat
import pytest
from vnkit_browser_helpers import ROOT, screenshot

NOTEBOOK = "00-start-here.ipynb"
ANNA = ("anna.berg@example.com", "demo-anna")  # a demo user with every demo company


def _api(lab, method: str, path: str):
    request = urllib.request.Request(f"{lab.url}{path}?token={lab.token}", method=method)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def wait_for_connected_kernel(lab, seconds: float = 60.0) -> None:
    """Until the server reports a kernel that is idle and has the page connected."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            kernels = _api(lab, "GET", "/api/kernels")
        except urllib.error.HTTPError as exc:
            # The listing can fail with a 500 while a kernel of the last opening is
            # still shutting down; ask again.
            assert exc.code >= 500 and time.monotonic() < deadline, exc
            time.sleep(0.25)
            continue
        if any(k.get("execution_state") == "idle" and k.get("connections", 0) >= 1
               for k in kernels):
            return
        assert time.monotonic() < deadline, f"no connected idle kernel: {kernels}"
        time.sleep(0.25)


def end_sessions(lab) -> None:
    """Shut down every kernel of the server, so the next opening starts a fresh one.

    A fresh kernel plus "Run all" is used instead of "Restart and run all": after a
    restart the first widgets can be sent before the page's widget manager is listening
    again, and they then show as plain text.
    """
    for session in _api(lab, "GET", "/api/sessions"):
        _api(lab, "DELETE", f"/api/sessions/{session['id']}")


def open_and_run_all(page, lab, name: str) -> None:
    """Open ``name`` in a fresh kernel and run every cell, waiting for the end."""
    code_cells = sum(c.cell_type == "code"
                     for c in nbformat.read(lab.root / name, as_version=4).cells)
    end_sessions(lab)
    page.goto(lab.notebook_url(name))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.wait_for_selector(".jp-NotebookPanel-toolbar "
                           ".jp-Notebook-ExecutionIndicator[data-status='idle']")
    # The status bar says "Idle" only once the kernel is connected; a run started before
    # that can be dropped, so wait for it, and start again if nothing began to run.
    wait_for_connected_kernel(lab)
    for attempt in range(2):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        try:
            page.wait_for_function(
                """() => [...document.querySelectorAll(
                    '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')]
                    .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))""",
                timeout=20_000)
            break
        except Exception:
            if attempt:
                raise
    # Done when every code cell shows an execution count and the kernel is idle.
    try:
        _wait_for_all_cells(page, code_cells)
    except Exception:
        screenshot(page, "jupyterlab-run-all-timeout.png")
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        raise AssertionError(f"run all did not finish; prompts: {prompts}") from None


def _wait_for_all_cells(page, code_cells: int) -> None:
    page.wait_for_function(
        """(n) => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')];
            const idle = document.querySelector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']");
            return idle && prompts.length === n
                && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", arg=code_cells, timeout=120_000)


def reveal_all(page) -> None:
    """Scroll every cell into view once: JupyterLab renders outputs (and so widgets)
    lazily, when they come near the viewport."""
    cells = page.locator(".jp-NotebookPanel .jp-Cell")
    for i in range(cells.count()):
        cells.nth(i).scroll_into_view_if_needed()


@pytest.fixture
def notebook_copy(lab):
    """A copy of the notebook as it is: "Run All" must leave its widgets working, so no
    cell may stop the sandbox (the server stops the kernel, and so the sandbox, at the
    end of the session)."""
    path = lab.root / NOTEBOOK
    nb = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)
    assert not any(c.cell_type == "code" and "sandbox.stop()" in c.source for c in nb.cells)
    nbformat.write(nb, path)
    return NOTEBOOK


def widget(page, css: str):
    """The rendered widget with the vnkit class ``css`` (scrolled into view)."""
    locator = page.locator(f".jp-OutputArea-output .{css}").first
    locator.scroll_into_view_if_needed()
    return locator


def test_widgets_render_and_work_in_jupyterlab(page, lab, notebook_copy):
    open_and_run_all(page, lab, notebook_copy)
    reveal_all(page)
    try:
        page.wait_for_selector(".jp-OutputArea-output .vnkit-rate-budget", timeout=30_000)
    finally:
        screenshot(page, "jupyterlab-after-run-all.png")
    rendered = page.locator(".jp-OutputArea-output .jupyter-widgets")
    assert rendered.count() >= 4
    assert page.get_by_text("Error displaying widget").count() == 0
    for css in ("vnkit-login", "vnkit-company-picker", "vnkit-explorer", "vnkit-rate-budget"):
        assert page.locator(f".jp-OutputArea-output .{css}").count() == 1, css

    # Sign in again with the service API form, as pre-filled from the sandbox handle.
    login = widget(page, "vnkit-login")
    status = login.locator(".vnkit-login-status")
    # First a mistake: an empty tenant id is named in the status line, with a hint.
    tenant = login.locator("input[placeholder=\"the company's tenant id\"]")
    prefilled = tenant.input_value()
    assert prefilled
    tenant.fill("")
    login.locator(".vnkit-sign-in").click()
    status.locator("text=/Tenant id is empty/").wait_for()
    assert "HINT:" in status.inner_text()
    tenant.fill(prefilled)
    login.locator(".vnkit-sign-in").click()
    status.locator("text=/Signed in \\(service API\\)/").wait_for()
    assert "Nordlys Handel AS" in status.inner_text()
    for secret_box in login.locator("input[type=password]").all():
        assert secret_box.input_value() == ""  # the demo secret never reaches the page

    # The picker followed the new sign-in: choose a company of another tenant.
    picker = widget(page, "vnkit-company-picker")
    # (Not the notebook's own choice, Kaleva Palvelut Oy, so every status below is new.)
    picker.locator("select").select_option(label="Kaleva Oy (4127803) - other tenant")
    picker.locator("text=/Working in Kaleva Oy/").wait_for()

    # The explorer uses the switched client: its table is Kaleva Oy's active customers.
    explorer = widget(page, "vnkit-explorer")
    explorer.locator(".vnkit-run").click()
    explorer.locator(".vnkit-status", has_text="(Kaleva Oy)").wait_for()
    explorer_status = explorer.locator(".vnkit-status").inner_text()
    assert re.match(r"\d+ rows x \d+ columns from customer \(Kaleva Oy\)\.",
                    explorer_status), explorer_status
    table = explorer.locator(".vnkit-explorer-output table.dataframe")
    table.locator("tbody tr").first.wait_for()
    screenshot(page, "jupyterlab-explorer-table.png")
    assert "Active" in table.inner_text()

    # The page bar is full and the Python box holds the call that gives the same frame.
    progress = explorer.locator(".vnkit-explorer-progress")
    assert progress.count() == 1
    code = explorer.locator(".vnkit-explorer-code textarea")
    assert code.input_value() == "client.fetch('customer', status='Active')"

    # A filter the API would refuse is explained before any request: the date of
    # lastModifiedDateTime has its own input, next to its condition.
    date_row = explorer.locator(".vnkit-date-param", has_text="lastModifiedDateTime").first
    date_box = date_row.locator("input")
    date_box.fill("2020-13-01")
    date_box.press("Enter")
    explorer.locator(".vnkit-request-url",
                     has_text="is not a real date or time").wait_for()
    date_box.fill("")
    date_box.press("Enter")

    # Every GET of the API can be found by typing part of its name or area.
    find = explorer.locator(".vnkit-explorer-search input")
    find.fill("invoice")
    find.press("Enter")
    matches = explorer.locator(".vnkit-explorer-matches select")
    matches.locator("option", has_text="supplierInvoice").first.wait_for(state="attached")
    labels = matches.locator("option").all_inner_texts()
    assert labels and all("invoice" in label.lower() for label in labels)
    assert any(label.startswith("customerinvoice") for label in labels)

    # The budget meter moved with the explorer's calls.
    budget = widget(page, "vnkit-rate-budget")
    assert re.search(r"\d+ of \d+ calls left this hour", budget.inner_text())

    assert page.get_by_text("Error displaying widget").count() == 0
    explorer.locator(".vnkit-run").scroll_into_view_if_needed()
    shot = screenshot(page, "jupyterlab-widgets.png")
    if os.environ.get("VNKIT_UPDATE_SCREENSHOT"):
        # The README's picture: refreshed on request only, so a test run leaves the
        # work tree as it found it.
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "jupyterlab-widgets.png")


def _start_user_sign_in(page, lab, notebook_copy, tab: str, panel: str):
    """Run notebook 00 and start a user sign-in from the login widget's ``tab``.

    Returns the login widget and the browser tab the widget's link opened: the sandbox's
    sign-in page, with Anna's email and password filled in.
    """
    open_and_run_all(page, lab, notebook_copy)
    reveal_all(page)
    page.wait_for_selector(".jp-OutputArea-output .vnkit-rate-budget")
    login = widget(page, "vnkit-login")
    login.locator(".lm-TabBar-tab", has_text=tab).click()
    box = login.locator(panel)
    # The tab says who to sign in as on the sandbox's page.
    assert ANNA[0] in box.inner_text() and ANNA[1] in box.inner_text()
    box.locator(".vnkit-start-signin").click()
    link = box.locator("a.vnkit-open-signin")
    link.wait_for()
    with page.context.expect_page() as opened:
        link.click()
    signin = opened.value
    signin.wait_for_load_state()
    signin.fill("#email", ANNA[0])
    signin.fill("#password", ANNA[1])
    return login, signin


def test_interactive_sign_in_in_a_new_tab(page, lab, notebook_copy):
    login, signin = _start_user_sign_in(page, lab, notebook_copy, "Interactive API",
                                        ".vnkit-user-signin-interactive")
    signin.click("#signin")
    signin.check("#company-4127803")              # Kaleva Oy, on the company page
    signin.click("#choose")
    signin.click("#accept")                       # consent
    signin.get_by_text("Signed in. You can close this tab").wait_for()
    screenshot(signin, "jupyterlab-interactive-signin-done.png")
    signin.close()
    # The kernel's listener caught the redirect and the form finished by itself.
    status = login.locator(".vnkit-login-status")
    status.locator("text=/Signed in \\(interactive API\\)/").wait_for()
    assert "Kaleva Oy" in status.inner_text()
    picker = widget(page, "vnkit-company-picker")
    picker.locator("text=/Working in Kaleva Oy/").wait_for()
    explorer = widget(page, "vnkit-explorer")
    explorer.locator(".vnkit-run").click()
    explorer.locator(".vnkit-status", has_text="(Kaleva Oy)").wait_for()
    explorer.locator(".vnkit-explorer-output table.dataframe tbody tr").first.wait_for()
    screenshot(page, "jupyterlab-interactive-signed-in.png")


def test_legacy_sign_in_from_the_legacy_tab(page, lab, notebook_copy):
    login, signin = _start_user_sign_in(page, lab, notebook_copy, "Legacy token",
                                        ".vnkit-user-signin-legacy")
    signin.click("button[type=submit]")
    # VNI has no company page: the token covers every company of the user.
    signin.get_by_text("Every company where you have API rights").wait_for()
    signin.click("#accept")                       # consent
    signin.get_by_text("Signed in. You can close this tab").wait_for()
    screenshot(signin, "jupyterlab-legacy-signin-done.png")
    signin.close()
    status = login.locator(".vnkit-login-status")
    status.locator("text=/Signed in \\(legacy sign-in\\)/").wait_for()

    # Every request of a legacy token needs ipp-company-id: choose one in the picker.
    picker = widget(page, "vnkit-company-picker")
    select = picker.locator("select")
    kaleva = select.locator("option", has_text="(4127803)")
    kaleva.wait_for(state="attached")
    select.select_option(label=kaleva.inner_text().strip())
    # (A legacy client resolves the id without a name, so the status shows the id.)
    picker.locator("text=/Working in .*\\(ipp-company-id 4127803\\)/").wait_for()

    explorer = widget(page, "vnkit-explorer")
    explorer.locator(".vnkit-run").click()
    explorer.locator(".vnkit-status",
                     has_text=re.compile(r"from customer \((Kaleva Oy|4127803)\)")).wait_for()
    table = explorer.locator(".vnkit-explorer-output table.dataframe")
    table.locator("tbody tr").first.wait_for()
    screenshot(page, "jupyterlab-legacy-signed-in.png")
    assert "Active" in table.inner_text()
    assert page.get_by_text("Error displaying widget").count() == 0
