"""What the sandbox knows about each resource (record set) of the emulated API.

A *resource* is every record of one read DTO: ``surface().resources()`` names them
(``customer``, ``customerinvoice``, ``customer/customerClass``, ``creditTerm``,
``customer/{customerCd}/directdebit`` ...). This module derives, from the surface, what
the store, the query layer and the routes need about each one: its DTO, its lists, the
field that is its key in URLs, the fields lifted into SQL columns (status, name,
``lastModifiedDateTime``, ``createdDateTime``, attributes) and the query parameters
that are exact-match filters.

The few facts the surface does not carry are kept in small hand tables below: a key
field where the single GET's path parameter does not name one (``customerCd`` is the
field ``number``), filters that reach into a nested field (``email`` is
``mainContact.email``), and behaviour knobs of the existing sandbox (which lists carry
no ``metadata``, which are windowed by ``numberToRead`` instead of pages).

Resources that exist only below a path parameter (their name holds ``{...}``) have
records that carry ``_parent``: the concrete list path they belong to, without the
version prefix (``customer/10001/directdebit``). The store lifts it into a column and
strips it from the served document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .._surface import Operation, surface

# The default and maximum page size are the same number on the real API (article 08:
# "the default value ... will also represent the maximum value allowed"). Not published
# per endpoint, so configurable; 500 matches the article's own metadata example.
DEFAULT_MAX_PAGE_SIZE = 500

#: The member of a generated record that names its parent list (see module docstring).
PARENT_FIELD = "_parent"

# -- hand tables: facts the surface lacks ------------------------------------------------

#: Key fields the single GET's path parameter does not name (``customerCd`` -> ``number``).
KEYS: dict[str, str] = {
    "branch": "number", "carrier": "carrierId", "cashaccount": "number",
    "cashsale": "referenceNumber", "contractUsage": "contract", "country": "id",
    "creditNote": "referenceNumber", "creditTerm": "termsId", "currency": "id",
    "customer": "number", "customer/balance": "customer.number",
    "customer/customerClass": "id", "customerCreditNote": "referenceNumber",
    "customerCreditWriteOff": "referenceNumber", "customerDebitNote": "referenceNumber",
    "customerdocument": "referenceNumber", "customerinvoice": "referenceNumber",
    "customerinvoice/worktypes": "rutRotType", "customerOverdueCharge": "referenceNumber",
    "customerPayment": "refNbr", "customerpaymentmethod": "customerId",
    "deferralCode": "deferralCode", "discount": "discountCode",
    "discountCode": "discountCode", "earningtype": "code", "employee": "employeeNumber",
    "expenseClaim": "refNbr", "expenseReceipt": "receiptId",
    "financialPeriod": "period", "firstTimeStartup/status": "message",
    "fixedAsset": "assetID", "fixedAssetTransaction": "refNo",
    "GeneralLedgerTransactions": "batchNumber", "inventory/itemClass": "id",
    "inventory/itemPostClass": "id", "inventoryadjustment": "referenceNumber",
    "inventoryissue": "referenceNumber", "inventoryReceipt": "referenceNumber",
    "inventoryTransfer": "referenceNumber", "landedCostCode": "landedCostCodeId",
    "ledger": "number", "multilanguage/languages": "languageISO",
    "organization": "organizationCd", "paymentmethod": "paymentMethodID",
    "project/tasks": "internalId", "projectbasic": "projectID", "projectbudget": "projectID",
    "purchaseorder": "orderNbr", "purchaseorderbasic": "orderNbr",
    "PurchaseReceipt": "receiptNbr", "PurchaseReceiptBasic": "receiptNbr",
    "salesorder": "orderNo", "salesorderbasic": "orderNo", "salesperson": "salespersonID",
    "shipment": "shipmentNumber", "supplier": "number", "supplier/balance": "supplier.number",
    "supplier/POBalance": "supplier.number", "supplier/supplierClass": "id",
    "supplierdocument": "referenceNumber", "supplierInvoice": "referenceNumber",
    "supplierPayment": "refNbr", "timeCard": "refNbr",
    "uiExtension/availableScreens": "screenId", "unitofmeasure": "fromUnit",
    "vatCategory": "vatCategoryId", "vatZone": "id", "currencyrate": "id",
    "currencyratetype": "id", "generalLedgerBalance": "account.number",
    "journaltransaction": "batchNumber", "customer/{customerCd}/directdebit": "id",
    "customer/{customerCd}/salespersons": "salePersonID",
    "customerpaymentmethod/{customerId}": "paymentMethod.id",
    "inventory/barcode/purchasereceipt/{receiptNbr}": "barCode",
    "inventory/{inventoryNumber}/crossReferences": "alternateID",
    "inventorysummary/{inventoryNumber}": "warehouse.id",
    "salesorder/{orderType}/{orderNbr}/commissions": "salesPersonId",
    "uiExtension/{ownerId}": "internalId", "contractTemplate": "id", "budget": "account.number",
    "location": "locationId", "supplierlocation": "locationId",
}

#: Where the demo data of today still keys a record by another field (the data
#: module's records before the read DTO's shape was complete): tried when the key
#: field is absent.
KEY_FALLBACKS: dict[str, tuple[str, ...]] = {
    "creditTerm": ("id",), "unitofmeasure": ("unit",),
}

#: Names the sandbox used before resources were named from the surface.
LEGACY_NAMES: dict[str, str] = {
    "customerclass": "customer/customerClass", "supplierclass": "supplier/supplierClass",
    "itemclass": "inventory/itemClass", "creditterms": "creditTerm",
    "unitofmeasure": "unitofmeasure",
}

#: Filters whose parameter does not name a top-level field of the record.
FILTERS: dict[str, dict[str, str]] = {
    "customer": {"email": "mainContact.email", "phone": "mainContact.phone1"},
    "inventory": {"inventorytypes": "type"},
    "customerinvoice": {"project": "project.id"},
    "customerDebitNote": {"project": "project.id"},
    "customerCreditNote": {"project": "project.id"},
    "supplierInvoice": {"project": "project.id"},
    "purchaseorder": {"supplier": "supplier.number"},
    "supplierPayment": {"supplier": "supplier.number",
                        "invoicerefnbr": "paymentLines.invoiceRefNbr"},
    # The ledger's lists name the financial period ``periodId``.
    "journaltransaction": {"periodid": "financialPeriod"},
    "generalLedgerBalance": {"periodid": "financialPeriod"},
}

#: Date parameters (with their ``...Condition``) whose record field has another name.
DATE_FIELDS: dict[str, str] = {"docdate": "documentDate", "duedate": "dueDate"}

#: Lists whose records carry no ``metadata`` member (as observed on the real API).
NO_METADATA = frozenset({"vat", "vatCategory", "currency", "unitofmeasure", "creditTerm"})
#: Lists windowed by ``numberToRead``/``skipRecords`` only (no pages).
UNPAGED = frozenset({"vat"})
#: Query parameters a list reads itself (never an exact-match filter).
_SPECIAL = {"pagenumber", "pagesize", "numbertoread", "skiprecords", "greaterthanvalue",
            "orderby", "attributes", "released", "name", "description", "status",
            "lastmodifieddatetime", "createddatetime"}


@dataclass(frozen=True)
class Entity:
    """One resource of the API as the sandbox serves it.

    Attributes
    ----------
    name
        The surface's resource name (``customer``, ``customer/customerClass``).
        Paths are matched case-insensitively, as on the real (.NET) API.
    dto
        The read DTO of its records.
    path
        Path below ``v1/`` of its parameterless list (for a resource that exists only
        below a path parameter: the list's template); single records are
        ``{path}/{key}``.
    key
        Field of the read record that is its key in URLs (dotted for a nested field).
    name_field, status_field
        Fields lifted into SQL columns for the ``name`` and ``status`` filters (or None).
    modified_field, created_field
        Date-time fields behind ``lastModifiedDateTime`` / ``createdDateTime`` filters.
    metadata
        Whether list answers carry ``metadata {totalCount, maxPageSize}`` on each record.
    paged
        Whether the list takes ``pageNumber``/``pageSize`` (``vat`` does not).
    filters
        Query parameters (lower-cased) that are exact, case-insensitive matches on a
        record field (dotted through nested objects and lists).
    date_filters
        Date parameters other than the two above, as the surface spells them, with the
        date-time field each compares with through its ``...Condition`` operator
        (``documentDate``, ``dueDate``, ``shipmentDate``).
    status_param
        Query parameter that filters on ``status_field`` (``orderStatus`` on purchaseorder).
    attributes
        Whether the ``attributes`` JSON filter applies (article 14).
    released
        Whether ``released`` (1 or 0) filters on the document being released.
    parented
        Whether the resource exists only below a path parameter: its records carry
        ``_parent`` and its lists filter on it.
    key_fallbacks
        Fields tried for the key when the key field is absent from a record.
    """

    name: str
    path: str
    key: str
    dto: str = ""
    name_field: str | None = None
    status_field: str | None = "status"
    modified_field: str | None = "lastModifiedDateTime"
    created_field: str | None = "createdDateTime"
    metadata: bool = True
    paged: bool = True
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    filters: dict[str, str] = field(default_factory=dict)
    date_filters: dict[str, str] = field(default_factory=dict)
    status_param: str = "status"
    attributes: bool = False
    released: bool = False
    parented: bool = False
    key_fallbacks: tuple[str, ...] = ()

    def key_of(self, record: dict) -> str | None:
        """The record's key as text (None when it has none)."""
        for name in (self.key, *self.key_fallbacks):
            value = field_value(record, name) if "." in name else record.get(name)
            if value is not None and not isinstance(value, (dict, list)):
                return str(value)
        return None


def field_value(record: dict, dotted: str) -> Any:
    """Value at a dotted path such as ``customer.number`` (None where absent).

    Through a list (``paymentLines.invoiceRefNbr``) it is the list of the items' values.
    """
    value: Any = record
    for part in dotted.split("."):
        if isinstance(value, list):
            value = [item.get(part) for item in value if isinstance(item, dict)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


#: The resource type under its old name (kept for the modules that say ``Entity``).
Resource = Entity


def _scalar_path(fields: dict, name: str) -> str | None:
    """The record field a query parameter ``name`` compares with, or None.

    A scalar field of that name is compared as is; an object (``customer``) by its
    ``number`` or ``id``, the way the API's filters take a partner or a project.
    """
    spec = fields.get(name)
    if spec is None:
        return None
    if spec.type == "array" or spec.items_dto:
        return None
    if spec.dto:
        nested = surface().dto(spec.dto)
        for inner in ("number", "id"):
            if inner in nested and not nested[inner].dto:
                return f"{name}.{inner}"
        return None
    return name


def _single_gets(dto: str) -> list[Operation]:
    return [o for o in surface().operations
            if o.method == "GET" and not o.is_list and o.record_dto == dto
            and "/internal/" not in o.path.lower()]


def _derive(name: str, dto: str) -> Entity:
    s = surface()
    fields = s.dto(dto)
    by_lower = {f.lower(): f for f in fields}
    lists = [o for o in s.lists() if o.record_dto == dto]
    params: dict[str, str] = {}
    for op in lists:
        for q in op.query:
            params.setdefault(q.name.lower(), q.name)
    key = KEYS.get(name)
    if key is None:
        singles = _single_gets(dto)
        param = singles[0].path_params[-1] if singles and singles[0].path_params else None
        key = by_lower.get(param.lower()) if param else None
    if key is None:
        key = next((f for f in ("id", "number", "referenceNumber", "refNbr", "code")
                    if f in fields), next(iter(fields), "id"))
    name_field = next((f for f in ("name", "description") if f in fields), None)
    status_param = "status"
    if "status" not in params:
        status_param = next((p for p in params if p.endswith("status")), "status")
    filters: dict[str, str] = {}
    for lower in params:
        if (lower in _SPECIAL or lower.startswith(("expand", "include"))
                or lower + "condition" in params or lower.endswith("condition")
                or lower == status_param):
            continue
        target = _scalar_path(fields, by_lower.get(lower, ""))
        if target is not None:
            filters[lower] = target
    filters.update(FILTERS.get(name, {}))
    date_filters: dict[str, str] = {}
    for lower, spelled in params.items():
        if (lower in ("lastmodifieddatetime", "createddatetime")
                or lower + "condition" not in params):
            continue
        target = by_lower.get(DATE_FIELDS.get(lower, lower).lower())
        if target is not None and fields[target].type == "date-time":
            date_filters[spelled] = target
    parented = "{" in name
    path = name
    return Entity(
        name=name, path=path, key=key, dto=dto, name_field=name_field,
        status_field="status" if "status" in fields else None,
        modified_field="lastModifiedDateTime" if "lastModifiedDateTime" in fields else None,
        created_field="createdDateTime" if "createdDateTime" in fields else None,
        metadata=name not in NO_METADATA and name not in UNPAGED,
        paged=name not in UNPAGED, filters=filters, date_filters=date_filters,
        status_param=status_param,
        attributes="attributes" in params and "attributes" in fields,
        released="released" in params, parented=parented,
        key_fallbacks=KEY_FALLBACKS.get(name, ()))


@lru_cache(maxsize=1)
def _registry() -> dict[str, Entity]:
    return {name: _derive(name, dto) for name, dto in surface().resources().items()}


#: Every resource by its surface name.
ENTITIES: dict[str, Entity] = _registry()


@lru_cache(maxsize=1)
def _by_lower() -> dict[str, Entity]:
    out = {name.lower(): e for name, e in _registry().items()}
    for old, new in LEGACY_NAMES.items():
        out.setdefault(old, _registry()[new])
    return out


def resource(name: str) -> Entity | None:
    """The resource called ``name`` (case-insensitive; old names accepted), or None."""
    return _by_lower().get(name.strip("/").lower())


def lookup(path: str) -> Entity | None:
    """The resource whose parameterless list path is ``path`` (case-insensitive).

    Old names (``creditTerms``, ``customerClass``) are found too.
    """
    found = resource(path)
    if found is not None and found.parented:
        return None
    return found


def for_operation(op: Operation) -> Entity | None:
    """The resource an operation's answer holds records of (None for other answers)."""
    name = surface().resource_name(op)
    return None if name is None else _registry().get(name)


#: Fields that name the parent where the child's field is not called like it.
PARENT_FIELDS: dict[str, str] = {
    "customer/{customerCd}/contact": "businessAccount",
    "supplier/{supplierCd}/contact": "businessAccount",
    "employee/{employeeCd}/expenseClaim": "claimedBy.number",
    "employee/{employeeCd}/expenseReceipt": "claimedBy.employeeNumber",
    "salescategory/{categoryId}/item": "salesCategories.categoryId",
}


@lru_cache(maxsize=256)
def parent_reference(op_path: str) -> tuple[str, str, Entity | None, int | None] | None:
    """How a list below a path parameter picks its records.

    ``(kind, field, parent, index)``: ``kind`` is ``"field"`` when the records name
    their parent in ``field`` (the customer's invoices: ``customer.number``) and
    ``"parent"`` when they carry ``_parent`` (``field`` is then ``_parent``);
    ``parent`` is the resource the path parameter number ``index`` keys (None when no
    single GET names it). None for a list without path parameters.
    """
    s = surface()
    op = s.find("GET", op_path)
    if op is None or not op.path_params or not op.is_list:
        return None
    child = for_operation(op)
    if child is None:
        return None
    found = parent_of(op.path)
    parent, index = found if found is not None else (None, None)
    if child.parented:
        return "parent", PARENT_FIELD, parent, index
    fields = s.dto(child.dto)
    by_lower = {f.lower(): f for f in fields}
    below = op.path.split("/", 2)[2]
    override = PARENT_FIELDS.get(below)
    if override is not None:
        return "field", override, parent, index
    words = []
    if parent is not None:
        literal = parent.name.rsplit("/", 1)[-1]
        words += [literal, literal.rstrip("s")]
    last = op.path_params[-1 if index is None else index]
    words.append(last)
    stem = last
    for suffix in ("Number", "Nbr", "Cd", "Id", "No"):
        if last.endswith(suffix) and len(last) > len(suffix):
            stem = last[:-len(suffix)]
            break
    words.append(stem)
    for word in words:
        name = by_lower.get(word.lower())
        target = _scalar_path(fields, name) if name else None
        if target is not None:
            return "field", target, parent, index if index is not None else \
                len(op.path_params) - 1
    return "parent", PARENT_FIELD, parent, index


@lru_cache(maxsize=512)
def parent_of(template: str) -> tuple[Entity, int] | None:
    """The resource whose single GET is the longest prefix of ``template`` ending at a
    path parameter, and that parameter's index (``customer/{customerCd}/note`` ->
    ``(customer, 0)``); None when no prefix is a single record."""
    parts = template.split("/")
    best = None
    index = -1
    for i, part in enumerate(parts):
        if not part.startswith("{"):
            continue
        index += 1
        if i == len(parts) - 1:
            break  # the whole template: not a parent of itself
        entity = single_resource("/".join(parts[:i + 1]))
        if entity is not None:
            best = (entity, index)
    return best


def single_resource(template: str) -> Entity | None:
    """The resource whose single GET is at ``template`` (either version), or None.

    v1 and v2 share their records: ``v2/salesorder/{orderType}/{orderNumber}`` is the
    order that v1 reads at the same path.
    """
    s = surface()
    other = re.sub(r"^/v[12]/", "/v2/" if template.startswith("/v1/") else "/v1/", template)
    for candidate in (template, other):
        single = s.find("GET", candidate)
        if single is not None and not single.is_list:
            entity = for_operation(single)
            if entity is not None:
                return entity
    return None


@lru_cache(maxsize=128)
def attachment_target(template: str) -> tuple[Entity, int, int | None] | None:
    """For an upload path (``.../{key}[/{lineNumber}]/attachment``): the resource, the
    index of the key parameter and of the line parameter (None for the document)."""
    parts = [p for p in template.split("/") if p]
    if not parts or parts[-1].lower() != "attachment":
        return None
    params = [p[1:-1] for p in parts if p.startswith("{")]
    if not params:
        return None
    line = None
    key_index = len(params) - 1
    if params[-1].lower() == "linenumber" and len(params) > 1:
        line, key_index = len(params) - 1, len(params) - 2
    found = parent_of("/" + "/".join(parts[:-1]) + "/x")
    if found is not None and found[1] == key_index:
        return found[0], key_index, line
    entity = lookup(parts[1]) if len(parts) > 1 else None
    return None if entity is None else (entity, key_index, line)


def parent_fields(name: str) -> tuple[str, ...]:
    """Fields of resource ``name`` that lists below a parent compare with."""
    out = set()
    for op in surface().lists():
        if op.path_params and surface().resource_name(op) == name:
            ref = parent_reference(op.path)
            if ref is not None and ref[0] == "field":
                out.add(ref[1])
    return tuple(sorted(out))
