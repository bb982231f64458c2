"""The handlers of the surface's operations: hand-written where the sandbox has
behaviour, generic everywhere else.

:class:`Generic` makes one handler per operation. Where a feature module has a
handler for the operation id (``deep``: the writes of ``_writes``, the attachment
download and update of ``_attachments``, the job status of ``_background``, the
webhook feedback of ``_webhooks``) the call goes there; uploads go to
``_attachments``; everything else is answered here.

The API is regular where the sandbox has no behaviour to add: a list pages through the
records of one DTO, a single GET finds one by key, a create stores the body in the read
shape, an update merges it, a delete removes it, an action reports what it did. This
module gives those answers for any operation, reading what it needs from the surface
and the resource registry (:mod:`.._resources`):

* lists: paging and ``metadata`` as everywhere, exact filters, date filters, a list
  below a parent filtered by the field that names the parent (or ``_parent``);
* single GETs: by key (404 naming it), by another field the path names (``internal/
  {internalId}``), or, for a DTO that no list holds (``customer/{customerCd}/note``),
  a record made from the DTO deterministically (404 when the parent is missing);
* creates (201 + ``Location``), updates and deletes (204), actions (200 with the
  result DTO, or 204), each body checked against its update DTO first (400 naming
  the field), each write in one ``Store.transaction()``.
"""


import json
import random
import zlib
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..._surface import Field, Operation, surface
from .._answers import (
    JSON_TYPE,
    BadJson,
    Refused,
    decode_key,
    etag,
    json_answer,
    key_segment,
    message_error,
    parse_json,
)
from .._canonical import ROOT_KEY
from .._deps import Call, Caller, Handler, company
from .._fabricate import fabricate
from .._query import BadParameter, parse_query_string
from .._resources import (
    PARENT_FIELD,
    Entity,
    for_operation,
    parent_of,
    parent_reference,
)
from .._store import _DOC, _DOC_JOIN, _DOC_TEXT
from .._writes import Context, now_stamp
from ._lists import list_body


class BodyProblem(ValueError):
    """A request body that does not fit its update DTO (answered 400 with the text)."""


# --------------------------------------------------------------------------- bodies


def check_body(dto: str, body: Any, where: str = "") -> None:
    """Check ``body`` against the update DTO ``dto``; :class:`BodyProblem` names a field.

    Members are matched without regard to case and unknown ones are ignored, as the API
    does. A wrapped field must be ``{"value": ...}``; every value must have its field's
    type (text, whole number, number, true/false, one of an enum's values, an object of
    the nested DTO, a list).
    """
    if not isinstance(body, dict):
        raise BodyProblem(f"{where or 'The request body'} must be a JSON object "
                          f"({dto} fields).")
    fields = {name.lower(): f for name, f in surface().dto(dto).items()}
    for name, value in body.items():
        spec = fields.get(str(name).lower())
        if spec is None or value is None:
            continue
        label = f"{where}.{spec.name}" if where else spec.name
        if spec.wrapped:
            if not isinstance(value, dict) or not any(str(k).lower() == "value"
                                                      for k in value):
                raise BodyProblem(f"Invalid value for field '{label}': send it as "
                                  '{"value": ...}.')
            value = next(v for k, v in value.items() if str(k).lower() == "value")
            if value is None:
                continue
        _check_value(spec, value, label)


def _check_value(spec: Field, value: Any, label: str) -> None:
    if spec.enum:
        allowed = surface().enums.get(spec.enum, ())
        if not isinstance(value, str) or (allowed and value.lower() not in
                                          {a.lower() for a in allowed}):
            shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
            raise BodyProblem(f"Invalid value for field '{label}': {json.dumps(value)[:60]} "
                              f"is not one of {shown}.")
        return
    if spec.dto:
        check_body(spec.dto, value, label)
        return
    if spec.type == "array":
        if not isinstance(value, list):
            raise BodyProblem(f"Invalid value for field '{label}': expected a list.")
        for i, item in enumerate(value):
            if item is None:
                continue
            if spec.items_dto:
                check_body(spec.items_dto, item, f"{label}[{i}]")
            elif spec.items_type:
                _check_scalar(spec.items_type, item, f"{label}[{i}]")
        return
    _check_scalar(spec.type or "string", value, label)


def _check_scalar(kind: str, value: Any, label: str) -> None:
    ok = True
    if kind == "boolean":
        ok = isinstance(value, bool) or (isinstance(value, str)
                                         and value.lower() in ("true", "false"))
        expected = "true or false"
    elif kind == "integer":
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.strip().lstrip("+-").isdigit())
        expected = "a whole number"
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(value, str):
            try:
                float(value)
                ok = True
            except ValueError:
                ok = False
        expected = "a number"
    elif kind in ("string", "date-time"):
        ok = isinstance(value, (str, int, float)) and not isinstance(value, bool)
        expected = "text"
    else:
        expected = kind
    if not ok:
        raise BodyProblem(f"Invalid value for field '{label}': {json.dumps(value)[:60]} is "
                          f"not {expected}.")


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower() == "value" and len(value) == 1:
                return v
    return value


def apply_body(doc: dict, body: dict, read_dto: str) -> None:
    """Copy the body's values into ``doc`` where the read DTO has a field of that name."""
    read = {name.lower(): f for name, f in surface().dto(read_dto).items()}
    for name, value in body.items():
        spec = read.get(str(name).lower())
        if spec is None:
            continue
        value = _unwrap(value)
        if spec.dto or spec.type == "array":
            continue  # nested shapes differ between update and read DTOs
        if isinstance(value, (dict, list)):
            continue
        doc[spec.name] = value


# --------------------------------------------------------------------------- handlers


def _seed(*parts: Any) -> random.Random:
    return random.Random(zlib.crc32("|".join(str(p) for p in parts).encode("utf-8")))


def _concrete(op: Operation, values: dict[str, str], upto: int | None = None,
              encode: bool = False) -> str:
    """The template with the path's values filled in, below the version (``customer/1``).

    ``encode``: each value as a URL segment (``key_segment``), for a ``Location``.
    """
    out = []
    position = 0
    for part in op.path.split("/")[2:upto]:
        if part.startswith("{"):
            value = values[op.path_params[position]]
            out.append(key_segment(value) if encode else value)
            position += 1
        else:
            out.append(part)
    return "/".join(out)


class Generic:
    """The route handlers of the surface's operations.

    Parameters
    ----------
    store, settings, builder
        The application's store, settings and list-query builder.
    writes
        The write side (:mod:`.._writes`): its lock and its way of saving a document.
    attachments
        The attachment side (:mod:`.._attachments`), which takes every upload.
    deep
        Hand-written handlers by operation id (writes, attachments, the Background API,
        webhook feedback); every other operation is answered generically.
    """

    def __init__(self, store, settings, builder, writes, attachments,
                 deep: dict[str, Handler]):
        self.store = store
        self.settings = settings
        self.builder = builder
        self.writes = writes
        self.attachments = attachments
        self.deep = deep

    def endpoint(self, op: Operation):
        """The route handler of one operation (dependencies: the caller, the company)."""
        deep = self.deep.get(op.operation_id)

        async def answer(request: Request, who: Caller,
                         company_id: Annotated[int, Depends(company)]) -> Response:
            values = {name: decode_key(value) for name, value in request.path_params.items()}
            call = Call(op, request, who, company_id, values)
            try:
                if deep is not None:
                    return await deep(call)
                return await self.answer(call)
            except BadParameter as exc:
                return message_error(400, f"Invalid value for parameter '{exc.parameter}': "
                                          f"{exc.message}")
            except (BodyProblem, BadJson) as exc:
                return message_error(400, str(exc))

        answer.__name__ = op.operation_id
        return answer

    async def answer(self, call: Call) -> Response:
        op, request, company_id, values = call.op, call.request, call.company_id, call.values
        if op.method == "GET":
            if op.is_list:
                return await self.listing(op, request, company_id, values)
            entity = for_operation(op)
            if entity is not None and op.path_params:
                return await self.single(op, entity, company_id, values)
            return await self.made_up(op, company_id, values)
        if op.method == "POST" and op.path.lower().endswith("/attachment"):
            return await self.attachments.upload(call)
        return await self.write(op, request, company_id, values)

    # -- reads -------------------------------------------------------------------

    async def listing(self, op: Operation, request: Request, company_id: int,
                      values: dict[str, str]) -> Response:
        entity = for_operation(op)
        params = parse_query_string(request.scope.get("query_string", b""))
        if entity is None:
            return json_answer(200, [])
        exact = parent = None
        ref = parent_reference(op.path) if op.path_params else None
        if ref is not None:
            kind, target, parent_entity, index = ref
            parent_key = values[op.path_params[index]] if index is not None else None
            if (parent_entity is not None and parent_key is not None
                    and self.settings.sublist_requires_parent
                    and not await run_in_threadpool(self.store.exists, company_id,
                                                    parent_entity.name, parent_key)):
                return message_error(404, f"{parent_entity.name} '{parent_key}' was not "
                                          "found.")
            if kind == "field":
                exact = (target, parent_key if parent_key is not None
                         else values[op.path_params[-1]])
            else:
                parent = _concrete(op, values)
        body = await run_in_threadpool(list_body, self.store, self.builder, self.settings,
                                       entity, company_id, params, exact, parent)
        return Response(body, media_type=JSON_TYPE)

    async def single(self, op: Operation, entity: Entity, company_id: int,
                     values: dict[str, str]) -> Response:
        param = op.path_params[-1]
        key = values[param]
        by_lower = {f.lower(): f for f in surface().dto(entity.dto)}
        field = _other_field(entity, param)
        parent = _concrete(op, values, -1) if entity.parented else None
        if field is not None:
            doc = await run_in_threadpool(self.store.one_by_field, company_id, entity.name,
                                          field, key)
        else:
            doc = await run_in_threadpool(self.store.one, company_id, entity.name, key,
                                          parent)
        if doc is not None and len(op.path_params) > 1 and not entity.parented:
            record = json.loads(doc)
            for other in op.path_params[:-1]:
                name = by_lower.get(other.lower())
                have = record.get(name) if name else None
                if have is not None and not isinstance(have, (dict, list)) and \
                        str(have).lower() != values[other].lower():
                    doc = None
                    break
        if doc is None:
            return message_error(404, f"{entity.name} '{key}' was not found.")
        return Response(doc, media_type=JSON_TYPE, headers={"ETag": etag(doc)})

    async def _parent_missing(self, op: Operation, company_id: int,
                              values: dict[str, str]) -> Response | None:
        found = parent_of(op.path)
        if found is None:
            return None
        parent, index = found
        key = values[op.path_params[index]]
        if await run_in_threadpool(self.store.exists, company_id, parent.name, key):
            return None
        return message_error(404, f"{parent.name} '{key}' was not found.")

    async def made_up(self, op: Operation, company_id: int,
                      values: dict[str, str]) -> Response:
        """A DTO no list holds, made from the path: the same path, the same answer."""
        missing = await self._parent_missing(op, company_id, values)
        if missing is not None:
            return missing
        dto = op.record_dto
        if dto is None:
            return json_answer(200, {})
        hints = {f: values[p] for p in op.path_params for f in surface().dto(dto)
                 if f.lower() == p.lower()}
        return json_answer(200, fabricate(dto, _seed(company_id, _concrete(op, values)),
                                          hints))

    # -- writes ------------------------------------------------------------------

    async def write(self, op: Operation, request: Request, company_id: int,
                    values: dict[str, str]) -> Response:
        raw = await request.body()
        body: Any = None
        if op.body and op.body != "object":
            if not raw.strip():
                raise BodyProblem(f"The request body is missing; send a {op.body} object.")
            body = parse_json(raw)
            check_body(op.body, body)
        elif raw.strip() and "json" in request.headers.get("content-type", "json"):
            body = parse_json(raw)
        target = _write_target(op)
        if op.is_action or target is None:
            missing = await self._parent_missing(op, company_id, values)
            if missing is not None:
                return missing
            dto = op.record_dto
            if dto is None:
                return Response(status_code=204)
            result = fabricate(dto, _seed(company_id, op.path, _concrete(op, values)))
            return json_answer(200, result)
        kind, entity = target
        if kind == "create":
            return await run_in_threadpool(self._create, op, request, entity, company_id,
                                           values, body if isinstance(body, dict) else {})
        param = op.path_params[-1]
        key = values[param]
        parent = _concrete(op, values, -1) if entity.parented else None
        field = _other_field(entity, param)
        return await run_in_threadpool(self._change, entity, company_id, key, parent,
                                       body if isinstance(body, dict) else None,
                                       op.method == "DELETE", field)

    def _create(self, op: Operation, request: Request, entity: Entity, company_id: int,
                values: dict[str, str], body: dict) -> Response:
        writes = self.writes
        key_field = entity.key
        given = next((_unwrap(v) for k, v in body.items()
                      if str(k).lower() == key_field.lower()), None)
        parent = _concrete(op, values) if entity.parented else None
        with writes._lock:
            try:
                with self.store.transaction() as conn:
                    key = str(given).strip() if given not in (None, "") else \
                        self._next_key(conn, entity, company_id)
                    if self.store.one(company_id, entity.name, key, parent) is not None:
                        raise Refused(message_error(400, f"A {entity.name} with the key "
                                                         f"'{key}' already exists."))
                    doc = fabricate(entity.dto, _seed(company_id, entity.name, key),
                                    {key_field: key} if "." not in key_field else None)
                    apply_body(doc, body, entity.dto)
                    if "." not in key_field:
                        doc[key_field] = key
                    if entity.created_field:
                        doc[entity.created_field] = now_stamp()
                    if parent is not None:
                        doc[PARENT_FIELD] = parent
                    writes._save(Context(conn, company_id), entity, doc, None)
            except Refused as refused:
                return refused.answer
        root = request.scope.get(ROOT_KEY) or "/v1/"
        if root.lower().endswith("v2/"):
            root = root[:-3] + "v1/"
        list_path = _concrete(op, values, encode=True)
        location = (str(request.base_url).rstrip("/") + root.rstrip("/") + "/" + list_path
                    + "/" + key_segment(key))
        return Response(status_code=201, headers={"Location": location})

    def _next_key(self, conn, entity: Entity, company_id: int) -> str:
        row = conn.execute(
            "SELECT MAX(CAST(key AS INTEGER)), MAX(LENGTH(key)) FROM records WHERE "
            "company_id = ? AND entity = ? AND key NOT GLOB '*[^0-9]*' AND key != ''",
            (company_id, entity.name)).fetchone()
        top, width = row if row and row[0] is not None else (0, 6)
        return str(int(top) + 1).zfill(int(width or 6))

    def _change(self, entity: Entity, company_id: int, key: str, parent: str | None,
                body: dict | None, delete: bool, field: str | None = None) -> Response:
        writes = self.writes
        with writes._lock:
            try:
                with self.store.transaction() as conn:
                    sql = (f"SELECT r.id, {_DOC} FROM records r {_DOC_JOIN} WHERE "
                           "r.company_id = ? AND r.entity = ? AND r.key = ?")
                    args: list = [company_id, entity.name, key]
                    if field is not None:  # the path names the record by another field
                        sql = (f"SELECT r.id, {_DOC} FROM records r {_DOC_JOIN} WHERE "
                               "r.company_id = ? AND r.entity = ? AND lower(CAST(json_extract("
                               f"{_DOC_TEXT}, ?) AS TEXT)) = lower(?)")
                        args = [company_id, entity.name, "$." + field, key]
                    if parent is not None:
                        sql += " AND r.parent = ?"
                        args.append(parent)
                    row = conn.execute(sql + " ORDER BY r.seq LIMIT 1", args).fetchone()
                    if row is None:
                        raise Refused(message_error(404, f"{entity.name} '{key}' was not found."))
                    row_id, doc = row[0], json.loads(row[1])
                    if delete:
                        conn.execute("DELETE FROM records WHERE id = ?", (row_id,))
                        conn.execute("DELETE FROM main.docs WHERE id = ?", (row_id,))
                        conn.execute("DELETE FROM facets WHERE company_id = ? AND entity = ? "
                                     "AND id = ?", (company_id, entity.name, row_id))
                    else:
                        kept = {name: doc.get(name) for name in (entity.key, *entity.key_fallbacks)
                                if name in doc}
                        apply_body(doc, body or {}, entity.dto)
                        doc.update(kept)  # keys change through actions, not PUT
                        if parent is not None:
                            doc[PARENT_FIELD] = parent
                        writes._save(Context(conn, company_id), entity, doc, row_id)
            except Refused as refused:
                return refused.answer
        return Response(status_code=204)


def _other_field(entity: Entity, param: str) -> str | None:
    """The top-level field a path parameter names when it is not the key (``internalId``
    in ``customer/internal/{internalId}``), else None."""
    field = next((f for f in surface().dto(entity.dto) if f.lower() == param.lower()), None)
    if field is None or field == entity.key or field in entity.key_fallbacks:
        return None
    return field


def _write_target(op: Operation) -> tuple[str, Entity] | None:
    """``("create", resource)`` for a POST on a list, ``("change", resource)`` for a PUT
    or DELETE on a single record; None for other writes (they answer generically)."""
    s = surface()
    if op.method == "POST":
        listing = s.find("GET", op.path)
        if listing is not None and listing.is_list:
            entity = for_operation(listing)
            return None if entity is None else ("create", entity)
        return None
    if not op.path_params:
        return None
    single = s.find("GET", op.path)
    if single is not None and not single.is_list:
        entity = for_operation(single)
        if entity is not None:
            return "change", entity
    return None

