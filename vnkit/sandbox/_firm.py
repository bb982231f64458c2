"""Demo data of an accounting firm: 300 small client companies under one service client.

A data module in the sandbox's sense (``COMPANIES``, ``CLIENTS``, ``DATA_VERSION``,
``DEFAULT_SEED``, ``generate``; see ``vnkit.sandbox._seed``)::

    sandbox = vnkit.sandbox.start(data_module="vnkit.sandbox._firm")

An accounting office keeps its clients' companies in its own tenant, so one service
token reaches all of them and ``GET resources/v1/context`` lists them all; each company
still has its own hourly call budget (the sandbox counts per client and company). The
companies are built by the demo generator itself (``_seed._Company``), so their records
have exactly the shape of the other demo companies; each holds a few dozen customers,
suppliers and invoices in the currency of one of the four Nordic countries.

:func:`firm` builds the same thing for any number of companies, for a data module of
one's own (the tests use a handful).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from types import SimpleNamespace

from . import _seed

DATA_VERSION = 1
DEFAULT_SEED = _seed.DEFAULT_SEED

#: How many client companies the firm keeps.
FIRM_SIZE = 300

#: The firm's tenant: every client company lives in it.
FIRM_TENANT = "Revisjon & Regnskap Norden"

# The small Danish demo company's plan is the template (its item mix and price level
# suit a small firm); each client gets a branch in a city of its own country.
_TEMPLATE = _seed._PLANS[_seed.COMPANIES[4].company_id]
_COUNTRY_ORDER = ("NO", "SE", "FI", "DK")
_CURRENCY = {"NO": "NOK", "SE": "SEK", "FI": "EUR", "DK": "DKK"}
_MONEY = {"NO": 1.0, "SE": 1.0, "FI": 0.09, "DK": 0.65}  # price level relative to NOK
_FIRST_ID = 6_100_001


def _name(index: int, country: str) -> str:
    """A believable client company name from the locale's own word lists."""
    loc = _seed._LOCALES[country]
    rng = _seed._rng("firm-name", index)
    legal = loc.legal[0][0]
    base = f"{rng.choice(loc.last)} {rng.choice(loc.trades)}"
    return f"{base} {legal} {index + 1:03d}"


def _plan(index: int) -> _seed._Plan:
    country = _COUNTRY_ORDER[index % len(_COUNTRY_ORDER)]
    rng = _seed._rng("firm-plan", index)
    cities = _seed._LOCALES[country].cities
    company = _seed._company(_FIRST_ID + index, _name(index, country), country,
                             _CURRENCY[country], "client company of the accounting firm",
                             tenant=FIRM_TENANT)
    return dataclasses.replace(
        _TEMPLATE, company=company, branches=(cities[index % len(cities)][1],),
        money=_MONEY[country], customers=rng.randrange(20, 41),
        suppliers=rng.randrange(10, 21), items=rng.randrange(12, 25),
        invoices=rng.randrange(25, 61), debit_notes=1, credit_notes=rng.randrange(1, 4),
        supplier_invoices=rng.randrange(20, 41), purchase_orders=rng.randrange(12, 16),
        projects=1)


def firm(size: int) -> SimpleNamespace:
    """The parts of a data module for a firm of ``size`` client companies.

    Returns
    -------
    types.SimpleNamespace
        ``COMPANIES``, ``CLIENTS``, ``PLANS`` and ``generate``, ready to be bound as
        module attributes (``COMPANIES, CLIENTS, generate = ...``).
    """
    plans = {p.company.company_id: p for p in map(_plan, range(size))}
    companies = tuple(p.company for p in plans.values())
    tenants = (companies[0].tenant_id,)
    # The demo's own clients (same ids and secrets, so vnkit.sandbox.attach finds the
    # secret), approved in the firm's tenant only.
    clients = tuple(dataclasses.replace(c, tenant_ids=tenants) for c in _seed.CLIENTS)

    def generate(seed: int = DEFAULT_SEED, *, companies: Iterable[int] | None = None
                 ) -> Iterator[tuple[int, str, dict]]:
        """Yield every record of the firm's companies as ``(company_id, entity, record)``."""
        wanted = None if companies is None else {int(c) for c in companies}
        if wanted is not None and wanted - set(plans):
            raise ValueError(f"unknown company id(s): {sorted(wanted - set(plans))}")
        for company_id, plan in plans.items():
            if wanted is None or company_id in wanted:
                for entity, record in _seed._Company(plan, seed).records():
                    yield company_id, entity, record

    return SimpleNamespace(COMPANIES=companies, CLIENTS=clients, PLANS=plans,
                           generate=generate)


_FIRM = firm(FIRM_SIZE)
COMPANIES: tuple[_seed.DemoCompany, ...] = _FIRM.COMPANIES
CLIENTS: tuple[_seed.DemoClient, ...] = _FIRM.CLIENTS
generate = _FIRM.generate
