"""vnkit's user sign-in: SignIn (PKCE, state, listener, paste-back), refresh, the legacy
compliance hook, the proxy redirect URI, the 0600 token cache and the Postman import."""

from __future__ import annotations

import ast
import json
import logging
import os
import stat
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from vnkit_signin_helpers import ANNA, OLA, PER

import vnkit
from vnkit._interactive import RedirectListener, proxy_redirect_uri

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "notebooks" / "data" / "visma-net-postman-environment.json"
KALEVA = 4127803


def query_of(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query))


# -- the authorization URL --------------------------------------------------------------------
def test_authorization_url_has_pkce_s256_and_a_random_state(box):
    one = vnkit.connect(box, flow="interactive")
    two = vnkit.connect(box, flow="interactive")
    try:
        q = query_of(one.url)
        assert one.url.startswith(f"{box.url}/connect/authorize?")
        assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
        assert q["response_type"] == "code" and q["redirect_uri"] == one.redirect_uri
        assert q["scope"].split() == ["vismanet_erp_interactive_api:read", "offline_access"]
        assert q["state"] == one.state and one.state != two.state
        assert one.redirect_uri.startswith("http://127.0.0.1:")  # the loopback listener
    finally:
        one.close()
        two.close()


def test_short_scope_names_are_expanded_and_bad_ones_refused(box):
    sign_in = vnkit.connect(box, flow="interactive", scopes="read create openid")
    sign_in.close()
    assert sign_in.scopes == ("vismanet_erp_interactive_api:read",
                              "vismanet_erp_interactive_api:create", "openid")
    with pytest.raises(vnkit.ConfigurationError, match="vismanet_erp_interactive_api"):
        vnkit.connect(box, flow="interactive", scopes="openid")
    with pytest.raises(vnkit.ConfigurationError, match="financialstasks"):
        vnkit.connect(box, flow="legacy", scopes="read")


def test_plain_http_redirect_is_refused_before_any_request(box):
    with pytest.raises(vnkit.ConfigurationError, match="https"):
        vnkit.connect(box, flow="interactive", redirect_uri="http://app.example.com/cb")
    with pytest.raises(vnkit.ConfigurationError, match="flow"):
        vnkit.connect(box, flow="magic")


# -- finishing three ways ---------------------------------------------------------------------
def test_listener_catches_the_redirect_and_gives_a_client(box):
    sign_in = vnkit.connect(box, flow="interactive", progress=False)
    client = sign_in.sandbox_login(*ANNA, company="Kaleva Oy")
    with client:
        assert client.company == KALEVA and client.company_name == "Kaleva Oy"
        frame = client.fetch("customer", progress=False)
        assert len(frame) > 0
        assert list(client.companies()["id"]) == [KALEVA]
    assert sign_in.client is client
    # The listener is closed once finished.
    with pytest.raises(requests.ConnectionError):
        requests.get(sign_in.redirect_uri, timeout=2)


def test_paste_back_with_a_registered_https_redirect(box):
    sign_in = vnkit.connect(box, flow="interactive",
                            redirect_uri="https://app.example.com/callback", progress=False)
    with pytest.raises(vnkit.ConfigurationError, match="listener"):
        sign_in.wait(timeout=0.1)
    client = sign_in.sandbox_login(*OLA)  # one company: no company page
    with client:
        assert client.company == 2310401
        assert client.get("customer", pageSize=1)


def test_state_mismatch_is_refused_before_the_code_is_used(box):
    sign_in = vnkit.connect(box, flow="interactive", redirect_uri="https://app.example.com/"
                            "callback")
    forged = f"https://app.example.com/callback?code=abc&state=not-{sign_in.state}"
    with pytest.raises(vnkit.AuthError, match="state") as info:
        sign_in.finish(forged)
    assert info.value.error == "state_mismatch"
    assert sign_in.client is None


def test_error_redirect_becomes_an_auth_error_with_hint(box):
    sign_in = vnkit.connect(box, flow="interactive")
    with pytest.raises(vnkit.AuthError, match="invalid_tenant") as info:
        sign_in.sandbox_login(*PER)
    assert "API User" in str(info.value)


def test_wrong_password_and_missing_company_are_clear(box):
    sign_in = vnkit.connect(box, flow="interactive")
    with pytest.raises(vnkit.AuthError, match="Wrong email or password"):
        sign_in.sandbox_login(ANNA[0], "nope")
    sign_in = vnkit.connect(box, flow="interactive")
    with pytest.raises(vnkit.ConfigurationError, match="Kaleva Oy"):
        sign_in.sandbox_login(*ANNA)  # several companies, none named
    sign_in.close()


def test_sandbox_login_refuses_non_loopback_services():
    sign_in = vnkit.connect("production", flow="interactive", client_id="isv_x",
                            client_secret="s", redirect_uri="https://app.example.com/cb")
    assert sign_in.url.startswith("https://connect.visma.com/connect/authorize?")
    with pytest.raises(vnkit.ConfigurationError, match="sandbox"):
        sign_in.sandbox_login(*ANNA)


def test_listener_ignores_other_paths_and_answers_the_callback():
    listener = RedirectListener()
    try:
        assert requests.get(f"http://127.0.0.1:{listener.port}/other?code=x").status_code \
            == 404
        assert listener.wait(0) is None
        page = requests.get(f"{listener.redirect_uri}?code=secret-code&state=s")
        assert page.status_code == 200 and "secret-code" not in page.text
        assert listener.wait(1) == f"{listener.redirect_uri}?code=secret-code&state=s"
    finally:
        listener.close()


# -- refresh ------------------------------------------------------------------------------------
def test_expired_token_is_refreshed_through_the_refresh_token(short_box):
    sign_in = vnkit.connect(short_box, flow="interactive", progress=False)
    with sign_in.sandbox_login(*OLA) as client:
        auth = client.session.auth
        first = auth.store.load(auth.key)
        assert first.refresh_token
        time.sleep(2.1)  # tokens of this sandbox live two seconds
        assert client.get("customer", pageSize=1)
        second = auth.store.load(auth.key)
        assert auth.refresh_count == 1
        assert second.access_token != first.access_token
        assert second.refresh_token != first.refresh_token  # rotated


def test_without_offline_access_an_expired_sign_in_says_sign_in_again(short_box):
    sign_in = vnkit.connect(short_box, flow="interactive", scopes="read", progress=False)
    with sign_in.sandbox_login(*OLA) as client:
        time.sleep(2.1)
        with pytest.raises(vnkit.AuthError, match="refresh token"):
            client.get("customer", pageSize=1)


# -- legacy ---------------------------------------------------------------------------------------
def test_legacy_flow_maps_token_to_access_token_and_needs_a_company(box):
    sign_in = vnkit.connect(box, flow="legacy", progress=False)
    assert "code_challenge" not in query_of(sign_in.url)
    assert sign_in.url.startswith(f"{box.url}/API/resources/oauth/authorize?")
    with sign_in.sandbox_login(*ANNA) as client:
        token = client.session.auth.store.load(client.session.auth.key)
        assert token.expires_at is None and token.refresh_token is None
        assert len(client.companies()) == len(box.companies)
        with pytest.raises(vnkit.BadRequestError) as info:
            client.get("customer", pageSize=1)
        assert info.value.code == "12002"
        client.use_company("Kaleva Palvelut Oy")
        assert client.get("customer", pageSize=1)


# -- JupyterHub / Binder ---------------------------------------------------------------------
def test_proxy_redirect_uri_from_hub_variables():
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/anna/",
           "JUPYTERHUB_EXTERNAL_URL": "https://hub.example.org/"}
    assert proxy_redirect_uri(8765, environ=env) == \
        "https://hub.example.org/user/anna/proxy/8765/callback"
    env["VNKIT_PUBLIC_URL"] = "https://binder.example.net"
    assert proxy_redirect_uri(41000, environ=env) == \
        "https://binder.example.net/user/anna/proxy/41000/callback"
    with pytest.raises(vnkit.ConfigurationError, match="VNKIT_PUBLIC_URL"):
        proxy_redirect_uri(1, environ={"JUPYTERHUB_SERVICE_PREFIX": "/user/a/"})
    with pytest.raises(vnkit.ConfigurationError, match="JUPYTERHUB_SERVICE_PREFIX"):
        proxy_redirect_uri(1, environ={})


def test_under_jupyterhub_the_listener_is_reached_through_the_proxy(box, monkeypatch,
                                                                    tmp_path):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/anna/")
    monkeypatch.setenv("VNKIT_PUBLIC_URL", "https://hub.example.org")
    # A sandbox started under the hub inherits its public address: the hub pattern
    # then stands for that host (and for no other, see tests/security).
    from vnkit import sandbox

    hub_box = sandbox.start(db=tmp_path / "hub.sqlite3", quiet=True)
    sign_in = vnkit.connect(hub_box, flow="interactive", progress=False)
    try:
        port = sign_in._listener.port
        assert sign_in.redirect_uri == \
            f"https://hub.example.org/user/anna/proxy/{port}/callback"
        # The browser reaches the sandbox through the proxy too; the kernel directly.
        box_port = urlsplit(hub_box.url).port
        assert sign_in.url.startswith(
            f"https://hub.example.org/user/anna/proxy/{box_port}/connect/authorize?")
        # The sandbox's demo client has the hub pattern registered.
        page = requests.get(sign_in._direct_url)
        assert page.status_code == 200 and 'id="email"' in page.text
        assert query_of(sign_in.url) == query_of(sign_in._direct_url)
        # A sandbox that does not know the hub's address refuses to send codes there.
        elsewhere = sign_in._direct_url.replace(hub_box.url, box.url)
        assert requests.get(elsewhere).status_code == 400
    finally:
        sign_in.close()
        hub_box.stop()


# -- the token cache ------------------------------------------------------------------------------
def test_file_token_store_is_private_and_atomic(tmp_path):
    path = tmp_path / "cfg" / "tokens.json"
    store = vnkit.FileTokenStore(path)
    token = vnkit._auth.Token("access-abc", time.time() + 60, scope="x",
                              refresh_token="refresh-xyz")
    store.save("k1", token)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    store.save("k2", token)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["tokens.json"]  # no temp left over
    again = vnkit.FileTokenStore(path).load("k1")
    assert again.access_token == "access-abc" and again.refresh_token == "refresh-xyz"
    assert "access-abc" not in repr(again) and "refresh-xyz" not in repr(again)
    assert "access-abc" not in repr(store)
    store.delete("k1")
    assert store.load("k1") is None and store.load("k2") is not None
    path.write_text("{not json")
    assert store.load("k2") is None  # a damaged cache means: sign in again
    store.clear()
    assert not path.exists()


def test_default_cache_path_is_in_the_config_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("VNKIT_CONFIG_DIR", str(tmp_path / "conf"))
    assert vnkit.FileTokenStore().path == tmp_path / "conf" / "tokens.json"


def test_signed_in_tokens_go_to_the_file_cache(box, tmp_path):
    store = vnkit.FileTokenStore(tmp_path / "tokens.json")
    sign_in = vnkit.connect(box, flow="interactive", token_store=store, progress=False)
    with sign_in.sandbox_login(*OLA) as client:
        assert client.get("customer", pageSize=1)
    saved = json.loads((tmp_path / "tokens.json").read_text())
    assert list(saved) == [sign_in.key] and saved[sign_in.key]["refresh_token"]
    assert stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode) == 0o600


def test_no_secret_or_token_in_reprs_errors_or_logs(box, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in = vnkit.connect(box, flow="interactive", progress=False)
    with sign_in.sandbox_login(*OLA) as client:
        auth = client.session.auth
        token = auth.store.load(auth.key)
        auth.refresh()
        newer = auth.store.load(auth.key)
        shown = " ".join([repr(sign_in), repr(client), repr(auth), repr(token), str(token)])
    secrets = [token.access_token, token.refresh_token, newer.access_token,
               newer.refresh_token, "vnkit-interactive-secret", OLA[1]]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in shown
        assert secret not in logged
    sign_in = vnkit.connect(box, flow="interactive", redirect_uri="https://app.example.com/"
                            "callback")
    with pytest.raises(vnkit.AuthError) as info:
        sign_in.finish(f"https://app.example.com/callback?code=bogus&state={sign_in.state}")
    assert "vnkit-interactive-secret" not in str(info.value)


def test_no_input_calls_in_the_sign_in_code():
    # A kernel waiting on input() hangs a notebook under nbval and in Binder.
    for module in ("_interactive.py", "_tokencache.py", "_postman.py"):
        tree = ast.parse((REPO / "vnkit" / module).read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id == "input"]
        assert calls == [], module


# -- Postman ------------------------------------------------------------------------------------
def test_postman_sample_mirrors_the_article_variables():
    data = json.loads(SAMPLE.read_text())
    keys = [v["key"] for v in data["values"]]
    assert keys == ["base_uri", "client_id", "client_secret", "redirect_uri", "company_id",
                    "scope", "state", "auth_URL", "Access_Token_URL"]
    env = vnkit.load_postman_environment(SAMPLE)
    assert env.flow == "legacy" and env.scope == "financialstasks"
    assert env.environment.api_url == "https://integration.visma.net"
    assert env.environment.endpoint_url("customer") == \
        "https://integration.visma.net/API/controller/api/v1/customer"
    assert env.token_url == "https://integration.visma.net/API/security/api/v2/token"
    assert env.company_id == 2310401
    assert env.client_secret not in repr(env)
    assert env.variables["client_secret"] == "***"


def test_postman_environment_signs_in_against_the_sandbox(box):
    env = vnkit.load_postman_environment(SAMPLE, base_url=box.url)
    assert env.auth_url == f"{box.url}/API/resources/oauth/authorize"
    assert env.redirect_uri == "https://app.example.com/redirect"  # the app's, unmoved
    sign_in = env.sign_in(progress=False)
    with sign_in.sandbox_login(*ANNA) as client:
        assert client.company == 2310401  # company_id of the file
        assert client.environment.layout == "legacy"
        assert len(client.get("customer", pageSize=2)) == 2


def test_postman_errors_name_the_problem(tmp_path):
    def write(values):
        path = tmp_path / "env.json"
        path.write_text(json.dumps({"name": "t", "values": values}))
        return path

    base = [{"key": "base_uri", "value": "https://integration.visma.net/API"},
            {"key": "client_id", "value": "c"}, {"key": "client_secret", "value": "s"}]
    with pytest.raises(vnkit.ConfigurationError, match="redirect_uri"):
        vnkit.load_postman_environment(write(base))
    ref = base + [{"key": "redirect_uri", "value": "{{app}}/cb"}]
    with pytest.raises(vnkit.ConfigurationError, match="app"):
        vnkit.load_postman_environment(write(ref))
    ok = vnkit.load_postman_environment(write(ref + [{"key": "app",
                                                      "value": "https://x.example"}]))
    assert ok.redirect_uri == "https://x.example/cb" and ok.flow == "interactive"
    bad = ref + [{"key": "app", "value": "https://x"}, {"key": "company_id", "value": "abc"}]
    with pytest.raises(vnkit.ConfigurationError, match="company_id"):
        vnkit.load_postman_environment(write(bad))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(vnkit.ConfigurationError, match="not JSON"):
        vnkit.load_postman_environment(tmp_path / "broken.json")
    with pytest.raises(vnkit.ConfigurationError, match="values"):
        vnkit.load_postman_environment({"name": "x"})


def test_a_cached_sign_in_is_resumed_without_the_pages(box, tmp_path):
    store = vnkit.FileTokenStore(tmp_path / "tokens.json")
    first = vnkit.connect(box, flow="interactive", token_store=store, progress=False)
    assert first.resume() is None  # nothing cached yet
    first.sandbox_login(*OLA).close()
    later = vnkit.connect(box, flow="interactive", token_store=vnkit.FileTokenStore(
        tmp_path / "tokens.json"), progress=False)
    with later.resume() as client:
        assert client.company == 2310401
        assert client.get("customer", pageSize=1)


def test_endsession_signs_out_to_registered_addresses_only(box):
    page = requests.get(f"{box.url}/connect/endsession", allow_redirects=False)
    assert page.status_code == 200 and "Signed out" in page.text
    ok = requests.get(f"{box.url}/connect/endsession", allow_redirects=False, params={
        "client_id": "vnkit_interactive_demo",
        "post_logout_redirect_uri": "https://app.example.com/callback", "state": "x"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("?state=x")
    evil = requests.get(f"{box.url}/connect/endsession", allow_redirects=False, params={
        "client_id": "vnkit_interactive_demo",
        "post_logout_redirect_uri": "https://evil.example.net/"})
    assert evil.status_code == 200


@pytest.mark.parametrize("listen", [True, False])
def test_form_post_response_mode(box, listen):
    from vnkit._interactive import SignIn

    sign_in = SignIn(vnkit.Environment.sandbox(box.url), "vnkit_interactive_demo",
                     "vnkit-interactive-secret", response_mode="form_post",
                     redirect_uri=None if listen else "https://app.example.com/callback",
                     client_options={"progress": False})
    assert query_of(sign_in.url)["response_mode"] == "form_post"
    with sign_in.sandbox_login(*OLA) as client:
        assert client.get("customer", pageSize=1)


@pytest.mark.parametrize("name", ["01-visma-connect-service-api", "02-authorization-code-flow",
                                  "03-environments-and-postman"])
def test_notebook_outputs_hold_no_tokens_or_client_secrets(name):
    notebook = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())
    shown = json.dumps([cell.get("outputs", []) for cell in notebook["cells"]])
    assert "eyJ" not in shown  # the start of every JWT the sandbox signs
    for secret in ("vnkit-demo-secret", "vnkit-interactive-secret", "vnkit-vni-test-secret"):
        assert secret not in shown


def test_a_refused_token_without_refresh_token_asks_for_a_new_sign_in(box):
    sign_in = vnkit.connect(box, flow="interactive", scopes="read", progress=False)
    with sign_in.sandbox_login(*OLA) as client:
        auth = client.session.auth
        # A token the API no longer accepts while the client still thinks it fresh.
        auth.store.save(auth.key, vnkit._auth.Token("not-a-token", time.time() + 600))
        with pytest.raises(vnkit.AuthError, match="sign-in has expired"):
            client.get("customer", pageSize=1)


def test_a_refused_token_is_refreshed_once_and_the_get_resent(box):
    sign_in = vnkit.connect(box, flow="interactive", progress=False)
    with sign_in.sandbox_login(*OLA) as client:
        auth = client.session.auth
        good = auth.store.load(auth.key)
        auth.store.save(auth.key, vnkit._auth.Token("not-a-token", time.time() + 600,
                                                    refresh_token=good.refresh_token))
        assert client.get("customer", pageSize=1)
        assert auth.refresh_count == 1
