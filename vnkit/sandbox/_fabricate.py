"""Records in the shape of any DTO of the surface, filled deterministically.

Where the API is regular, the sandbox's demo data and its answers to operations without
hand-written behaviour are made here from the DTO's own description: every field gets a
value of its JSON type (an enum's first values, a nested DTO filled in turn, an array of
a few items), chosen by an ``random.Random`` the caller seeds, so the same seed always
gives the same record. ``hints`` set known values (a key, a reference to another record)
by field name; dotted names reach into nested DTOs.

>>> import random
>>> record = fabricate("CountryDto", random.Random(1), {"id": "NO"})
>>> record["id"]
'NO'
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from .._surface import Field, surface

__all__ = ["fabricate", "value_for"]

_EPOCH = datetime(2020, 1, 1, 8, 0, 0)
# Nested DTOs reached deeper than this are left out (some DTOs refer to themselves).
_MAX_DEPTH = 4


def value_for(f: Field, rng: random.Random, depth: int = 0, hints: dict | None = None) -> Any:
    """A value for one field, of the type the surface gives it."""
    if f.enum:
        values = surface().enums.get(f.enum) or ("",)
        return values[rng.randrange(min(len(values), 3))]
    if f.dto:
        return fabricate(f.dto, rng, hints, depth + 1) if depth < _MAX_DEPTH else None
    if f.type == "array":
        if f.items_dto:
            if depth >= _MAX_DEPTH:
                return []
            return [fabricate(f.items_dto, rng, hints, depth + 1)
                    for _ in range(rng.randint(1, 2))]
        return [_scalar(f.items_type or "string", f.name, rng) for _ in range(rng.randint(0, 2))]
    return _scalar(f.type or "string", f.name, rng)


def _scalar(kind: str, name: str, rng: random.Random) -> Any:
    lower = name.lower()
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "integer":
        if "year" in lower:
            return rng.randint(2020, 2026)
        return rng.randint(1, 500) if "id" in lower or "number" in lower else rng.randint(0, 20)
    if kind == "number":
        # ranges that read like the quantity the field holds
        if "qty" in lower or "quantity" in lower:
            return float(rng.randint(1, 20))
        if "pct" in lower or "percent" in lower or lower.endswith(("rate", "multiplier")):
            return round(rng.uniform(0, 25), 2)
        if "life" in lower or "years" in lower:
            return float(rng.randint(3, 10))
        return round(rng.uniform(1, 10000), 2)
    if kind == "date-time":
        moment = _EPOCH + timedelta(days=rng.randint(0, 1700), seconds=rng.randint(0, 36000))
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    if kind == "object":
        return {}
    # Strings: something that reads like the field it fills.
    if lower.endswith(("period", "periodid")):
        return f"{rng.randint(2020, 2024)}{rng.randint(1, 12):02d}"
    if lower.endswith(("currencyid", "currency")):
        return rng.choice(("NOK", "SEK", "EUR"))
    if lower.endswith(("countryid", "country")):
        return rng.choice(("NO", "SE", "FI", "DK"))
    if "email" in lower:
        return f"post{rng.randint(1, 999)}@example.com"
    if "phone" in lower or "fax" in lower:
        return f"+47 {rng.randint(20000000, 99999999)}"
    if lower.endswith(("description", "name", "note", "text", "descr")):
        return f"{name[:1].upper()}{name[1:]} {rng.randint(1, 999)}"
    if lower.endswith(("id", "cd", "nbr", "number", "code", "no")):
        return f"{rng.randint(1, 99999):05d}"
    return f"{name} {rng.randint(1, 999)}"


def fabricate(dto: str, rng: random.Random, hints: dict[str, Any] | None = None,
              depth: int = 0) -> dict[str, Any]:
    """A record with every field of ``dto`` filled.

    Parameters
    ----------
    dto
        The DTO's name in the surface (``SalesOrderDto``).
    rng
        The source of every choice; seed it from the record's identity.
    hints
        Values to use instead of made-up ones, by field name; ``"customer.number"``
        sets a field of a nested DTO. Hints for names the DTO lacks are ignored.
    """
    hints = hints or {}
    out: dict[str, Any] = {}
    for name, f in surface().dto(dto).items():
        if name in hints:
            out[name] = hints[name]
            continue
        prefix = name + "."
        nested = {k[len(prefix):]: v for k, v in hints.items() if k.startswith(prefix)}
        if f.dto and depth < _MAX_DEPTH:
            out[name] = fabricate(f.dto, rng, nested, depth + 1)
        else:
            out[name] = value_for(f, rng, depth, nested or None)
    return out
