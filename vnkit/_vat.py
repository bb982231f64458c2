"""Why a document line gets (or is refused) a VAT id: article 17, as a DataFrame.

The ERP takes the VAT zone from the customer or supplier and the VAT category from the
item; the line's VAT id is the one that lists both (``GET vat`` shows each id's
``zones`` and ``categories``). An explicit ``vatCodeId`` outside that rule is refused
with ``TaxID '<id>' cannot be found in the system.`` - even when the id exists, which is
what makes the message confusing. :func:`diagnose_vat` lays the facts side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._exceptions import FilterError, NotFoundError
from ._payload import unwrap

if TYPE_CHECKING:  # pandas loads on first use: ``import vnkit`` stays light
    import pandas as pd

__all__ = ["diagnose_vat", "vat_matrix"]


def _vat_records(client) -> list[dict]:
    return list(client.get("vat") or [])


def _ids(items: Any, key: str) -> list[str]:
    return [str(x.get(key)) for x in items or [] if isinstance(x, Mapping)]


def vat_matrix(client) -> pd.DataFrame:
    """VAT zones (rows) x VAT categories (columns) → the VAT id where they meet."""
    import pandas as pd

    cells: dict[tuple[str, str], list[str]] = {}
    for vat in _vat_records(client):
        for zone in _ids(vat.get("zones"), "id"):
            for category in _ids(vat.get("categories"), "vatCategoryId"):
                cells.setdefault((zone, category), []).append(str(vat.get("vatId")))
    zones = sorted({z for z, _ in cells})
    categories = sorted({c for _, c in cells})
    frame = pd.DataFrame(
        [[", ".join(cells.get((z, c), [])) or None for c in categories] for z in zones],
        index=pd.Index(zones, name="VAT zone"),
        columns=pd.Index(categories, name="VAT category"))
    return frame


def _partner(client, kind: str, number: str) -> dict:
    try:
        return client.get(f"{kind}/{number}")
    except NotFoundError:
        raise FilterError(kind, f"{kind} {number!r} does not exist",
                          hint=f"check the {kind} number") from None


def _item(client, number: str | None) -> dict | None:
    if number is None:
        return None
    from ._params import key_segment

    try:
        return client.get(f"inventory/{key_segment(number)}")
    except NotFoundError:
        raise FilterError("item", f"inventory item {number!r} does not exist",
                          hint="check the inventoryNumber") from None


def _verdict(requested: str | None, applies: list[str], zone: str | None,
             category: str | None, by_id: dict[str, dict]) -> str:
    if requested is None:
        if applies:
            return f"no VAT id sent: the ERP uses {applies[0]} (zone {zone} x category " \
                   f"{category})"
        return f"no VAT id is set up for zone {zone} x category {category}: every line " \
               "of this kind is refused until one is"
    if requested in applies:
        return f"ok: {requested} lists zone {zone} and category {category}"
    record = by_id.get(requested.lower())
    prefix = f"refused with TaxID '{requested}' cannot be found in the system: "
    if record is None:
        return prefix + f"there is no VAT id {requested!r} at all" + (
            f"; send {applies[0]} or leave vatCodeId out" if applies else "")
    problems = []
    zones = _ids(record.get("zones"), "id")
    categories = _ids(record.get("categories"), "vatCategoryId")
    if zone not in zones:
        problems.append(f"it is not set up for the partner's VAT zone {zone} "
                        f"(it lists {', '.join(zones) or 'none'})")
    if category not in categories:
        problems.append(f"it does not cover the item's VAT category {category} "
                        f"(it lists {', '.join(categories) or 'none'})")
    advice = f"; send {applies[0]} or leave vatCodeId out" if applies else ""
    return prefix + f"VAT id {requested} exists but " + " and ".join(problems) + advice


def diagnose_vat(client, *, customer: str | None = None, supplier: str | None = None,
                 item: str | None = None, vat_id: str | None = None,
                 body: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Explain which VAT id a document line gets, line by line.

    Parameters
    ----------
    client : vnkit.Client
    customer, supplier : str, optional
        The partner whose VAT zone counts (give one), unless ``body`` names it.
    item : str, optional
        Inventory number whose VAT category counts (none: the zone's default category).
    vat_id : str, optional
        The VAT id you would send as ``vatCodeId``.
    body : mapping, optional
        A (refused) customer or supplier invoice body, wrapped or plain: its
        ``customerNumber``/``supplierNumber`` and each of its ``invoiceLines`` are checked.

    Returns
    -------
    pandas.DataFrame
        One row per line: ``partner``, ``vat_zone``, ``item``, ``vat_category``,
        ``matching_vat_ids``, ``applies`` (what the ERP uses), ``requested`` and a
        ``verdict`` in words.
    """
    import pandas as pd

    lines: list[tuple[str | None, str | None]] = []
    if body is not None:
        plain = unwrap(body)
        lowered = {str(k).lower(): v for k, v in plain.items()}
        customer = customer or lowered.get("customernumber")
        supplier = supplier or lowered.get("suppliernumber")
        for entry in lowered.get("invoicelines") or []:
            fields = {str(k).lower(): v for k, v in entry.items()}
            lines.append((fields.get("inventorynumber"), fields.get("vatcodeid")))
    else:
        lines.append((item, vat_id))
    if (customer is None) == (supplier is None):
        raise FilterError("partner", "give exactly one of customer= or supplier= (or a body "
                          "that names customerNumber or supplierNumber)",
                          hint="diagnose_vat(client, customer='10011', item='6', "
                               "vat_id='01')")
    kind, number = ("customer", customer) if customer is not None else ("supplier", supplier)
    partner = _partner(client, kind, str(number))
    zone_ref = partner.get("vatZone") or {}
    zone = None if not zone_ref else str(zone_ref.get("id"))
    vats = _vat_records(client)
    by_id = {str(v.get("vatId")).lower(): v for v in vats}
    rows = []
    for number_, (inventory, requested) in enumerate(lines, start=1):
        record = _item(client, None if inventory is None else str(inventory))
        if record is not None and record.get("vatCode"):
            category: str | None = str(record["vatCode"].get("id"))
        else:
            category = None if not zone_ref else str(zone_ref.get("defaultVatCategory"))
        matching = [str(v.get("vatId")) for v in vats
                    if zone in _ids(v.get("zones"), "id")
                    and category in _ids(v.get("categories"), "vatCategoryId")]
        requested_text = None if requested is None else str(requested)
        rows.append({"line": number_, "partner": f"{kind} {partner.get('number')}",
                     "vat_zone": zone, "item": inventory, "vat_category": category,
                     "matching_vat_ids": matching,
                     "applies": matching[0] if matching else None,
                     "requested": requested_text,
                     "verdict": _verdict(requested_text, matching, zone, category, by_id)})
    return pd.DataFrame(rows).set_index("line")
