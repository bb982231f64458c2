"""``vnkit.endpoints()`` and ``vnkit.describe()``: the surface as DataFrames, offline."""

from __future__ import annotations

import subprocess
import sys

import pytest

import vnkit
from vnkit._surface import surface


def test_endpoints_lists_every_operation_and_filters():
    frame = vnkit.endpoints()
    assert len(frame) == 508
    assert list(frame.columns) == ["method", "endpoint", "version", "area", "list", "paged",
                                   "returns", "takes", "path"]
    gets = vnkit.endpoints(method="get")
    assert len(gets) == 253 and set(gets["method"]) == {"GET"}
    customer = frame[(frame["endpoint"] == "customer") & (frame["method"] == "GET")].iloc[0]
    assert customer["paged"] and customer["list"] and customer["area"] == "Customer"
    assert customer["returns"] == "list of CustomerDto"
    vat = vnkit.endpoints("vat", method="GET")
    assert "vat" in set(vat["endpoint"]) and vat.set_index("endpoint").loc["vat", "list"]
    assert set(vnkit.endpoints("invoice")["endpoint"]) >= {"customerinvoice",
                                                             "supplierInvoice"}


def test_describe_customer():
    frame = vnkit.describe("customer")
    assert frame.index.name == "GET /v1/customer"
    assert frame.attrs == {"method": "GET", "path": "/v1/customer", "area": "Customer",
                           "paged": True, "returns": "list of CustomerDto",
                           "takes": "CustomerUpdateDto"}
    query = frame[frame["part"] == "query"].set_index("name")
    assert query.loc["expandAccountInformation", "type"] == "boolean"
    assert query.loc["lastModifiedDateTime", "type"] == "date"
    assert query.loc["lastModifiedDateTimeCondition", "allowed"] == ">, <, >=, <="
    assert "Active" in query.loc["status", "allowed"]
    returns = frame[frame["part"] == "returns"].set_index("name")
    assert "mainAddress.city" in returns.index
    takes = frame[frame["part"] == "takes"].set_index("name")
    # The same shape payload builds: wrapped or not, per the update DTO.
    assert takes.loc["name", "wrapped"] and not takes.loc["overrideWithClassValues", "wrapped"]
    assert takes.loc["mainAddress", "type"] == "object AddressUpdateDto"
    assert takes.loc["mainAddress.addressLine1", "wrapped"]
    body = vnkit.payload("customer", {"name": "A", "overrideWithClassValues": True})
    assert body == {"name": {"value": "A"}, "overrideWithClassValues": True}


def test_describe_path_parameters_templates_and_concrete_paths():
    frame = vnkit.describe("customer/{customerCd}/contact")
    assert list(frame[frame["part"] == "path"]["name"]) == ["customerCd"]
    assert vnkit.describe("customer/10001/contact").index.name == \
        "GET /v1/customer/{customerCd}/contact"
    assert vnkit.describe("v2/salesorder").attrs["path"] == "/v2/salesorder"
    put = vnkit.describe("customer/{customerCd}", "PUT")
    assert put.attrs["takes"] == "CustomerUpdateDto" and put.attrs["returns"] == ""


def test_describe_unknown_endpoint_names_close_ones():
    with pytest.raises(vnkit.FilterError) as caught:
        vnkit.describe("customers")
    assert "did you mean `customer`" in caught.value.hint


def test_describe_covers_all_508_operations():
    for op in surface().operations:
        frame = vnkit.describe(op.path, op.method)
        assert frame.attrs["path"] == op.path, op.path
        parts = frame["part"].value_counts().to_dict()
        assert parts.get("path", 0) == len(op.path_params)
        assert parts.get("query", 0) == len(op.query)
        if op.record_dto and surface().dto(op.record_dto):
            assert parts.get("returns", 0) > 0, op.path
        if op.body in surface().dtos and surface().dto(op.body):
            assert parts.get("takes", 0) > 0, op.path


def test_describe_works_offline_without_signing_in(tmp_path):
    code = ("import socket\n"
            "def refuse(*a, **k): raise OSError('offline')\n"
            "socket.socket.connect = refuse\n"
            "import vnkit\n"
            "assert len(vnkit.describe('supplierInvoice')) > 10\n"
            "assert len(vnkit.endpoints()) == 508\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_client_describe_is_the_same(client):
    assert client.describe("customer").equals(vnkit.describe("customer"))
    assert len(client.endpoints(method="GET")) == 253


def test_cli_banner_says_who_to_sign_in_as():
    import io

    from vnkit.__main__ import print_banner

    out = io.StringIO()
    print_banner({"url": "http://127.0.0.1:8", "db": "demo.sqlite3", "client_id": "c",
                  "client_secret": "s", "companies": [{"name": "A", "company_id": 1,
                                                       "tenant_id": "t"}]}, out)
    text = out.getvalue()
    assert "DEMO users for the sign-in page" in text
    for user in vnkit.sandbox.demo_users():
        assert user["email"] in text and f"password {user['password']}" in text
