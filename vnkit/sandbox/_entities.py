"""What the sandbox knows about each resource of the emulated API.

One ``Entity`` per resource. The demo-data generator (``_seed``) produces records in the
*read* shape of the real API (facts file section 3); the store (``_store``) lifts the
columns named here out of each record so that filters, ordering and paging run in SQL;
the app (``_app``) serves every entity in this table with the same list/single code.

Numbers marked "configurable" are not published by Visma; the sandbox's ``Settings``
can override them per run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The default and maximum page size are the same number on the real API (article 08:
# "the default value ... will also represent the maximum value allowed"). Not published
# per endpoint, so configurable; 500 matches the article's own metadata example.
DEFAULT_MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Entity:
    """One resource of the API as the sandbox serves it.

    Attributes
    ----------
    name
        Canonical resource name as it appears in paths (``customer``, ``supplierInvoice``).
        Paths are matched case-insensitively, as on the real (.NET) API.
    path
        Path below ``v1/`` for the list endpoint; single records are ``{path}/{key}``.
    key
        Field of the read record that is its key in URLs (``number``, ``orderNbr`` ...).
    name_field, status_field
        Fields lifted into SQL columns for the ``name`` and ``status`` filters (or None).
    modified_field, created_field
        Date-time fields behind ``lastModifiedDateTime`` / ``createdDateTime`` filters
        (None where the DTO has no such field, e.g. supplier has no createdDateTime).
    metadata
        Whether list answers carry ``metadata {totalCount, maxPageSize}`` on each record.
    paged
        Whether the endpoint takes ``pageNumber``/``pageSize`` (``vat`` does not).
    filters
        Extra query parameters (lower-cased) the endpoint accepts, mapped to the record
        field they compare with for exact (case-insensitive) match. ``name`` is a
        "contains" filter and is handled separately; so are the date filters,
        ``attributes`` and ``status``.
    status_param
        Query parameter that filters on ``status_field`` (``orderStatus`` on purchaseorder).
    attributes
        Whether the ``attributes`` JSON filter applies (article 14).
    released
        Whether ``released`` (1 or 0) filters on the document being released, i.e. out
        of Hold/Balanced/Scheduled.
    """

    name: str
    path: str
    key: str
    name_field: str | None = None
    status_field: str | None = "status"
    modified_field: str | None = "lastModifiedDateTime"
    created_field: str | None = "createdDateTime"
    metadata: bool = True
    paged: bool = True
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    filters: dict[str, str] = field(default_factory=dict)
    status_param: str = "status"
    attributes: bool = False
    released: bool = False


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        Entity(
            "customer", "customer", key="number", name_field="name", attributes=True,
            filters={"corporateid": "corporateId", "vatregistrationid": "vatRegistrationId",
                     "email": "mainContact.email", "phone": "mainContact.phone1"},
        ),
        Entity(
            "supplier", "supplier", key="number", name_field="name", created_field=None,
            attributes=True,
            filters={"corporateid": "corporateId", "vatregistrationid": "vatRegistrationId"},
        ),
        Entity(
            "inventory", "inventory", key="inventoryNumber", name_field="description",
            created_field=None, attributes=True,
            filters={"inventorynumber": "inventoryNumber", "inventorytypes": "type"},
        ),
        Entity(
            "customerinvoice", "customerinvoice", key="referenceNumber",
            filters={"documenttype": "documentType", "financialperiod": "financialPeriod",
                     "project": "project.id", "externalreference": "externalReference",
                     "customerrefnumber": "customerRefNumber",
                     "paymentreference": "paymentReference",
                     "closedfinancialperiod": "closedFinancialPeriod"},
            released=True,
            # No customer filter (facts section 4): an unknown parameter is ignored, so
            # ?customer= answers every invoice; customer/{number}/invoice is the way.
        ),
        # Debit and credit notes are customer documents with their own endpoints;
        # article 20 reads customerDebitNote with a project filter.
        Entity(
            "customerDebitNote", "customerDebitNote", key="referenceNumber",
            filters={"project": "project.id", "financialperiod": "financialPeriod",
                     "externalreference": "externalReference"},
        ),
        Entity(
            "customerCreditNote", "customerCreditNote", key="referenceNumber",
            filters={"project": "project.id", "financialperiod": "financialPeriod",
                     "externalreference": "externalReference"},
        ),
        Entity(
            "supplierInvoice", "supplierInvoice", key="referenceNumber",
            filters={"documenttype": "documentType", "project": "project.id"},
            released=True,
            # No supplier filter either (facts section 4): supplier/{number}/invoice.
        ),
        Entity(
            "purchaseorder", "purchaseorder", key="orderNbr", created_field=None,
            status_param="orderstatus",
            filters={"ordertype": "orderType", "supplier": "supplier.number"},
        ),
        Entity(
            "supplierPayment", "supplierPayment", key="refNbr", created_field=None,
            filters={"supplier": "supplier.number",
                     "invoicerefnbr": "paymentLines.invoiceRefNbr"},
        ),
        Entity(
            "vat", "vat", key="vatId", status_field=None, created_field=None,
            metadata=False, paged=False,
        ),
        Entity(
            "vatZone", "vatZone", key="id", status_field=None, modified_field=None,
            created_field=None,
        ),
        Entity(
            "vatCategory", "vatCategory", key="vatCategoryId", status_field=None,
            metadata=False,
        ),
        Entity(
            "attribute", "attribute", key="attributeID", name_field="description",
            status_field=None,
            filters={"attributeid": "attributeID", "controltype": "controlType",
                     "internal": "internal"},
        ),
        # Reference data that documents point at; served read-only like the rest.
        Entity("customerClass", "customer/customerClass", key="id", status_field=None,
               modified_field=None, created_field=None, name_field="description"),
        Entity("supplierClass", "supplier/supplierClass", key="id", status_field=None,
               modified_field=None, created_field=None, name_field="description"),
        Entity("itemClass", "inventory/itemClass", key="id", status_field=None,
               modified_field=None, created_field=None, name_field="description"),
        Entity("warehouse", "warehouse", key="warehouseID", status_field=None,
               created_field=None, name_field="description"),
        Entity("project", "project", key="projectID", name_field="description",
               created_field=None),
        Entity("account", "account", key="accountCD", name_field="description",
               status_field=None, created_field=None),
        Entity("subaccount", "subaccount", key="subaccountNumber", status_field=None,
               name_field="description", created_field=None),
        Entity("branch", "branch", key="number", name_field="name", status_field=None,
               created_field=None),
        Entity("currency", "currency", key="id", name_field="description",
               status_field=None, modified_field=None, created_field=None, metadata=False),
        Entity("unitOfMeasure", "unitOfMeasure", key="unit", status_field=None,
               modified_field=None, created_field=None, metadata=False),
        Entity("creditTerms", "creditTerms", key="id", name_field="description",
               status_field=None, created_field=None, metadata=False),
    ]
}

# Per-partner sub-lists: ``customer/{number}/invoice`` lists that customer's invoices
# with the same parameters as ``customerinvoice`` (facts section 4).
SUBLISTS: dict[tuple[str, str], tuple[str, str]] = {
    ("customer", "invoice"): ("customerinvoice", "customer.number"),
    ("supplier", "invoice"): ("supplierInvoice", "supplier.number"),
}


def lookup(path: str) -> Entity | None:
    """Find the entity whose list path matches ``path`` (case-insensitive)."""
    return _BY_PATH.get(path.strip("/").lower())


_BY_PATH = {e.path.lower(): e for e in ENTITIES.values()}
