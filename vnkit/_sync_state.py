"""The state of a synced dataset: which files are data, and how far each sync got.

One SQLite file next to the Parquet files (``_vnkit_sync.sqlite3``) holds

- ``files``: every Parquet file that is data. A file is written under ``_tmp/``, made
  durable, renamed into its partition, and only then listed here; anything on disk that
  is not listed (a file a killed run renamed but never listed, a compaction's leftovers)
  is not data and is removed by the next run.
- ``watermarks``: per company and endpoint, the ``lastModifiedDateTime`` from which the
  next run asks for changes, and the latest one seen. Written only after every file of
  the run that read those records is listed, so a run killed in between asks again.
- ``tail``: the keys and modification times of the records near the watermark (the
  overlap window), so a re-run does not store again what it already has.
- ``runs``: one row per company, endpoint and run: what the API counted, what arrived,
  what was written, what could not be accounted for.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STATE_FILE = "_vnkit_sync.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, company_id TEXT NOT NULL, endpoint TEXT NOT NULL,
    rows INTEGER NOT NULL, run_id TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS watermarks (
    company_id TEXT NOT NULL, endpoint TEXT NOT NULL, watermark TEXT, max_seen TEXT,
    key TEXT, updated REAL NOT NULL, PRIMARY KEY (company_id, endpoint));
CREATE TABLE IF NOT EXISTS tail (
    company_id TEXT NOT NULL, endpoint TEXT NOT NULL, record_key TEXT NOT NULL,
    modified TEXT NOT NULL, PRIMARY KEY (company_id, endpoint, record_key));
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT NOT NULL, company_id TEXT NOT NULL, endpoint TEXT NOT NULL,
    started REAL, finished REAL, status TEXT, since TEXT, expected INTEGER,
    received INTEGER, unique_records INTEGER, unchanged INTEGER, written INTEGER,
    calls INTEGER, message TEXT, deleted INTEGER,
    PRIMARY KEY (run_id, company_id, endpoint));
"""


class SyncState:
    """The dataset's SQLite state; safe to share between the sync's threads."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / STATE_FILE
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False,
                                     isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(runs)")}
        if "deleted" not in columns:  # a dataset synced before deletions were tracked
            self._conn.execute("ALTER TABLE runs ADD COLUMN deleted INTEGER")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self):
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    # -- files ---------------------------------------------------------------------------
    def add_file(self, path: str, company_id: str, endpoint: str, rows: int,
                 run_id: str) -> None:
        """List a file (already renamed into place) as data."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO files VALUES (?,?,?,?,?,?)",
                         (path, company_id, endpoint, rows, run_id, time.time()))

    def replace_files(self, old: list[str], new: tuple[str, str, str, int, str]) -> None:
        """Swap files for one that holds the same data (a compaction), atomically."""
        with self._transaction() as conn:
            conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in old])
            conn.execute("INSERT INTO files VALUES (?,?,?,?,?,?)", (*new, time.time()))

    def files(self, endpoint: str | None = None, company_id: str | None = None
              ) -> list[tuple[str, str, str, int]]:
        """``(path, company_id, endpoint, rows)`` of the data files, oldest first."""
        sql = "SELECT path, company_id, endpoint, rows FROM files WHERE 1=1"
        args: list[Any] = []
        if endpoint is not None:
            sql += " AND endpoint = ?"
            args.append(endpoint)
        if company_id is not None:
            sql += " AND company_id = ?"
            args.append(str(company_id))
        return self._query(sql + " ORDER BY created, path", args)

    # -- watermarks and the tail ---------------------------------------------------------------
    def watermark(self, company_id: str, endpoint: str) -> tuple[str | None, str | None]:
        """``(watermark, max_seen)`` of a company's endpoint (``(None, None)``: never)."""
        rows = self._query("SELECT watermark, max_seen FROM watermarks WHERE company_id = ? "
                           "AND endpoint = ?", (company_id, endpoint))
        return rows[0] if rows else (None, None)

    def tail(self, company_id: str, endpoint: str) -> dict[str, str]:
        """Record key to modification time, for the records at the watermark."""
        return dict(self._query("SELECT record_key, modified FROM tail WHERE company_id = ? "
                                "AND endpoint = ?", (company_id, endpoint)))

    def advance(self, company_id: str, endpoint: str, watermark: str | None,
                max_seen: str | None, tail: dict[str, str]) -> None:
        """Move the watermark and replace the tail, in one transaction."""
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO watermarks VALUES (?,?,?,?,?,?)",
                         (company_id, endpoint, watermark, max_seen, None, time.time()))
            conn.execute("DELETE FROM tail WHERE company_id = ? AND endpoint = ?",
                         (company_id, endpoint))
            conn.executemany("INSERT INTO tail VALUES (?,?,?,?)",
                             [(company_id, endpoint, k, v) for k, v in tail.items()])

    # -- runs ----------------------------------------------------------------------------------
    def record_run(self, run_id: str, company_id: str, endpoint: str, **values: Any) -> None:
        columns = ["started", "finished", "status", "since", "expected", "received",
                   "unique_records", "unchanged", "written", "calls", "message", "deleted"]
        with self._transaction() as conn:
            conn.execute(f"INSERT OR REPLACE INTO runs (run_id, company_id, endpoint, "
                         f"{', '.join(columns)}) VALUES ({','.join('?' * 15)})",
                         (run_id, company_id, endpoint, *[values.get(c) for c in columns]))

    def runs(self, run_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._conn.execute(
                "SELECT * FROM runs" + (" WHERE run_id = ?" if run_id else "")
                + " ORDER BY started", (run_id,) if run_id else ())
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
