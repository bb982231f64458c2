"""A seeded, randomised fault suite: hundreds of scenarios against one sandbox.

Every scenario draws a fault plan (rate, kinds, seed) and one operation from its own
seed, so a failing scenario can be replayed alone (``SCENARIOS`` / the seed in the
assertion message):

- *fetch*: ``customer`` with ``status=Active`` at a random page size and concurrency,
  sometimes with two customers turning Active after a random list call. The result
  must hold every record exactly once and be the set as it was before or after the
  change, or the fetch must raise, naming what it could not get (a failed page 1
  raises the API's own error). Never a silent partial result.
- *create*: one POST, of a customer (``client.create``) or of an entry in the sandbox's
  ledger. It reaches the server exactly once (never resent); a success means exactly
  one record, a failure none, except after ``drop_after`` (the POST was handled and its
  answer lost): then exactly one, never two.
"""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from vnkit_resilience_helpers import ARTICLE_COMPANY
from vnkit_sandboxes import own_sandbox

import vnkit
from vnkit._retry import default_adapter

SCENARIOS = 400
SEED = 20260301
KINDS = ["429", "500", "502", "503", "504", "drop", "slow"]
PAGE_ONE_ERRORS = (vnkit.ServerError, vnkit.RateLimitError, vnkit.TransportError)


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """A sandbox of its own: the suite creates customers in the article company, which
    nothing can delete, and the shared sandbox's tests count that company's customers
    (this suite too: exactly 30 Active ones before it starts)."""
    with own_sandbox(tmp_path_factory.mktemp("fault-suite")) as handle:
        yield handle


def _plan(rng: random.Random, seed: int, post: bool) -> dict:
    kinds = rng.sample(KINDS + (["drop_after"] if post else []), rng.randint(1, 4))
    return {"seed": seed, "rate": rng.choice([0.05, 0.15, 0.3, 0.5]), "kinds": kinds,
            "retry_after": 0, "slow_ms": 5}


def _move_back(admin, keys) -> None:
    for key in keys:
        admin.http.post(f"{admin.url}/sandbox/admin/move", json={
            "entity": "customer", "company": admin.company().company_id, "keys": [key],
            "set": {"status": "Inactive"}}).raise_for_status()


def test_seeded_fault_suite(admin, box):
    admin.set_rate(production=1_000_000).raise_for_status()
    clients = {workers: vnkit.connect(box, company=ARTICLE_COMPANY, progress=False,
                                      max_workers=workers,
                                      adapter=default_adapter(workers, backoff_factor=0))
               for workers in (1, 2, 4)}
    writer = vnkit.connect(box, company=ARTICLE_COMPANY, progress=False, scopes="all",
                           adapter=default_adapter(backoff_factor=0))
    before = sorted(clients[1].fetch("customer", status="Active")["number"])
    assert len(before) == 30  # the article company's Active customers
    outcomes: Counter[str] = Counter()
    injected: Counter[str] = Counter()
    started = time.monotonic()
    try:
        for scenario in range(SCENARIOS):
            seed = SEED + scenario
            rng = random.Random(seed)
            post = rng.random() < 0.4
            plan = _plan(rng, seed, post)
            client = clients[rng.choice([1, 2, 4])]
            where = f"scenario {scenario} (seed {seed}, plan {plan})"
            if post:
                # Half the creates are real customers (POST v1/customer), half ledger
                # entries; the name is unique and no other name contains it.
                name = f"Fault suite scenario {scenario:04d}."
                as_customer = rng.random() < 0.5
                admin.set_faults(plan).raise_for_status()
                try:
                    if as_customer:
                        writer.create("customer", {"name": name, "customerClassId": "1"})
                    else:
                        writer.request("POST", f"{box.url}/sandbox/ledger",
                                       json={"scenario": scenario})
                    ok = True
                except (vnkit.ApiError, vnkit.TransportError):
                    ok = False
                state = admin.faults()
                injected.update(state["injected"])
                admin.set_faults({}).raise_for_status()
                if as_customer:
                    entries = writer.get("customer", name=name, pageSize=10, pageNumber=1)
                    # A new customer may be Active: the fetches' reference moves with it.
                    before = sorted(clients[1].fetch("customer", status="Active")["number"])
                else:
                    entries = [e for e in admin.ledger()
                               if e["body"] == {"scenario": scenario}]
                assert state["calls"] == 1, f"{where}: the POST was sent {state['calls']} times"
                fault = state["log"][0]["fault"] if state["log"] else None
                # Handled exactly when the fault let it through: none, slow or drop_after.
                carried_out = fault in (None, "slow", "drop_after")
                assert len(entries) == (1 if carried_out else 0), \
                    f"{where}: {len(entries)} entries after fault {fault}"
                assert ok == (fault in (None, "slow")), f"{where}: ok={ok} after {fault}"
                outcomes["create ok" if ok else "create failed, not carried out"
                         if not entries else "create failed, carried out once"] += 1
            else:
                moving = rng.random() < 0.3
                if moving:
                    plan["moves"] = [{"entity": "customer", "after": rng.randint(1, 3),
                                      "count": 2, "set": {"status": "Active"}}]
                admin.set_faults(plan).raise_for_status()
                size = rng.choice([3, 5, 7, 10])
                try:
                    rows = list(client.fetch("customer", status="Active",
                                             pageSize=size)["number"])
                    error = None
                except vnkit.IncompleteResultError as exc:
                    rows, error = None, exc
                except PAGE_ONE_ERRORS as exc:
                    rows, error = None, exc
                state = admin.faults()
                injected.update(state["injected"])
                moved = [k for m in state["moved"] for k in m["keys"]]
                after = sorted(set(before) | set(moved))
                if rows is not None:
                    assert len(rows) == len(set(rows)), f"{where}: duplicates in {rows}"
                    assert sorted(rows) in (before, after), \
                        f"{where}: {len(rows)} rows, neither the set before nor after"
                    outcomes["fetch complete"] += 1
                elif isinstance(error, vnkit.IncompleteResultError):
                    assert error.failed_pages or error.expected > error.received, where
                    outcomes["fetch refused (IncompleteResultError)"] += 1
                else:
                    assert client.last_pager.calls >= 1, where
                    outcomes["fetch refused (page 1 failed)"] += 1
                if moved:
                    outcomes["  (of those fetches: records moved mid-run)"] += 1
                _move_back(admin, moved)
    finally:
        for client in (*clients.values(), writer):
            client.close()
    seconds = time.monotonic() - started
    ran = sum(v for k, v in outcomes.items() if not k.startswith(" "))
    print(f"\nfault suite: {ran} scenarios in {seconds:.1f} s; "
          + ", ".join(f"{k.strip()}: {v}" for k, v in sorted(
              outcomes.items(), key=lambda kv: (kv[0].startswith(" "), kv[0])) if v)
          + "; faults injected: " + ", ".join(f"{k} x{v}" for k, v in sorted(injected.items())))
    assert ran == SCENARIOS
    assert outcomes["fetch complete"] > SCENARIOS // 3  # faults do not win every time
    assert set(injected) >= {*KINDS, "drop_after"}  # every kind was exercised
