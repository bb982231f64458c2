"""The demo generator's records without a sandbox, for the tests of the demo data.

The small companies are collected whole (a few seconds, once per test session); the
large company is left to the tests that stream through it and keep only sums.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from vnkit.sandbox import _seed

LARGE = _seed.COMPANIES[1].company_id
SMALL = [c.company_id for c in _seed.COMPANIES if c.company_id != LARGE]


def cents(value: float) -> int:
    """An amount in whole cents, so sums compare exactly."""
    return round(value * 100)


@cache
def small_companies() -> dict[int, dict[str, list]]:
    """company id -> resource name -> records, for every small demo company.

    Shared by the test modules, so they must not change what they get.
    """
    out: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for company_id, name, record in _seed.generate(companies=SMALL):
        out[company_id][name].append(record)
    return out
