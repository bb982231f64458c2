"""Demo data for every resource of the API, organised by area.

:mod:`vnkit.sandbox._seed` writes the hand-made heart of each demo company (partners,
items, customer and supplier documents, purchase orders, projects). This package
chains onto it: :func:`company_records` lets the core records stream through,
completes each to the full read shape of its DTO (:mod:`._shape`), derives what
follows from them -- summary views, payments, the general ledger, balances
(:mod:`._books`), sales orders and shipments (:mod:`._sales`), reference data
(:mod:`._reference`), stock movements and stock per warehouse (:mod:`._stock`), the
fixed-asset register (:mod:`._assets`) -- and finally fills the remaining resources
from the surface with references to real records (:mod:`._generic`).

Records are ``(resource name, record)`` with the resource named as
``surface().resource_name`` names it. A resource listed only below a path parameter
carries ``"_parent"``: the concrete list path it belongs to, without version prefix.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import _seed as S
from ._books import Books
from ._shape import complete, fit, forget_shared, resource_dto

__all__ = ["company_records"]

S._T.update({
    "ledger.actual": ("Hovedbok", "Huvudbok", "Pääkirja", "Hovedbog"),
    "opening": ("Inngående balanse", "Ingående balans", "Avaava tase", "Åbningsbalance"),
})


def company_records(co) -> Iterator[tuple[str, dict]]:
    """Every record of one company: ``co`` is a ``_seed._Company``."""
    from . import _assets, _expenses, _generic, _projects, _reference, _sales, _stock

    books = Books(co)
    sales = _sales.Sales(co)
    stock = _stock.Stock(co)
    project_totals: dict[str, tuple[int, int]] = {}
    # customer documents of all kinds share one list in key order, while the kinds are
    # numbered in series of their own: they wait and follow the documents, sorted
    documents: list[dict] = []
    for name, record in co.records():
        if name == "project":
            project_totals[record["projectID"]] = (S._cents(record["income"]),
                                                   S._cents(record["expenses"]))
        books.observe(name, record)
        sales.observe(name, record)
        stock.observe(name, record)
        yield name, complete(record, resource_dto(name))
        for view, out in _projections(co, name, record):
            if view == "customerdocument":
                documents.append(out)
            else:
                yield view, out
        for derived, extra in sales.after(name, record):
            stock.observe(derived, extra)
            yield derived, complete(extra, resource_dto(derived))
    documents.sort(key=lambda r: r["referenceNumber"])
    for record in documents:
        yield "customerdocument", record
    del documents
    for name, record in _reference.records(co, books):
        yield name, complete(record, resource_dto(name))
    for name, record in _projects.records(co, project_totals):
        yield name, complete(record, resource_dto(name))
    for name, record in _expenses.records(co):
        yield name, complete(record, resource_dto(name))
    for name, record in books.customer_payments():
        yield name, complete(record, resource_dto(name))
    for name, record in sales.finish():
        books.observe(name, record)
        yield name, complete(record, resource_dto(name))
    for name, record in stock.records(books):
        yield name, complete(record, resource_dto(name))
    for name, record in _assets.records(co, books):
        yield name, complete(record, resource_dto(name))
    for name, record in books.ledger(_reference.periods(co)):
        yield name, complete(record, resource_dto(name))
    for name, record in books.partner_balances(sales.open_orders):
        yield name, complete(record, resource_dto(name))
    for name, record in _generic.records(co, sales):
        yield name, complete(record, resource_dto(name))
    forget_shared()


_VIEWS = {
    "customerinvoice": "customerdocument", "customerDebitNote": "customerdocument",
    "customerCreditNote": "customerdocument", "supplierInvoice": "supplierdocument",
    "purchaseorder": "purchaseorderbasic", "project": "projectbasic",
}


def _projections(co, name: str, record: dict) -> Iterator[tuple[str, dict]]:
    """Summary views of a document: the same record cut to the view's DTO."""
    view = _VIEWS.get(name)
    if view is None:
        return
    dto = resource_dto(view)
    out = fit(record, dto)
    if view == "customerdocument":
        out["branch"] = {"number": co.branch["number"], "name": co.branch["name"]}
        out = complete(out, dto)
    elif view == "supplierdocument":
        out["account"] = fit(co.acct["payables"], "AccountInSupplierDocumentDto")
        out["subaccount"] = fit(co.sub[("00", "000")], "SubaccountInSupplierDocumentDto")
        out["amountInCurrency"] = record["amount"]
        out["branch"] = {"number": co.branch["number"], "name": co.branch["name"]}
        out = complete(out, dto)
    elif view == "projectbasic":
        out["internalID"] = record["internalId"]
    yield view, out
