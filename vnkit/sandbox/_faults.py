"""Trouble on purpose: a fault plan, and records that move while a client pages.

A *fault plan* is a JSON object given at start (``start(faults={...})``) or through
``POST /sandbox/admin/faults``::

    {"seed": 7,                       # random faults are reproducible from this seed
     "rate": 0.2,                     # share of calls that get a random fault
     "kinds": ["429", "503", "drop"], # what a random fault may be (default: all kinds)
     "methods": ["GET"],              # which methods random faults hit (default: all)
     "retry_after": 1,                # Retry-After of an injected 429, in seconds
     "slow_ms": 300,                  # delay of a "slow" answer
     "rules": [{"fault": "503", "method": "POST", "path": "/customer", "calls": [1]}],
     "moves": [{"entity": "customer", "after": 1, "count": 2,
                "set": {"status": "Active"}}]}

Fault kinds: ``429``, ``500``, ``502``, ``503``, ``504`` (answered before the call
reaches the API, so nothing is changed), ``drop`` (the connection is closed without an
answer, before the call is handled), ``drop_after`` (the call *is* handled, then the
connection is closed: the worst case for a create), and ``slow``. Dropping needs
uvicorn's connection (the server ``vnkit.sandbox.start`` runs).

A *rule* fires on the listed ``calls`` (1-based, counting the calls that match its
``method`` and ``path``, a case-insensitive piece of the URL path) or on the ``next``
N matching calls. Rules are checked before the random faults.

A *move* changes stored records right after the ``after``-th list call (``GET`` of an
entity's list, counted per entity) has been answered, before its last byte leaves: so
the next page a client asks for already sees the change. This is knowledge-base article
08's "two customers turn Active between page 1 and page 2". ``keys`` names the records;
without it the first ``count`` records (in list order) whose fields differ from ``set``
are taken. A plan is checked by :func:`._fault_plan.check_plan` (the settings call it
when they are made, so a bad plan never reaches a server).

Faults hit the API (both layouts) and the sandbox's *ledger*, ``POST /sandbox/ledger``:
a create-only resource (201 + ``Location``) that lets tests count how often a POST
really took effect (``GET /sandbox/ledger``).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import uuid
from collections import Counter, deque
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _admin
from ._fault_plan import STATUS_FAULTS, check_plan
from ._resources import field_value, lookup
from ._store import _DOC, _DOC_JOIN, facet_fields, facet_rows, normalise_datetime

_API_ROOTS = ("/v1/", "/api/controller/api/v1/", "/api/controller/api/v2/", "/v2/")
LEDGER_PATH = "/sandbox/ledger"


# --------------------------------------------------------------------------- record moves


def update_fields(store, company_id: int, entity_name: str, key: str,
                  changes: dict[str, Any]) -> bool:
    """Change fields of one stored record as another user of the ERP would.

    The new document goes to the working copy's overlay, the filter columns and facets
    follow, and ``lastModifiedDateTime`` moves to now (the real API stamps every
    change). One transaction: a reader sees the record before or after, never half.

    Returns
    -------
    bool
        Whether the record exists.
    """
    entity = lookup(entity_name)
    if entity is None:
        raise ValueError(f"unknown entity {entity_name!r}")
    conn = store.connection()
    row = conn.execute(
        f"SELECT r.id, {_DOC} FROM records r {_DOC_JOIN} "
        "WHERE r.company_id = ? AND r.entity = ? AND r.key = ? ORDER BY r.seq LIMIT 1",
        (company_id, entity.name, key)).fetchone()
    if row is None:
        return False
    record_id, text = row
    doc = json.loads(text)
    before = {f: field_value(doc, f) for f in facet_fields(entity)}
    for dotted, value in changes.items():
        target = doc
        *parents, last = str(dotted).split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    if entity.modified_field:
        doc[entity.modified_field] = datetime.now().isoformat(timespec="milliseconds")
    columns = {"status": doc.get(entity.status_field) if entity.status_field else None,
               "name": (str(doc.get(entity.name_field)).casefold()
                        if entity.name_field and doc.get(entity.name_field) is not None
                        else None),
               "modified": (normalise_datetime(doc.get(entity.modified_field))
                            if entity.modified_field else None)}
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO main.docs(id, doc) VALUES (?, ?)",
                     (record_id, json.dumps(doc, ensure_ascii=False, separators=(",", ":"))))
        conn.execute("UPDATE records SET status = ?, name = COALESCE(?, name), "
                     "modified = COALESCE(?, modified) WHERE id = ?",
                     (None if columns["status"] is None else str(columns["status"]),
                      columns["name"], columns["modified"], record_id))
        if before != {f: field_value(doc, f) for f in before}:
            conn.execute("DELETE FROM facets WHERE company_id = ? AND entity = ? AND id = ?",
                         (company_id, entity.name, record_id))
            conn.executemany("INSERT OR IGNORE INTO facets VALUES (?,?,?,?,?)",
                             facet_rows(company_id, entity, doc, record_id))
    return True


def _pick_keys(store, company_id: int, entity_name: str, move: dict) -> list[str]:
    """The records a move changes: its ``keys``, or the first that differ from ``set``."""
    if "keys" in move:
        return [str(k) for k in move["keys"]]
    entity = lookup(entity_name)
    assert entity is not None  # the caller passes a name lookup() gave
    wanted = int(move.get("count", 1))
    picked: list[str] = []
    rows = store.connection().execute(
        f"SELECT r.key, {_DOC} FROM records r {_DOC_JOIN} "
        "WHERE r.company_id = ? AND r.entity = ? ORDER BY r.seq", (company_id, entity.name))
    for key, text in rows:
        doc = json.loads(text)
        if any(field_value(doc, f) != v for f, v in move["set"].items()):
            picked.append(key)
            if len(picked) >= wanted:
                break
    return picked


# --------------------------------------------------------------------------- injector


class FaultInjector:
    """The state of a fault plan on a running server (counters, random stream, log)."""

    def __init__(self, store, plan: dict | None = None):
        self.store = store
        self._lock = threading.Lock()
        self.ledger: list[dict] = []
        self.set_plan(plan or {})

    def set_plan(self, plan: dict) -> None:
        """Replace the plan; counters, the random stream and the log start afresh."""
        plan = check_plan(plan)
        with self._lock:
            self.plan = plan
            self.random = random.Random(plan.get("seed", 0))
            self.calls = 0
            self.rule_calls = [0] * len(plan.get("rules", []))
            self.list_calls: Counter[tuple[int | None, str]] = Counter()
            self.injected: Counter[str] = Counter()
            self.moved: list[dict] = []
            self.log: deque = deque(maxlen=200)

    def choose(self, method: str, path: str) -> str | None:
        """The fault for this call, or None (counts the call either way)."""
        lowered = path.lower()
        with self._lock:
            self.calls += 1
            fault = None
            for i, rule in enumerate(self.plan.get("rules", [])):
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("path") and rule["path"].lower() not in lowered:
                    continue
                self.rule_calls[i] += 1
                n = self.rule_calls[i]
                if fault is None and (n in rule.get("calls", ()) or n <= rule.get("next", 0)):
                    fault = str(rule["fault"])
            rate = self.plan.get("rate", 0.0)
            methods = self.plan.get("methods")
            if fault is None and rate > 0 and (methods is None or method in methods):
                # Draw for every eligible call, so the stream does not depend on rules.
                if self.random.random() < rate:
                    fault = self.random.choice(self.plan["kinds"])
            if fault is not None:
                self.injected[fault] += 1
                self.log.append({"call": self.calls, "method": method, "path": path,
                                 "fault": fault})
            return fault

    def due_moves(self, company_id: int | None, entity_name: str) -> list[dict]:
        """Count one answered list call; the moves that are due after it."""
        with self._lock:
            self.list_calls[(company_id, entity_name)] += 1
            n = self.list_calls[(company_id, entity_name)]
            # The plan was checked: every move names an entity lookup() finds.
            return [m for m in self.plan.get("moves", [])
                    if lookup(m["entity"]).name == entity_name  # type: ignore[union-attr]
                    and m["after"] == n]

    def apply_move(self, move: dict, company_id: int | None) -> None:
        """Carry out one move (in a worker thread: it writes to SQLite)."""
        company = move.get("company", company_id)
        if company is None:
            return
        entity = lookup(move["entity"]).name  # type: ignore[union-attr]  # a checked plan
        keys = _pick_keys(self.store, int(company), entity, move)
        changed = [k for k in keys
                   if update_fields(self.store, int(company), entity, k, move["set"])]
        with self._lock:
            self.moved.append({"entity": entity, "company_id": int(company),
                               "keys": changed, "set": move["set"]})

    def snapshot(self) -> dict:
        with self._lock:
            return {"plan": self.plan, "calls": self.calls, "injected": dict(self.injected),
                    "moved": list(self.moved), "log": list(self.log)[-50:],
                    "ledger_entries": len(self.ledger)}


def _in_scope(method: str, path: str) -> bool:
    lowered = path.lower()
    return lowered.startswith(_API_ROOTS) or (method == "POST" and lowered == LEDGER_PATH)


def _list_entity(path: str) -> str | None:
    """The entity name when ``path`` is a list endpoint of the API, else None."""
    lowered = path.lower()
    for root in _API_ROOTS:
        if lowered.startswith(root):
            entity = lookup(lowered[len(root):].strip("/"))
            return entity.name if entity is not None else None
    return None


def _drop_connection(receive: Receive) -> bool:
    """Close the client's connection without an answer (uvicorn's h11/httptools cycle).

    The cycle object is reached through the ``receive`` callable uvicorn hands in; it is
    marked disconnected so that uvicorn does not answer 500 for us.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        return False
    cycle.disconnected = True
    transport.close()
    return True


def _status_answer(fault: str, plan: dict) -> Response:
    status = int(fault)
    if status == 429:
        wait = plan.get("retry_after", 1)
        shown = str(int(wait)) if float(wait).is_integer() else str(wait)
        return Response(json.dumps({"message": "Rate limit is exceeded. Try again in "
                                               f"{shown} seconds."}).encode(),
                        status_code=429, media_type="application/json; charset=utf-8",
                        headers={"Retry-After": shown})
    text = {500: "An error has occurred.", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}[status]
    return Response(json.dumps({"message": text}).encode(), status_code=status,
                    media_type="application/json; charset=utf-8")


class FaultMiddleware:
    """ASGI wrapper that applies the plan in front of the API and runs the moves."""

    def __init__(self, app: ASGIApp, injector: FaultInjector):
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        method = scope.get("method", "").upper()
        if not path or not _in_scope(method, path):
            await self.app(scope, receive, send)
            return
        fault = self.injector.choose(method, path)
        if fault in STATUS_FAULTS:
            await _status_answer(fault, self.injector.plan)(scope, receive, send)
            return
        if fault == "drop":
            if not _drop_connection(receive):
                raise RuntimeError("fault plan: this server cannot drop a connection")
            return
        if fault == "slow":
            await asyncio.sleep(self.injector.plan.get("slow_ms", 300) / 1000.0)
        if fault == "drop_after":
            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            if not _drop_connection(receive):
                raise RuntimeError("fault plan: could not drop the connection")
            return
        entity = _list_entity(path) if method == "GET" and self.injector.plan.get(
            "moves") else None
        if entity is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._moving_send(scope, send, entity))

    def _moving_send(self, scope: Scope, send: Send, entity: str) -> Send:
        status = {"code": 0}
        company = None
        for name, value in scope.get("headers", []):
            if name == b"ipp-company-id" and value.strip().isdigit():
                company = int(value)

        async def moving_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif (message["type"] == "http.response.body" and not message.get("more_body")
                  and status["code"] == 200):
                # The page is built; change the data before its last byte goes out, so
                # the client's next request already sees the change.
                for move in self.injector.due_moves(company, entity):
                    await run_in_threadpool(self.injector.apply_move, move, company)
            await send(message)

        return moving_send


def install(app, store, settings) -> FaultInjector:
    """Fault middleware, the ledger and the admin routes of the fault plan."""
    injector = FaultInjector(store, settings.faults)
    _admin.enable(app)

    def answer(body: Any, status: int = 200, headers: dict | None = None) -> Response:
        return Response(json.dumps(body).encode(), status_code=status,
                        media_type="application/json", headers=headers)

    @app.get("/sandbox/admin/faults", tags=["sandbox"], dependencies=_admin.ADMIN,
             summary="The fault plan, calls counted, faults injected, records moved")
    async def faults_state() -> Response:
        return answer(injector.snapshot())

    @app.post("/sandbox/admin/faults", tags=["sandbox"],
              summary="Replace the fault plan (counters start afresh)")
    async def faults_set(body: Any = _admin.BODY) -> Response:
        try:
            injector.set_plan({} if body is None else body)
        except ValueError as exc:
            return answer({"message": str(exc)}, 400)
        return answer(injector.snapshot())

    @app.delete("/sandbox/admin/faults", tags=["sandbox"], dependencies=_admin.ADMIN,
                summary="No more faults")
    async def faults_clear() -> Response:
        injector.set_plan({})
        return answer(injector.snapshot())

    @app.post("/sandbox/admin/move", tags=["sandbox"],
              summary="Change stored records now, as another ERP user would")
    async def move_now(body: Any = _admin.BODY) -> Response:
        try:
            move = {} if body is None else body
            if not isinstance(move, dict) or "company" not in move:
                raise ValueError("send {entity, company, set, keys | count}")
            check_plan({"moves": [{**move, "after": 1}]})
        except ValueError as exc:
            return answer({"message": str(exc)}, 400)
        await run_in_threadpool(injector.apply_move, move, move["company"])
        return answer(injector.snapshot()["moved"][-1])

    @app.post(LEDGER_PATH, tags=["sandbox"],
              summary="Create a ledger entry (a POST target for fault tests)")
    async def ledger_create(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return answer({"message": "The body is not JSON."}, 400)
        entry = {"id": str(uuid.uuid4()), "body": body}
        with injector._lock:
            injector.ledger.append(entry)
        root = str(request.base_url).rstrip("/")
        return answer(entry, 201, {"Location": f"{root}{LEDGER_PATH}/{entry['id']}"})

    @app.get(LEDGER_PATH, tags=["sandbox"], summary="Every ledger entry created")
    async def ledger_list() -> Response:
        with injector._lock:
            return answer(list(injector.ledger))

    @app.delete(LEDGER_PATH, tags=["sandbox"], summary="Empty the ledger")
    async def ledger_clear() -> Response:
        with injector._lock:
            injector.ledger.clear()
        return answer([])

    app.add_middleware(FaultMiddleware, injector=injector)
    return injector
