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
from functools import cache, lru_cache
from typing import Any, overload

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


@cache
def _plan(dto: str) -> tuple[tuple[str, ...], dict[str, Any], frozenset[str],
                             tuple[tuple[str, str | None, bool], ...], frozenset[str]]:
    """(field names, neutral values, array fields, nested (name, dto, is_list),
    the names as a set)."""
    fields = surface().dto(dto)
    names = tuple(fields)
    neutral = {n: _neutral(f) for n, f in fields.items()}
    arrays = frozenset(n for n, f in fields.items() if f.type == "array")
    nested = tuple((n, f.dto or f.items_dto, f.items_dto is not None)
                   for n, f in fields.items() if f.dto or f.items_dto)
    return names, neutral, arrays, nested, frozenset(names)


def complete(record: dict, dto: str) -> dict:
    """Add the fields of ``dto`` that ``record`` lacks (in place); returns ``record``.

    The added fields come after the record's own. Nested objects are never changed in
    place: generators share small reference objects (a customer reference, a
    subaccount) between records of different DTOs, so a nested object that lacks
    fields is replaced by a completed copy (see :func:`_filled`).
    """
    return _fill(record, dto, True)


def _filled(obj: dict, dto: str) -> dict:
    """``obj`` itself when it is complete, else a completed copy (the added fields
    first: the order the API's own nested objects show)."""
    return _fill(obj, dto, False)


def _fill(obj: dict, dto: str, in_place: bool) -> dict:
    """The one completion of :func:`complete` (in place) and :func:`_filled` (copy).

    It runs for every record and nested object of the large company, a third of its
    generation, so the common cases cost no call: a shared reference completed before
    is looked up by identity, and a nested object whose shape is known to lack nothing
    is left as it is.
    """
    sig = (dto, len(obj), next(iter(obj), None), next(reversed(obj), None))
    shape = _SHAPES.get(sig)
    if shape is None:
        shape = _shape_of(dto, obj, sig)
    missing, nested = shape
    if in_place:
        out = obj
        for name, value in missing.items():
            if name not in obj:
                obj[name] = value
    else:
        out = {**missing, **obj} if missing else obj
    shared = _SHARED
    for name, sub, is_list in nested:
        value = out.get(name)
        if not value:
            continue
        if is_list:
            new = _filled_items(value, sub)
        elif value.__class__ is dict:
            hit = shared.get(id(value))
            if hit is not None and hit[0] is value and hit[1] == sub:
                new = hit[2]
            elif (sub, len(value), next(iter(value)),
                  next(reversed(value))) in _WHOLE:
                new = value  # its shape lacks nothing and has nothing nested
            else:
                new = _fill(value, sub, False)
                if len(shared) >= _SHARED_MAX:
                    shared.clear()
                shared[id(value)] = (value, sub, new)
        else:
            continue
        if new is not value:
            if out is obj and not in_place:
                out = dict(obj)
            out[name] = new
    return out


# What a record of a given DTO lacks, and which of its nested fields to look into.
# Records made by one generator share their keys, so this is worked out once per
# generator and DTO; the signature (size, first and last key) is cheap where the full
# key tuple is not, and a stale guess can only leave a field out, never overwrite one
# (missing fields are added only where absent).
_SHAPES: dict[tuple, tuple[dict, tuple]] = {}
# Signatures of shapes that lack nothing and have no nested DTO to look into.
_WHOLE: set[tuple] = set()


def _shape_of(dto: str, obj: dict, sig: tuple) -> tuple[dict, tuple]:
    names, neutral, arrays, nested, _ = _plan(dto)
    missing = {n: ([] if n in arrays else neutral[n]) for n in names if n not in obj}
    shape = _SHAPES[sig] = (missing, tuple(x for x in nested if x[0] in obj))
    if not missing and not shape[1]:
        _WHOLE.add(sig)
    return shape


# Completed copies of shared nested objects, by identity (the original is held, so its
# id cannot be reused while the entry lives). Bounded: one company's references fit.
_SHARED: dict[int, tuple[dict, str, dict]] = {}
_SHARED_MAX = 20_000


def _filled_items(value, sub: str):
    """A list of DTO items completed (itself when nothing changes)."""
    if value.__class__ is not list:
        return value
    # list items are mostly a record's own lines: not worth remembering
    items = [_fill(i, sub, False) if i.__class__ is dict else i for i in value]
    for a, b in zip(items, value):
        if a is not b:
            return items
    return value


def forget_shared() -> None:
    """Drop the remembered completions (between companies)."""
    _SHARED.clear()


_FIT_CACHE: dict[tuple[str, int], dict] = {}


@overload
def fit(obj: dict, dto: str) -> dict: ...
@overload
def fit(obj: None, dto: str) -> None: ...
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
