"""The API's routes, one :class:`fastapi.APIRouter` per area, made from the surface.

Every operation of the surface gets a route at its own template (``/v1/customer/
{customerCd}``), in the router of its area (customers, suppliers, inventory, sales,
purchasing, ledger, projects, employees, fixed assets, settings). The routes share
three dependencies: the caller (:func:`principal`, a verified token with the scope the
method needs), the company (:func:`company`, from ``ipp-company-id``) and the store.
Between the caller and the company the app's hooks run (rate limits, the Background
API, webhook feedback, attachments and the hand-written writes): a hook that answers
ends the request there, as it always did. What no hook answers goes to the generic
handlers of :mod:`._generic`.

Paths reach the routes already in the surface's spelling: the middleware of
:mod:`.._canonical` has rewritten case, layout and keys before routing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..._surface import Operation, surface
from .._store import Store
from ._generic import Generic

__all__ = ["AREAS", "Answered", "area_of", "build_routers", "company", "principal", "store"]

# Areas and the words of the surface's groups that belong to them, tried in order
# (the first area with a word the group starts with wins).
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fixed assets", ("FixedAsset",)),
    ("projects", ("Project", "ContractTemplate", "ContractUsage")),
    ("employees, time and expenses", ("Employee", "TimeCard", "Expense", "EarningType")),
    ("purchasing", ("PurchaseOrder", "PurchaseReceipt", "LandedCostCode")),
    ("suppliers", ("Supplier",)),
    ("sales", ("SalesOrder", "Shipment", "CashSale", "Discount", "SalesPerson",
               "SalesCategory", "Carrier", "PackagingType", "CustomerSalesPrice")),
    ("customers", ("Customer", "CreditNote", "Contact", "Payment", "DirectDebit")),
    ("inventory", ("Inventory", "Kit", "Warehouse", "Location", "LotSerial",
                   "Stocktake", "UnitOfMeasure", "Multilanguage")),
    ("ledger and finance", ("Account", "Subaccount", "Ledger", "JournalTransaction",
                            "GeneralLedger", "Budget", "Cash", "Currency", "Vat",
                            "FinancialPeriod", "Dimension", "Branch", "Organization",
                            "CreditTerm", "DeferralCode", "PaymentMethod")),
)
OTHER_AREA = "settings and reference"


class Answered(Exception):
    """Raised by a dependency that has the whole answer already (an error, a hook's)."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def area_of(group: str) -> str:
    """The area of a surface group (``SalesOrderV2`` -> ``sales``)."""
    for area, words in AREAS:
        if group.startswith(words):
            return area
    return OTHER_AREA


# --------------------------------------------------------------------------- dependencies


def _rest(request: Request) -> str:
    """The path below the version root (``customer/10001``), as the hooks take it."""
    from .._canonical import ROOT_KEY

    path = (request.scope.get("raw_path") or request.scope["path"].encode()).decode("latin-1")
    root = request.scope.get(ROOT_KEY) or "/v1/"
    return path[len(root):]


async def principal(request: Request):
    """The verified caller, with the scope this method needs (else 401/403)."""
    who, error = request.app.state.api._principal(request)
    if error is not None:
        raise Answered(error)
    return who


async def hooked(request: Request, who: Annotated[Any, Depends(principal)]):
    """Run the app's hooks in order; the first that answers ends the request."""
    rest = _rest(request)
    for hook in request.app.state.api.hooks:
        answer = await hook(request, rest, who)
        if answer is not None:
            raise Answered(answer)
    return who


async def company(request: Request, who: Annotated[Any, Depends(hooked)]) -> int:
    """The company the call works on (``ipp-company-id``, or the token's only one)."""
    company_id, error = request.app.state.api._company(request, who)
    if error is not None:
        raise Answered(error)
    return company_id


def store(request: Request) -> Store:
    """The app's store."""
    return request.app.state.store


# --------------------------------------------------------------------------- routers


def _specificity(op: Operation) -> tuple:
    """Sort key: at the first differing segment a literal comes before a parameter."""
    return tuple(1 if part.startswith("{") else 0 for part in op.path.split("/")[1:])


def _first_segment(op: Operation) -> str:
    return op.path.split("/")[2].lower()


def build_routers(generic: Generic) -> list[APIRouter]:
    """One router per area with a route for every operation of the surface.

    Operations that share their first segment (``customer/...``) go to one router (the
    area of the first of them), so that within a router literal segments can be put
    before parameters (``customer/customerClass`` before ``customer/{customerCd}``).
    """
    ops = surface().operations
    area_by_root: dict[str, str] = {}
    for op in ops:
        area_by_root.setdefault(_first_segment(op), area_of(op.group))
    grouped: dict[str, list[Operation]] = defaultdict(list)
    for op in ops:
        grouped[area_by_root[_first_segment(op)]].append(op)
    routers = []
    for area in [a for a, _ in AREAS] + [OTHER_AREA]:
        router = APIRouter(tags=[area])
        for op in sorted(grouped.get(area, ()), key=_specificity):
            methods = [op.method]
            router.add_api_route(op.path, generic.endpoint(op), methods=methods,
                                 name=op.operation_id, include_in_schema=False)
        routers.append(router)
    return routers
