"""Client, sign-in and connect over a fake transport: headers, errors, hints, secrets."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import date

import pytest
from vnkit_client_fakes import (
    CLIENT_ID, ROOT, SECRET, Dataset, FakeApi, customers, sandbox_like)

import vnkit
from vnkit import (
    ApiError,
    AuthError,
    BadRequestError,
    ConfigurationError,
    Environment,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceCredentials,
    UnauthorizedError,
)
from vnkit import _auth

IPP_12002 = {"ExceptionType": "IPPException", "ExceptionMessage": "No company context.",
             "ExceptionFaultCode": "12002", "ExceptionMessageID": "12002_abc",
             "ExceptionDetails": ""}
IPP_12027 = {**IPP_12002, "ExceptionMessage": "No license for this company.",
             "ExceptionFaultCode": "12027"}


# -- headers and sign-in ---------------------------------------------------------------------
def test_headers_on_every_api_call(client, api):
    client.fetch("customer")
    for call in api.api_calls():
        assert call.headers["Accept"] == "application/json"
        assert call.headers["ipp-application-type"] == "Visma.net Financials"
        assert call.headers["ipp-company-id"] == "1001"
        assert call.headers["Authorization"] == "Bearer tok-1-t-1"
        assert call.headers["User-Agent"].startswith(f"vnkit/{vnkit.__version__}")


def test_token_request_is_client_credentials_with_tenant(client, api):
    (call,) = api.token_calls()
    form = dict(p.split("=", 1) for p in call.body.split("&"))
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == CLIENT_ID and form["tenant_id"] == "t-1"
    assert form["scope"] == "vismanet_erp_service_api%3Aread"
    assert "Authorization" not in call.headers  # secret in the body, not Basic auth


def test_connect_signs_in_once_and_reuses_the_token(client, api):
    client.fetch("customer")
    client.get("customer", pageSize=1)
    assert api.tokens_issued == 1


def test_companies_without_company_header(client, api):
    frame = client.companies()
    assert list(frame["name"]) == ["Nordic Widgets AS", "Fjord Foods AB"]
    (call,) = [c for c in api.calls if c.path.endswith("/context")]
    assert "ipp-company-id" not in call.headers


def test_company_by_name_picks_its_tenant(api):
    with vnkit.connect(sandbox_like(), company="fjord foods ab", adapter=api.adapter,
                       progress=False) as client:
        client.get("customer")
        assert client.company == 1002 and client.credentials.tenant_id == "t-2"
    assert api.api_calls()[0].headers["ipp-company-id"] == "1002"
    assert api.api_calls()[0].headers["Authorization"] == "Bearer tok-1-t-2"


def test_use_company_switches_tenant_when_needed(client, api):
    client.use_company("Fjord Foods Retail AB")
    client.get("customer")
    client.use_company(1002)  # same tenant t-2: the token is kept
    client.get("customer")
    calls = api.api_calls()
    assert [c.headers["ipp-company-id"] for c in calls] == ["1003", "1002"]
    assert {c.headers["Authorization"] for c in calls} == {"Bearer tok-2-t-2"}
    assert api.tokens_issued == 2


def test_unknown_company_fails_before_any_request(api):
    with pytest.raises(ConfigurationError) as info:
        vnkit.connect(sandbox_like(), company="Nope AS", adapter=api.adapter)
    assert "Nordic Widgets AS" in info.value.hint
    assert api.calls == []


def test_company_name_without_directory_is_looked_up(api, monkeypatch):
    for var, value in (("VNKIT_CLIENT_ID", CLIENT_ID), ("VNKIT_CLIENT_SECRET", SECRET),
                       ("VNKIT_TENANT_ID", "t-9")):
        monkeypatch.setenv(var, value)
    with vnkit.connect(ROOT, company="Fjord Foods AB", adapter=api.adapter) as client:
        assert client.company == 1002
        with pytest.raises(ConfigurationError, match="Atlantis"):
            client.use_company("Atlantis")


def test_credentials_from_environment(api, monkeypatch):
    monkeypatch.setenv("VNKIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("VNKIT_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("VNKIT_TENANT_ID", "t-7")
    monkeypatch.setenv("VNKIT_SCOPES", "read create")
    monkeypatch.setenv("VNKIT_ENV", ROOT)
    monkeypatch.setenv("VNKIT_COMPANY_ID", "1002")
    with vnkit.connect(adapter=api.adapter, progress=False) as client:
        client.get("customer")
        assert client.environment == Environment.sandbox(ROOT)
        assert client.credentials.scopes == ("vismanet_erp_service_api:read",
                                             "vismanet_erp_service_api:create")
    assert api.api_calls()[0].headers["ipp-company-id"] == "1002"
    assert "tenant_id=t-7" in api.token_calls()[0].body


def test_missing_credentials_name_the_variables(api, monkeypatch):
    for var in ("VNKIT_CLIENT_ID", "VNKIT_CLIENT_SECRET", "VNKIT_TENANT_ID", "VNKIT_ENV"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigurationError) as info:
        vnkit.connect(client_id="x", adapter=api.adapter)
    text = str(info.value)
    assert "VNKIT_CLIENT_SECRET" in text and "VNKIT_TENANT_ID" in text
    assert "VNKIT_CLIENT_ID" not in text
    assert api.calls == []


def test_bad_targets_are_configuration_errors(api):
    with pytest.raises(ConfigurationError, match="unknown environment"):
        vnkit.connect("staging", adapter=api.adapter)
    with pytest.raises(ConfigurationError):
        vnkit.connect(42, adapter=api.adapter)
    assert api.calls == []


def test_production_and_legacy_url_layouts(api):
    creds = dict(client_id=CLIENT_ID, client_secret=SECRET, tenant_id="t-1")
    with vnkit.connect("production", adapter=api.adapter, company=1001, **creds) as client:
        client.get("customer")
        client.companies()
    with vnkit.connect(Environment.legacy(), adapter=api.adapter, company=1001,
                       **creds) as client:
        client.get("customer")
        client.companies()
    urls = [c.url.split("?")[0] for c in api.calls]
    assert urls == [
        "https://connect.visma.com/connect/token",
        "https://api.finance.visma.net/v1/customer",
        "https://api.finance.visma.net/resources/v1/context",
        "https://connect.visma.com/connect/token",
        "https://integration.visma.net/API/controller/api/v1/customer",
        "https://integration.visma.net/API/resources/v1/context",
    ]


def test_repr_shows_environment_and_company_not_secrets(client):
    text = repr(client)
    assert "sandbox" in text and ROOT in text and "1001" in text
    assert SECRET not in text and "tok-" not in text


# -- token lifetime, renewal, thread safety ----------------------------------------------------
def test_token_renewed_shortly_before_expiry(client, api, monkeypatch):
    client.get("customer")
    real_time = _auth.time.time
    monkeypatch.setattr(_auth.time, "time", lambda: real_time() + 3590)  # 10 s left
    client.get("customer")
    assert api.tokens_issued == 2
    assert api.api_calls()[-1].headers["Authorization"] == "Bearer tok-2-t-1"


def test_401_on_get_renews_once_then_succeeds(client, api):
    api.reject_tokens.add("tok-1-t-1")
    assert len(client.get("customer")) == 100
    assert api.tokens_issued == 2
    assert len(api.api_calls()) == 2


def test_401_twice_gives_up_with_a_clear_error(client, api):
    api.reject_all_tokens = True
    with pytest.raises(UnauthorizedError) as info:
        client.get("customer")
    assert len(api.api_calls()) == 2 and api.tokens_issued == 2
    assert "client_secret" in info.value.hint and "tenant" in info.value.hint


def test_401_on_post_is_not_retried(client, api):
    api.reject_all_tokens = True
    with pytest.raises(UnauthorizedError):
        client.request("POST", "customer", json={"name": {"value": "X"}})
    assert len(api.api_calls()) == 1 and api.tokens_issued == 1


def test_concurrent_requests_share_one_renewal(client, api):
    auth = client.session.auth
    auth.invalidate()
    barrier = threading.Barrier(16)
    seen = []

    def worker():
        barrier.wait()
        seen.append(auth.token().access_token)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert api.tokens_issued == 2 and set(seen) == {"tok-2-t-1"}


def test_many_pages_with_a_token_rejected_midway(api):
    api.datasets["customer"] = Dataset(customers(1200), max_page_size=100)
    api.reject_tokens.add("tok-1-t-1")  # every page request 401s once, concurrently
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        assert len(client.fetch("customer")) == 1200
    assert api.tokens_issued == 2


@pytest.mark.parametrize(("body", "fragment"), [
    ({"error": "invalid_client"}, "client_secret"),
    ({"error": "unauthorized_client", "error_description": "Unknown tenant t-1"},
     "tenant id from the Developer Portal"),
    ({"error": "invalid_scope", "error_description": "scope not allowed"}, "scopes"),
])
def test_sign_in_errors_have_oauth_fields_and_hints(api, body, fragment):
    api.token_error = body
    with pytest.raises(AuthError) as info:
        vnkit.connect(sandbox_like(), adapter=api.adapter)
    err = info.value
    assert err.error == body["error"]
    assert err.description == body.get("error_description")
    assert fragment in err.hint
    assert SECRET not in str(err) and SECRET not in repr(err)


def test_sign_in_server_error_without_oauth_body(api):
    api.token_error, api.token_status = "<html>oops</html>", 502
    with pytest.raises(AuthError) as info:
        vnkit.connect(sandbox_like(), adapter=api.adapter)
    assert "502" in str(info.value)


def test_a_narrower_granted_scope_still_signs_in(api):
    api.granted_scope = "vismanet_erp_service_api:read"
    with vnkit.connect(sandbox_like(), scopes=("read", "create"), adapter=api.adapter,
                       progress=False) as client:
        assert len(client.get("customer")) == 100
        assert client.session.auth.token().scope == "vismanet_erp_service_api:read"


def test_plain_http_token_url_is_refused_outside_sandbox():
    env = Environment("corp", "http://erp.example", "http://connect.example")
    with pytest.raises(ConfigurationError, match="plain HTTP"):
        vnkit.Client(env, ServiceCredentials("a", "b", "c"))


# -- error answers ----------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "body", "cls", "code", "message", "hint_part"), [
    (400, IPP_12002, BadRequestError, "12002", "No company context.", "use_company"),
    (400, IPP_12027, BadRequestError, "12027", "No license for this company.",
     "tenant id from the Developer Portal"),
    (400, {"message": "Payment can't be updated."}, BadRequestError, None,
     "Payment can't be updated.", None),
    (500, {"Message": "An error has occurred."}, ServerError, None,
     "An error has occurred.", "try again"),
    (403, {"message": "Insufficient scope"}, ForbiddenError, None, "Insufficient scope",
     "scope"),
    # A 404 on a list the API has is not about keys or endpoint names.
    (404, {"message": "Customer not found"}, NotFoundError, None, "Customer not found",
     "the endpoint exists"),
    (502, "<html><body>Bad gateway</body></html>", ServerError, None, None, "try again"),
])
def test_error_shapes_and_hints(client, api, status, body, cls, code, message, hint_part):
    api.errors["customer"] = (status, body, {"Ipp-Request-Id": "req-42"})
    with pytest.raises(cls) as info:
        client.get("customer", status="Active", name="Acme")
    err = info.value
    assert (err.status, err.code, err.api_message) == (status, code, message)
    assert err.url == f"{ROOT}/v1/customer" and err.method == "GET"
    assert err.request_id == "req-42"
    assert "?status" not in str(err) and "Acme" not in str(err)
    if hint_part:
        assert hint_part in err.hint and "HINT:" in str(err)


def test_400_naming_a_parameter_points_at_it(client, api):
    api.errors["customer"] = (400, {"message": "The value '2020-13-45' of "
                                    "lastModifiedDateTime is not valid."}, {})
    with pytest.raises(BadRequestError) as info:
        client.get("customer", lastModifiedDateTime="2020-13-45",
                   lastModifiedDateTimeCondition=">")
    assert "lastModifiedDateTime='2020-13-45'" in info.value.hint
    assert "yyyy-MM-dd" in info.value.hint


def test_429_is_a_rate_limit_error_with_retry_after(client, api):
    api.errors["customer"] = (429, {"message": "Rate limit exceeded"},
                              {"Retry-After": "120", "X-RateLimit-Reset": "118"})
    with pytest.raises(RateLimitError) as info:
        client.get("customer")
    assert info.value.retry_after == 120.0
    assert "118" in info.value.hint


def test_get_sends_strings_raw_but_encodes_python_values(client, api):
    client.get("customer", lastModifiedDateTime="2020-01-01Z",
               lastModifiedDateTimeCondition="=>", expandAccountInformation=True)
    client.get("customer", createdDateTime=date(2020, 1, 2), attributes={"X": True})
    first, second = api.api_calls()
    assert first.params == {"lastModifiedDateTime": "2020-01-01Z",
                            "lastModifiedDateTimeCondition": "=>",
                            "expandAccountInformation": "true"}
    assert second.params == {"createdDateTime": "2020-01-02", "attributes": '{"X":"1"}'}


def test_absolute_url_and_query_in_path(client, api):
    assert len(client.get(f"{ROOT}/v1/customer", pageSize=5)) == 5
    with pytest.raises(vnkit.FilterError, match="query string"):
        client.fetch("customer?status=Active")


# -- secrets never shown ----------------------------------------------------------------------
def test_no_secret_or_token_anywhere(api, caplog):
    caplog.set_level(logging.DEBUG)
    with vnkit.connect(sandbox_like(), adapter=api.adapter, progress=False) as client:
        client.fetch("customer")
        api.reject_all_tokens = True
        with pytest.raises(UnauthorizedError) as info:
            client.get("customer")
        texts = [repr(client), str(client), repr(client.credentials), str(client.credentials),
                 repr(client.session.auth), repr(client.session.auth.token()),
                 str(info.value), repr(info.value), repr(info.value.body),
                 repr(client.last_pager), caplog.text]
    api.token_error = {"error": "invalid_client", "error_description": "bad secret"}
    with pytest.raises(AuthError) as auth_info:
        vnkit.connect(sandbox_like(), adapter=api.adapter)
    texts += [str(auth_info.value), repr(auth_info.value.__cause__), caplog.text]
    for text in texts:
        assert SECRET not in text
        assert "tok-1-t-1" not in text and "tok-2-t-1" not in text


def test_credentials_repr_masks_secret():
    creds = ServiceCredentials("isv_x", SECRET, "tenant")
    assert "client_secret=***" in repr(creds) and SECRET not in str(creds)


def test_token_store_is_a_swappable_strategy(api):
    store = _auth.MemoryTokenStore()
    for _ in range(2):
        with vnkit.connect(sandbox_like(), adapter=api.adapter, token_store=store) as c:
            c.get("customer")
    assert api.tokens_issued == 1  # the second client found the token in the store
    (token,) = store._tokens.values()
    assert "tok-" not in repr(token) and "tok-" not in repr(store)
    assert _auth.Token.from_dict(token.to_dict()) == token


# -- public surface -----------------------------------------------------------------------------
def test_public_api():
    assert set(vnkit.__all__) == {
        "connect", "Client", "Environment", "ServiceCredentials", "last_modified", "created",
        "attributes", "VnkitError", "ConfigurationError", "FilterError", "AuthError",
        "ApiError", "BadRequestError", "UnauthorizedError", "ForbiddenError", "NotFoundError",
        "RateLimitError", "ServerError", "IncompleteResultError", "IncompleteResultWarning",
        "TransportError", "__version__",
        # interactive sign-in, token cache, Postman import (tests/signin)
        "SignIn", "MemoryTokenStore", "FileTokenStore", "load_postman_environment",
        "PostmanEnvironment",
        # payload helpers and VAT diagnosis (tests/writes)
        "payload", "unwrap", "line", "CLEAR", "UnknownFieldWarning", "diagnose_vat",
        "vat_matrix",
        # Background API jobs and the webhook receiver (tests/background)
        "BackgroundJob", "WebhookReceiver",
        # the API's surface offline, and request-body errors
        "endpoints", "describe", "PayloadError",
        # many companies: Parquet dataset and SQL over it (tests/sync)
        "sync", "SyncReport", "sql"}
    for name in vnkit.__all__:
        assert hasattr(vnkit, name)
    assert issubclass(vnkit.FilterError, ValueError) and issubclass(ApiError, vnkit.VnkitError)


def test_import_is_light_and_sandbox_is_lazy():
    code = ("import sys, vnkit\n"
            "heavy = [m for m in ('pandas', 'fastapi', 'uvicorn', 'ipywidgets', 'tqdm',"
            " 'requests_oauthlib', 'vnkit.sandbox') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert 'sandbox' in dir(vnkit)\n"
            "assert callable(vnkit.sandbox.start)\n"
            "assert 'fastapi' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_environment_urls():
    prod = Environment.production()
    assert prod.endpoint_url("customer") == "https://api.finance.visma.net/v1/customer"
    assert prod.endpoint_url("/customerinvoice/", "v2") == \
        "https://api.finance.visma.net/v2/customerinvoice"
    assert prod.token_url() == "https://connect.visma.com/connect/token"
    legacy = Environment.legacy()
    assert legacy.endpoint_url("customer/10001/invoice") == \
        "https://integration.visma.net/API/controller/api/v1/customer/10001/invoice"
    sb = Environment.sandbox("http://127.0.0.1:8000/")
    assert sb.context_url() == "http://127.0.0.1:8000/resources/v1/context"
    assert sb.token_url() == "http://127.0.0.1:8000/connect/token"
    assert Environment.sandbox("http://h:1", layout="legacy").endpoint_url("vat") == \
        "http://h:1/API/controller/api/v1/vat"
    assert Environment.from_name("legacy") == legacy
    with pytest.raises(ConfigurationError):
        Environment("x", "https://a", "https://b", layout="new")
    with pytest.raises(ConfigurationError):
        Environment("x", "api.example", "https://b")
    with pytest.raises(ConfigurationError):
        prod.endpoint_url("customer", "v3")


def test_fake_api_serves_what_the_tests_assume():
    api = FakeApi(datasets={"customer": Dataset(customers(1))})
    assert api.handle.__self__ is api
