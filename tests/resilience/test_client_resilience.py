"""The client against a misbehaving sandbox: budget, retries, POST safety, paging, cache."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from vnkit_resilience_helpers import ARTICLE_COMPANY, TEST_CLIENT

import vnkit
from vnkit._budget import RateBudget
from vnkit._endpoints import lookup
from vnkit._paging import Pager, collect
from vnkit._retry import default_adapter


def connect(box, **kwargs):
    kwargs.setdefault("adapter", default_adapter(backoff_factor=0))
    return vnkit.connect(box, company=ARTICLE_COMPANY, progress=False, **kwargs)


def reference_active(box) -> list[str]:
    with connect(box) as client:
        return sorted(client.fetch("customer", status="Active")["number"])


# -- the rate budget --------------------------------------------------------------------
def test_budget_is_read_from_every_answer(admin, box):
    with connect(box) as client:
        assert not client.budget.known and "unknown" in repr(client.budget)
        client.get("customer", pageSize=1, pageNumber=1)
        assert (client.budget.limit, client.budget.remaining) == (15000, 14999)
        assert client.budget.policy == "4-fixed-window"
        assert 0 < client.budget.reset_in <= 3600  # an hour's window, just started
        client.fetch("customer", status="Active", pageSize=10)  # 3 pages
        assert client.budget.remaining == 14996
        assert repr(client.budget).startswith("<RateBudget 14,996 of 15,000 calls left")
        assert "4-fixed-window" in repr(client.budget)
        assert "14,996 of 15,000" in client.budget._repr_html_()


def test_a_short_429_is_waited_out_and_the_window_recovers(admin, box):
    admin.set_rate(test=2, window_seconds=1).raise_for_status()
    with connect(box, client_id=TEST_CLIENT[0], client_secret=TEST_CLIENT[1]) as client:
        for _ in range(3):  # the third meets the 429, waits Retry-After, then succeeds
            client.get("customer", pageSize=1, pageNumber=1)
        assert client.budget.limit == 2 and client.budget.remaining == 1
    assert admin.used(TEST_CLIENT[0], admin.company().company_id) == 1  # a new window


def test_a_long_429_raises_rate_limit_error_at_once(admin, box):
    admin.set_rate(test=1, window_seconds=600).raise_for_status()
    with connect(box, client_id=TEST_CLIENT[0], client_secret=TEST_CLIENT[1]) as client:
        client.get("customer", pageSize=1, pageNumber=1)
        started = admin.faults()["calls"]
        with pytest.raises(vnkit.RateLimitError) as info:
            client.get("customer", pageSize=1, pageNumber=1)
    assert 30 < info.value.retry_after <= 600  # longer than vnkit waits by itself
    assert "window resets" in str(info.value)
    assert admin.faults()["calls"] == started + 1  # not retried
    assert client.budget.remaining == 0


# -- retries ----------------------------------------------------------------------------
def test_get_is_retried_on_5xx_and_dropped_connections(admin, box):
    admin.set_faults({"rules": [{"fault": "503", "method": "GET", "calls": [1]},
                                {"fault": "drop", "method": "GET", "calls": [2]},
                                {"fault": "502", "method": "GET", "calls": [3]}]})
    with connect(box) as client:
        body = client.get("customer", pageSize=1, pageNumber=1)
    assert len(body) == 1
    assert admin.faults()["calls"] == 4


def test_get_gives_up_after_three_retries(admin, box):
    admin.set_faults({"rules": [{"fault": "500", "method": "GET", "next": 10}]})
    with connect(box) as client:
        with pytest.raises(vnkit.ServerError):
            client.get("customer", pageSize=1, pageNumber=1)
    assert admin.faults()["calls"] == 4


def test_a_post_answered_503_is_not_sent_again(admin, box):
    admin.set_faults({"rules": [{"fault": "503", "method": "POST", "next": 1}]})
    with connect(box) as client:
        with pytest.raises(vnkit.ServerError):
            client.request("POST", f"{box.url}/sandbox/ledger", json={"n": 1})
    assert admin.faults()["calls"] == 1 and admin.ledger() == []


def test_a_post_answered_429_is_not_sent_again(admin, box):
    admin.set_faults({"retry_after": 0, "rules": [{"fault": "429", "method": "POST",
                                                   "next": 1}]})
    with connect(box) as client:
        with pytest.raises(vnkit.RateLimitError):
            client.request("POST", f"{box.url}/sandbox/ledger", json={"n": 1})
    assert admin.faults()["calls"] == 1 and admin.ledger() == []


@pytest.mark.parametrize("fault, created", [("drop", 0), ("drop_after", 1)])
def test_a_post_whose_connection_drops_raises_and_creates_at_most_once(admin, box, fault,
                                                                       created):
    admin.set_faults({"rules": [{"fault": fault, "method": "POST", "next": 1}]})
    with connect(box) as client:
        with pytest.raises(vnkit.TransportError):
            client.request("POST", f"{box.url}/sandbox/ledger", json={"n": 1})
    assert admin.faults()["calls"] == 1
    assert len(admin.ledger()) == created


# -- paging -----------------------------------------------------------------------------
def test_article_08_fetch_ends_with_32_rows(admin, box):
    admin.set_faults({"moves": [{"entity": "customer", "after": 1, "count": 2,
                                 "set": {"status": "Active"}}]})
    with connect(box) as client:
        frame = client.fetch("customer", status="Active", pageSize=10)
    assert len(frame) == 32 and frame["number"].is_unique
    moved = admin.faults()["moved"][0]["keys"]
    assert set(moved) <= set(frame["number"])
    for key in moved:  # put them back for the other tests
        admin.http.post(f"{box.url}/sandbox/admin/move", json={
            "entity": "customer", "company": admin.company().company_id, "keys": [key],
            "set": {"status": "Inactive"}}).raise_for_status()


def test_paging_through_faults_gets_every_record_once(admin, box):
    expected = reference_active(box)
    admin.set_faults({"seed": 3, "rate": 0.3, "retry_after": 0, "slow_ms": 5,
                      "kinds": ["429", "500", "502", "503", "504", "drop", "slow"]})
    with connect(box) as client:
        frame = client.fetch("customer", status="Active", pageSize=3)
    assert sorted(frame["number"]) == expected
    assert sum(admin.faults()["injected"].values()) > 0


def test_a_page_that_keeps_failing_is_named(admin, box):
    admin.set_faults({"rules": [{"fault": "503", "method": "GET", "path": "/customer",
                                 "calls": [3, 4, 5, 6]}]})
    with connect(box, max_workers=1) as client:
        with pytest.raises(vnkit.IncompleteResultError) as info:
            client.fetch("customer", status="Active", pageSize=10)
    assert info.value.failed_pages == [3]
    assert "page(s) 3" in str(info.value) and "no partial result" in str(info.value)


class _Spent(RateBudget):
    """A budget that reads as nearly spent, whatever the answers say."""

    def __init__(self, remaining):
        super().__init__()
        self.fixed = remaining

    def observe(self, response, *args, **kwargs):
        return response

    @property
    def remaining(self):
        return self.fixed

    @remaining.setter
    def remaining(self, value):
        pass


def _concurrency_of(budget, workers=4) -> int:
    """Largest number of page requests in flight at once during a 12-page run."""
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def fetch_page(query):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        number = int(query["pageNumber"])
        return [{"number": f"{number}-{i}", "metadata": {"totalCount": 24, "maxPageSize": 2}}
                for i in range(2)]

    pager = Pager(fetch_page, "customer", {}, info=lookup("customer"), max_workers=workers,
                  budget=budget)
    assert len(collect(pager)) == 24
    return state["peak"]


def test_pager_uses_every_worker_while_the_budget_lasts():
    assert _concurrency_of(_Spent(1000)) == 4


def test_pager_goes_one_at_a_time_when_the_budget_runs_low():
    assert _concurrency_of(_Spent(3)) == 1


def test_budget_slots_and_wait_for_reset():
    clock = [100.0]
    budget = RateBudget(clock=lambda: clock[0])
    assert budget.slots(4) == 4  # unknown: no holding back

    class Answer:
        from_cache = False

        def __init__(self, remaining, reset):
            self.headers = {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": remaining,
                            "X-RateLimit-Reset": reset, "X-RateLimit-Policy": "4-fixed-window"}

    budget.observe(Answer("100", "60"))
    assert budget.slots(4) == 4
    budget.observe(Answer("5", "60"))
    assert budget.slots(4) == 2
    budget.observe(Answer("2", "60"))
    assert budget.slots(4) == 1
    budget.observe(Answer("0", "3"))
    slept = []
    assert budget.wait_for_reset(30, sleep=slept.append) == 3 and slept == [3]
    budget.observe(Answer("0", "3000"))
    assert budget.wait_for_reset(30, sleep=slept.append) == 0 and slept == [3]
    clock[0] += 3001
    assert budget.slots(4) == 4  # the window has reset since


def test_a_spent_budget_on_one_company_does_not_slow_another():
    budget = RateBudget(clock=lambda: 100.0)

    class Answer:
        from_cache = False
        headers = {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": "3", "X-RateLimit-Policy": "4-fixed-window"}

        class request:  # noqa: N801 - stands in for requests' PreparedRequest
            headers = {"ipp-company-id": "111"}

    budget.observe(Answer())
    slept = []
    assert budget.company == "111" and "on company 111" in repr(budget)
    assert budget.scoped("222").wait_for_reset(30, sleep=slept.append) == 0
    assert budget.scoped("222").slots(4) == 4
    assert budget.scoped("111").slots(4) == 1
    assert budget.scoped("111").wait_for_reset(30, sleep=slept.append) == 3
    assert slept == [3]


# -- the HTTP cache ---------------------------------------------------------------------
def test_cache_rerun_spends_no_calls(admin, box, tmp_path):
    company = admin.company().company_id
    with connect(box, cache=tmp_path / "http.sqlite", expire_after=300) as client:
        assert "on" in repr(client.cache) and "300 s" in repr(client.cache)
        first = client.fetch("customer", status="Active", pageSize=10)
        spent = admin.used(box.credentials.client_id, company)
        remaining = client.budget.remaining
        second = client.fetch("customer", status="Active", pageSize=10)
        assert admin.used(box.credentials.client_id, company) == spent  # zero calls
        assert client.budget.remaining == remaining  # cached headers are not news
        assert second.equals(first)
        assert len(client.cache) == 3
        client.cache.clear()
        client.fetch("customer", status="Active", pageSize=10)
        assert admin.used(box.credentials.client_id, company) == spent + 3


def test_cache_is_off_unless_asked_and_can_be_turned_off(admin, box, tmp_path):
    company = admin.company().company_id
    with connect(box) as client:
        assert repr(client.cache) == "<HttpCache off>" and not client.cache
        client.get("customer", pageSize=1, pageNumber=1)
        client.get("customer", pageSize=1, pageNumber=1)
        assert admin.used(box.credentials.client_id, company) == 2
        client.enable_cache(tmp_path / "http.sqlite")
        client.get("customer", pageSize=1, pageNumber=1)
        client.get("customer", pageSize=1, pageNumber=1)
        assert admin.used(box.credentials.client_id, company) == 3
        client.cache.disable()
        assert repr(client.cache) == "<HttpCache off>"
        client.get("customer", pageSize=1, pageNumber=1)
        assert admin.used(box.credentials.client_id, company) == 4


def test_cache_never_keeps_writes_errors_or_tokens(admin, box, tmp_path):
    path = tmp_path / "http.sqlite"
    with connect(box, cache=path) as client:
        for _ in range(2):
            client.request("POST", f"{box.url}/sandbox/ledger", json={"n": 1})
        assert len(admin.ledger()) == 2  # both POSTs reached the server
        for _ in range(2):
            with pytest.raises(vnkit.NotFoundError):
                client.get("customer/NO-SUCH-ONE")
        assert len(client.cache) == 0
        client.get("customer", pageSize=1, pageNumber=1)
        token = client.session.auth.token().access_token
        assert len(client.cache) == 1
    with sqlite3.connect(path) as db:
        blobs = b"".join(bytes(row[0]) for row in db.execute("SELECT value FROM responses"))
    assert len(token) > 40
    assert b"Bearer" not in blobs and token.encode()[-40:] not in blobs


def test_cache_key_holds_the_company(admin, box, tmp_path):
    path = tmp_path / "http.sqlite"
    other = admin.company("Limfjord Design ApS").company_id
    with connect(box, cache=path) as client:
        nordlys = client.get("customer", pageSize=5, pageNumber=1)
        client.use_company(other)
        limfjord = client.get("customer", pageSize=5, pageNumber=1)
        client.get("customer", pageSize=5, pageNumber=1)
    # The same URL on another company was asked of the API, once, and answered apart.
    assert admin.used(box.credentials.client_id, other) == 1
    assert [r["name"] for r in nordlys] != [r["name"] for r in limfjord]


@pytest.mark.parametrize("kwargs, word", [({"cache": 5}, "cache"),
                                          ({"cache": True, "expire_after": 0},
                                           "expire_after"),
                                          ({"cache": True, "expire_after": "soon"},
                                           "expire_after")])
def test_bad_cache_settings_fail_before_any_request(admin, box, kwargs, word):
    with pytest.raises(vnkit.ConfigurationError, match=word):
        connect(box, **kwargs)
    assert admin.rate()["windows"] == []
