"""LoginWidget: the service API form, the legacy token, errors, and secrets kept out."""

from __future__ import annotations

import subprocess
import sys

import pytest
from vnkit_widget_helpers import all_widget_values

import vnkit
from vnkit.widgets import LoginWidget
from vnkit.widgets._common import describe_error


def test_import_vnkit_does_not_load_ipywidgets():
    code = ("import sys, vnkit; assert 'ipywidgets' not in sys.modules, 'loaded'; "
            "vnkit.widgets.LoginWidget; assert 'ipywidgets' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_prefilled_from_sandbox_without_its_secret(sandbox):
    login = LoginWidget(sandbox)
    assert login.api.value == sandbox.url
    assert login.client_id.value == sandbox.credentials.client_id
    assert login.tenant_id.value == sandbox.companies[0].tenant_id
    assert login.selected_scopes() == ("vismanet_erp_service_api:read",)
    # The demo secret stays in the kernel: nothing synced to the browser contains it.
    assert not any(sandbox.credentials.client_secret in v for v in all_widget_values(login))
    assert repr(login) == "LoginWidget(signed out)"


def test_sign_in_gives_a_client_and_calls_back(sandbox):
    seen = []
    login = LoginWidget(sandbox, on_login=seen.append, progress=False)
    with pytest.raises(vnkit.ConfigurationError, match="not signed in yet"):
        login.client
    client = login.sign_in()
    assert seen == [client] and login.client is client
    assert client.company == sandbox.companies[0].company_id
    assert len(client.fetch("customer", status="Active")) == 30
    assert login.status.kind == "ok" and sandbox.companies[0].name in login.status.text
    assert repr(login) == ("LoginWidget(signed in to sandbox, company="
                           f"{sandbox.companies[0].name!r})")


def test_button_signs_in_for_the_tenant_typed(sandbox):
    kaleva = sandbox.credentials.company("Kaleva Oy")
    login = LoginWidget(sandbox, progress=False)
    login.tenant_id.value = kaleva.tenant_id
    login.sign_in_button.click()
    assert login.status.kind == "ok", login.status.text
    assert sorted(login.client.companies()["name"]) == ["Kaleva Oy", "Kaleva Palvelut Oy"]


def test_typed_secret_is_used_then_cleared(sandbox):
    login = LoginWidget(sandbox, progress=False)
    login.client_secret.value = "not-the-secret-42"
    login.sign_in_button.click()
    assert login.status.kind == "error"
    assert login.status.text.startswith("AuthError: ")
    assert "HINT:" in login.status.text
    assert login.current_client is None
    # A FAILED attempt clears the typed secret too, and nothing synced keeps it.
    assert login.client_secret.value == ""
    assert not any("not-the-secret-42" in v for v in all_widget_values(login))
    assert login._attempt_secrets == []
    assert "cleared from this form after every sign-in attempt" in login.secret_note.value
    # Called directly (not by the button), a failing attempt clears it as well.
    login.client_secret.value = "typed-again-43"
    with pytest.raises(vnkit.AuthError):
        login.sign_in()
    assert login.client_secret.value == "" and login._attempt_secrets == []
    # The right secret typed by hand works, and is not left in the widget.
    login.client_secret.value = sandbox.credentials.client_secret
    login.sign_in_button.click()
    assert login.status.kind == "ok" and login.client_secret.value == ""


@pytest.mark.parametrize("field, label", [("tenant_id", "Tenant id"), ("client_id", "Client id"),
                                          ("api", "API")])
def test_empty_field_is_named_before_any_request(field, label):
    # Port 9 on loopback answers nothing: a request would be a TransportError instead.
    login = LoginWidget("http://127.0.0.1:9")
    login.api.value, login.tenant_id.value = "http://127.0.0.1:9", "t"
    login.client_id.value, login.client_secret.value = "c", "s"
    getattr(login, field).value = ""
    with pytest.raises(vnkit.ConfigurationError, match=f"^{label} is empty"):
        login.sign_in()
    login.sign_in_button.click()
    assert login.status.kind == "error"
    assert login.status.text.startswith(f"ConfigurationError: {label} is empty\nHINT:")


def test_no_scope_ticked_is_refused(sandbox):
    login = LoginWidget(sandbox)
    login.scopes["read"].value = False
    with pytest.raises(vnkit.ConfigurationError, match="no scope"):
        login.sign_in()


def test_unknown_tenant_shows_the_servers_answer(sandbox):
    login = LoginWidget(sandbox, progress=False)
    login.tenant_id.value = "no-such-tenant"
    login.sign_in_button.click()
    assert login.status.kind == "error"
    assert "no-such-tenant" in login.status.text and "HINT:" in login.status.text
    assert sandbox.credentials.client_secret not in login.status.text


def test_legacy_token_tab(sandbox):
    source = vnkit.connect(sandbox, progress=False)
    token = source.session.auth.token().access_token
    login = LoginWidget(sandbox, progress=False)
    login.legacy_token.value = f"Bearer {token}"
    login.legacy_company.value = str(sandbox.companies[0].company_id)
    login.legacy_button.click()
    assert login.status.kind == "ok", login.status.text
    assert "legacy token" in login.status.text
    assert login.legacy_token.value == ""  # not kept in the widget once used
    assert len(login.client.fetch("customer", status="Active")) == 30
    assert token not in repr(login.client.session.auth)
    # A bad token is refused by the API when checked, and the old client stays.
    login.legacy_token.value = "garbage"
    login.legacy_button.click()
    assert login.status.kind == "error" and "UnauthorizedError" in login.status.text
    assert "garbage" not in login.status.text
    assert login.legacy_token.value == ""  # a refused token is not kept either
    login.legacy_token.value = "garbage-2"
    with pytest.raises(vnkit.UnauthorizedError):
        login.use_token()
    assert login.legacy_token.value == ""


def test_interactive_tab_exists(sandbox):
    login = LoginWidget(sandbox)
    assert login.tabs.titles == ("Service API", "Interactive API", "Legacy token")
    # With a sandbox, the tab says who to sign in as (its demo users); not elsewhere.
    users = vnkit.sandbox.demo_users()
    text = " ".join(v for v in all_widget_values(login.interactive))
    assert all(u["email"] in text and u["password"] in text for u in users)
    assert "anna.berg@example.com" in text
    elsewhere = LoginWidget("production")
    assert "demo" not in " ".join(all_widget_values(elsewhere.interactive)).lower()


def test_interactive_tab_clears_a_typed_secret_after_a_failed_start(sandbox):
    login = LoginWidget(sandbox, progress=False)
    panel = login.interactive
    panel.client_id.value = ""
    panel.client_secret.value = "typed-secret-44"
    panel.start_button.click()
    assert panel.status.kind == "error" and panel.client_secret.value == ""
    assert "typed-secret-44" not in panel.status.text


def test_describe_error_redacts_secrets():
    error = vnkit.AuthError("refused s3cr3t-value", hint="check it")
    text = describe_error(error, ["s3cr3t-value", None, ""])
    assert text == "AuthError: refused ***\nHINT: check it"
    assert describe_error(KeyError("x")) == "KeyError: 'x'"


def test_status_line_escapes_html():
    from vnkit.widgets._common import StatusLine

    line = StatusLine("<b>x</b>\nnext", "error")
    assert "&lt;b&gt;" in line.value and "<br>" in line.value
    with pytest.raises(ValueError, match="status kind"):
        line.show("x", "weird")


def test_refuses_an_unknown_target():
    with pytest.raises(vnkit.ConfigurationError, match="cannot sign in to a int"):
        LoginWidget(42)
