"""Schemathesis against the sandbox's own OpenAPI document: whatever a client sends to a
documented route - valid, odd or malformed - the sandbox never answers 5xx.

Bounded: a handful of examples per operation, no shrinking, a deadline per example.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from vnkit_sandboxes import in_process_app
from vnkit_writes_helpers import Http

from vnkit._surface import surface


@pytest.fixture(scope="module")
def fuzz_box(tmp_path_factory):
    """The app in-process on a working copy of its own: the fuzzer writes whatever it
    makes up, and no rate limit may refuse its calls."""
    with in_process_app(tmp_path_factory.mktemp("fuzz"), rate_limit_enabled=False) as app:
        yield app


@pytest.fixture(scope="module")
def fuzz_http(fuzz_box) -> Http:
    return Http(fuzz_box, 2310401)


@pytest.fixture(scope="module")
def api_schema(fuzz_box):
    document = fuzz_box.client.get("/API-index/doc/swagger").json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = fuzz_box.url
    # Every API route of both versions, reads and writes.
    return schema.include(path_regex=r"^/v[12]/")


def test_no_server_errors(api_schema, fuzz_http):
    # A loop over the operations (not schemathesis' pytest plugin): one test, bounded.
    errors: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=8, phases=[Phase.explicit, Phase.generate], deadline=None,
                  database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            case.headers = {**(case.headers or {}), **fuzz_http.headers()}
            response = case.call(app=fuzz_http.box.client.app, timeout=30)
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} {case.query!r} -> "
                              f"{response.status_code}: {response.text[:300]}")

        check()
    assert operations == len(surface().operations)  # every operation of the API
    assert not errors, "\n".join(errors[:10])


def test_write_routes_are_documented(fuzz_box):
    document = fuzz_box.client.get("/API-index/doc/swagger").json()
    paths = document["paths"]
    assert "post" in paths["/v2/customerinvoice"]
    assert "post" in paths["/v1/supplierInvoice"]
    # Paths and parameter names as the API's surface spells them.
    assert "put" in paths["/v1/purchaseorder/{purchaseOrderNumber}"]
    assert "delete" in paths["/v1/customerinvoice/{invoiceNumber}"]
    assert "post" in paths["/v1/supplierPayment/{paymentNumber}/action/release"]
    example = paths["/v1/purchaseorder"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["example"]
    assert example["supplier"] == {"value": "50000"}
