"""``vnkit.sql``: SQL over a synced dataset with DuckDB, one view per endpoint.

Each endpoint of the dataset is a view named after it (``customer``,
``customerinvoice``; a ``/`` in a path becomes ``_``) with ``company_id`` as its first
column. The views read exactly the files the sync state lists as data (never a temp file
or a killed run's leftover), and keep one row per company and key: the copy with the
latest ``lastModifiedDateTime`` (then the latest read), so a record read twice (an
overlap, a resumed run) counts once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _endpoints
from ._exceptions import ConfigurationError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_name(endpoint: str) -> str:
    """The view of an endpoint: its path with ``/`` as ``_``."""
    return endpoint.strip("/").replace("/", "_")


def view_sql(endpoint: str, files: list[str]) -> str:
    """``SELECT`` of the de-duplicated rows of an endpoint's files."""
    from ._sync_arrow import SYNCED_AT

    source = (f"read_parquet([{', '.join(map(_literal, files))}], hive_partitioning = true, "
              f"union_by_name = true)")
    select = f"SELECT company_id, * EXCLUDE (company_id, endpoint, {SYNCED_AT}) FROM {source}"
    key = _endpoints.lookup(endpoint).key
    if not key:
        return select  # no key known: nothing to tell copies apart by
    partition = ", ".join(["company_id", *map(_quote, key)])
    return (f"{select} QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY "
            f"\"lastModifiedDateTime\" DESC NULLS LAST, {SYNCED_AT} DESC) = 1")


def connect_dataset(path: str | os.PathLike = "vnkit-data",
                    connection: duckdb.DuckDBPyConnection | None = None
                    ) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per synced endpoint.

    Parameters
    ----------
    path : path
        The folder ``vnkit.sync`` wrote to.
    connection : duckdb connection, optional
        Add the views to this one (default: a new in-memory database).
    """
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise ConfigurationError("vnkit.sql needs duckdb",
                                 hint="pip install 'vnkit[sync]'") from exc
    from ._sync_state import STATE_FILE, SyncState

    root = Path(path)
    if not (root / STATE_FILE).is_file():
        raise ConfigurationError(f"{root} is not a synced dataset (no {STATE_FILE})",
                                 hint="run vnkit.sync(..., to=path) first")
    state = SyncState(root)
    try:
        by_endpoint: dict[str, list[str]] = {}
        for file, _company, endpoint, _rows in state.files():
            by_endpoint.setdefault(endpoint, []).append(str((root / file).resolve()))
    finally:
        state.close()
    con = connection if connection is not None else duckdb.connect()
    for endpoint, files in sorted(by_endpoint.items()):
        con.execute(f"CREATE OR REPLACE VIEW {_quote(view_name(endpoint))} AS "
                    + view_sql(endpoint, files))
    return con


def sql(query: str, path: str | os.PathLike = "vnkit-data", *,
        params: Any = None) -> pd.DataFrame:
    """Run SQL over a synced dataset; returns a DataFrame.

    Parameters
    ----------
    query : str
        DuckDB SQL over the views (``select company_id, count(*) from customerinvoice
        group by all``). Dotted columns are quoted: ``"customer.number"``.
    path : path
        The dataset folder (``vnkit.sync``'s ``to``).
    params : sequence or mapping, optional
        Values for ``?`` / ``$name`` placeholders.

    Examples
    --------
    >>> vnkit.sql("select company_id, sum(amount) from customerinvoice group by all")
    ... # doctest: +SKIP
    """
    con = connect_dataset(path)
    try:
        return con.execute(query, params).df() if params is not None else \
            con.execute(query).df()
    finally:
        con.close()
