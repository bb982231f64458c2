"""Demo data for the benchmarks: one company with 100,000 customers.

A data module in the sandbox's sense (see ``vnkit.sandbox._seed`` for the contract):
the benchmarks start the sandbox with ``data_module="benchdata"`` so the CPU-bound
fetch has 100,000 records of the real customer shape without making every user's
demo data that large. The customers come from the demo generator itself, so they
look exactly like the demo company's: its 20,000 customers five times over, each copy
with its own numbers (the generator's name lists run out long before 100,000).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from vnkit.sandbox import _seed

DATA_VERSION = 1
DEFAULT_SEED = _seed.DEFAULT_SEED
CUSTOMERS = 100_000

_BASE = _seed._PLANS[_seed.COMPANIES[1].company_id]  # the large Swedish company's plan
COMPANY = dataclasses.replace(_BASE.company, company_id=9100001,
                              name="Benchmark Volym AB", role="100,000 customers")
COMPANIES = (COMPANY,)
CLIENTS = tuple(dataclasses.replace(c, tenant_ids=(COMPANY.tenant_id,))
                for c in _seed.CLIENTS)
_COPIES = 5
_PLAN = dataclasses.replace(_BASE, company=COMPANY, customers=CUSTOMERS // _COPIES,
                            suppliers=50,
                            items=60, invoices=100, debit_notes=2, credit_notes=2,
                            supplier_invoices=60, purchase_orders=30, projects=2)


def generate(seed: int = DEFAULT_SEED, *, companies: Iterable[int] | None = None
             ) -> Iterator[tuple[int, str, dict]]:
    """Yield the benchmark company's customers (and the little else it needs)."""
    customers = []
    for entity, record in _seed._Company(_PLAN, seed).records():
        if entity == "customer":
            customers.append(record)
        else:
            yield COMPANY.company_id, entity, record
    width = len(customers[0]["number"]) + 1
    for copy in range(_COPIES):
        for record in customers:
            number = f"{copy}{record['number']}".zfill(width)
            yield COMPANY.company_id, "customer", {
                **record, "number": number,
                "internalId": record["internalId"] + copy * 10_000_000}
