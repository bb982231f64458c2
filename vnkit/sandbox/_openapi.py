"""The sandbox's OpenAPI document, made from the surface.

Every operation of the surface is listed at its own template with its real parameters
(path, query with their JSON types, the ``ipp-company-id`` header), its request body
and its answer as ``$ref`` to a component schema made from the DTO, and every enum as a
string enum. The routes FastAPI documents itself (Visma Connect, the sandbox's admin
routes, the context list, the Background API's status) are kept as FastAPI made them;
where one of those documents an API path the surface has, the surface's entry wins.

OpenAPI 3.0.3, which the offline Swagger UI 4 bundle reads.
"""

from __future__ import annotations

import re
from typing import Any

from .._surface import Field, Operation, surface, template_key
from ._query import max_page_size
from ._resources import for_operation
from ._signin import security_schemes as signin_security_schemes
from ._writes import EXAMPLES
from .routers import area_of

__all__ = ["install", "surface_document"]

_COMPANY_HEADER = {"name": "ipp-company-id", "in": "header", "required": False,
                   "description": "Company (context) id from GET /resources/v1/context. May "
                                  "be left out when the token covers one company.",
                   "schema": {"type": "string"}}
_SCALARS = {"string": {"type": "string"}, "integer": {"type": "integer"},
            "number": {"type": "number"}, "boolean": {"type": "boolean"},
            "date-time": {"type": "string", "format": "date-time"},
            "object": {"type": "object"}}
_REF = "#/components/schemas/"
_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _component(name: str) -> str:
    return _NAME.sub("_", name)


def field_schema(f: Field) -> dict:
    """The schema of one DTO field (wrapped fields as ``{"value": ...}``)."""
    if f.enum:
        inner: dict = {"$ref": _REF + _component(f.enum)}
    elif f.dto:
        inner = {"$ref": _REF + _component(f.dto)}
    elif f.type == "array":
        if f.items_dto:
            items: dict = {"$ref": _REF + _component(f.items_dto)}
        else:
            items = dict(_SCALARS.get(f.items_type or "string", {}))
        inner = {"type": "array", "items": items}
    else:
        inner = dict(_SCALARS.get(f.type or "string", {}))
    if f.wrapped:
        return {"type": "object", "properties": {"value": inner}}
    return inner


def _schemas() -> dict[str, dict]:
    s = surface()
    out: dict[str, dict] = {}
    for name, fields in s.dtos.items():
        out[_component(name)] = {"type": "object", "properties": {
            f.name: field_schema(f) for f in fields.values()}}
    for name, values in s.enums.items():
        out[_component(name)] = {"type": "string", "enum": list(values)}
    return out


def _param_schema(kind: str, items: str | None) -> dict:
    if kind == "array":
        return {"type": "array", "items": dict(_SCALARS.get(items or "string", {}))}
    return dict(_SCALARS.get(kind, {"type": "string"}))


def _parameters(op: Operation, settings, statuses: dict) -> list[dict]:
    params: list[dict] = [{"name": name, "in": "path", "required": True,
                           "description": "Percent-encode reserved characters or write "
                                          "b64(<base64url>).",
                           "schema": {"type": "string"}} for name in op.path_params]
    entity = for_operation(op) if op.is_list else None
    for q in op.query:
        schema = _param_schema(q.type, q.items)
        lower = q.name.lower()
        if entity is not None and lower == "pagesize":
            schema["default"] = max_page_size(entity, settings)
            schema["minimum"] = 1
        elif lower == "pagenumber":
            schema.update(minimum=1, default=1)
        elif entity is not None and lower == entity.status_param.lower():
            values = list(statuses.get(entity.name, {}).values())
            if values:
                schema = {"type": "string", "enum": values}
        elif lower.endswith("condition"):
            schema = {"type": "string", "enum": [">", "<", ">=", "<="]}
        params.append({"name": q.name, "in": "query", "required": False, "schema": schema})
    params.append(_COMPANY_HEADER)
    for header in op.headers:
        if header.lower() != "ipp-company-id":
            params.append({"name": header, "in": "header", "required": False,
                           "schema": {"type": "string"}})
    return params


def _responses(op: Operation) -> dict:
    error = {"description": "{\"message\": ...} says what is wrong"}
    answer: dict = {}
    if op.response:
        if op.is_list:
            schema: dict = {"type": "array", "items": {"$ref": _REF + _component(
                op.record_dto)}} if op.record_dto else {"type": "array", "items": {}}
        elif op.record_dto:
            schema = {"$ref": _REF + _component(op.record_dto)}
        else:
            schema = {}
        answer = {"content": {"application/json": {"schema": schema}}}
    if op.method == "GET":
        ok = {"200": {"description": "OK", **answer}}
    elif op.method == "POST" and not op.is_action and not op.path.lower().endswith(
            "/attachment") and surface().find("GET", op.path) is not None:
        ok = {"201": {"description": "Created; Location ends with the new key"}}
    elif op.response:
        ok = {"200": {"description": "Done", **answer}}
    else:
        ok = {"204": {"description": "Done"}}
    return {**ok, "400": error, "401": {"description": "No valid token"},
            "404": error}


def _request_body(op: Operation, examples: dict[str, dict]) -> dict | None:
    if not op.body:
        return None
    if op.path.lower().endswith("/attachment"):
        return {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}
    if op.body == "object":
        return {"required": False, "content": {"application/json": {"schema": {
            "type": "object"}}}}
    schema: dict = {"$ref": _REF + _component(op.body)}
    example = examples.get(op.path.split("/", 2)[2].lower()) if op.method == "POST" else None
    if example is not None:
        # Siblings of a $ref are ignored in 3.0: the example rides on an allOf.
        schema = {"allOf": [schema], "example": example}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def surface_document(base: dict, settings, statuses: dict) -> dict:
    """``base`` (FastAPI's own document) with every surface operation added from the
    surface, replacing any entry base had for the same method and path."""
    examples = {name.lower(): body for name, body in EXAMPLES.items()}
    ops = surface().operations
    taken = {(o.method.lower(), o.key) for o in ops}
    paths: dict[str, dict] = {}
    for path, item in (base.get("paths") or {}).items():
        kept = {m: v for m, v in item.items() if (m, template_key(path)) not in taken}
        if kept:
            paths[path] = kept
    for op in ops:
        entry: dict[str, Any] = {
            "tags": [_tag(op)], "operationId": op.operation_id,
            "summary": f"{op.method} {op.path}",
            "parameters": _parameters(op, settings, statuses),
            "responses": _responses(op)}
        body = _request_body(op, examples)
        if body is not None:
            entry["requestBody"] = body
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    doc = dict(base, paths=paths)
    components = dict(doc.get("components") or {})
    components["schemas"] = {**(components.get("schemas") or {}), **_schemas()}
    doc["components"] = components
    return doc


def _tag(op: Operation) -> str:
    return area_of(op.group)


def install(app) -> None:
    """Serve :func:`surface_document` as the app's document (built on first request).

    Swagger UI 4 (the offline bundle) reads OpenAPI 3.0, so the version is pinned.
    """
    app.openapi_version = "3.0.3"
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = surface_document(build(), app.state.settings,
                                      app.state.builder.statuses)
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "A token from POST /connect/token "
                                          "(grant_type=client_credentials, tenant_id, scope)."},
                # Article 04's interactive API: a user signs in (sign-in pages: _signin).
                **signin_security_schemes()}
            schema["security"] = [{"bearer": []},
                                  *({name: []} for name in signin_security_schemes())]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
