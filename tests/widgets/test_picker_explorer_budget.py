"""CompanyPicker, Explorer and RateBudget against a real sandbox."""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from requests.adapters import HTTPAdapter

import vnkit
from vnkit.widgets import Budget, CompanyPicker, Explorer, LoginWidget, RateBudget
from vnkit.widgets._explorer import parse_attributes


@pytest.fixture
def client(sandbox):
    with vnkit.connect(sandbox, company="Nordlys Handel AS", progress=False) as c:
        yield c


# -- CompanyPicker ----------------------------------------------------------------------------
def test_picker_lists_token_companies_then_other_tenants(sandbox, client):
    picker = CompanyPicker(client)
    labels = [label for label, _ in picker.dropdown.options]
    assert labels[0] == "Nordlys Handel AS (2310401)"
    assert len(labels) == len(sandbox.companies)
    assert all(label.endswith("- other tenant") for label in labels[1:])
    assert picker.dropdown.value == client.company
    assert repr(picker) == "CompanyPicker(company='Nordlys Handel AS', choices=5)"


def test_choosing_switches_company_and_tenant(sandbox, client):
    seen = []
    picker = CompanyPicker(client, on_change=seen.append)
    palvelut = sandbox.credentials.company("Kaleva Palvelut Oy")
    picker.dropdown.value = palvelut.company_id          # what the browser does
    assert client.company == palvelut.company_id and seen == [client]
    assert client.credentials.tenant_id == palvelut.tenant_id
    assert "Kaleva Palvelut Oy" in picker.status.text and picker.status.kind == "ok"
    # The new token reaches both Kaleva companies; the data is the chosen company's.
    assert sorted(client.companies()["name"]) == ["Kaleva Oy", "Kaleva Palvelut Oy"]
    assert picker.select("Nordlys Handel AS") is client
    assert client.company == sandbox.credentials.company("Nordlys").company_id
    assert picker.dropdown.value == client.company


def test_unknown_company_is_refused(client):
    picker = CompanyPicker(client)
    with pytest.raises(vnkit.ConfigurationError, match="unknown company 'Nope AS'"):
        picker.select("Nope AS")
    assert client.company == 2310401


def test_failed_switch_keeps_the_previous_company(client):
    # A company whose tenant has not approved the demo client: signing in there fails.
    client._directory.append(("Ghost AS", 999999, "tenant-that-does-not-exist"))
    picker = CompanyPicker(client)
    picker.dropdown.value = 999999
    assert picker.status.kind == "error" and picker.status.text.startswith("AuthError: ")
    assert client.company == 2310401 and picker.dropdown.value == 2310401
    assert len(client.fetch("customer", status="Active")) == 30


def test_picker_follows_the_login_widget(sandbox):
    login = LoginWidget(sandbox, progress=False)
    picker = CompanyPicker(login)
    assert picker.dropdown.options == () and repr(picker) == "CompanyPicker(no client)"
    with pytest.raises(vnkit.ConfigurationError, match="no client yet"):
        picker.select("Kaleva Oy")
    login.sign_in_button.click()
    assert picker.client is login.client and len(picker.dropdown.options) == 5


def test_picker_needs_a_client_or_login():
    with pytest.raises(vnkit.ConfigurationError, match="not str"):
        CompanyPicker("customer")


# -- Explorer -----------------------------------------------------------------------------------
def _answers(client) -> list:
    """Every answer the client receives from now on (to count requests)."""
    seen: list = []
    client.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
    return seen


def test_explorer_shows_the_request_url_and_fetches(sandbox, client):
    explorer = Explorer(client)
    explorer.status_filter.value = "Active"
    explorer.conditions["lastModifiedDateTime"].value = ">="
    explorer.params["lastModifiedDateTime"].value = "2020-03-01"
    url = explorer.request_url()
    assert url.startswith(f"{sandbox.url}/v1/customer?")
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "status": "Active", "lastModifiedDateTime": "2020-03-01",
        "lastModifiedDateTimeCondition": ">="}
    assert "lastModifiedDateTimeCondition=%3E%3D" in explorer.url.value
    explorer.run_button.click()
    expected = client.fetch("customer", status="Active",
                            lastModifiedDateTime=(">=", "2020-03-01"))
    assert explorer.status.kind == "ok", explorer.status.text
    assert sorted(explorer.frame["number"]) == sorted(expected["number"])
    assert explorer.status.text.startswith(f"{len(expected)} rows")
    (shown,) = explorer.output.outputs       # the table the browser shows under the button
    assert 'class="dataframe"' in shown["data"]["text/html"]
    # The Python call shown gives the same DataFrame.
    assert explorer.code.value == explorer.python_call() == (
        "client.fetch('customer', status='Active', "
        "lastModifiedDateTime=('>=', '2020-03-01'))")
    again = eval(explorer.code.value, {"client": client})  # our own text
    assert sorted(again["number"]) == sorted(expected["number"])


def test_explorer_progress_bar_counts_the_pages(client):
    explorer = Explorer(client)
    explorer.extra.value = "pageSize=10"
    frame = explorer.run()
    pages = -(-len(frame) // 10)
    assert pages > 1
    assert explorer.progress.max == explorer.progress.value == pages
    assert explorer.progress.bar_style == "success"


def test_explorer_attributes_one_rule_with_fetch(client):
    explorer = Explorer(client, endpoint="inventory")
    explorer.params["attributes"].value = "COLOR=RED"
    explorer.extra.value = "pageSize=50\n"
    query = dict(parse_qsl(urlsplit(explorer.request_url()).query))
    assert query == {"attributes": '{"COLOR":"RED"}'}
    frame = explorer.run()
    # The same text works in fetch (it used to fail there), and means the same.
    assert len(frame) == len(client.fetch("inventory", attributes="COLOR=RED")) == \
        len(client.fetch("inventory", attributes={"COLOR": "RED"}))
    assert parse_attributes("COLOR=RED, SIZE = L") == {"COLOR": "RED", "SIZE": "L"}
    explorer.params["attributes"].value = '{"COLOR": "RED"}'
    assert dict(parse_qsl(urlsplit(explorer.request_url()).query)) == {
        "attributes": '{"COLOR": "RED"}'}


@pytest.mark.parametrize("field, value, message", [
    ("date", "2020-13-01", "lastModifiedDateTime: '2020-13-01' is not a real date"),
    ("attributes", "{bad json", "attributes: '{bad json' is not JSON"),
    ("extra", "pageNumber", "More params: 'pageNumber' is not name=value"),
    ("extra", "stauts=Active", "did you mean `status`?"),
    ("extra", "expandAddress=yes", "'yes' is not a boolean"),
])
def test_explorer_bad_input_is_explained_without_a_request(client, field, value, message):
    explorer = Explorer(client)
    seen = _answers(client)
    box = {"date": explorer.params["lastModifiedDateTime"], "extra": explorer.extra,
           "attributes": explorer.params["attributes"]}[field]
    if field == "extra" and "expand" in value:
        value = "expandAccountInformation=yes"
    box.value = value
    assert message in explorer.url.value.replace("&#x27;", "'")
    explorer.run_button.click()
    assert explorer.status.kind == "error" and message in explorer.status.text
    assert explorer.frame is None and seen == []


def test_explorer_unknown_endpoint_names_close_ones_without_a_request(client):
    seen = _answers(client)
    explorer = Explorer(client, endpoint="customers")
    explorer.run_button.click()
    assert explorer.status.kind == "error"
    assert explorer.status.text.startswith("FilterError: endpoint: the API has no GET")
    assert "did you mean `customer`" in explorer.status.text
    assert seen == []


def test_explorer_finds_every_get_endpoint_by_name_or_area(client):
    from vnkit._surface import surface

    explorer = Explorer(client)
    templates = {o.path.lower() for o in surface().operations if o.method == "GET"}
    assert len(explorer.matches.options) == len(templates) == 253
    explorer.search.value = "invoice"
    shown = [t for _, t in explorer.matches.options]
    assert "customerinvoice" in shown and "supplierInvoice" in shown
    assert all("invoice" in label.lower() for label, _ in explorer.matches.options)
    explorer.search.value = "VatCategory"   # an area (case ignored)
    assert explorer.matches.options
    explorer.matches.value = "vatCategory"
    assert explorer.endpoint.value == "vatCategory"


def test_explorer_typed_inputs_from_the_surface(client):
    import ipywidgets as w

    explorer = Explorer(client, endpoint="inventory")
    assert isinstance(explorer.params["expandAttachment"], w.Checkbox)
    status = explorer.params["status"]
    assert isinstance(status, w.Dropdown) and "Active" in status.options[1]
    assert "lastModifiedDateTimeCondition" not in explorer.params   # sits by its date
    assert set(explorer.conditions) >= {"lastModifiedDateTime", "createdDateTime"}
    assert "pageNumber" not in explorer.params
    explorer.params["expandAttachment"].value = True
    assert "expandAttachment=true" in explorer.request_url()
    # Path parameters are fields of their own; empty, they are named.
    explorer.endpoint.value = "customer/{customerCd}/contact"
    assert list(explorer.path_fields) == ["customerCd"]
    assert "customerCd: the path parameter is empty" in explorer.url.value


def test_explorer_path_parameter_and_single_record(client):
    number = client.fetch("customer")["number"].iloc[0]
    explorer = Explorer(client, endpoint="customer/{customerCd}")
    explorer.path_fields["customerCd"].value = str(number)
    frame = explorer.run()
    assert list(frame["number"]) == [number]
    assert explorer.python_call() == f"client.get('customer/{{customerCd}}', " \
                                     f"customerCd={str(number)!r})"


def test_explorer_without_client(sandbox):
    explorer = Explorer(LoginWidget(sandbox))
    assert "no client yet" in explorer.url.value
    with pytest.raises(vnkit.ConfigurationError):
        explorer.run()
    assert repr(explorer) == "Explorer(endpoint='customer')"


# -- RateBudget --------------------------------------------------------------------------------
def test_budget_from_headers():
    headers = {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "412",
               "X-RateLimit-Reset": "1830", "X-RateLimit-Policy": "4-fixed-window"}
    budget = Budget.from_headers(headers)
    assert budget == Budget(500, 412, 1830, "4-fixed-window")
    assert budget.describe() == ("412 of 500 calls left this hour (window resets in "
                                 "30 min 30 s; policy 4-fixed-window)")
    assert Budget.from_headers({}) is None
    assert Budget.from_headers({"X-RateLimit-Limit": "many",
                                "X-RateLimit-Remaining": "3"}) is None
    assert Budget.from_headers({"X-RateLimit-Limit": "10",
                                "X-RateLimit-Remaining": "-2"}).remaining == 0


class _CountdownAdapter(HTTPAdapter):
    """The real transport, adding rate-limit headers that count down like the API's."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.used = limit, 0
        self._lock = threading.Lock()

    def send(self, request, *args, **kwargs):
        response = super().send(request, *args, **kwargs)
        if "/v1/" in request.url:
            with self._lock:
                self.used += 1
                response.headers.update({"X-RateLimit-Limit": str(self.limit),
                                         "X-RateLimit-Remaining": str(self.limit - self.used),
                                         "X-RateLimit-Reset": "600",
                                         "X-RateLimit-Policy": "4-fixed-window"})
        return response


def test_budget_meter_updates_and_follows_responses(client):
    meter = RateBudget(client)
    assert repr(meter) == "RateBudget(no reading yet)"
    assert meter._on_response in client.session.hooks["response"]
    meter.update({"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "100"})
    assert (meter.bar.max, meter.bar.value, meter.bar.bar_style) == (500, 100, "warning")
    assert meter.label.value == "100 of 500 calls left this hour"
    # An answer without the headers changes nothing.
    assert meter.update({"Content-Type": "application/json"}) is None
    assert meter.bar.value == 100
    meter.close_hook()
    assert meter._on_response not in client.session.hooks["response"]


def test_budget_meter_reads_every_answer_of_a_fetch(sandbox):
    adapter = _CountdownAdapter(limit=500)
    with vnkit.connect(sandbox, adapter=adapter, progress=False, max_workers=1) as client:
        meter = RateBudget(client)
        frame = client.fetch("customer", pageSize=100)
        assert len(frame) == 350 and adapter.used == 4
        assert meter.budget == Budget(500, 496, 600, "4-fixed-window")
        assert meter.bar.value == 496 and meter.bar.bar_style == "success"
        assert repr(meter) == "RateBudget(496 of 500 left)"
        assert meter.label.value.startswith("496 of 500 calls left this hour (window "
                                            "resets in 10 min 0 s")


def test_budget_starts_from_the_clients_own_reading(sandbox):
    adapter = _CountdownAdapter(limit=300)
    with vnkit.connect(sandbox, adapter=adapter, progress=False) as client:
        client.get("customer", pageSize=1)
        meter = RateBudget(client)          # made after the call: no answer seen yet
        assert (meter.bar.value, meter.bar.max) == (299, 300)


def test_budget_rebinds_on_new_sign_in(sandbox):
    login = LoginWidget(sandbox, progress=False)
    meter = RateBudget(login)
    first = login.sign_in()
    second = login.sign_in()
    assert meter._on_response not in first.session.hooks["response"]
    assert meter._on_response in second.session.hooks["response"]
