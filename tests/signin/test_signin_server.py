"""The sandbox's Visma Connect interactive flow and the legacy VNI flow, over real HTTP."""

from __future__ import annotations

import base64
import time
from urllib.parse import urlencode

import pytest
import requests
from vnkit_signin_helpers import (ANNA, CLIENT_ID, CLIENT_SECRET, OLA, PER, READ, REDIRECT,
                                  SERVICE_ID, VNI_ID, VNI_SECRET, authorize_query, code_for,
                                  exchange, pkce, redirect_params, walk)

NORDLYS, KALEVA, KALEVA_2 = 2310401, 4127803, 4127804


def api_get(url, token, path="/v1/customer", company=None, **params):
    headers = {"Authorization": f"Bearer {token}"}
    if company is not None:
        headers["ipp-company-id"] = str(company)
    return requests.get(f"{url}{path}", headers=headers, params=params or None)


# -- discovery -----------------------------------------------------------------------------
def test_discovery_document_describes_the_interactive_flow(box):
    doc = requests.get(f"{box.url}/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"] == f"{box.url}/connect/authorize"
    assert doc["token_endpoint"] == f"{box.url}/connect/token"
    assert doc["userinfo_endpoint"] == f"{box.url}/connect/userinfo"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(
        doc["grant_types_supported"])
    assert {READ, "openid", "offline_access", "tenants"} <= set(doc["scopes_supported"])
    keys = requests.get(doc["jwks_uri"]).json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [("RSA", "RS256", "sig")]
    assert "d" not in keys[0]  # the public half only
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


# -- the authorize request ------------------------------------------------------------------
def test_sign_in_page_has_targetable_form_with_relative_action(box):
    _, challenge = pkce()
    page = requests.get(f"{box.url}/connect/authorize",
                        params=authorize_query(challenge), allow_redirects=False)
    assert page.status_code == 200
    for marker in ('id="email"', 'id="password"', 'type="submit"'):
        assert marker in page.text
    # Relative, so the form works behind a proxy prefix (Binder).
    assert 'action="authorize"' in page.text
    assert "http://" not in page.text.split("<form", 1)[1].split("</form>")[0]


def test_pkce_must_be_s256_and_is_required_of_a_client_without_a_secret(box):
    verifier, challenge = pkce()
    for query in (authorize_query(None, method=None, client_id="vnkit_swagger_ui",
                                  redirect_uri="http://127.0.0.1:53682/callback",
                                  scope=READ),
                  authorize_query(None, method="S256"),
                  authorize_query(verifier, method="plain"),
                  authorize_query(challenge, method=None)):
        answer = requests.get(f"{box.url}/connect/authorize", params=query,
                              allow_redirects=False)
        params = redirect_params(answer)
        assert params["error"] == "invalid_request"
        assert params["state"] == "st-123"  # state is echoed on errors too
        assert "code" not in params


def test_unregistered_or_plain_http_redirect_is_shown_not_followed(box):
    _, challenge = pkce()
    for uri in ("https://evil.example.net/callback", "http://app.example.com/callback"):
        page = requests.get(f"{box.url}/connect/authorize",
                            params=authorize_query(challenge, redirect_uri=uri),
                            allow_redirects=False)
        assert page.status_code == 400
        assert "Location" not in page.headers
    page = requests.get(f"{box.url}/connect/authorize", allow_redirects=False,
                        params=authorize_query(challenge, redirect_uri="http://app.example"
                                               ".com/callback"))
    assert "https" in page.text


def test_loopback_redirect_any_port_and_registered_https(box):
    _, challenge = pkce()
    for uri in ("http://127.0.0.1:1234/callback", "http://localhost:65000/cb",
                "https://app.example.com/callback"):
        page = requests.get(f"{box.url}/connect/authorize",
                            params=authorize_query(challenge, redirect_uri=uri))
        assert page.status_code == 200, uri
        assert 'id="email"' in page.text


def test_unknown_scope_is_refused(box):
    _, challenge = pkce()
    answer = requests.get(f"{box.url}/connect/authorize", allow_redirects=False,
                          params=authorize_query(challenge, scope="vismanet_erp_service_api:read"))
    assert redirect_params(answer)["error"] == "invalid_scope"


# -- the pages ------------------------------------------------------------------------------
def test_company_page_only_when_user_has_several_companies(box):
    _, challenge = pkce()
    answer, steps = walk(box.url, authorize_query(challenge), ANNA, company=KALEVA)
    assert steps == ["signin", "company", "consent"]
    assert redirect_params(answer)["state"] == "st-123"
    answer, steps = walk(box.url, authorize_query(challenge), OLA)
    assert steps == ["signin", "consent"]  # article 04: one company, no choice
    assert "code" in redirect_params(answer)


def test_wrong_password_stays_on_sign_in_page(box):
    _, challenge = pkce()
    answer, steps = walk(box.url, authorize_query(challenge), (ANNA[0], "wrong"))
    assert steps == ["signin", "signin"]
    assert answer.status_code == 200 and "Wrong email or password" in answer.text


def test_user_without_api_user_role_gets_invalid_tenant(box):
    _, challenge = pkce()
    answer, _ = walk(box.url, authorize_query(challenge), PER)
    params = redirect_params(answer)
    assert params["error"] == "invalid_tenant" and params["state"] == "st-123"


def test_denied_consent_redirects_access_denied(box):
    _, challenge = pkce()
    answer, _ = walk(box.url, authorize_query(challenge), OLA, accept=False)
    assert redirect_params(answer)["error"] == "access_denied"


# -- the code exchange ------------------------------------------------------------------------
def test_code_exchange_gives_a_token_bound_to_the_chosen_company(box):
    code, verifier = code_for(box.url, company=KALEVA)
    answer = exchange(box.url, code, verifier)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert "refresh_token" in body  # offline_access was asked for
    token = body["access_token"]
    context = api_get(box.url, token, "/resources/v1/context").json()
    assert [c["id"] for c in context] == [KALEVA]
    # The same tenant holds a second company, but the user picked one.
    refused = api_get(box.url, token, company=KALEVA_2, pageSize=1)
    assert refused.status_code == 400 and refused.json()["ExceptionFaultCode"] == "12002"
    assert api_get(box.url, token, pageSize=1).status_code == 200


def test_read_scope_does_not_allow_writes(box):
    code, verifier = code_for(box.url)
    token = exchange(box.url, code, verifier).json()["access_token"]
    answer = requests.post(f"{box.url}/v1/customer", json={},
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def test_codes_are_single_use(box):
    code, verifier = code_for(box.url)
    assert exchange(box.url, code, verifier).status_code == 200
    again = exchange(box.url, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_wrong_verifier_is_refused_and_burns_the_code(box):
    code, verifier = code_for(box.url)
    other, _ = pkce()
    wrong = exchange(box.url, code, other)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert exchange(box.url, code, verifier).json()["error"] == "invalid_grant"
    code, _ = code_for(box.url)
    assert exchange(box.url, code, None).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorize_request(box):
    code, verifier = code_for(box.url)
    answer = exchange(box.url, code, verifier, redirect_uri="http://127.0.0.1:9/other")
    assert answer.json()["error"] == "invalid_grant"


def test_code_of_another_client_or_wrong_secret_is_refused(box):
    code, verifier = code_for(box.url)
    bad = exchange(box.url, code, verifier, secret="nope")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    code, verifier = code_for(box.url)
    other = exchange(box.url, code, verifier, client_id="vnkit_interactive_test",
                     secret="vnkit-interactive-test-secret")
    assert other.json()["error"] == "invalid_grant"


def test_client_types_keep_to_their_grants(box):
    code, verifier = code_for(box.url)
    service = exchange(box.url, code, verifier, client_id=SERVICE_ID,
                       secret=box.credentials.client_secret)
    assert service.json()["error"] == "unauthorized_client"
    answer = requests.post(f"{box.url}/connect/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "scope": "vismanet_erp_service_api:read",
        "tenant_id": box.credentials.tenant_id(NORDLYS)})
    assert answer.json()["error"] == "unauthorized_client"


def test_codes_expire(short_box):
    code, verifier = code_for(short_box.url)
    time.sleep(1.3)  # the knob makes codes live one second
    answer = exchange(short_box.url, code, verifier)
    assert answer.json()["error"] == "invalid_grant"


# -- refresh ----------------------------------------------------------------------------------
def refresh(url, token, **extra):
    return requests.post(f"{url}/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, **extra})


def test_refresh_rotates_and_old_refresh_token_dies(box):
    code, verifier = code_for(box.url)
    first = exchange(box.url, code, verifier).json()
    second = refresh(box.url, first["refresh_token"])
    assert second.status_code == 200
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert api_get(box.url, body["access_token"], pageSize=1).status_code == 200
    third = refresh(box.url, body["refresh_token"])
    assert third.status_code == 200
    replay = refresh(box.url, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # A replay means the chain leaked: all of it dies (tests/security has more).
    assert refresh(box.url, third.json()["refresh_token"]).status_code == 400
    assert api_get(box.url, third.json()["access_token"], pageSize=1).status_code == 401


def test_no_refresh_token_without_offline_access(box):
    code, verifier = code_for(box.url, scope=READ)
    body = exchange(box.url, code, verifier).json()
    assert "refresh_token" not in body


def test_refresh_token_is_not_an_access_token(box):
    code, verifier = code_for(box.url)
    body = exchange(box.url, code, verifier).json()
    assert api_get(box.url, body["refresh_token"]).status_code == 401
    assert refresh(box.url, body["access_token"]).json()["error"] == "invalid_grant"


def test_userinfo_names_the_user(box):
    code, verifier = code_for(box.url, user=OLA, company=None,
                              scope=f"{READ} openid email profile")
    body = exchange(box.url, code, verifier).json()
    assert "id_token" in body
    info = requests.get(f"{box.url}/connect/userinfo",
                        headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert info["email"] == OLA[0] and info["name"] == "Ola Nordmann"


# -- legacy VNI -------------------------------------------------------------------------------
LEGACY_REDIRECT = "https://app.example.com/redirect"


def legacy_code(url, user=ANNA):
    query = {"response_type": "code", "client_id": VNI_ID, "redirect_uri": LEGACY_REDIRECT,
             "scope": "financialstasks", "state": "vni-state"}
    answer, steps = walk(url, query, user, path="/API/resources/oauth/authorize")
    assert steps == ["signin", "consent"]  # no company choice: the token covers them all
    params = redirect_params(answer)
    assert params["state"] == "vni-state"
    return params["code"]


def legacy_token(url, code, *, basic=True, query=None):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": LEGACY_REDIRECT}
    headers = {}
    if basic:
        pair = base64.b64encode(f"{VNI_ID}:{VNI_SECRET}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    else:
        form.update(client_id=VNI_ID, client_secret=VNI_SECRET)
    target = f"{url}/API/security/api/v2/token"
    if query:
        target += "?" + urlencode(query)
    return requests.post(target, data=form, headers=headers)


def test_legacy_token_answer_has_token_not_access_token(box):
    for basic in (True, False):
        answer = legacy_token(box.url, legacy_code(box.url), basic=basic)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"token", "token_type", "scope"}
        assert body["token_type"] == "bearer" and body["scope"] == "financialstasks"


def test_legacy_credentials_in_query_string_are_refused(box):
    code = legacy_code(box.url)
    answer = legacy_token(box.url, code, basic=False,
                          query={"client_id": VNI_ID, "client_secret": VNI_SECRET})
    assert answer.status_code == 400 and "client_secret" in answer.json()["error_description"]


def test_legacy_scope_is_case_sensitive(box):
    query = {"response_type": "code", "client_id": VNI_ID, "redirect_uri": LEGACY_REDIRECT,
             "scope": "FinancialsTasks", "state": "s"}
    answer = requests.get(f"{box.url}/API/resources/oauth/authorize", params=query,
                          allow_redirects=False)
    assert redirect_params(answer)["error"] == "invalid_scope"


def test_legacy_token_needs_company_header_and_covers_every_company(box):
    token = legacy_token(box.url, legacy_code(box.url)).json()["token"]
    missing = api_get(box.url, token, "/API/controller/api/v1/customer", pageSize=1)
    assert missing.status_code == 400 and missing.json()["ExceptionFaultCode"] == "12002"
    for company in (NORDLYS, KALEVA, KALEVA_2):
        assert api_get(box.url, token, "/API/controller/api/v1/customer", company=company,
                       pageSize=1).status_code == 200
    contexts = requests.get(f"{box.url}/API/security/api/v1/token/usercontexts",
                            headers={"Authorization": f"Bearer {token}"}).json()
    assert len(contexts) == len(box.companies)


def test_legacy_token_needs_company_header_even_for_one_company_user(box):
    token = legacy_token(box.url, legacy_code(box.url, OLA)).json()["token"]
    assert api_get(box.url, token, pageSize=1).status_code == 400
    assert api_get(box.url, token, company=NORDLYS, pageSize=1).status_code == 200


def test_legacy_token_can_be_revoked(box):
    token = legacy_token(box.url, legacy_code(box.url)).json()["token"]
    gone = requests.delete(f"{box.url}/API/security/api/v1/token",
                           headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 204
    assert api_get(box.url, token, company=NORDLYS).status_code == 401


def test_legacy_code_cannot_be_redeemed_at_visma_connect(box):
    code = legacy_code(box.url)
    answer = exchange(box.url, code, "x" * 43, redirect_uri=LEGACY_REDIRECT,
                      client_id=VNI_ID, secret=VNI_SECRET)
    assert answer.json()["error"] == "unauthorized_client"


def test_demo_clients_show_their_kind(box):
    info = requests.get(f"{box.url}/sandbox/info").json()
    kinds = {c["client_id"]: c["kind"] for c in info["clients"]}
    assert kinds["vnkit_vni_test"] == "test"
    assert kinds["vnkit_vni_production"] == "production"
    assert kinds["vnkit_interactive_test"] == "test"
    assert kinds[CLIENT_ID] == "production"


def test_article_03_requests_work_as_written(box):
    # The article writes response_type "Code" in its prose and lays the token form body
    # out as "grant_type=authorization_code& code=...& redirect_uri=...&".
    query = {"response_type": "Code", "client_id": VNI_ID, "redirect_uri": LEGACY_REDIRECT,
             "scope": "financialstasks", "state": "abc"}
    answer, _ = walk(box.url, query, ANNA, path="/API/resources/oauth/authorize")
    code = redirect_params(answer)["code"]
    body = (f"grant_type=authorization_code& code={code}& "
            f"redirect_uri={LEGACY_REDIRECT}&")
    pair = base64.b64encode(f"{VNI_ID}:{VNI_SECRET}".encode()).decode()
    token = requests.post(f"{box.url}/API/security/api/v2/token", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {pair}"})
    assert token.status_code == 200, token.text
    assert token.headers["Content-Type"].startswith("application/json")
    assert token.json()["token_type"] == "bearer"


def test_demo_users_are_listed_for_the_pages():
    from vnkit import sandbox

    users = {u["email"]: u for u in sandbox.demo_users()}
    assert users[ANNA[0]]["password"] == ANNA[1] and users[ANNA[0]]["api_user"] == "all"
    assert users[PER[0]]["api_user"] == "none"


def test_form_post_response_mode_posts_code_and_state(box):
    _, challenge = pkce()
    query = {**authorize_query(challenge), "response_mode": "form_post"}
    answer, _ = walk(box.url, query, OLA)
    assert answer.status_code == 200
    assert f'action="{REDIRECT}"' in answer.text
    assert 'name="code"' in answer.text and 'name="state" value="st-123"' in answer.text
    bad = requests.get(f"{box.url}/connect/authorize", allow_redirects=False,
                       params={**query, "response_mode": "fragment"})
    assert redirect_params(bad)["error"] == "invalid_request"


def test_user_clients_are_throttled_by_their_kind(box):
    test_token = legacy_token(box.url, legacy_code(box.url)).json()["token"]
    answer = api_get(box.url, test_token, company=NORDLYS, pageSize=1)
    assert answer.headers["X-RateLimit-Limit"] == "500"  # vnkit_vni_test is a test client
    code, verifier = code_for(box.url)  # vnkit_interactive_demo: a production client
    token = exchange(box.url, code, verifier).json()["access_token"]
    assert api_get(box.url, token, pageSize=1).headers["X-RateLimit-Limit"] == "15000"


def test_pages_work_through_a_proxy_path_prefix(box):
    """A prefix-stripping proxy, as jupyter-server-proxy is: the forms must post back
    under the prefix, never to the sandbox's root."""
    import http.server
    import threading
    from urllib.parse import urlsplit

    port = urlsplit(box.url).port
    prefix = f"/user/anna/proxy/{port}"
    seen: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def _forward(self, method: str) -> None:
            seen.append(f"{method} {self.path.split('?')[0]}")
            if not self.path.startswith(prefix + "/"):
                self.send_error(404)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = requests.request(method, box.url + self.path[len(prefix):], data=body,
                                      allow_redirects=False, headers={
                                          "Content-Type": self.headers.get("Content-Type",
                                                                           "")})
            self.send_response(answer.status_code)
            for name in ("Content-Type", "Location"):
                if name in answer.headers:
                    self.send_header(name, answer.headers[name])
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def do_GET(self):  # noqa: N802
            self._forward("GET")

        def do_POST(self):  # noqa: N802
            self._forward("POST")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        _, challenge = pkce()
        base = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
        answer, steps = walk(base, authorize_query(challenge), ANNA, company=KALEVA)
        assert steps == ["signin", "company", "consent"]
        assert "code" in redirect_params(answer)
        assert seen.count(f"POST {prefix}/connect/authorize") == 3
        assert all(entry.split()[1].startswith(prefix) for entry in seen)
    finally:
        server.shutdown()
        server.server_close()


def test_code_ttl_knob_is_checked_before_start():
    from vnkit import ConfigurationError, sandbox

    with pytest.raises(ConfigurationError, match="code_ttl"):
        sandbox.start(code_ttl=0)


def test_swagger_ui_public_client_signs_in_with_pkce_only(box):
    doc = requests.get(f"{box.url}/API-index/doc/swagger").json()
    flow = doc["components"]["securitySchemes"]["visma_connect_interactive"]["flows"][
        "authorizationCode"]
    # Relative to the OpenAPI document, so a proxy prefix is kept.
    assert flow["authorizationUrl"] == "../../connect/authorize"
    assert READ in flow["scopes"]
    assert "vnkit_swagger_ui" in requests.get(f"{box.url}/API-index/").text
    redirect = f"{box.url}/API-index/ui/oauth2-redirect.html"
    verifier, challenge = pkce()
    query = authorize_query(challenge, redirect_uri=redirect, client_id="vnkit_swagger_ui")
    answer, _ = walk(box.url, query, OLA)
    code = redirect_params(answer)["code"]
    token = requests.post(f"{box.url}/connect/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": "vnkit_swagger_ui", "code_verifier": verifier})
    assert token.status_code == 200, token.text
    body = token.json()
    assert "refresh_token" not in body  # a browser app gets none, offline_access or not
    assert api_get(box.url, body["access_token"], pageSize=1).status_code == 200


def test_legacy_subscriptions_are_per_user_of_a_client(box):
    """One subscription per event per user (token) per company, as the facts file says."""
    scope = f"{READ} vismanet_erp_interactive_api:create vismanet_erp_interactive_api:delete"

    def user_session(user):
        code, verifier = code_for(box.url, user=user, company=2310401, scope=scope)
        token = exchange(box.url, code, verifier).json()["access_token"]
        http = requests.Session()
        http.headers.update({"Authorization": f"Bearer {token}",
                             "ipp-company-id": "2310401"})
        return http

    anna, ola = user_session(ANNA), user_session(OLA)
    url = f"{box.url}/resources/v1/subscription"
    body = {"event": "customer_changed", "hookUri": "http://127.0.0.1:9/"}
    mine, theirs = anna.post(url, json=body), ola.post(url, json=body)
    assert (mine.status_code, theirs.status_code) == (201, 201)  # same client, two users
    assert anna.post(url, json=body).status_code == 400  # the same user twice
    assert [s["id"] for s in anna.get(url).json()] == [mine.json()["id"]]
    assert [s["id"] for s in ola.get(url).json()] == [theirs.json()["id"]]
    assert ola.get(f"{url}/{mine.json()['id']}").status_code == 404
    for http, made in ((anna, mine), (ola, theirs)):
        assert http.delete(f"{url}/{made.json()['id']}").status_code == 204


def test_user_details_of_a_user_token(box):
    code, verifier = code_for(box.url, user=ANNA, company=2310401)
    token = exchange(box.url, code, verifier).json()["access_token"]
    answer = requests.get(f"{box.url}/resources/v1/context/userdetails",
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json() == {"emailAddress": ANNA[0], "firstName": "Anna", "lastName": "Berg"}


def test_a_server_app_may_sign_in_without_pkce_and_ask_for_ui_extension(box):
    """PKCE is optional for server apps (they have a secret); ui-extension is a scope."""
    query = authorize_query(None, method=None,
                            scope=f"{READ} vismanet_erp_interactive_api:ui-extension")
    answer, steps = walk(box.url, query, ANNA, company=2310401)
    code = redirect_params(answer)["code"]
    assert steps[0] == "signin"
    token = exchange(box.url, code, None)
    assert token.status_code == 200, token.text
    assert "vismanet_erp_interactive_api:ui-extension" in token.json()["scope"].split()
    public = authorize_query(None, method=None, client_id="vnkit_swagger_ui", scope=READ)
    refused = requests.get(f"{box.url}/connect/authorize", params=public,
                           allow_redirects=False)
    assert redirect_params(refused)["error"] == "invalid_request"
