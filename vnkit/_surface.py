"""The API's own description: every operation, parameter, DTO and enum of Visma.net ERP.

vnkit ships a compact copy of the surface digest as package data
(``vnkit/_data/surface.json``, made by ``tools/update_surface.py``). It derives from the
MIT-licensed Pionect/visma-php-sdk, which its authors generate from the official
OpenAPI document of api.finance.visma.net. This module is the one reader of it: the
client (``describe``, parameter checks, request bodies, the Explorer) and the sandbox
(routes, OpenAPI document, generic handlers, demo-data shapes) both ask it, so no
other table of paths, parameters or fields is kept by hand.

The file is read on first use, not at ``import vnkit``.

>>> from vnkit._surface import surface
>>> op = surface().find("GET", "/v1/customer")
>>> op.param("status").type
'string'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

__all__ = ["Field", "Operation", "Param", "Surface", "surface", "template_key"]

_PARAM = re.compile(r"\{([^}]*)\}")


def template_key(path: str) -> str:
    """A path template's matching key: lower case, parameter names dropped.

    ``/v1/Customer/{customerCd}/`` and ``/v1/customer/{number}`` share the key
    ``/v1/customer/{}``; the real API matches paths case-insensitively.
    """
    return _PARAM.sub("{}", path.strip().lower().rstrip("/"))


@dataclass(frozen=True)
class Param:
    """A query parameter: its name as the API spells it and its JSON type."""

    name: str
    type: str
    items: str | None = None  # element type of an array parameter


@dataclass(frozen=True)
class Field:
    """A DTO field.

    Exactly one of ``type``, ``dto`` or ``enum`` describes the value; an ``array``
    has its element in ``items_type`` / ``items_dto``. ``wrapped`` marks a field that
    an update DTO sends as ``{"value": ...}``.
    """

    name: str
    type: str | None = None
    dto: str | None = None
    enum: str | None = None
    items_type: str | None = None
    items_dto: str | None = None
    wrapped: bool = False

    @property
    def kind(self) -> str:
        """One word for the value: a JSON type, ``object`` (a DTO) or ``enum``."""
        if self.dto:
            return "object"
        if self.enum:
            return "enum"
        return self.type or "any"

    @classmethod
    def from_json(cls, name: str, spec: dict) -> Field:
        items = spec.get("items") or {}
        return cls(name, spec.get("type"), spec.get("dto"), spec.get("enum"),
                   items.get("type"), items.get("dto"), bool(spec.get("wrapped")))


@dataclass(frozen=True)
class Operation:
    """One operation (method + path template) of the API."""

    operation_id: str
    method: str
    path: str
    path_params: tuple[str, ...]
    query: tuple[Param, ...]
    headers: tuple[str, ...]
    body: str | None
    response: dict | None
    paginated: bool
    group: str
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", template_key(self.path))

    @property
    def version(self) -> str:
        """``v1`` or ``v2``."""
        return self.path.split("/")[1]

    @property
    def is_list(self) -> bool:
        """Whether the answer is a JSON array of records."""
        return self.response is not None and self.response.get("type") == "array"

    @property
    def record_dto(self) -> str | None:
        """The DTO of the answer's records (list) or of the answer (single), if any."""
        if not self.response:
            return None
        if self.is_list:
            return (self.response.get("items") or {}).get("dto")
        return self.response.get("dto")

    @property
    def is_action(self) -> bool:
        return "/action/" in self.path.lower()

    def param(self, name: str) -> Param | None:
        """The query parameter called ``name`` (case-insensitive), or None."""
        return self._params.get(name.lower())

    @cached_property
    def _params(self) -> dict[str, Param]:
        return {p.name.lower(): p for p in self.query}

    @classmethod
    def from_json(cls, spec: dict) -> Operation:
        query = tuple(Param(q["name"], q.get("type") or "string",
                            (q.get("items") or {}).get("type")) for q in spec.get("query", ()))
        return cls(spec["operationId"], spec["method"].upper(), spec["path"],
                   tuple(spec.get("pathParams") or ()), query,
                   tuple(spec.get("headers") or ()), spec.get("body"), spec.get("response"),
                   bool(spec.get("paginated")), spec.get("group") or "")


class Surface:
    """The whole surface, with look-ups by operation, path and DTO.

    Parameters
    ----------
    data
        The parsed surface document (``operations``, ``dtos``, ``enums``, ``about``).
    """

    def __init__(self, data: dict[str, Any]):
        self.about: str = data.get("about", "")
        self.operations: tuple[Operation, ...] = tuple(
            Operation.from_json(o) for o in data["operations"])
        self.dtos: dict[str, dict[str, Field]] = {
            name: {f: Field.from_json(f, spec) for f, spec in fields.items()}
            for name, fields in data["dtos"].items()}
        self.enums: dict[str, tuple[str, ...]] = {
            name: tuple(values) for name, values in data["enums"].items()}
        self._by_key: dict[tuple[str, str], Operation] = {
            (o.method, o.key): o for o in self.operations}
        self._by_id = {o.operation_id: o for o in self.operations}
        self._trie = _Trie(self.operations)

    def __repr__(self) -> str:
        return (f"<Surface {len(self.operations)} operations, {len(self.dtos)} DTOs, "
                f"{len(self.enums)} enums>")

    # -- operations -----------------------------------------------------------

    def find(self, method: str, template: str) -> Operation | None:
        """The operation with this method and path template (names of parameters and
        case ignored), or None."""
        return self._by_key.get((method.upper(), template_key(template)))

    def by_id(self, operation_id: str) -> Operation | None:
        return self._by_id.get(operation_id)

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation a concrete path (``/v1/Customer/10001``) asks for, and the
        raw text of its path parameters; literal segments match case-insensitively and
        win over parameters. None when no operation of this method has the path."""
        found = self._trie.match(method.upper(), [s for s in path.split("/") if s])
        if found is None:
            return None
        op, values = found
        return op, dict(zip(op.path_params, values))

    def paths(self, path: str) -> list[Operation]:
        """Every operation (any method) whose template matches the concrete ``path``."""
        out = []
        for method in ("GET", "POST", "PUT", "DELETE"):
            hit = self.match(method, path)
            if hit is not None:
                out.append(hit[0])
        return out

    def lists(self) -> list[Operation]:
        """GET operations that answer an array of records."""
        return [o for o in self.operations if o.method == "GET" and o.is_list]

    def resource_name(self, op: Operation) -> str | None:
        """The name of the records a list (or single GET) operation serves.

        Records are grouped by their read DTO: every list of ``SalesOrderDto``
        (``/v1/salesorder``, ``/v2/salesorder``, ``/v1/customer/{customerCd}/salesorder``)
        serves the resource ``salesorder``. The name is the path, less its version
        prefix, of the first parameterless list of that DTO in the surface's order
        (``customerinvoice``, ``customer/balance``, ``generalLedgerBalance``). A DTO
        listed only below a path parameter is named by that list's template
        (``customer/{customerCd}/directdebit``). None for operations without records.
        """
        dto = op.record_dto
        return None if dto is None else self._resource_names.get(dto)

    @cached_property
    def _resource_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        lists = self.lists()
        for op in sorted(lists, key=lambda o: bool(o.path_params)):  # stable: parameterless first
            dto = op.record_dto
            if dto and dto not in names:
                names[dto] = op.path.split("/", 2)[2]
        return names

    def resources(self) -> dict[str, str]:
        """Every resource name with its read DTO (``{"customer": "CustomerDto", ...}``)."""
        return {name: dto for dto, name in self._resource_names.items()}

    # -- DTOs -----------------------------------------------------------------

    def dto(self, name: str) -> dict[str, Field]:
        """The fields of a DTO (empty for an unknown name)."""
        return self.dtos.get(name, {})

    def wrapped(self, name: str) -> set[str]:
        """Fields of an update DTO sent as ``{"value": ...}``."""
        return {f.name for f in self.dto(name).values() if f.wrapped}

    def walk(self, name: str, prefix: str = "", depth: int = 4) -> Iterator[tuple[str, Field]]:
        """Every field of a DTO and of its nested DTOs, as ``(dotted.name, Field)``."""
        for f in self.dto(name).values():
            dotted = prefix + f.name
            yield dotted, f
            nested = f.dto or f.items_dto
            if nested and depth > 1:
                yield from self.walk(nested, dotted + ".", depth - 1)


class _Trie:
    """Operations by path segments; literal segments are lower-cased."""

    def __init__(self, operations: tuple[Operation, ...]):
        self.root: dict = {}
        for op in operations:
            node = self.root
            for part in [s for s in op.path.split("/") if s]:
                node = node.setdefault("{}" if _PARAM.fullmatch(part) else part.lower(), {})
            node.setdefault("", {})[op.method] = op

    def match(self, method: str, segments: list[str]):
        def walk(node: dict, i: int, values: list[str]):
            if i == len(segments):
                op = node.get("", {}).get(method)
                return (op, values) if op is not None else None
            literal = node.get(segments[i].lower())
            if literal is not None:
                hit = walk(literal, i + 1, values)
                if hit is not None:
                    return hit
            param = node.get("{}")
            if param is not None:
                return walk(param, i + 1, [*values, segments[i]])
            return None

        return walk(self.root, 0, [])


@lru_cache(maxsize=1)
def surface() -> Surface:
    """The bundled surface (read once per process)."""
    text = resources.files("vnkit").joinpath("_data/surface.json").read_text("utf-8")
    return Surface(json.loads(text))
