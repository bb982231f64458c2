"""Raw-HTTP helpers of the sign-in tests: walk the sandbox's pages as a browser would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import requests

CLIENT_ID = "vnkit_interactive_demo"
CLIENT_SECRET = "vnkit-interactive-secret"
VNI_ID = "vnkit_vni_test"
VNI_SECRET = "vnkit-vni-test-secret"
SERVICE_ID = "isv_vnkit_demo"
ANNA = ("anna.berg@example.com", "demo-anna")  # API User in every company
OLA = ("ola.nordmann@example.com", "demo-ola")  # API User in the first company only
PER = ("per.uten@example.com", "demo-per")  # no API User role
READ = "vismanet_erp_interactive_api:read"
REDIRECT = "http://127.0.0.1:53682/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_query(challenge: str | None, *, scope: str = f"{READ} offline_access",
                    state: str = "st-123", redirect_uri: str = REDIRECT,
                    client_id: str = CLIENT_ID, method: str | None = "S256") -> dict:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
             "scope": scope, "state": state}
    if challenge is not None:
        query["code_challenge"] = challenge
    if method is not None:
        query["code_challenge_method"] = method
    return query


def field(text: str, name: str) -> str | None:
    match = re.search(rf'name="{name}" value="([^"]*)"', text)
    return match.group(1) if match else None


def walk(url: str, query: dict, user: tuple[str, str], *, company: int | None = None,
         accept: bool = True, path: str = "/connect/authorize"
         ) -> tuple[requests.Response, list[str]]:
    """Run the pages from the authorize request to the final redirect.

    Returns the last answer (a 302 if all went well) and the steps seen.
    """
    http = requests.Session()
    page = http.get(f"{url}{path}?{urlencode(query)}", allow_redirects=False)
    steps: list[str] = []
    while page.status_code == 200 and field(page.text, "step"):
        step = field(page.text, "step")
        steps.append(step)
        form = {"txn": field(page.text, "txn"), "step": step}
        if step == "signin":
            if steps.count("signin") > 1:
                break
            form.update(email=user[0], password=user[1])
        elif step == "company":
            form["company"] = str(company)
        else:
            form["decision"] = "accept" if accept else "deny"
        action = re.search(r'<form method="post" action="([^"]*)"', page.text).group(1)
        page = http.post(urljoin(page.url, action), data=form, allow_redirects=False)
    return page, steps


def redirect_params(answer: requests.Response) -> dict:
    assert answer.status_code == 302, answer.text[:300]
    return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))


def code_for(url: str, user=ANNA, company: int | None = 2310401, scope: str | None = None,
             redirect_uri: str = REDIRECT) -> tuple[str, str]:
    """``(code, verifier)`` after a successful sign-in."""
    verifier, challenge = pkce()
    query = authorize_query(challenge, redirect_uri=redirect_uri,
                            **({"scope": scope} if scope else {}))
    answer, _ = walk(url, query, user, company=company)
    return redirect_params(answer)["code"], verifier


def exchange(url: str, code: str, verifier: str | None, *, redirect_uri: str = REDIRECT,
             client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": client_id, "client_secret": secret}
    if verifier is not None:
        form["code_verifier"] = verifier
    return requests.post(f"{url}/connect/token", data=form)
