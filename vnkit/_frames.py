"""API records to a pandas DataFrame.

Cost target: near ``json.loads`` + ``pandas.json_normalize``. All work after the
normalisation is per column (vectorised), never per row.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported on first use to keep ``import vnkit`` fast
    import pandas as pd

# Date-time fields of the read DTOs: ...DateTime, ...Date, ...Utc (background status),
# plus a few names that say "date" otherwise.
_DATE_NAME = re.compile(r"(DateTime|Date|Utc)$")
_DATE_NAMES = {"date", "promisedOn", "notValidAfter"}


def is_date_column(name: str) -> bool:
    """Whether a (dotted) column name is a date-time field of the API."""
    leaf = name.rsplit(".", 1)[-1]
    return bool(_DATE_NAME.search(leaf)) or leaf in _DATE_NAMES


def to_frame(records: Sequence[dict[str, Any]], *, parse_dates: bool = True) -> pd.DataFrame:
    """Flatten API records into a DataFrame.

    Parameters
    ----------
    records : sequence of dict
        Records as the API returns them (not modified).
    parse_dates : bool
        Parse date-time columns (see Notes).

    Returns
    -------
    pandas.DataFrame
        One row per record. ``metadata`` is dropped; nested objects become dotted
        columns (``customer.number``, ``mainAddress.city``); lists (lines,
        attributes) stay as list cells. No records give an empty DataFrame.

    Notes
    -----
    Date-time columns are those whose last name part ends in ``DateTime``, ``Date`` or
    ``Utc``, or is ``date``, ``promisedOn`` or ``notValidAfter``, and that hold only
    strings. ISO strings without offsets give naive datetimes; a single offset
    throughout is kept; mixed offsets are converted to UTC. A column that does not
    parse is left as strings (never coerced to NaT).
    """
    return finish_frame(normalise(records), parse_dates=parse_dates)


def normalise(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Flatten one batch of records (e.g. a page); see :func:`finish_frame`.

    The same frame as ``pandas.json_normalize(records, sep=".")`` (columns, values and
    dtypes; the column order too when the records share one shape), built column by
    column: a page of 500 wide customers takes a third of the time, which is what
    keeps :meth:`vnkit.Client.fetch` close to the round trips it has to wait for.
    """
    import pandas as pd

    if not records:
        return pd.DataFrame()
    columns: dict[str, Any] = {}
    rows = list(records)
    # json_normalize puts each record's plain values before its nested objects.
    _flatten_columns(rows, "", columns, nested_last=True)
    if not columns:  # records without fields are still rows
        return pd.DataFrame([{}] * len(rows))
    return pd.DataFrame(columns)


#: A key a record does not have: NaN, as DataFrame(list of dicts) fills it.
_ABSENT = float("nan")


def _flatten_columns(rows: Sequence[Any], prefix: str, out: dict[str, Any], *,
                     nested_last: bool = False) -> None:
    """Add a column to ``out`` for every leaf under ``rows`` (dicts or other values)."""
    kinds = set(map(type, rows))
    if dict not in kinds:
        return
    first = next(row for row in rows if type(row) is dict)
    if len(kinds) == 1 and len(set(map(tuple, rows))) == 1:
        # Every record has the same keys in the same order (what one serializer
        # writes): transposing the values is one pass in C.
        pairs: list[tuple[str, Sequence[Any]]] = list(zip(first, zip(*map(dict.values, rows))))
    else:
        keys: dict[str, None] = {}
        for row in rows:
            if type(row) is dict:
                keys.update(dict.fromkeys(row))
        pairs = [(key, [row.get(key, _ABSENT) if type(row) is dict else _ABSENT
                        for row in rows]) for key in keys]
    later = []
    for key, column in pairs:
        name = prefix + key
        kinds = set(map(type, column))
        if dict not in kinds:
            out[name] = column
        elif nested_last:
            later.append((name, column, kinds))
        else:
            _flatten_nested(name, column, kinds, out)
    for name, column, kinds in later:
        _flatten_nested(name, column, kinds, out)


def _flatten_nested(name: str, column: Sequence[Any], kinds: set[type],
                    out: dict[str, Any]) -> None:
    if kinds != {dict} and any(type(v) is not dict and v is not _ABSENT for v in column):
        # Some records hold a plain value (usually null) here: json_normalize keeps
        # it under the parent's name, next to the children of the other records.
        out[name] = [_ABSENT if type(v) is dict else v for v in column]
    _flatten_columns(column, name + ".", out)


def concat_pages(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Pages normalised one by one, as one frame (not finished: see :func:`combine`).

    Putting pages together a few at a time, then those parts, gives the same frame
    as all at once: columns in order of first appearance, each column's dtype the
    common one of its pages (a page without the column counts as all missing).
    """
    import pandas as pd

    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


#: Pages the native decoder took are converted to pandas this many records at a time:
#: Arrow and pandas pay per column and call, so converting 16 pages of 500 at once costs
#: about a fifth of converting each page on its own.
_CONVERT_ROWS = 8_000
#: Pages flattened by ``normalise`` are put together this many at a time.
_CONCAT_EVERY = 4


class PageFrames:
    """The parts of ``Client.fetch``'s DataFrame, built while later pages are on the wire.

    ``add`` takes the run's pages in order as they are handed out; the work runs on
    ``worker`` (a pool of one thread, so jobs run in the order given). Pages the native
    decoder took (``page.arrow``) wait until a few thousand records of one Arrow type
    are together, then go to pandas in one conversion; any other page is flattened by
    :func:`normalise` at once, and every few such pages are put together, so that
    what is left to join after the last answer is a few parts, not every page.
    """

    def __init__(self, worker: Executor):
        self._worker = worker
        self._parts: list[Future[pd.DataFrame]] = []
        self._flattened: list[Future[pd.DataFrame]] = []  # not yet put together
        self._native: list[Any] = []  # Arrow pages of one type, not yet converted
        self._native_rows = 0

    def add(self, page: Any) -> None:
        """Take the next page (a ``_paging.Page``)."""
        if page.arrow is None:
            self._convert()
            self._flattened.append(self._worker.submit(normalise, page.records))
            if len(self._flattened) == _CONCAT_EVERY:
                self._join_flattened()
            return
        if self._native and self._native[0].type != page.arrow.type:
            self._convert()
        self._native.append(page.arrow)
        self._native_rows += len(page.arrow)
        if self._native_rows >= _CONVERT_ROWS:
            self._convert()

    def frames(self) -> list[pd.DataFrame]:
        """Every part, in page order, once the pages taken so far are done."""
        self._convert()
        return [part.result() for part in self._parts + self._flattened]

    def _convert(self) -> None:
        if not self._native:
            return
        from ._arrow_pages import frame_of

        self._join_flattened()  # the parts stay in page order
        self._parts.append(self._worker.submit(frame_of, list(self._native)))
        self._native.clear()
        self._native_rows = 0

    def _join_flattened(self) -> None:
        if self._flattened:
            # The worker runs jobs in order: these pages are flattened by then.
            self._parts.append(self._worker.submit(
                lambda parts: concat_pages([part.result() for part in parts]),
                list(self._flattened)))
            self._flattened.clear()


def combine(frames: Sequence[pd.DataFrame], *, keep: Sequence[bool] | None = None,
            parse_dates: bool = True) -> pd.DataFrame:
    """Pages normalised one by one, as one finished DataFrame (same as :func:`to_frame`).

    ``keep``, if given, has one flag per row of ``frames`` taken in order; rows flagged
    False (duplicates) are left out. ``frames`` may be parts already put together by
    :func:`concat_pages`.
    """
    frame = concat_pages(frames)
    if not len(frame.columns):
        return frame
    if keep is not None:
        if len(keep) != len(frame):
            raise ValueError(f"keep has {len(keep)} flags for {len(frame)} rows")
        if not all(keep):
            frame = frame[list(keep)].reset_index(drop=True)
    return finish_frame(frame, parse_dates=parse_dates)


def finish_frame(frame: pd.DataFrame, *, parse_dates: bool = True) -> pd.DataFrame:
    """Drop ``metadata`` and empty parent columns, parse date columns."""
    if frame.empty and not len(frame.columns):
        return frame
    drop = [c for c in frame.columns if c == "metadata" or c.startswith("metadata.")]
    # A nested object that is null in some records leaves an all-null parent column
    # next to its dotted children; the children carry everything.
    prefixes = {c.split(".", 1)[0] for c in frame.columns if "." in c}
    drop += [c for c in frame.columns
             if c in prefixes and c != "metadata" and frame[c].isna().all()]
    if drop:
        frame = frame.drop(columns=drop)
    if parse_dates:
        for name in frame.columns:
            if is_date_column(name):
                parsed = _parse_dates(frame[name])
                if parsed is not None:
                    frame[name] = parsed
    return frame


def _parse_dates(column: pd.Series) -> pd.Series | None:
    import pandas as pd

    if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
        return None  # numbers, dicts or mixed values: not a date column after all
    with warnings.catch_warnings():
        # pandas 2 warns and returns objects for mixed offsets; pandas 3 raises.
        warnings.simplefilter("ignore", FutureWarning)
        try:
            parsed = pd.to_datetime(column, format="ISO8601")
            if parsed.dtype != object:
                return parsed
        except ValueError as exc:
            if "timezone" not in str(exc).lower() and "offset" not in str(exc).lower():
                return None  # not ISO dates, or out of range: leave the strings
        try:
            return pd.to_datetime(column, format="ISO8601", utc=True)
        except (ValueError, TypeError):
            return None
