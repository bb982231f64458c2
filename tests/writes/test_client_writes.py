"""Client create/update/delete/action against the sandbox, and the no-blind-POST rule."""

from __future__ import annotations

import threading
import warnings
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import vnkit
from vnkit._writes import key_from_location, key_segment


@pytest.fixture(scope="module")
def client(client_box):
    with vnkit.connect(client_box, company=2310401, scopes="all", progress=False) as c:
        yield c


def test_create_from_plain_values_reads_back_equal(client):
    values = {
        "name": "Fjordlys Test AS",
        "customerClassId": "1",
        "creditLimit": Decimal("25000.50"),
        "vatRegistrationId": "NO999888777MVA",
        "mainAddress": {"addressLine1": "Kaigata 3", "postalCode": "5003", "city": "BERGEN",
                        "countryId": "NO"},
        "mainContact": {"name": "Fjordlys Test AS", "email": "post@fjordlys.example"},
        "attributeLines": [{"attributeId": "SEGMENT", "attributeValue": "RETAIL"}],
    }
    number = client.create("customer", values)
    record = client.get(f"customer/{number}")
    assert record["name"] == values["name"]
    assert record["customerClass"]["id"] == "1"
    assert record["creditLimit"] == 25000.5
    assert record["vatRegistrationId"] == values["vatRegistrationId"]
    for field in ("addressLine1", "postalCode", "city"):
        assert record["mainAddress"][field] == values["mainAddress"][field]
    assert record["mainAddress"]["country"]["id"] == "NO"
    assert record["mainContact"]["email"] == values["mainContact"]["email"]
    assert {"id": "SEGMENT", "value": "RETAIL"}.items() <= record["attributes"][0].items()


def test_clear_versus_omit(client):
    number = client.create("customer", {"name": "Clear Test AS", "corporateId": "123456789",
                                        "vatRegistrationId": "NO123456789MVA"})
    client.update("customer", number, {"corporateId": vnkit.CLEAR,
                                       "vatRegistrationId": None})
    record = client.get(f"customer/{number}")
    assert record["corporateId"] is None              # cleared
    assert record["vatRegistrationId"] == "NO123456789MVA"  # left out: unchanged


def test_invoice_lines_update_release_and_delete(client):
    customer = client.create("customer", {"name": "Linje Test AS", "customerClassId": "1"})
    key = client.create("customerinvoice", {
        "customerNumber": customer, "documentDate": date(2020, 3, 2),
        "invoiceLines": [vnkit.line(inventoryNumber="6", quantity=2,
                                    unitPriceInCurrency=Decimal("100"))]})
    client.update("customerinvoice", key, {"invoiceLines": [
        vnkit.line("Update", 1, quantity=3)]})
    doc = client.get(f"customerinvoice/{key}")
    assert doc["invoiceLines"][0]["amount"] == 300.0
    result = client.action("customerinvoice", key, "release")
    assert result["actionResult"] == "Done"
    assert client.get(f"customerinvoice/{key}")["status"] == "Open"
    other = client.create("customerinvoice", {
        "customerNumber": customer, "invoiceLines": [vnkit.line(inventoryNumber="6")]})
    client.delete("customerinvoice", other)
    with pytest.raises(vnkit.NotFoundError):
        client.get(f"customerinvoice/{other}")


def test_vat_refusal_is_a_bad_request_with_the_api_text(client):
    with pytest.raises(vnkit.BadRequestError) as caught:
        client.create("customerinvoice", {
            "customerNumber": "10011",
            "invoiceLines": [vnkit.line(inventoryNumber="6", vatCodeId="01")]})
    assert caught.value.api_message == "TaxID '01' cannot be found in the system."


def test_reserved_key_goes_as_b64(client):
    client.update("inventory", "test*test", {"recommendedPrice": Decimal("1.5")})
    assert client.get(f"inventory/{key_segment('test*test')}")["recommendedPrice"] == 1.5


def test_unknown_field_warns_like_article_20(client):
    with pytest.warns(vnkit.UnknownFieldWarning, match="lines"):
        client.update("supplierInvoice", "000050", {"lines": [vnkit.line(
            lineNumber=1, inventoryNumber="6")]})


def test_read_only_token_gets_a_scope_hint(client_box):
    with vnkit.connect(client_box, company=2310401, progress=False) as reader:
        with pytest.raises(vnkit.ForbiddenError) as caught:
            reader.create("customer", {"name": "Nope"})
    assert "scopes='all'" in str(caught.value.hint)


def test_bad_input_fails_before_any_request(client):
    with pytest.raises(vnkit.FilterError):
        client.create("customer", ["not", "a", "dict"])
    with pytest.raises(TypeError, match="name"):
        client.create("customer", {"name": object()})
    with pytest.raises(vnkit.FilterError):
        client.update("customer", "  ", {"name": "x"})


def test_key_from_location():
    assert key_from_location("https://x/v1/customer/10042") == "10042"
    assert key_from_location("https://x/v1/inventory/" + key_segment("a/b*c")) == "a/b*c"


class _Always503(BaseHTTPRequestHandler):
    hits: list[str] = []

    def _answer(self):
        type(self).hits.append(self.command)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.endswith("/connect/token"):
            body = b'{"access_token":"t","token_type":"Bearer","expires_in":3600}'
            self.send_response(200)
        else:
            body = b'{"message":"busy"}'
            self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_GET = _answer

    def log_message(self, *args):
        pass


def test_post_is_never_retried_but_put_is():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        env = vnkit.Environment.sandbox(url)
        creds = vnkit.ServiceCredentials("id", "secret", "tenant", ("all",))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client = vnkit.Client(env, creds, progress=False)
        try:
            client.sign_in()
            _Always503.hits.clear()
            with pytest.raises(vnkit.ServerError):
                client.create("supplier", {"name": "Once"})
            assert _Always503.hits == ["POST"]
            _Always503.hits.clear()
            with pytest.raises(vnkit.ServerError):
                client.update("supplier", "50000", {"name": "Twice"})
            assert _Always503.hits.count("PUT") > 1
        finally:
            client.close()
    finally:
        server.shutdown()
        server.server_close()
