"""The Visma.net ERP API as a dlt source: ``vnkit.dlt_source(...)`` (extra ``vnkit[dlt]``).

One resource per list endpoint, named after it, with the endpoint's key plus
``company_id`` as primary key and the ``merge`` write disposition, so a record read
again (the overlap, a re-run) replaces its earlier copy. Nested objects become dotted
(``main_address__city``) columns and lists (``invoiceLines``) child tables, as dlt
does for any JSON.

Incremental loading runs on ``lastModifiedDateTime``, with one cursor per company kept
in the resource's dlt state: companies' edits are independent, so a single cursor
across companies would skip an older change of a company read after a newer one of
another. Each cursor is placed as ``vnkit.sync`` places its watermark (the newest
modification seen, less the read's duration and an overlap), so nothing changed while
the pages were read is missed, and the next load asks with
``lastModifiedDateTimeCondition=>=``.

``dlt`` is imported only when a source is made, never by ``import vnkit``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from . import _endpoints
from ._exceptions import ConfigurationError
from ._sync import DEFAULT_ENDPOINTS, DEFAULT_OVERLAP, CappedAdapter, _company_clients


def _import_dlt():
    try:
        import dlt
    except ImportError as exc:
        raise ConfigurationError("the dlt source needs dlt",
                                 hint="pip install 'vnkit[dlt]'") from exc
    return dlt


def _pages_since(client: Any, endpoint: str, company_id: str, cursors: dict[str, str],
                 overlap: timedelta) -> Iterator[list[dict[str, Any]]]:
    """One company's records changed since its cursor, a page at a time; moves the cursor
    once every page is in."""
    from ._filters import last_modified

    since = cursors.get(company_id)
    filters = last_modified(">=", datetime.fromisoformat(since)) if since else {}
    started = time.monotonic()
    newest: datetime | None = datetime.fromisoformat(since) if since else None
    for page in client.pages(endpoint, progress=False, **filters):
        batch = []
        for record in page.records:
            row = {k: v for k, v in record.items() if k != "metadata"}
            row["company_id"] = company_id
            modified = record.get("lastModifiedDateTime")
            if isinstance(modified, str):
                try:
                    when = datetime.fromisoformat(modified)
                except ValueError:
                    when = None
                if when is not None and (newest is None or when > newest):
                    newest = when
            batch.append(row)
        if batch:
            yield batch
    if newest is not None:
        floor = newest - overlap - timedelta(seconds=time.monotonic() - started)
        cursors[company_id] = floor.isoformat(timespec="milliseconds")


def dlt_source(target: Any = None, *, companies: Iterable[Any] | None = None,
               endpoints: Sequence[str] = DEFAULT_ENDPOINTS,
               overlap: timedelta | float = DEFAULT_OVERLAP, max_in_flight: int = 8,
               page_workers: int = 2, name: str = "visma_net") -> Any:
    """A dlt source of list endpoints of one or many companies.

    Parameters
    ----------
    target : Client, sandbox handle, str or None
        As for ``vnkit.sync``: a signed-in client, or anything ``vnkit.connect`` takes.
    companies : iterable of id or name, optional
        Default: every company the token reaches.
    endpoints : sequence of str
        One resource each (a ``/`` in a path becomes ``_`` in its name).
    overlap : timedelta or seconds
        How far before the newest change seen the next load starts reading.
    max_in_flight, page_workers : int
        Requests in flight across companies, and per company's endpoint.

    Returns
    -------
    dlt source
        ``dlt.pipeline(..., destination="duckdb").run(vnkit.dlt_source(sandbox))``.
    """
    dlt = _import_dlt()
    from ._retry import default_adapter
    from ._sql import view_name

    if isinstance(endpoints, str):
        endpoints = (endpoints,)
    if not isinstance(overlap, timedelta):
        overlap = timedelta(seconds=float(overlap))
    adapter = CappedAdapter(default_adapter(max_in_flight), max_in_flight)
    clients, _owned = _company_clients(target, companies, adapter, page_workers)

    def make_resource(endpoint: str):
        key = _endpoints.lookup(endpoint).key
        if not key:
            raise ConfigurationError(f"no record key is known for {endpoint!r}",
                                     hint="the dlt source merges by key: use an endpoint "
                                          "vnkit knows the key of (vnkit._endpoints)")

        def records() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state()
            cursors = state.setdefault("last_modified", {})
            for company_id, _name, client in clients:
                yield from _pages_since(client, endpoint, company_id, cursors, overlap)

        return dlt.resource(records, name=view_name(endpoint),
                            primary_key=["company_id", *key], write_disposition="merge",
                            columns={"company_id": {"data_type": "text"}})

    @dlt.source(name=name, max_table_nesting=2)
    def visma_net():
        return [make_resource(endpoint.strip("/")) for endpoint in endpoints]

    return visma_net()
