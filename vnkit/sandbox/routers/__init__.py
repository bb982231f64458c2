"""The API's routes, one :class:`fastapi.APIRouter` per area, made from the surface.

Every operation of the surface gets a route at its own template (``/v1/customer/
{customerCd}``), in the router of its area (customers, suppliers, inventory, sales,
purchasing, ledger, projects, employees, fixed assets, settings). Every route depends,
in this order, on the rate limit (:func:`.._limits.throttle`), the Background API
(:func:`.._background.in_background`), the caller and the company (:mod:`.._deps`);
then its handler answers (:mod:`._generic`: a hand-written handler where the sandbox
has behaviour for the operation, else the generic one).

Paths reach the routes already in the surface's spelling: the middleware of
:mod:`.._canonical` has rewritten case, layout and keys before routing.

The other routers: :mod:`._context` (the company list), :mod:`._connect` (token and
discovery), :mod:`._info` (health, info, Swagger UI) and :mod:`._fallback` (paths no
route has).
"""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends
from starlette.routing import Match
from starlette.types import Scope

from ..._surface import Operation, surface
from .._background import in_background
from .._deps import Answered
from .._limits import throttle
from ._generic import Generic

__all__ = ["AREAS", "Answered", "area_of", "build_routers"]

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


def area_of(group: str) -> str:
    """The area of a surface group (``SalesOrderV2`` -> ``sales``)."""
    for area, words in AREAS:
        if group.startswith(words):
            return area
    return OTHER_AREA


# --------------------------------------------------------------------------- routers


def _specificity(op: Operation) -> tuple:
    """Sort key: at the first differing segment a literal comes before a parameter."""
    return tuple(1 if part.startswith("{") else 0 for part in op.path.split("/")[1:])


def _first_segment(op: Operation) -> str:
    return op.path.split("/")[2].lower()


def _root(path: str) -> str:
    """``/v1/customer`` of ``/v1/customer/{customerCd}`` (of any path: its first two
    segments)."""
    return "/".join(path.split("/", 3)[:3])


class AreaRouter(APIRouter):
    """An area's router that knows which roots (``/v1/customer``) its routes lie under.

    The application tries its routers in turn and each router all of its routes, so
    a request for the last area would run every earlier area's path patterns. Every
    route of the surface begins with two literal segments, so a path under none of a
    router's roots cannot match any of its routes: the router says so at once.
    """

    _roots: frozenset[str] | None = frozenset()
    _roots_of = -1  # how many routes ``_roots`` was made from

    def roots(self) -> frozenset[str] | None:
        """The roots of this router's routes (made again when a route is added); None
        when a route has a parameter there (then every path is tried)."""
        if self._roots_of != len(self.routes):
            roots = frozenset(_root(getattr(r, "path", "")) for r in self.routes)
            self._roots = None if any("{" in r or r.count("/") < 2 for r in roots) \
                else roots
            self._roots_of = len(self.routes)
        return self._roots

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # With a root_path, routes match the path without it: leave that to FastAPI.
        roots = self.roots()
        if roots is not None and not scope.get("root_path") \
                and _root(scope["path"]) not in roots:
            return Match.NONE, {}
        return super().matches(scope)


def build_routers(generic: Generic) -> list[AreaRouter]:
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
    # Before every route's own work: the rate limit, then the Background API (which
    # may take the request as a job and answer 202 at once).
    before = [Depends(throttle), Depends(in_background)]
    routers = []
    for area in [a for a, _ in AREAS] + [OTHER_AREA]:
        router = AreaRouter(tags=[area], dependencies=before)
        for op in sorted(grouped.get(area, ()), key=_specificity):
            methods = [op.method, "HEAD"] if op.method == "GET" else [op.method]
            router.add_api_route(op.path, generic.endpoint(op), methods=methods,
                                 name=op.operation_id, include_in_schema=False)
        routers.append(router)
    return routers
