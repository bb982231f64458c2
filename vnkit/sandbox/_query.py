"""From a list request's query string to SQL: paging, date, status, text and attributes.

The rules follow the facts file (section 4) and the knowledge-base articles on paging
(08), attributes (14) and the supplier ledger (20):

* parameter names are case-insensitive, unknown parameters are ignored;
* ``pageNumber`` is 1-based, ``pageSize`` defaults to and is clamped at the endpoint's
  maximum; bad values are refused with 400 naming the parameter;
* date filters take three documented formats and four operators, nothing else;
* ``attributes`` is a JSON object of exact values, matched by the attribute's kind.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote_plus

from .._surface import surface
from ._answers import BadJson, parse_json
from ._resources import ENTITIES, Entity
from ._settings import Settings

# Canonical spelling of operators; "=>" and friends are not accepted by the API.
OPERATORS = {">": ">", "<": "<", ">=": ">=", "<=": "<="}

# Status values of the 8.43 DTOs (facts section 3). Values found in the demo data are
# added at start-up, so an entity missing here still filters on what it contains.
STATUS_VALUES: dict[str, tuple[str, ...]] = {
    "customer": ("Active", "OnHold", "CreditHold", "Inactive", "OneTime"),
    "supplier": ("Active", "OnHold", "HoldPayments", "Inactive", "OneTime"),
    "inventory": ("Active", "NoSales", "NoPurchases", "NoRequest", "Inactive",
                  "MarkedForDeletion", "Unknown"),
    "customerinvoice": ("Hold", "Balanced", "Voided", "Scheduled", "Open", "Closed",
                        "PendingPrint", "PendingEmail", "CreditHold", "CcHold", "Reserved"),
    "supplierInvoice": ("Hold", "Balanced", "Voided", "Scheduled", "Open", "Closed",
                        "Printed", "Prebooked", "Reserved"),
    "purchaseorder": ("Balanced", "Cancelled", "Closed", "Hold", "Open", "PendingEmail",
                      "PendingPrint", "Printed", "Voided"),
    "supplierPayment": ("Hold", "Balanced", "Voided", "Scheduled", "Open", "Closed",
                        "Printed", "Prebooked", "PendingApproval", "Rejected", "Reserved",
                        "PendingPrint"),
}
STATUS_VALUES["customerDebitNote"] = STATUS_VALUES["customerinvoice"]
STATUS_VALUES["customerCreditNote"] = STATUS_VALUES["customerinvoice"]

#: Most attributes one ``attributes`` filter may name (each adds a condition to the SQL).
MAX_ATTRIBUTES = 100

# Attribute control types (AttributeDto.controlType) → how the filter compares.
_ATTRIBUTE_KIND = {"datetime": "date", "checkbox": "bool", "multiselectcombo": "multi"}

# Display names of parameters whose registry key is not the lower-cased field name.
PARAMETER_SPELLING = {"inventorytypes": "inventoryTypes", "orderstatus": "orderStatus"}


class BadParameter(Exception):
    """A query value the API refuses (answered as 400 with a message)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def parse_query_string(raw: bytes | str) -> dict[str, list[str]]:
    """Split a raw query string into lower-cased names and their (decoded) values.

    Done by hand rather than through the framework so both encodings of article 14
    (``%7B"ID":"v"%7D`` and fully percent-encoded) arrive as the same text, and so
    repeated names keep every value.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    out: dict[str, list[str]] = {}
    for part in raw.split("&"):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = unquote_plus(name, encoding="utf-8", errors="replace").strip().lower()
        value = unquote_plus(value, encoding="utf-8", errors="replace") if sep else ""
        out.setdefault(name, []).append(value)
    return out


def parameter_name(key: str, field_path: str) -> str:
    """How a registry filter key is spelled in documentation (``corporateId``)."""
    if key in PARAMETER_SPELLING:
        return PARAMETER_SPELLING[key]
    leaf = field_path.rsplit(".", 1)[-1]
    return leaf if leaf.lower() == key else key


# --------------------------------------------------------------------------- dates


def date_pattern(settings: Settings) -> re.Pattern[str]:
    """Regex of the accepted date-filter formats under these settings."""
    sep = "[ T]" if settings.date_t_separator else " "
    # Longest first, so "12:00:00.123456" is not half-matched as ".123".
    alternatives = "|".join(rf"\d{{{d}}}" for d in sorted(set(settings.date_fraction_digits),
                                                          reverse=True))
    fraction_part = rf"(?:\.({alternatives}))?" if alternatives else ""
    return re.compile(
        rf"^(\d{{4}})-(\d{{2}})-(\d{{2}})(?:{sep}(\d{{2}}):(\d{{2}}):(\d{{2}}){fraction_part})?$")


def parse_filter_date(parameter: str, value: str, pattern: re.Pattern[str]) -> str:
    """A date-filter value as the store's fixed-width text, or :class:`BadParameter`."""
    match = pattern.match(value.strip())
    if match is None:
        raise BadParameter(parameter, f"'{value}' is not an accepted date. Use yyyy-MM-dd, "
                                      "yyyy-MM-dd HH:mm:ss or yyyy-MM-dd HH:mm:ss.fff.")
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0),
                          int(minute or 0), int(second or 0),
                          int(((fraction or "") + "000000")[:6]))
    except ValueError:
        raise BadParameter(parameter, f"'{value}' is not a valid calendar date.") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


# --------------------------------------------------------------------------- list query


@dataclass
class ListQuery:
    """A parsed list request: SQL ``WHERE`` over ``records r`` plus the page wanted."""

    company_id: int
    entity: str
    where: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)
    page_number: int = 1
    page_size: int | None = None  # None: unpaged endpoint, every record
    max_page_size: int = 0
    skip: int = 0  # skipRecords of an unpaged endpoint (vat)

    @property
    def where_sql(self) -> str:
        return " AND ".join(self.where)

    @property
    def offset(self) -> int:
        paged = 0 if self.page_size is None else (self.page_number - 1) * self.page_size
        return self.skip + paged


def max_page_size(entity: Entity, settings: Settings) -> int:
    """The endpoint's maximum (and default) page size under these settings."""
    return settings.max_page_size.get(entity.name.lower(), entity.max_page_size)


def _first(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


#: The API binds paging parameters to .NET ``int``: larger values do not parse.
_INT32_MAX = 2**31 - 1


def _positive_int(parameter: str, text: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"[+]?\d+", value) or not 1 <= int(value) <= _INT32_MAX:
        raise BadParameter(parameter, f"'{text}' is not valid; it must be a whole "
                                      f"number from 1 to {_INT32_MAX}.")
    return int(value)


#: Document statuses before release (the rest: Open, Closed, Voided, ...).
UNRELEASED_STATUSES = ("Hold", "Balanced", "Scheduled")


class QueryBuilder:
    """Turns request parameters into a :class:`ListQuery` for one entity.

    Parameters
    ----------
    settings
        The sandbox settings (date formats, default operator, page sizes).
    status_values
        Status values seen in the demo data per entity, merged with the DTO enums.
    """

    def __init__(self, settings: Settings, status_values: dict[str, list[str]]):
        self.settings = settings
        self.date_re = date_pattern(settings)
        self.statuses: dict[str, dict[str, str]] = {}
        enums = _status_enums()
        for entity_name in set(STATUS_VALUES) | set(status_values) | set(enums):
            values = list(STATUS_VALUES.get(entity_name, enums.get(entity_name, ())))
            values += [v for v in status_values.get(entity_name, ()) if v not in values]
            self.statuses[entity_name] = {v.lower(): v for v in values}

    def build(self, entity: Entity, company_id: int, params: dict[str, list[str]],
              attribute_kinds: dict[str, str] | None = None) -> ListQuery:
        """Parse every parameter the endpoint knows; raise :class:`BadParameter`."""
        query = ListQuery(company_id, entity.name, where=["r.company_id = ?", "r.entity = ?"],
                          params=[company_id, entity.name])
        if entity.paged:
            self._paging(entity, params, query)
        else:
            self._read_window(params, query)
        if entity.modified_field:
            self._date(params, "lastModifiedDateTime", "r.modified", query)
        if entity.created_field:
            self._date(params, "createdDateTime", "r.created", query)
        if entity.status_field:
            self._status(entity, params, query)
        if entity.name_field:
            text = _first(params, entity.name_field.lower())
            if text:
                query.where.append("instr(r.name, ?) > 0")
                query.params.append(text.casefold())
        if entity.released:
            self._released(params, query)
        for key, field_path in entity.filters.items():
            values = [v for v in params.get(key, ()) if v != ""]
            if values:
                self.add_exact(query, entity, field_path, values)
        for parameter, field_path in entity.date_filters.items():
            self._date(params, parameter, "", query, facet=(entity, field_path))
        if entity.attributes:
            text = _first(params, "attributes")
            if text:
                self._attributes(text, attribute_kinds or {}, query)
        return query

    @staticmethod
    def add_parent(query: ListQuery, parent: str) -> None:
        """Records of the list at ``parent`` (its path below the version, any case)."""
        query.where.append("r.parent = ?")
        query.params.append(parent.strip("/"))

    @staticmethod
    def add_exact(query: ListQuery, entity: Entity, field_path: str,
                  values: list[str]) -> None:
        """Exact, case-insensitive match of a record field (any of ``values``)."""
        marks = ",".join("?" * len(values))
        # Company and entity are bound again (not taken from ``r``) so that SQLite runs
        # the sub-select once, over the facets index, instead of once per record.
        query.where.append(
            f"r.id IN (SELECT id FROM facets WHERE company_id = ? AND entity = ? AND "
            f"field = ? AND value IN ({marks}))")
        query.params.extend([query.company_id, query.entity, field_path,
                             *(v.casefold() for v in values)])

    def _paging(self, entity: Entity, params: dict[str, list[str]], query: ListQuery) -> None:
        query.max_page_size = max_page_size(entity, self.settings)
        number = _first(params, "pagenumber")
        size = _first(params, "pagesize")
        # An empty value is what a form sends for "not given"; the API then uses its default.
        query.page_number = _positive_int("pageNumber", number) if number else 1
        wanted = _positive_int("pageSize", size) if size else query.max_page_size
        query.page_size = min(wanted, query.max_page_size)

    @staticmethod
    def _released(params: dict[str, list[str]], query: ListQuery) -> None:
        """``released=1``: documents out of Hold/Balanced/Scheduled; ``0``: those in it."""
        text = _first(params, "released")
        if not text:
            return
        flag = text.strip().lower()
        if flag not in ("0", "1", "true", "false"):
            raise BadParameter("released", f"'{text}' is not valid; use 1 (released) or 0.")
        marks = ",".join("?" * len(UNRELEASED_STATUSES))
        negate = "" if flag in ("0", "false") else "NOT "
        query.where.append(f"COALESCE(r.status, '') {negate}IN ({marks})")
        query.params.extend(UNRELEASED_STATUSES)

    @staticmethod
    def _read_window(params: dict[str, list[str]], query: ListQuery) -> None:
        """``numberToRead`` and ``skipRecords``: the window of an unpaged list (``vat``).

        Deprecated and ignored on paged endpoints (facts section 4); where there are no
        paging parameters they still choose which records come back.
        """
        number = _first(params, "numbertoread")
        skip = _first(params, "skiprecords")
        if number:
            query.page_size = _positive_int("numberToRead", number)
        if skip and skip.strip() != "0":
            query.skip = _positive_int("skipRecords", skip)

    def _date(self, params: dict[str, list[str]], parameter: str, column: str,
              query: ListQuery, facet: tuple[Entity, str] | None = None) -> None:
        """``parameter`` + its ``...Condition`` on a column of ``records``, or on a
        record field's stored facet (``facet``: the entity and the field)."""
        value = _first(params, parameter.lower())
        if not value:
            return
        moment = parse_filter_date(parameter, value, self.date_re)
        condition_name = parameter + "Condition"
        condition = _first(params, condition_name.lower())
        operator: str | None
        if condition is None or condition.strip() == "":
            operator = self.settings.default_condition
        else:
            operator = OPERATORS.get(condition.strip())
            if operator is None:
                raise BadParameter(condition_name, f"'{condition}' is not a supported "
                                                   "operator; use >, <, >= or <=.")
        if facet is None:
            query.where.append(f"{column} {operator} ?")
            query.params.append(moment)
            return
        query.where.append(
            f"r.id IN (SELECT id FROM facets WHERE company_id = ? AND entity = ? AND "
            f"field = ? AND value {operator} ?)")
        query.params.extend([query.company_id, query.entity, facet[1], moment])

    def _status(self, entity: Entity, params: dict[str, list[str]],
                query: ListQuery) -> None:
        value = _first(params, entity.status_param.lower())
        if not value:
            return
        known = self.statuses.get(entity.name, {})
        canonical = known.get(value.strip().lower())
        if canonical is None:
            shown = PARAMETER_SPELLING.get(entity.status_param.lower(), entity.status_param)
            raise BadParameter(shown, f"'{value}' is not a valid value. Valid values: "
                                      f"{', '.join(known.values()) or '(none)'}.")
        query.where.append("r.status = ?")
        query.params.append(canonical)

    def _attributes(self, text: str, kinds: dict[str, str], query: ListQuery) -> None:
        try:
            # An object of ids and texts: anything nested deeper is refused unparsed.
            wanted = parse_json(text, "The value", max_depth=2)
        except BadJson as exc:
            message = str(exc)
            if "not valid JSON" in message:
                message = ("is not valid JSON; expected an object such as "
                           '{"ATTRIBUTEID":"value"}.')
            raise BadParameter("attributes", message) from None
        if not isinstance(wanted, dict):
            raise BadParameter("attributes", "must be a JSON object of attribute ids and "
                                             'values, such as {"ATTRIBUTEID":"value"}.')
        if len(wanted) > MAX_ATTRIBUTES:
            raise BadParameter("attributes", f"names {len(wanted)} attributes; at most "
                                             f"{MAX_ATTRIBUTES} can be filtered on at once.")
        spec = []
        for attribute_id, value in wanted.items():
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, (int, float)):
                value = str(value)
            elif not isinstance(value, str):
                raise BadParameter("attributes", f"the value of '{attribute_id}' must be "
                                                 "text, not a list or an object.")
            attribute_id = str(attribute_id).upper()
            kind = _ATTRIBUTE_KIND.get(kinds.get(attribute_id, "").lower(), "text")
            if kind == "text" and not self.settings.attribute_text_case_sensitive:
                kind = "itext"
            if kind == "date":
                day = _date_only(value)
                if day is None:  # no record can match a date that is not a date
                    query.where.append("0")
                    return
                value = day
            spec.append([attribute_id, kind, value])
            if kind == "text":
                # Cheap pre-check in C: skips the JSON parse for records that cannot match.
                query.where.append("instr(r.attrs, ?) > 0")
                query.params.append(json.dumps(value, ensure_ascii=False))
        if spec:
            query.where.append("vn_attr_match(r.attrs, ?)")
            query.params.append(json.dumps(spec, separators=(",", ":"), ensure_ascii=False))


def _status_enums() -> dict[str, tuple[str, ...]]:
    """Status values of each resource whose status field is an enum of the surface."""
    out = {}
    for entity in ENTITIES.values():
        spec = surface().dto(entity.dto).get(entity.status_field or "")
        if spec is not None and spec.enum:
            out[entity.name] = surface().enums.get(spec.enum, ())
    return out


def _date_only(text: str) -> str | None:
    try:
        return datetime.fromisoformat(text.strip()).strftime("%Y-%m-%d")
    except ValueError:
        return None
