"""``vnkit.sync``: many companies' list endpoints into one Parquet dataset, kept up to date.

An accounting firm's token reaches hundreds of client companies; ``sync`` pulls each
company's endpoints into ``<to>/endpoint=<name>/company_id=<id>/part-*.parquet`` and,
on later runs, only what changed. How each promise is kept:

Incremental
    Per company and endpoint a watermark: the next run asks for
    ``lastModifiedDateTime >= watermark`` (the condition sent explicitly). The API's
    times carry no offset and the client cannot read the server's clock, so the watermark
    is derived from the records themselves: the newest ``lastModifiedDateTime`` seen,
    less the run's own duration, less an overlap window. A record changed while the run
    was reading has a time after the run began, and the newest time seen is at most the
    time the run ended, so it is always at or after the new watermark: nothing modified
    during a run is missed. The overlap re-reads a few records; those whose key and
    modification time are already stored (the state's ``tail``) are not written again.
Complete
    Each endpoint's run de-duplicates by the endpoint's key and counts unique records
    against the API's ``totalCount``; a run whose pages saw the count move is read
    again; a shortfall that remains is reported and the watermark is not moved, so the
    next run asks again.
Resumable
    Files are written under ``_tmp/``, made durable and renamed into place, then listed
    in the state (``_sync_state``); the watermark moves only after that. A run killed at
    any point leaves either listed files (data, possibly read again by the next run:
    ``vnkit.sql`` keeps the latest copy of each key) or unlisted ones (removed by the
    next run), never half a file.
Within budget
    Every company gets a client of its own, so its calls are counted against its own
    ``X-RateLimit-*`` budget (``client.budget``), which slows its pager when low; one
    transport shared by all of them caps the requests in flight across companies.
Bounded memory
    Each page is turned into an Arrow table and appended to the open Parquet file as a
    row group, then dropped; files roll over every ``rows_per_file`` rows.
Compact
    Every run that finds changes adds a small file to a partition; once a partition
    holds more than ``compact_after`` files they are rewritten as one (DuckDB, one row
    per key: the latest), and the swap goes through the state like any other write.
Deletions
    The API does not list what it deleted, and a changes-since read cannot see a record
    that is gone. A run that reads everything (``full=True``) knows every key the API
    still has; with ``deletions="check"`` every run also asks for the endpoint's whole
    ``totalCount`` (one call, one record) and, when it is below the keys held, lists the
    keys (a read of every page). Held keys the API no longer lists are dropped by
    rewriting the partition without them, swapped in like a compaction: a run killed
    before the swap leaves the old files as data, and the next check finds the
    difference again.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from requests.adapters import BaseAdapter

from . import _endpoints
from ._exceptions import ConfigurationError

if TYPE_CHECKING:
    import pandas as pd

    from ._client import Client
    from ._sync_state import SyncState

#: What ``sync`` pulls when not told: the ledgers' partners and sales documents.
DEFAULT_ENDPOINTS = ("customer", "supplier", "customerinvoice")

#: Records modified this long before the newest one seen are read again.
DEFAULT_OVERLAP = timedelta(minutes=10)

#: A Parquet file is closed (and listed as data) after this many rows.
ROWS_PER_FILE = 50_000

#: A company's endpoint is rewritten as one file once it holds more files than this.
COMPACT_AFTER = 8

#: Passes over an endpoint whose count moved while its pages were read.
MAX_PASSES = 3

#: How deleted records are found (see ``sync``'s ``deletions``).
DELETIONS = ("full", "check", "never")

_CURSOR = "lastModifiedDateTime"
_TMP = "_tmp"
_LOCK = ".vnkit-sync.lock"


# -- the transport shared by every company's client ----------------------------------------
class CappedAdapter(BaseAdapter):
    """A transport that lets at most ``limit`` requests be in flight at once.

    Shared by the clients of every company, so the cap holds across companies (each
    company's pager has its own few threads).
    """

    def __init__(self, inner: BaseAdapter, limit: int):
        super().__init__()
        self.inner = inner
        self.limit = int(limit)
        self.max_retries = getattr(inner, "max_retries", None)
        self._slots = threading.BoundedSemaphore(self.limit)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.requests = 0

    def send(self, request, **kwargs):  # type: ignore[override]
        with self._slots:
            with self._lock:
                self.in_flight += 1
                self.requests += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                return self.inner.send(request, **kwargs)
            finally:
                with self._lock:
                    self.in_flight -= 1

    def close(self) -> None:
        # Each company's client closes its session when done: the pool stays for the
        # others, and ``shutdown`` closes it at the end.
        pass

    def shutdown(self) -> None:
        self.inner.close()


# -- what a run reports --------------------------------------------------------------------
@dataclass
class EndpointResult:
    """One company's endpoint in one run.

    Attributes
    ----------
    status : {"ok", "incomplete", "failed"}
        ``ok``: every record the API counted arrived and the watermark moved;
        ``incomplete``: some did not (``message`` says how many; the watermark stayed);
        ``failed``: an error stopped it (``message``; the watermark stayed).
    since : str or None
        The ``lastModifiedDateTime`` asked from (None: everything).
    expected : int or None
        The API's ``totalCount`` for what was asked.
    received, unique : int
        Records that arrived, and how many distinct keys among them.
    unchanged : int
        Records already stored with the same modification time (the overlap).
    written : int
        Rows written to Parquet.
    deleted : int
        Keys dropped from the dataset because the API no longer lists them.
    calls : int
        API requests made for this endpoint.
    """

    company_id: str
    company: str | None
    endpoint: str
    status: str = "ok"
    since: str | None = None
    expected: int | None = None
    received: int = 0
    unique: int = 0
    unchanged: int = 0
    written: int = 0
    deleted: int = 0
    calls: int = 0
    seconds: float = 0.0
    message: str | None = None


@dataclass
class SyncReport:
    """What ``vnkit.sync`` did: one :class:`EndpointResult` per company and endpoint."""

    path: Path
    run_id: str
    results: list[EndpointResult] = field(default_factory=list)
    seconds: float = 0.0
    peak_in_flight: int = 0
    budgets: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        """API requests made for the endpoints (the company list not counted)."""
        return sum(r.calls for r in self.results)

    @property
    def rows_written(self) -> int:
        return sum(r.written for r in self.results)

    @property
    def rows_deleted(self) -> int:
        """Keys dropped because the API no longer lists them."""
        return sum(r.deleted for r in self.results)

    @property
    def problems(self) -> list[EndpointResult]:
        """The results that are not ``ok``."""
        return [r for r in self.results if r.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.problems

    def frame(self) -> pd.DataFrame:
        """One row per company and endpoint."""
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.results])

    def __repr__(self) -> str:
        companies = len({r.company_id for r in self.results})
        endpoints = len({r.endpoint for r in self.results})
        counts = {s: sum(r.status == s for r in self.results)
                  for s in ("ok", "incomplete", "failed")}
        text = (f"<SyncReport {companies} companies x {endpoints} endpoints: "
                f"{counts['ok']} ok, {counts['incomplete']} incomplete, {counts['failed']} "
                f"failed; {self.rows_written:,} rows written, "
                + (f"{self.rows_deleted:,} deleted, " if self.rows_deleted else "")
                + f"{self.calls:,} calls>")
        for r in self.problems[:10]:
            text += f"\n  {r.status}: company {r.company_id} {r.endpoint}: {r.message}"
        if len(self.problems) > 10:
            text += f"\n  ... and {len(self.problems) - 10} more (report.frame())"
        return text


# -- writing one partition -----------------------------------------------------------------
def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - directories on some systems
        pass
    finally:
        os.close(fd)


class _PartitionWriter:
    """Appends pages to Parquet files of one company and endpoint; lists each when closed."""

    def __init__(self, root: Path, state: SyncState, company_id: str, endpoint: str,
                 run_id: str, rows_per_file: int):
        self.root = root
        self.state = state
        self.company_id = company_id
        self.endpoint = endpoint
        self.run_id = run_id
        self.rows_per_file = rows_per_file
        self.directory = root / f"endpoint={endpoint}" / f"company_id={company_id}"
        self._writer: Any = None
        self._schema: Any = None
        self._tmp: Path | None = None
        self._rows = 0
        self._sequence = 0

    def write(self, table: Any) -> None:
        import pyarrow.parquet as pq

        if self._writer is not None and (not table.schema.equals(self._schema)
                                         or self._rows >= self.rows_per_file):
            self.commit()
        if self._writer is None:
            self._tmp = self.root / _TMP / f"{uuid.uuid4().hex}.parquet"
            self._writer = pq.ParquetWriter(self._tmp, table.schema, compression="zstd")
            self._schema = table.schema
            self._rows = 0
        self._writer.write_table(table)
        self._rows += table.num_rows

    def commit(self) -> None:
        """Close the open file, move it into place, then list it as data."""
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
        assert self._tmp is not None
        _fsync(self._tmp)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._sequence += 1
        final = self.directory / f"part-{self.run_id}-{self._sequence:04d}.parquet"
        os.replace(self._tmp, final)
        _fsync(self.directory)
        self.state.add_file(final.relative_to(self.root).as_posix(), self.company_id,
                            self.endpoint, self._rows, self.run_id)
        self._tmp = None

    def abort(self) -> None:
        """Drop the open file (its rows are read again by the next run)."""
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass
            self._writer = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None


# -- one company's endpoint ----------------------------------------------------------------
def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed


def _key_of(fields: tuple[str, ...]):
    if not fields:
        return lambda record: None
    if len(fields) == 1:
        name = fields[0]
        return lambda record: None if record.get(name) is None else str(record.get(name))
    return lambda record: "\x1f".join(str(record.get(f)) for f in fields)


@dataclass
class _Job:
    root: Path
    state: SyncState
    run_id: str
    overlap: timedelta
    rows_per_file: int
    full: bool
    compact_after: int = 0
    deletions: str = "full"


def _sync_endpoint(job: _Job, client: Client, company_id: str, company: str | None,
                   endpoint: str, on_page=None) -> EndpointResult:
    from ._filters import last_modified
    from ._paging import FirstSeen
    from ._sync_arrow import to_table

    result = EndpointResult(company_id, company, endpoint)
    info = _endpoints.lookup(endpoint)
    key_of = _key_of(info.key)
    watermark, max_seen = (None, None) if job.full else job.state.watermark(company_id,
                                                                            endpoint)
    tail = {} if job.full else job.state.tail(company_id, endpoint)
    filters: dict[str, Any] = {}
    if watermark is not None:
        # The condition is always sent: the API's default for a bare date is unpublished.
        filters = last_modified(">=", datetime.fromisoformat(watermark))
        result.since = watermark
    newest = _parse_time(max_seen)
    started = time.monotonic()
    started_wall = time.time()
    writer = _PartitionWriter(job.root, job.state, company_id, endpoint, job.run_id,
                              job.rows_per_file)
    # Keys and times of the records that may end up in the overlap window: pruned as the
    # newest time grows, so this stays small whatever the number of rows.
    near: dict[str, tuple[datetime, str]] = {}

    def prune() -> None:
        if newest is None:
            return
        floor = newest - job.overlap - timedelta(seconds=time.monotonic() - started)
        for k in [k for k, (when, _) in near.items() if when < floor]:
            del near[k]

    calls = 0
    pager = None
    counted = False
    # A read of everything lists every key the API still has (see ``_reconcile``).
    listing: set[str] | None = None
    try:
        for _ in range(MAX_PASSES):
            pager = client.pages(endpoint, progress=False, **filters)
            counted = False
            seen = FirstSeen(info.key)
            result.received = result.unique = result.unchanged = 0
            listing = set() if not filters and info.key and job.deletions != "never" \
                else None
            for page in pager:
                flags = seen.mask(page.records)
                keep = []
                for record, first in zip(page.records, flags):
                    if not first:
                        continue
                    result.unique += 1
                    modified: str | None = record.get(_CURSOR)
                    when = _parse_time(modified)
                    key = key_of(record)
                    if listing is not None and key is not None:
                        listing.add(key)
                    if when is not None:
                        if newest is None or when > newest:
                            newest = when
                        if key is not None and modified is not None:
                            near[key] = (when, modified)
                    if key is not None and modified is not None and tail.get(key) == modified:
                        result.unchanged += 1
                        continue
                    keep.append(record)
                result.received += len(page.records)
                if keep:
                    writer.write(to_table(keep, endpoint,
                                          synced_at=datetime.now(UTC)))
                    result.written += len(keep)
                if len(near) > 20_000:
                    prune()
                if on_page is not None:
                    on_page(result, calls + pager.calls)
            calls += pager.calls
            counted = True
            result.calls = calls
            result.expected = pager.total_count
            short = result.expected is not None and result.unique < result.expected
            if not short or pager.stable:
                break
            # The count moved while the pages were read (records joined or left the
            # result set): read again. What was written stays; the view keeps the
            # latest copy of each key.
            tail = {k: m for k, (_, m) in near.items()}
        writer.commit()
    except Exception as exc:  # noqa: BLE001 - one endpoint's failure is reported, not fatal
        # API errors, a full disk, a page Arrow cannot take: what was listed stays, the
        # watermark stays, the other endpoints and companies go on.
        writer.abort()
        result.status = "failed"
        result.seconds = time.monotonic() - started
        result.message = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        if pager is not None and not counted:
            calls += pager.calls  # the pass that failed
        result.calls = calls
        _record(job, result, started_wall)
        return result
    except BaseException:
        writer.abort()
        raise
    result.seconds = time.monotonic() - started
    if result.expected is not None and result.unique < result.expected:
        missing = result.expected - result.unique
        result.status = "incomplete"
        result.message = (f"{missing} of the {result.expected} records the API counted "
                          f"did not arrive ({result.unique} unique in {result.calls} "
                          f"call(s)); the watermark was not moved, the next run asks again")
    else:
        if newest is not None:
            floor = newest - job.overlap - timedelta(seconds=result.seconds)
            new_tail = {k: m for k, (when, m) in near.items() if when >= floor}
            job.state.advance(company_id, endpoint, floor.isoformat(timespec="milliseconds"),
                              newest.isoformat(timespec="milliseconds"), new_tail)
        try:
            _find_deletions(job, client, company_id, endpoint, result, listing,
                            pager.stable if pager is not None else False)
        except Exception as exc:  # noqa: BLE001 - the data is safe; look again next time
            result.message = f"deletion check failed ({type(exc).__name__}: {exc})"
        if job.compact_after and len(job.state.files(
                endpoint=endpoint, company_id=company_id)) > job.compact_after:
            try:
                compact_partition(job, company_id, endpoint)
            except Exception as exc:  # noqa: BLE001 - the data is safe; compact next time
                result.message = f"compaction failed ({type(exc).__name__}: {exc})"
        if result.expected is not None and result.unique > result.expected:
            result.message = (f"{result.unique - result.expected} more unique records than "
                              f"the API counted (records added while paging)")
    _record(job, result, started_wall)
    return result


def _record(job: _Job, result: EndpointResult, started: float) -> None:
    job.state.record_run(job.run_id, result.company_id, result.endpoint, started=started,
                         finished=time.time(), status=result.status, since=result.since,
                         expected=result.expected, received=result.received,
                         unique_records=result.unique, unchanged=result.unchanged,
                         written=result.written, deleted=result.deleted,
                         calls=result.calls,
                         message=result.message)


def _source(job: _Job, files: list[str]) -> str:
    from ._sql import _literal

    return (f"read_parquet([{', '.join(_literal(str(job.root / f)) for f in files)}], "
            f"hive_partitioning = false, union_by_name = true)")


def _key_sql(key: tuple[str, ...]) -> str:
    """The SQL of a record's key as text, as ``_key_of`` writes it in Python."""
    from ._sql import _quote

    if len(key) == 1:
        return f"CAST({_quote(key[0])} AS VARCHAR)"
    return ("concat_ws(chr(31), " + ", ".join(
        f"coalesce(CAST({_quote(k)} AS VARCHAR), 'None')" for k in key) + ")")


def compact_partition(job: _Job, company_id: str, endpoint: str, *,
                      keep: set[str] | None = None) -> int:
    """Rewrite a partition's files as one, keeping the latest copy of each key.

    With ``keep`` (keys as text), rows of any other key are left out: the records the
    API deleted. The new file is written under ``_tmp/``, renamed into place, and
    swapped for the old ones in one state transaction; the old files are deleted
    afterwards (a run killed before that leaves them unlisted, and the next run removes
    them). Returns the number of files replaced (0 when there was nothing to do).
    """
    import duckdb

    from ._sql import _literal, _quote

    files = [path for path, *_ in job.state.files(endpoint=endpoint, company_id=company_id)]
    if len(files) < (1 if keep is not None else 2):
        return 0
    key = _endpoints.lookup(endpoint).key
    query = f"SELECT * FROM {_source(job, files)}"
    con = duckdb.connect()
    try:
        if keep is not None and key:
            import pyarrow as pa

            con.register("vnkit_listed", pa.table({"k": pa.array(sorted(keep),
                                                                 pa.string())}))
            query += f" WHERE {_key_sql(key)} IN (SELECT k FROM vnkit_listed)"
        if key:
            query += (f" QUALIFY row_number() OVER (PARTITION BY "
                      f"{', '.join(map(_quote, key))} ORDER BY {_quote(_CURSOR)} DESC "
                      f"NULLS LAST, _synced_at DESC) = 1")
        tmp = job.root / _TMP / f"{uuid.uuid4().hex}.parquet"
        con.execute(f"COPY ({query}) TO {_literal(str(tmp))} (FORMAT parquet, "
                    f"COMPRESSION zstd)")
        rows = con.execute(f"SELECT count(*) FROM read_parquet({_literal(str(tmp))})"
                           ).fetchone()
    finally:
        con.close()
    _fsync(tmp)
    directory = job.root / f"endpoint={endpoint}" / f"company_id={company_id}"
    final = directory / f"part-{job.run_id}-{uuid.uuid4().hex[:6]}-compacted.parquet"
    os.replace(tmp, final)
    _fsync(directory)
    job.state.replace_files(files, (final.relative_to(job.root).as_posix(), company_id,
                                    endpoint, int(rows[0] if rows else 0), job.run_id))
    for old in files:
        (job.root / old).unlink(missing_ok=True)
    return len(files)


def held_keys(job: _Job, company_id: str, endpoint: str) -> set[str]:
    """The keys (as text) the dataset holds for a company's endpoint."""
    import duckdb

    files = [path for path, *_ in job.state.files(endpoint=endpoint, company_id=company_id)]
    key = _endpoints.lookup(endpoint).key
    if not files or not key:
        return set()
    con = duckdb.connect()
    try:
        rows = con.execute(f"SELECT DISTINCT {_key_sql(key)} FROM {_source(job, files)}"
                           ).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows if row[0] is not None}


def _find_deletions(job: _Job, client: Client, company_id: str, endpoint: str,
                    result: EndpointResult, listing: set[str] | None, stable: bool) -> None:
    """Drop the held keys the API no longer lists (see the module's notes).

    ``listing`` is every key a complete read of everything saw (None when the run read
    only changes). Nothing is dropped on a listing that is not known to be complete.
    """
    key = _endpoints.lookup(endpoint).key
    if job.deletions == "never" or not key:
        return
    if listing is None:
        if job.deletions != "check":
            return
        # The whole count, in one call of one record.
        first = client.get(endpoint, pageNumber=1, pageSize=1)
        result.calls += 1
        meta = first[0].get("metadata") if isinstance(first, list) and first else None
        total = int(meta["totalCount"]) if isinstance(meta, dict) and \
            meta.get("totalCount") is not None else (0 if first == [] else None)
        if total is None:
            return  # the endpoint does not count: nothing to compare with
        rows_held = sum(rows for *_, rows in job.state.files(endpoint=endpoint,
                                                             company_id=company_id))
        if total >= rows_held:
            return  # the rows held (copies included) bound the keys held
        if total >= len(held_keys(job, company_id, endpoint)):
            return
        listing = _list_keys(client, endpoint, result)
        if listing is None:
            return
    elif not stable or (result.expected is not None and len(listing) < result.expected):
        # A count that moved while the pages were read may have shifted a record past
        # them: only a listing that held still says what is gone.
        return
    elif all(f"part-{job.run_id}-" in path for path, *_ in job.state.files(
            endpoint=endpoint, company_id=company_id)):
        return  # a first run: everything held was just read
    held = held_keys(job, company_id, endpoint)
    gone = held - listing
    if gone:
        compact_partition(job, company_id, endpoint, keep=listing)
        result.deleted = len(gone)


def _list_keys(client: Client, endpoint: str, result: EndpointResult) -> set[str] | None:
    """Every key the API lists now (a read of every page), or None if it fell short."""
    from ._paging import FirstSeen

    info = _endpoints.lookup(endpoint)
    key_of = _key_of(info.key)
    for _ in range(MAX_PASSES):
        pager = client.pages(endpoint, progress=False)
        seen = FirstSeen(info.key)
        keys: set[str] = set()
        for page in pager:
            for record, first in zip(page.records, seen.mask(page.records)):
                key = key_of(record)
                if first and key is not None:
                    keys.add(key)
        result.calls += pager.calls
        if pager.stable and (pager.total_count is None or len(keys) >= pager.total_count):
            return keys
        if pager.stable:
            return None  # short on a count that held still: the next run asks again
    return None


# -- the dataset folder --------------------------------------------------------------------
class _DatasetLock:
    """One sync at a time per dataset (a second would fight over the same files)."""

    def __init__(self, root: Path):
        self.path = root / _LOCK
        self._file: Any = None

    def __enter__(self) -> _DatasetLock:
        self._file = open(self.path, "a+")  # noqa: SIM115 - held until __exit__
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks
            return self
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise ConfigurationError(f"another vnkit sync is writing to {self.path.parent}",
                                     hint="wait for it to finish") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def remove_leftovers(root: Path, state: SyncState) -> int:
    """Delete files that are not data: temp files and Parquet files the state does not list.

    Returns how many were removed.
    """
    removed = 0
    tmp = root / _TMP
    if tmp.is_dir():
        for path in tmp.iterdir():
            path.unlink(missing_ok=True)
            removed += 1
    listed = {p for p, *_ in state.files()}
    for path in root.glob("endpoint=*/company_id=*/*.parquet"):
        if path.relative_to(root).as_posix() not in listed:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# -- companies and their clients -----------------------------------------------------------
def _company_clients(target: Any, companies: Iterable[Any] | None, adapter: CappedAdapter,
                     page_workers: int) -> tuple[list[tuple[str, str | None, Client]], Any]:
    """A client per company, each with its own budget, sharing sign-ins and transport.

    Returns the list of ``(company_id, name, client)`` and the client that listed them
    (to be closed by the caller when it made it).
    """
    from ._client import Client, connect

    own = not isinstance(target, Client)
    base = connect(target, adapter=adapter, progress=False) if own else target
    listed = base.companies()
    known = {str(i): (str(n) if n is not None else None)
             for i, n in zip(listed.get("id", []), listed.get("name", []))}
    directory = {str(c): (n, t) for n, c, t in getattr(base, "_directory", [])}
    if companies is None:
        wanted = [(i, n) for i, n in known.items()]
    else:
        wanted = []
        for company in companies:
            text = str(company).strip()
            match = [(i, n) for i, n in known.items()
                     if i == text or (n or "").casefold() == text.casefold()]
            match += [(i, n) for i, (n, _) in directory.items()
                      if not match and (i == text or n.casefold() == text.casefold())]
            if not match:
                raise ConfigurationError(
                    f"the token reaches no company {company!r}",
                    hint="list them with client.companies(); pass ids or names")
            wanted.append(match[0])
    base_tenant = getattr(getattr(base, "credentials", None), "tenant_id", None)
    auths: dict[Any, Any] = {base_tenant: base.session.auth}
    out = []
    for company_id, name in dict(wanted).items():
        tenant = directory.get(company_id, (None, base_tenant))[1] or base_tenant
        if tenant not in auths:
            # A company of another tenant (a sandbox's directory knows it): one sign-in
            # per tenant, shared by its companies.
            other = connect(target, company=company_id, adapter=adapter, progress=False)
            auths[tenant] = other.session.auth
        client = Client(base.environment, auth=auths[tenant], company=company_id,
                        max_workers=page_workers, progress=False, adapter=adapter,
                        timeout=base.timeout)
        client.company_name = name
        out.append((company_id, name, client))
    return out, (base if own else None)


# -- progress ------------------------------------------------------------------------------
class _Progress:
    """An overall bar, and a bar per company while it is being synced (tqdm.auto)."""

    def __init__(self, enabled: bool, steps: int, endpoints: int):
        self.enabled = enabled
        self.endpoints = endpoints
        self._lock = threading.Lock()
        self.overall = None
        if enabled:
            from tqdm.auto import tqdm

            self._tqdm = tqdm
            self.overall = tqdm(total=steps, desc="vnkit sync", unit="endpoint")

    def company(self, name: str):
        if not self.enabled:
            return None
        with self._lock:
            return self._tqdm(total=self.endpoints, desc=name[:32], unit="endpoint",
                              leave=False)

    def step(self, bar, result: EndpointResult, client: Client) -> None:
        if not self.enabled:
            return
        with self._lock:
            if bar is not None:
                bar.update(1)
            if self.overall is not None:
                self.overall.update(1)

    def page(self, bar, result: EndpointResult, calls: int, client: Client) -> None:
        if bar is None:
            return
        budget = client.budget
        left = "" if budget.remaining is None else f", budget {budget.remaining}/{budget.limit}"
        with self._lock:
            bar.set_postfix_str(f"{result.endpoint} {result.unique} rows, "
                                f"{calls} calls{left}", refresh=True)

    def close(self) -> None:
        if self.overall is not None:
            self.overall.close()


# -- the public function -------------------------------------------------------------------
def sync(target: Any = None, *, to: str | os.PathLike = "vnkit-data",
         companies: Iterable[Any] | None = None,
         endpoints: Sequence[str] = DEFAULT_ENDPOINTS, overlap: timedelta | float =
         DEFAULT_OVERLAP, max_in_flight: int = 8, page_workers: int = 2,
         company_workers: int | None = None, progress: bool = True, full: bool = False,
         rows_per_file: int = ROWS_PER_FILE, compact_after: int = COMPACT_AFTER,
         deletions: str = "full") -> SyncReport:
    """Pull list endpoints of many companies into a Parquet dataset, incrementally.

    Parameters
    ----------
    target : Client, sandbox handle, str or None
        A signed-in ``Client`` (its sign-in is used for every company), or anything
        ``vnkit.connect`` takes (a sandbox, ``"production"`` ...).
    to : path
        The dataset folder (created): ``endpoint=<name>/company_id=<id>/*.parquet`` and
        the state file ``_vnkit_sync.sqlite3``.
    companies : iterable of id or name, optional
        Default: every company the token reaches (``GET resources/v1/context``).
    endpoints : sequence of str
        List endpoints (default customer, supplier, customerinvoice).
    overlap : timedelta or seconds
        How far before the newest modification seen the next run starts reading.
    max_in_flight : int
        Requests in flight at once, across all companies.
    page_workers : int
        Concurrent page requests within one company's endpoint.
    company_workers : int, optional
        Companies synced at once (default ``max_in_flight``: a small company's endpoint
        is one page, so each company has about one request in flight; the cap holds
        whatever this is).
    progress : bool
        Show an overall bar and a bar per company in flight (tqdm: notebook or terminal).
    full : bool
        Ignore the watermarks and read everything again (the view keeps one copy).
    rows_per_file : int
        Rows per Parquet file of one company and endpoint.
    compact_after : int
        Rewrite a company's endpoint as one file once it has more files than this
        (0: never).
    deletions : {"full", "check", "never"}
        How records deleted in the API leave the dataset. ``"full"``: on runs that read
        everything (``full=True``, a company's first run), held keys the API did not
        list are dropped. ``"check"``: also on every other run, at the cost of one call
        per company and endpoint (the whole ``totalCount``), and of a read of every page
        when that count is below the keys held. ``"never"``: rows stay.

    Returns
    -------
    SyncReport
        Per company and endpoint: what the API counted, what arrived, what was written,
        calls, and what could not be accounted for (``report.problems``).
    """
    from ._retry import default_adapter
    from ._sync_state import SyncState

    if isinstance(endpoints, str):
        endpoints = (endpoints,)
    endpoints = tuple(dict.fromkeys(e.strip("/") for e in endpoints))
    if not endpoints:
        raise ConfigurationError("no endpoints to sync", hint="e.g. endpoints=('customer',)")
    if not isinstance(overlap, timedelta):
        overlap = timedelta(seconds=float(overlap))
    if deletions not in DELETIONS:
        raise ConfigurationError(f"deletions must be one of {', '.join(DELETIONS)}, "
                                 f"not {deletions!r}")
    if max_in_flight < 1 or page_workers < 1:
        raise ConfigurationError("max_in_flight and page_workers must be at least 1")
    page_workers = min(page_workers, max_in_flight)
    workers = company_workers or max_in_flight
    root = Path(to)
    root.mkdir(parents=True, exist_ok=True)
    (root / _TMP).mkdir(exist_ok=True)
    started = time.monotonic()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    adapter = CappedAdapter(default_adapter(max_in_flight), max_in_flight)
    with _DatasetLock(root):
        state = SyncState(root)
        report = SyncReport(root, run_id)
        bars = None
        owned = None
        clients: list[tuple[str, str | None, Client]] = []
        try:
            remove_leftovers(root, state)
            clients, owned = _company_clients(target, companies, adapter, page_workers)
            job = _Job(root, state, run_id, overlap, int(rows_per_file), bool(full),
                       int(compact_after), deletions)
            bars = _Progress(progress, len(clients) * len(endpoints), len(endpoints))

            def one_company(entry: tuple[str, str | None, Client]) -> list[EndpointResult]:
                company_id, name, client = entry
                bar = bars.company(name or company_id)
                results = []
                try:
                    for endpoint in endpoints:
                        result = _sync_endpoint(
                            job, client, company_id, name, endpoint,
                            on_page=lambda r, calls: bars.page(bar, r, calls, client))
                        results.append(result)
                        bars.step(bar, result, client)
                finally:
                    if bar is not None:
                        bar.close()
                report.budgets[company_id] = (client.budget.remaining, client.budget.limit)
                return results

            with ThreadPoolExecutor(workers, thread_name_prefix="vnkit-sync") as pool:
                for results in pool.map(one_company, clients):
                    report.results.extend(results)
        finally:
            if bars is not None:
                bars.close()
            for _, _, client in clients:
                client.close()
            if owned is not None:
                owned.close()
            adapter.shutdown()
            state.close()
    report.seconds = time.monotonic() - started
    report.peak_in_flight = adapter.peak_in_flight
    return report
