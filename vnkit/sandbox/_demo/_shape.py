"""Records in the full read shape of their DTO.

Two tools, both driven by the surface:

* :func:`complete` adds every field a hand-written record leaves out, recursively
  through nested DTOs and arrays of DTOs, with the value the API shows for "nothing
  here": ``false``, ``0``, an empty array, ``null`` for texts, dates, enums and
  references. It never changes a value that is there. It runs over every record of
  the large company, so the per-DTO work is planned once and cached.
* :func:`make` builds a record from :func:`~vnkit.sandbox._fabricate.fabricate` with
  known values (keys, references to other records) given as hints, then projects
  nested references onto the fields their DTO really has (:func:`fit`).
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

from ..._surface import surface
from .._fabricate import fabricate

__all__ = ["complete", "fit", "make", "resource_dto"]


def resource_dto(resource: str) -> str:
    """The read DTO of a resource name (as ``surface().resource_name`` spells it)."""
    return _resources()[resource]


@lru_cache(maxsize=1)
def _resources() -> dict[str, str]:
    return surface().resources()


def _neutral(f) -> Any:
    """What the API answers for a field that holds nothing."""
    if f.type == "array":
        return None  # marker: a fresh empty list per record (see _plan)
    if f.dto or f.enum:
        return None
    return {"boolean": False, "integer": 0, "number": 0.0}.get(f.type)


@lru_cache(maxsize=None)
def _plan(dto: str) -> tuple[tuple[str, ...], dict[str, Any], frozenset[str],
                             tuple[tuple[str, str, bool], ...]]:
    """(field names, neutral values, array fields, nested (name, dto, is_list))."""
    fields = surface().dto(dto)
    names = tuple(fields)
    neutral = {n: _neutral(f) for n, f in fields.items()}
    arrays = frozenset(n for n, f in fields.items() if f.type == "array")
    nested = tuple((n, f.dto or f.items_dto, f.items_dto is not None)
                   for n, f in fields.items() if f.dto or f.items_dto)
    return names, neutral, arrays, nested


def complete(record: dict, dto: str) -> dict:
    """Add the fields of ``dto`` that ``record`` lacks (in place); returns ``record``.

    Nested objects are never changed in place: generators share small reference
    objects (a customer reference, a subaccount) between records of different DTOs,
    so a nested object that lacks fields is replaced by a completed copy.
    """
    names, neutral, arrays, nested = _plan(dto)
    for name in names:
        if name not in record:
            record[name] = [] if name in arrays else neutral[name]
    _OWNED.add(id(record))
    try:
        _nested(record, record, nested)
    finally:
        _OWNED.discard(id(record))
    return record


def _filled(obj: dict, dto: str) -> dict:
    """``obj`` itself when it is complete, else a completed copy."""
    names, neutral, arrays, nested = _plan(dto)
    out = obj
    for name in names:
        if name not in obj:
            if out is obj:
                out = dict(obj)
            out[name] = [] if name in arrays else neutral[name]
    return _nested(obj, out, nested)


def _nested(obj: dict, out: dict, nested) -> dict:
    for name, sub, is_list in nested:
        value = out.get(name)
        if not value:
            continue
        if is_list:
            if not isinstance(value, list):
                continue
            items = [_filled(i, sub) if isinstance(i, dict) else i for i in value]
            if any(a is not b for a, b in zip(items, value)):
                if out is obj and out is not None and not _owned(obj):
                    out = dict(obj)
                out[name] = items
        elif isinstance(value, dict):
            new = _filled(value, sub)
            if new is not value:
                if out is obj and not _owned(obj):
                    out = dict(obj)
                out[name] = new
    return out


_OWNED: set[int] = set()


def _owned(obj: dict) -> bool:
    """Whether ``obj`` is a top-level record being completed (changed in place)."""
    return id(obj) in _OWNED


_FIT_CACHE: dict[tuple[str, int], dict] = {}


def fit(obj: dict | None, dto: str) -> dict | None:
    """``obj`` cut down to the fields of ``dto`` and completed (a new dict).

    For references shared by many records (an account, a subaccount, a branch): the
    generator's own objects carry more than every nested DTO shows.
    """
    if obj is None:
        return None
    fields = surface().dto(dto)
    return complete({k: v for k, v in obj.items() if k in fields}, dto)


def make(dto: str, rng: random.Random, hints: dict[str, Any] | None = None) -> dict:
    """A record of ``dto`` filled by ``fabricate``; ``hints`` win (dotted names reach
    into nested DTOs). ``errorInfo`` is null, as in every good answer."""
    record = fabricate(dto, rng, hints)
    if "errorInfo" in record:
        record["errorInfo"] = None
    return record
