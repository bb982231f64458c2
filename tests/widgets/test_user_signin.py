"""The user sign-in tabs of LoginWidget (interactive API and VNI), on the sandbox's pages.

The pages are walked with plain HTTP here, as a browser would; tests/browser does it in
Chromium. Both ways of finishing are covered: the kernel's loopback listener, and a
pasted redirect address.
"""

from __future__ import annotations

import time
from urllib.parse import urljoin

import pytest
import requests

from vnkit.widgets import LoginWidget

_interactive = pytest.importorskip("vnkit._interactive")

ANNA = ("anna.berg@example.com", "demo-anna")  # API User on every demo company


def walk_sign_in_pages(url: str, email: str, password: str, company: str | None) -> str:
    """The redirect address the sandbox's pages end with (not followed)."""
    http = requests.Session()
    page = http.get(url, timeout=30)
    for _ in range(5):
        if page.is_redirect:
            return page.headers["Location"]
        step = _interactive._field(page.text, "step")
        assert step is not None, page.text[:500]
        form = {"txn": _interactive._field(page.text, "txn") or "", "step": step}
        if step == "signin":
            form.update(email=email, password=password)
        elif step == "company":
            form["company"] = _interactive._pick_company(page.text, company)
        elif step == "consent":
            form["decision"] = "accept"
        page = http.post(urljoin(page.url, _interactive._form_action(page.text)), data=form,
                         allow_redirects=False, timeout=30)
    raise AssertionError("the sign-in pages did not end in a redirect")


def wait_for(predicate, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_interactive_tab_finishes_through_the_listener(sandbox):
    seen = []
    login = LoginWidget(sandbox, on_login=seen.append, progress=False)
    panel = login.interactive
    assert panel.client_id.value and panel.client_secret.value == ""
    pending = panel.start()
    assert pending.url in panel.link.value.replace("&amp;", "&")
    location = walk_sign_in_pages(pending.url, *ANNA, company="Kaleva Palvelut Oy")
    requests.get(location, timeout=30).close()          # the browser comes back
    wait_for(lambda: login.current_client is not None)
    assert login.status.kind == "ok" and "interactive API" in login.status.text
    assert seen == [login.client]
    assert list(login.client.companies()["name"]) == ["Kaleva Palvelut Oy"]
    assert len(login.client.fetch("customer", status="Active")) > 0


def test_legacy_flow_finishes_with_a_pasted_address(sandbox):
    login = LoginWidget(sandbox, progress=False)
    panel = login.legacy_sign_in
    pending = panel.start()
    location = walk_sign_in_pages(pending.url, *ANNA, company=None)
    panel.redirect.value = location
    panel.finish_button.click()
    assert login.status.kind == "ok", login.status.text
    assert "legacy sign-in" in login.status.text and panel.redirect.value == ""
    # A VNI token covers every company of the user: choose one, then read.
    login.client.use_company(sandbox.companies[0].company_id)
    assert len(login.client.fetch("customer", status="Active")) == 30


def test_user_sign_in_errors_are_readable(sandbox):
    login = LoginWidget(sandbox, progress=False)
    panel = login.interactive
    panel.finish_button.click()
    assert panel.status.text.startswith("ConfigurationError: no sign-in was started")
    panel.start()
    panel.redirect.value = "http://127.0.0.1:1/callback?code=abc&state=forged"
    panel.finish_button.click()
    assert panel.status.kind == "error" and "state does not match" in panel.status.text
    assert login.current_client is None
    panel.client_id.value = ""
    panel.start_button.click()
    assert panel.status.text.startswith("ConfigurationError: Client id is empty")
