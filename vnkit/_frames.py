"""API records to a pandas DataFrame.

Cost target: near ``json.loads`` + ``pandas.json_normalize``. All work after the
normalisation is per column (vectorised), never per row.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
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
    """``json_normalize`` one batch of records (e.g. a page); see :func:`finish_frame`."""
    import pandas as pd

    if not records:
        return pd.DataFrame()
    return pd.json_normalize(list(records), sep=".")


def combine(frames: Sequence[pd.DataFrame], *, parse_dates: bool = True) -> pd.DataFrame:
    """Pages normalised one by one, as one finished DataFrame (same as :func:`to_frame`)."""
    import pandas as pd

    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
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
