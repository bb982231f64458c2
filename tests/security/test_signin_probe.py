"""Hostile probes of the sandbox's sign-in: open redirects, refresh-token replay,
ID tokens a client can verify, sign-in sessions."""

from __future__ import annotations

import html
import json
import re
import secrets
import time
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import requests
from vnkit_signin_helpers import (ANNA, CLIENT_ID, OLA, READ, authorize_query, code_for,
                                  exchange, field, pkce, redirect_params, walk)

from vnkit import sandbox as sandbox_module

SWAGGER_ID = "vnkit_swagger_ui"
KALEVA = 4127803


def refresh(url: str, token: str) -> requests.Response:
    return requests.post(f"{url}/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT_ID,
        "client_secret": "vnkit-interactive-secret"})


def api_get(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/v1/customer", params={"pageSize": 1},
                        headers={"Authorization": f"Bearer {token}"})


# -- 1. open redirect ---------------------------------------------------------------------
@pytest.mark.parametrize("client_id,redirect", [
    (SWAGGER_ID, "https://evil.example/API-index/ui/oauth2-redirect.html"),
    (SWAGGER_ID, "https://evil.example/a/b/API-index/ui/oauth2-redirect.html"),
    (CLIENT_ID, "https://evil.example/user/anna/proxy/8765/callback"),
    # User info in front of a host: the browser goes to evil.example.
    (CLIENT_ID, "https://127.0.0.1@evil.example/user/anna/proxy/8765/callback"),
    ("vnkit_vni_test", "https://evil.example/user/x/proxy/1/callback"),
])
def test_redirect_patterns_never_send_a_code_to_a_foreign_host(box, client_id, redirect):
    _, challenge = pkce()
    path = "/API/resources/oauth/authorize" if "vni" in client_id else "/connect/authorize"
    query = authorize_query(challenge, redirect_uri=redirect, client_id=client_id)
    if "vni" in client_id:
        query = {k: v for k, v in query.items() if not k.startswith("code_")}
        query["scope"] = "financialstasks"
    page = requests.get(f"{box.url}{path}", params=query, allow_redirects=False)
    # Shown, never redirected: the redirect URI itself is what is refused.
    assert page.status_code == 400
    assert "not registered" in page.text
    assert "Location" not in page.headers


def test_redirect_patterns_match_the_host_the_sandbox_is_reached_at(box):
    """Behind a reverse proxy that keeps the Host (sandbox.example), Swagger UI's redirect
    on that host is the sandbox's own, so it is accepted."""
    _, challenge = pkce()
    redirect = "https://sandbox.example/tools/API-index/ui/oauth2-redirect.html"
    query = authorize_query(challenge, redirect_uri=redirect, client_id=SWAGGER_ID)
    page = requests.get(f"{box.url}/connect/authorize", params=query,
                        headers={"Host": "sandbox.example"}, allow_redirects=False)
    assert page.status_code == 200 and 'id="email"' in page.text


@pytest.mark.parametrize("target", [
    "https://evil.example/API-index/ui/oauth2-redirect.html",
    "https://evil.example/user/anna/proxy/1/callback",
])
def test_endsession_does_not_redirect_to_a_foreign_host(box, target):
    for client_id in (SWAGGER_ID, CLIENT_ID):
        answer = requests.get(f"{box.url}/connect/endsession", allow_redirects=False,
                              params={"client_id": client_id, "state": "s",
                                      "post_logout_redirect_uri": target})
        assert answer.status_code == 200, answer.headers.get("Location")
        assert "Signed out" in answer.text


def test_endsession_still_redirects_to_a_registered_loopback_address(box):
    target = "http://127.0.0.1:53682/signed-out"
    answer = requests.get(f"{box.url}/connect/endsession", allow_redirects=False, params={
        "client_id": CLIENT_ID, "post_logout_redirect_uri": target, "state": "s1"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{target}?state=s1"


# -- 3. refresh-token replay --------------------------------------------------------------
def test_replaying_a_used_refresh_token_revokes_the_whole_family(box):
    code, verifier = code_for(box.url)
    first = exchange(box.url, code, verifier).json()
    second = refresh(box.url, first["refresh_token"]).json()
    assert api_get(box.url, second["access_token"]).status_code == 200
    # Another sign-in of the same user is another family: it must survive.
    other_code, other_verifier = code_for(box.url)
    other = exchange(box.url, other_code, other_verifier).json()

    replay = refresh(box.url, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "revoked" in replay.json()["error_description"]
    # The thief's (or the owner's) current tokens die too: access and refresh.
    assert api_get(box.url, second["access_token"]).status_code == 401
    assert api_get(box.url, first["access_token"]).status_code == 401
    assert refresh(box.url, second["refresh_token"]).status_code == 400
    userinfo = requests.get(f"{box.url}/connect/userinfo",
                            headers={"Authorization": f"Bearer {second['access_token']}"})
    assert userinfo.status_code == 401
    assert api_get(box.url, other["access_token"]).status_code == 200
    assert refresh(box.url, other["refresh_token"]).status_code == 200


def test_used_refresh_tokens_and_revocations_survive_a_restart(tmp_path, box):
    db = tmp_path / "restart.sqlite3"
    first_run = sandbox_module.start(db=db, reset=True, quiet=True)
    try:
        code, verifier = code_for(first_run.url)
        family_a = exchange(first_run.url, code, verifier).json()
        rotated_a = refresh(first_run.url, family_a["refresh_token"]).json()
        code, verifier = code_for(first_run.url)
        family_b = exchange(first_run.url, code, verifier).json()
        refresh(first_run.url, family_b["refresh_token"])
        assert refresh(first_run.url, family_b["refresh_token"]).status_code == 400
    finally:
        first_run.stop()
    second_run = sandbox_module.start(db=db, quiet=True)  # same database, no reset
    try:
        # Used before the restart: still used (and its replay revokes family A).
        replay = refresh(second_run.url, family_a["refresh_token"])
        assert replay.status_code == 400
        assert api_get(second_run.url, rotated_a["access_token"]).status_code == 401
        # Family B was revoked before the restart: it stays revoked.
        assert api_get(second_run.url, family_b["access_token"]).status_code == 401
    finally:
        second_run.stop()
    third_run = sandbox_module.start(db=db, quiet=True)
    try:
        assert refresh(third_run.url, rotated_a["refresh_token"]).status_code == 400
    finally:
        third_run.stop()


# -- 13. ID tokens a standard client verifies ----------------------------------------------
def test_id_token_verifies_from_the_discovery_documents_jwks_and_echoes_the_nonce(box):
    jwt = pytest.importorskip("jwt")
    verifier, challenge = pkce()
    nonce = secrets.token_urlsafe(16)
    query = authorize_query(challenge, scope=f"{READ} openid email profile")
    query["nonce"] = nonce
    answer, _ = walk(box.url, query, OLA)
    body = exchange(box.url, redirect_params(answer)["code"], verifier).json()
    id_token = body["id_token"]

    discovery = requests.get(f"{box.url}/.well-known/openid-configuration").json()
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    assert jwt.get_unverified_header(id_token)["alg"] == "RS256"
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(id_token)
    claims = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=CLIENT_ID,
                        issuer=discovery["issuer"])
    assert claims["nonce"] == nonce
    assert abs(claims["auth_time"] - time.time()) < 120
    assert claims["sub"] == OLA[0] and claims["email"] == OLA[0]
    # Changed claims under the same signature do not verify.
    header, _, signature = id_token.split(".")
    changed = jwt.utils.base64url_encode(
        json.dumps({**claims, "sub": ANNA[0]}).encode()).decode()
    forged = f"{header}.{changed}.{signature}"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key.key, algorithms=["RS256"], audience=CLIENT_ID)


def test_id_token_key_belongs_to_the_database(tmp_path, box):
    jwks = requests.get(f"{box.url}/.well-known/openid-configuration/jwks").json()
    other = sandbox_module.start(db=tmp_path / "other.sqlite3", quiet=True)
    try:
        theirs = requests.get(f"{other.url}/.well-known/openid-configuration/jwks").json()
        assert jwks["keys"][0]["n"] != theirs["keys"][0]["n"]
    finally:
        other.stop()
    again = sandbox_module.start(db=tmp_path / "other.sqlite3", quiet=True)
    try:  # restart on the same database: the same key, old ID tokens still verify
        assert requests.get(f"{again.url}/.well-known/openid-configuration/jwks"
                            ).json() == theirs
    finally:
        again.stop()


# -- 14. sign-in sessions ------------------------------------------------------------------
def browse(http: requests.Session, url: str, query: dict, *, company: int | None = None,
           user=ANNA) -> tuple[requests.Response, list[str]]:
    """Walk the pages in ``http`` (one browser, cookies kept) to the redirect."""
    page = http.get(f"{url}/connect/authorize?{urlencode(query)}", allow_redirects=False)
    steps: list[str] = []
    while page.status_code == 200 and field(page.text, "step"):
        step = field(page.text, "step")
        steps.append(step)
        form = {"txn": field(page.text, "txn"), "step": step}
        if step == "signin":
            form.update(email=user[0], password=user[1])
        elif step == "company":
            form["company"] = str(company)
        else:
            form["decision"] = "accept"
        action = re.search(r'<form method="post" action="([^"]*)"', page.text).group(1)
        page = http.post(urljoin(page.url, action), data=form, allow_redirects=False)
    return page, steps


def test_a_signed_in_browser_is_not_asked_for_the_password_again(box):
    http = requests.Session()
    _, challenge = pkce()
    first, steps = browse(http, box.url, authorize_query(challenge), company=KALEVA)
    assert steps == ["signin", "company", "consent"]
    assert "code" in redirect_params(first)

    again, steps = browse(http, box.url, authorize_query(pkce()[1]), company=KALEVA)
    assert steps == ["company", "consent"]  # straight on, no password
    assert "code" in redirect_params(again)

    # The page says who is signed in and offers to sign in as someone else.
    remembered = http.get(f"{box.url}/connect/authorize?"
                          + urlencode(authorize_query(pkce()[1])))
    assert field(remembered.text, "step") == "company" and ANNA[0] in remembered.text
    switch = re.search(r'id="switch-user" href="([^"]*)"', remembered.text).group(1)
    switched = http.get(urljoin(remembered.url, html.unescape(switch)))
    assert field(switched.text, "step") == "signin"

    # prompt=login asks all the same; another browser (no cookie) is asked too.
    forced, steps = browse(http, box.url, {**authorize_query(pkce()[1]), "prompt": "login"},
                           company=KALEVA)
    assert steps[0] == "signin"
    _, steps = browse(requests.Session(), box.url, authorize_query(pkce()[1]),
                      company=KALEVA)
    assert steps[0] == "signin"

    # Sign-out ends it: the next sign-in asks for the password again.
    out = http.get(f"{box.url}/connect/endsession", allow_redirects=False)
    assert out.status_code == 200
    _, steps = browse(http, box.url, authorize_query(pkce()[1]), company=KALEVA)
    assert steps == ["signin", "company", "consent"]


def test_session_cookie_is_httponly_lax_and_limited_to_the_sign_in_pages(box):
    http = requests.Session()
    page = http.get(f"{box.url}/connect/authorize?{urlencode(authorize_query(pkce()[1]))}")
    answer = http.post(f"{box.url}/connect/authorize", allow_redirects=False, data={
        "txn": field(page.text, "txn"), "step": "signin", "email": OLA[0],
        "password": OLA[1]})
    cookie = answer.headers["Set-Cookie"]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # plain http on loopback: a Secure cookie is lost
    # No Path=/: the cookie's path is the sign-in pages' folder (/connect).
    assert not any(a.startswith("path=") and a != "path=/connect" for a in attributes)
    stored = next(c for c in http.cookies if c.name == cookie.split("=", 1)[0])
    assert stored.path == "/connect"
    assert stored.value not in requests.get(f"{box.url}/sandbox/info").text


def test_session_cookie_is_secure_over_https(box):
    """Served over https (a TLS proxy in front, X-Forwarded-Proto from loopback)."""
    http = requests.Session()
    query = urlencode(authorize_query(pkce()[1]))
    page = http.get(f"{box.url}/connect/authorize?{query}")
    answer = http.post(f"{box.url}/connect/authorize", allow_redirects=False,
                       headers={"X-Forwarded-Proto": "https"},
                       data={"txn": field(page.text, "txn"), "step": "signin",
                             "email": OLA[0], "password": OLA[1]})
    attributes = [p.strip().lower() for p in answer.headers["Set-Cookie"].split(";")]
    assert "secure" in attributes


def test_the_sign_in_page_names_the_demo_user(box):
    page = requests.get(f"{box.url}/connect/authorize",
                        params=authorize_query(pkce()[1]))
    users = sandbox_module.demo_users()
    assert users[0]["email"] in page.text and users[0]["password"] in page.text
    assert "demo_users()" in page.text
    assert urlsplit(box.url).hostname in ("127.0.0.1", "localhost")
