"""What the client knows about list endpoints: record keys and paging behaviour.

The key lets ``fetch`` drop records read twice when they moved between pages, and so
count unique records against ``totalCount``. Endpoints not listed here are paged by
the generic rules and not de-duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EndpointInfo:
    """Facts about one list endpoint.

    Attributes
    ----------
    name : str
        Resource name as in the path (``customer``, ``supplierInvoice``).
    key : tuple of str
        Record fields that together identify a record (empty: unknown).
    paged : bool
        Whether the endpoint takes ``pageNumber``/``pageSize`` (``vat`` does not).
    metadata : bool
        Whether records carry ``metadata {totalCount, maxPageSize}``.
    """

    name: str
    key: tuple[str, ...] = ()
    paged: bool = True
    metadata: bool = True


_KNOWN = [
    EndpointInfo("customer", ("number",)),
    EndpointInfo("supplier", ("number",)),
    EndpointInfo("inventory", ("inventoryNumber",)),
    EndpointInfo("customerinvoice", ("referenceNumber",)),
    EndpointInfo("customerDebitNote", ("referenceNumber",)),
    EndpointInfo("customerCreditNote", ("referenceNumber",)),
    # A supplier invoice and a debit adjustment may share a reference number.
    EndpointInfo("supplierInvoice", ("documentType", "referenceNumber")),
    EndpointInfo("purchaseorder", ("orderNbr",)),
    EndpointInfo("supplierPayment", ("refNbr", "type")),
    # /vat has no paging parameters at all in API 8.43: one call returns everything.
    EndpointInfo("vat", ("vatId",), paged=False, metadata=False),
    EndpointInfo("vatZone", ("id",)),
    EndpointInfo("vatCategory", ("vatCategoryId",), metadata=False),
    EndpointInfo("attribute", ("attributeID",)),
]

# Paths are matched case-insensitively, as the (.NET) API does.
_BY_NAME = {e.name.lower(): e for e in _KNOWN}

# Per-partner sub-lists list documents of the named resource with the same parameters:
# customer/{number}/invoice is customerinvoice, supplier/{number}/invoice supplierInvoice.
_SUBLISTS = {("customer", "invoice"): "customerinvoice",
             ("supplier", "invoice"): "supplierInvoice"}


def lookup(path: str) -> EndpointInfo:
    """Endpoint facts for a list path (``customer``, ``customer/10001/invoice``).

    Unknown paths get an ``EndpointInfo`` with no key (no de-duplication) that is
    paged by the generic rules.
    """
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts:
        return EndpointInfo("")
    if len(parts) == 3:
        target = _SUBLISTS.get((parts[0].lower(), parts[2].lower()))
        if target is not None:
            return _BY_NAME[target.lower()]
    if len(parts) == 1 and parts[0].lower() in _BY_NAME:
        return _BY_NAME[parts[0].lower()]
    return EndpointInfo(path.strip("/"))
