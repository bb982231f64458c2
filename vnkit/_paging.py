"""Paging done the way knowledge-base article 08 says, and then some.

- The same filters on every page; only ``pageNumber`` changes after page 2.
- Page 1 asks for a large ``pageSize`` (the API clamps it silently) to learn the
  endpoint's ``maxPageSize`` from ``metadata``; every later page asks for exactly that
  size, so the page size never changes mid-run (the article's pitfall: records 4 and 5
  vanish when pageSize goes from 3 to 5).
- ``totalCount`` is re-read from every page; when it grows, the extra pages are fetched.
- Pages after the first are fetched concurrently on a small thread pool and handed out
  in page order.
- No silent loss: records are de-duplicated by the endpoint's key and counted against
  the last ``totalCount``; a failed page is an error naming it, never a partial result.
- When records joined the result set mid-run in a way that shifted them onto pages
  already read (article 08: two customers turn Active between page 1 and page 2), the
  count does not add up; the run is then read again, up to ``MAX_PASSES`` times, until
  a pass sees ``totalCount`` hold still (``collect_stable``).
- With a rate budget (``_budget.RateBudget``), fewer pages are in flight when few
  calls are left, and none until the window resets when the budget is spent.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property
from types import FrameType
from typing import Any

from ._endpoints import EndpointInfo
from ._exceptions import FilterError, IncompleteResultError, IncompleteResultWarning

#: ``pageSize`` of the first request: larger than any endpoint's maximum, so the API
#: answers with its maximum and says what it is in ``metadata.maxPageSize``.
PROBE_PAGE_SIZE = 10_000

#: A run that keeps finding more pages stops after this many (a runaway guard).
MAX_PAGES = 100_000

#: How many pages (per worker) a run may fetch ahead of the page it hands out next.
LOOKAHEAD = 4

#: Passes ``collect_stable`` makes over a result set that keeps changing.
MAX_PASSES = 3

_INCOMPLETE_HINT = ("records were added, removed or re-ordered while the pages were read: "
                    "run the fetch again, or narrow it with "
                    "lastModifiedDateTime=(\">=\", ...) (vnkit.last_modified) so the "
                    "result set holds still while it is paged")

FetchPage = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint.

    Attributes
    ----------
    number : int
        1-based page number.
    records : list of dict
        The records as the API returned them (empty when ``frame`` holds them).
    total_count : int or None
        ``metadata.totalCount`` on this page (None when the endpoint gives none).
    max_page_size : int or None
        ``metadata.maxPageSize`` on this page.
    arrow : pyarrow.StructArray or None
        The records decoded by Arrow (one struct per record), for a run that asked for
        native pages (``Client.fetch``) and a body the native decoder took.
    frame : pandas.DataFrame or None
        ``arrow`` flattened as ``_frames.normalise`` flattens records (built when first
        asked for: ``Client.fetch`` converts many pages at once instead).
    """

    number: int
    records: list[dict[str, Any]] = field(repr=False)
    total_count: int | None = None
    max_page_size: int | None = None
    arrow: Any = field(default=None, repr=False)

    @cached_property
    def frame(self) -> Any:
        if self.arrow is None:
            return None
        from ._arrow_pages import frame_of

        return frame_of([self.arrow])

    @property
    def count(self) -> int:
        """Records on the page."""
        return len(self.arrow) if self.arrow is not None else len(self.records)

    def same_records(self, other: Page) -> bool:
        """Whether ``other`` holds the very same records (an ignored ``pageNumber``)."""
        if self.arrow is not None and other.arrow is not None:
            return bool(self.arrow.equals(other.arrow))
        # Page 1 is never decoded natively: the records as Python values then.
        return self._python_records() == other._python_records()

    def _python_records(self) -> list[dict[str, Any]]:
        return self.records if self.arrow is None else self.arrow.to_pylist()

    def __repr__(self) -> str:
        return (f"Page(number={self.number}, records={self.count}, "
                f"total_count={self.total_count}, max_page_size={self.max_page_size})")


@dataclass(frozen=True)
class ArrowPage:
    """What a page fetcher returns for a body the native decoder took."""

    records: Any  # pyarrow.StructArray, one struct per record


def _arrow_metadata(records: Any) -> tuple[int | None, int | None]:
    """``(totalCount, maxPageSize)`` from the first record of a decoded page."""
    kind = records.type
    if not len(records) or kind.get_field_index("metadata") < 0:
        return None, None
    meta = records.field("metadata")[0].as_py()  # the first record's, as a dict

    def first(name: str) -> int | None:
        value = meta.get(name) if isinstance(meta, dict) else None
        return None if value is None else int(value)

    return first("totalCount"), first("maxPageSize")


def _metadata(records: Any) -> tuple[int | None, int | None]:
    """``(totalCount, maxPageSize)`` from the first record that carries metadata."""
    if isinstance(records, list) and records and isinstance(records[0], dict):
        meta = records[0].get("metadata")
        if isinstance(meta, dict):
            total, size = meta.get("totalCount"), meta.get("maxPageSize")
            return (int(total) if total is not None else None,
                    int(size) if size is not None else None)
    return None, None


def _as_records(body: Any) -> list[dict[str, Any]]:
    if body is None:
        return []
    if isinstance(body, list):
        return body
    return [body]  # a single object (e.g. ``customer/10001``) is a one-record page


class Pager:
    """Lazy iterator over the pages of a list endpoint; see ``Client.pages``.

    Nothing is requested until iteration starts. A Pager can be iterated once.

    Attributes (filled in while iterating)
    --------------------------------------
    page_size : int or None
        The page size used for pages 2 onwards (the endpoint's ``maxPageSize``).
    total_count : int or None
        The ``totalCount`` of the answer that arrived last.
    first_total_count : int or None
        The ``totalCount`` of page 1.
    calls : int
        HTTP requests made for this run (transport retries not counted).
    received : int
        Records received so far, duplicates included.
    failed_pages : list of int
        Pages that could not be fetched.
    budget_waits : float
        Seconds spent waiting for the rate window to reset.
    """

    def __init__(self, fetch_page: FetchPage, endpoint: str, params: dict[str, Any], *,
                 info: EndpointInfo, page_size: int | None = None, max_workers: int = 4,
                 progress: bool = False, budget: Any = None, max_wait: float = 30.0,
                 decode: Callable[[Any, bool], Any] | None = None):
        self.endpoint = endpoint
        self.info = info
        self.params = dict(params)
        self.max_workers = max(1, int(max_workers))
        self.progress = progress
        self.page_size: int | None = None
        self.total_count: int | None = None
        self.first_total_count: int | None = None
        self.min_total_count: int | None = None
        self.max_total_count: int | None = None
        self.calls = 0
        self.budget = budget
        self.max_wait = max_wait
        self.budget_waits = 0.0
        self.failed_pages: list[int] = []
        self._requested_size = page_size
        self._fetch_page = fetch_page
        self._decode = decode
        self._started = False
        self.received = 0
        self._lock = threading.Lock()
        #: Called with each Page as it is handed out: in page order, in the iterating
        #: thread, only for pages that are part of the result (``Client.fetch`` starts
        #: building the page's part of the DataFrame there).
        self.on_page: Callable[[Page], None] | None = None
        #: Whether the fetcher may hand back pages decoded by Arrow (``ArrowPage``):
        #: ``Client.fetch`` sets it, so that pages are decoded in the page threads, off
        #: the interpreter lock where the native decoder takes the body.
        self.native_pages = False
        #: Held while ``fetch_page`` runs: at most ``max_workers`` requests at once,
        #: while the pool has threads to spare, so that a page being decoded (``decode``,
        #: outside the semaphore) does not keep the next one from being asked for (the
        #: native decoder works without the interpreter lock).
        self._wire = threading.BoundedSemaphore(self.max_workers)

    def __repr__(self) -> str:
        return (f"<Pager {self.endpoint!r} params={self.params!r} page_size={self.page_size} "
                f"total_count={self.total_count} calls={self.calls}>")

    # -- one request ---------------------------------------------------------------------
    def _get(self, number: int | None, size: int | None) -> Page:
        params = dict(self.params)
        if number is not None:
            params["pageNumber"] = number
            params["pageSize"] = size
        with self._lock:
            self.calls += 1
        with self._wire:
            body = self._fetch_page(params)
        if self._decode is not None:
            # Page 1 is decoded on its own, before any other page is asked for: the
            # fallback decoder (orjson) is quicker there, where no other page waits for
            # the interpreter lock, and nothing else can start until page 1 is read.
            body = self._decode(body, self.native_pages and number is not None and number > 1)
        if isinstance(body, ArrowPage):
            page = Page(number or 1, [], *_arrow_metadata(body.records), arrow=body.records)
        else:
            records = _as_records(body)
            page = Page(number or 1, records, *_metadata(records))
        total = page.total_count
        with self._lock:
            self.received += page.count
            # "The last totalCount" is the one that arrived last, whatever its page.
            if total is not None:
                self.total_count = total
                self.min_total_count = (total if self.min_total_count is None
                                        else min(self.min_total_count, total))
                self.max_total_count = (total if self.max_total_count is None
                                        else max(self.max_total_count, total))
        return page

    @property
    def stable(self) -> bool:
        """Whether every page of the run reported the same ``totalCount``."""
        return self.min_total_count == self.max_total_count

    def _slots(self) -> int:
        """Requests allowed in flight now: fewer when the rate budget runs low."""
        if self.budget is None:
            return self.max_workers
        waited = self.budget.wait_for_reset(self.max_wait)
        self.budget_waits += waited
        return self.budget.slots(self.max_workers)

    # -- iteration -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[Page]:
        if self._started:
            raise RuntimeError("a Pager can be iterated only once; call client.pages(...) "
                               "again for a new run")
        self._started = True
        for page in self._pages():
            if self.on_page is not None:
                self.on_page(page)
            yield page

    def _pages(self) -> Iterator[Page]:
        if not self.info.paged:
            yield self._get(None, None)
            return
        requested = self._requested_size or PROBE_PAGE_SIZE
        first = self._get(1, requested)  # errors on page 1 propagate as they are
        self.first_total_count = first.total_count
        if first.total_count is None:
            yield first
            if first.count:
                yield from self._until_short_page(first)
            return
        size = min(requested, first.max_page_size or requested)
        if first.count and first.count < size and first.total_count > first.count:
            # The API gave fewer records than it said it would: page by what it gives,
            # or page 2 would start past records it never showed.
            size = first.count
        self.page_size = size
        yield first
        if first.count:
            yield from self._remaining(size)

    def _until_short_page(self, first: Page) -> Iterator[Page]:
        """No metadata (``vatCategory``): read on until a short or empty page."""
        size = first.count
        self.page_size = size
        previous = first
        for number in range(2, MAX_PAGES):
            page = self._get(number, size)
            if not page.count or page.same_records(previous):
                return  # empty, or an endpoint that ignores pageNumber
            yield page
            if page.count < size:
                return
            previous = page

    def _pages_needed(self, size: int) -> int:
        return min(MAX_PAGES, max(1, math.ceil((self.total_count or 0) / size)))

    def _remaining(self, size: int) -> Iterator[Page]:
        last_planned = self._pages_needed(size)
        if last_planned < 2:
            return
        bar = self._progress_bar(last_planned)
        # The wire is kept busy: whenever a request finishes, the next page is asked
        # for, even while an earlier page is still on its way (pages that come in early
        # wait in ``inflight`` for their turn). Only how far the run may get ahead of
        # the page being handed out is bounded.
        ahead = self.max_workers * LOOKAHEAD
        # Twice the threads of the requests allowed on the wire (see ``_wire``).
        pool = ThreadPoolExecutor(2 * self.max_workers, thread_name_prefix="vnkit-page")
        inflight: dict[int, Future[Page]] = {}
        next_to_submit = next_to_yield = 2
        try:
            while True:
                pending = [f for f in inflight.values() if not f.done()]
                # After a failure no more pages are asked for; the error is raised when
                # the failed page's turn comes (the pages before it are handed out).
                failed = any(f.done() and not f.cancelled() and f.exception() is not None
                             for f in inflight.values())
                slots = self._slots()
                # With every slot free for use, as many pages again wait in the pool's
                # queue, so that a thread that finishes a page starts the next at once
                # instead of waiting for this loop (the pool's size still caps the
                # requests on the wire); a budget running low gets exactly its slots.
                limit = slots if slots < self.max_workers else 2 * self.max_workers
                while (not failed and next_to_submit <= last_planned
                       and next_to_submit - next_to_yield < ahead
                       and len(pending) < limit):
                    future = pool.submit(self._get, next_to_submit, size)
                    if bar is not None:
                        future.add_done_callback(lambda _f: bar.update(1))
                    inflight[next_to_submit] = future
                    pending.append(future)
                    next_to_submit += 1
                if next_to_yield > last_planned:
                    # Every planned page is in: did totalCount grow meanwhile?
                    grown = self._pages_needed(size)
                    if grown <= last_planned:
                        return
                    last_planned = grown
                    if bar is not None:
                        bar.total = last_planned
                        bar.refresh()
                    continue
                future = inflight[next_to_yield]
                if not future.done():
                    wait(pending, return_when=FIRST_COMPLETED)
                    continue
                del inflight[next_to_yield]
                try:
                    page = future.result()
                except Exception as exc:  # noqa: BLE001 - every failure names its page
                    self._fail(next_to_yield, exc, inflight, last_planned, next_to_submit)
                yield page
                next_to_yield += 1
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            if bar is not None:
                bar.close()

    def _fail(self, number: int, exc: BaseException, inflight: dict[int, Future[Page]],
              last_planned: int, next_to_submit: int) -> None:
        """Collect every failed page among those in flight, then raise."""
        failed = {number: exc}
        cancelled = sum(future.cancel() for future in inflight.values())  # not started yet
        wait(inflight.values())
        for other, future in inflight.items():
            error = None if future.cancelled() else future.exception()
            if error is not None:
                failed[other] = error
        self.failed_pages = sorted(failed)
        never = max(0, last_planned - next_to_submit + 1) + cancelled
        cause = failed[self.failed_pages[0]]
        detail = str(cause).split("\n", 1)[0]
        pages = ", ".join(map(str, self.failed_pages))
        expected = self.total_count or 0
        raise IncompleteResultError(
            f"{self.endpoint}: page(s) {pages} of {last_planned} could not be fetched "
            f"({type(cause).__name__}: {detail})"
            + (f"; {never} later page(s) were not requested" if never else "")
            + "; no partial result is returned",
            expected=expected, received=self.received, failed_pages=self.failed_pages,
            hint=getattr(cause, "hint", None) or "run the fetch again; if the API is "
                 "throttling (429), wait for the window to reset or lower max_workers",
        ) from cause

    def _progress_bar(self, pages: int):
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=pages, initial=1, desc=self.endpoint, unit="page")


# -- the eager path -----------------------------------------------------------------------
def _user_stacklevel() -> int:
    """``stacklevel`` that points a warning at the first caller outside vnkit."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


class FirstSeen:
    """De-duplication by the endpoint's key, a page at a time: the first record wins.

    Records without any key value are always kept: they cannot be told apart, and so
    are records whose key cannot be hashed.
    """

    def __init__(self, key: tuple[str, ...]):
        self.key = key
        self._seen: set[Any] = set()

    def mask(self, records: list[dict[str, Any]]) -> list[bool]:
        """One flag per record: True to keep it, False for a repeat of an earlier one."""
        if not self.key:
            return [True] * len(records)
        if len(self.key) == 1:
            field = self.key[0]
            values: list[Any] = [record.get(field) for record in records]
        else:
            values = [tuple(record.get(f) for f in self.key) for record in records]
        return self._flags(values)

    def mask_page(self, page: Page) -> list[bool]:
        """:meth:`mask` of a page, whether it holds records or Arrow's decoding."""
        if page.arrow is None:
            return self.mask(page.records)
        records = page.arrow
        if not self.key:
            return [True] * len(records)
        columns = [records.field(name).to_pylist()
                   if records.type.get_field_index(name) >= 0 else [None] * len(records)
                   for name in self.key]
        return self._flags(columns[0] if len(columns) == 1 else list(zip(*columns)))

    def _flags(self, values: list[Any]) -> list[bool]:
        if len(self.key) > 1:
            values = [None if all(v is None for v in value) else value for value in values]
        seen = self._seen
        flags = []
        for value in values:
            if value is not None:
                try:
                    if value in seen:
                        flags.append(False)
                        continue
                    seen.add(value)
                except TypeError:
                    pass
            flags.append(True)
        return flags


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a run's pages pile up.

    Decoded pages are hundreds of thousands of dicts and lists that all stay alive
    until the run ends, so each full collection walks all of them again (about 100 ms
    for 10,000 wide customers, three times in a run) while holding the interpreter
    lock that the page threads need to read their answers. JSON has no reference
    cycles: plain reference counting frees everything there is to free, and the
    collector runs as usual once the last run in the process has ended.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _gather(pager: Pager, keep_records: bool) -> tuple[list[Any], int, str | None]:
    """Read every page and de-duplicate as the pages come in.

    Returns ``(kept, unique, shortfall)``: ``kept`` is the unique records, or with
    ``keep_records=False`` one flag per record received saying whether it is kept (the
    records themselves are then freed as soon as the caller's ``on_page`` is done with
    them); ``unique`` counts the records kept; ``shortfall`` is the message for a count
    that does not add up, or None.
    """
    first_seen = FirstSeen(pager.info.key)
    if keep_records:
        pager.native_pages = False  # the records themselves are the answer
    kept: list[Any] = []
    unique = received = pages = 0
    with cyclic_gc_paused():
        for page in pager:
            flags = first_seen.mask_page(page)
            if keep_records:
                kept.extend(record for record, keep in zip(page.records, flags) if keep)
            else:
                kept.extend(flags)
            unique += sum(flags)
            received += len(flags)
            pages += 1
    expected = pager.total_count
    if expected is not None and unique < expected:
        return kept, unique, (f"{pager.endpoint}: {unique} unique records received but the "
                              f"API reported totalCount {expected} ({pages} page(s) of "
                              f"{pager.page_size}, {received - unique} duplicate(s) "
                              f"dropped)")
    return kept, unique, None


def _report(pager: Pager, kept: list[Any], unique: int, shortfall: str | None,
            on_incomplete: str) -> list[Any]:
    """Raise or warn about what :func:`_gather` found; ``kept`` otherwise."""
    if shortfall is not None:
        if on_incomplete == "raise":
            raise IncompleteResultError(shortfall, expected=pager.total_count or 0,
                                        received=unique, hint=_INCOMPLETE_HINT)
        warnings.warn(f"{shortfall}. HINT: {_INCOMPLETE_HINT}", IncompleteResultWarning,
                      stacklevel=_user_stacklevel())
    elif (pager.first_total_count is not None and pager.min_total_count is not None
          and pager.min_total_count < pager.first_total_count):
        # Counts add up, but records left the result set mid-run, which shifts later
        # records onto pages already read: some may be missing without showing in counts.
        warnings.warn(
            f"{pager.endpoint}: totalCount fell from {pager.first_total_count} to "
            f"{pager.min_total_count} while paging; records may have moved between pages. "
            f"HINT: {_INCOMPLETE_HINT}", IncompleteResultWarning,
            stacklevel=_user_stacklevel())
    return kept


def _check_on_incomplete(on_incomplete: str) -> None:
    if on_incomplete not in ("raise", "warn"):
        raise FilterError("on_incomplete", f"must be 'raise' or 'warn', not {on_incomplete!r}")


def collect(pager: Pager, *, on_incomplete: str = "raise") -> list[dict[str, Any]]:
    """Read every page, de-duplicate by key and check the count against ``totalCount``.

    Raises
    ------
    IncompleteResultError
        A page failed (always), or fewer unique records than the last ``totalCount``
        arrived and ``on_incomplete="raise"``.
    """
    _check_on_incomplete(on_incomplete)
    kept, unique, shortfall = _gather(pager, keep_records=True)
    return _report(pager, kept, unique, shortfall, on_incomplete)


def collect_stable(make_pager: Callable[[], Pager], *, on_incomplete: str = "raise",
                   passes: int = MAX_PASSES, keep_records: bool = True) -> list[Any]:
    """:func:`collect`, read again while the result set moves under the pages.

    A pass whose unique records fall short of ``totalCount`` *and* whose pages reported
    different ``totalCount`` values saw records join or leave mid-run (article 08); its
    shortfall says nothing about the API, so the whole run is read again with a new
    pager. The first pass that adds up is returned; a shortfall on a pass that held
    still (or a failed page) is reported at once, as :func:`collect` does.

    With ``keep_records=False`` the records are not kept (the pagers' ``on_page`` is
    where they are used): the answer is one flag per record of the accepted pass, in
    page order, True for the records to keep and False for duplicates.

    Raises
    ------
    IncompleteResultError
        A page failed, the count does not add up on a stable pass, or the result set
        kept changing for ``passes`` passes (with ``on_incomplete="warn"`` the last
        two cases warn and return what arrived instead).
    """
    _check_on_incomplete(on_incomplete)
    if isinstance(passes, bool) or not isinstance(passes, int) or passes < 1:
        raise FilterError("passes", f"must be a whole number >= 1, not {passes!r}")
    for _ in range(passes):
        pager = make_pager()
        kept, unique, shortfall = _gather(pager, keep_records)
        if shortfall is None or pager.stable:
            return _report(pager, kept, unique, shortfall, on_incomplete)
    # Every pass saw the set move and fall short.
    return _report(pager, kept, unique, f"{shortfall}; the result set was still changing "
                                        f"after {passes} pass(es)", on_incomplete)
