"""The rate budget: how many calls this client may still make, read from the API's answers.

The API counts calls per client and company in a fixed window (an hour) and reports
the state on every answer (facts 1.2 and 5)::

    X-RateLimit-Limit: 500          calls per window
    X-RateLimit-Remaining: 482      calls left in this window
    X-RateLimit-Reset: 2400         seconds until the window starts afresh
    X-RateLimit-Policy: 4-fixed-window

``RateBudget`` keeps the latest of these (a response hook of the client's session sees
every answer, including those of the pager's threads) and tells the pager how many
requests it may have in flight: all its workers while the budget is comfortable, one at
a time when fewer calls are left than there are workers, and none until the window
resets when the budget is spent and the reset is near.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
           "X-RateLimit-Policy")


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class BudgetState:
    """One reading of the budget (a snapshot; ``RateBudget`` holds the latest)."""

    limit: int | None
    remaining: int | None
    reset_in: float | None
    policy: str | None


class RateBudget:
    """The client's view of its hourly call budget on the current company.

    Attributes
    ----------
    limit : int or None
        Calls per window (None until an answer carried the headers).
    remaining : int or None
        Calls left in the window, as of the latest answer.
    policy : str or None
        The API's name for the policy (``4-fixed-window``).
    company : str or None
        The ``ipp-company-id`` of the answer the numbers come from (each company has a
        budget of its own).
    calls_seen : int
        Answers that carried budget headers.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.remaining: int | None = None
        self.policy: str | None = None
        self.company: str | None = None
        self.calls_seen = 0
        self._reset_at: float | None = None

    # -- reading answers -----------------------------------------------------------------
    def observe(self, response, *args, **kwargs):
        """Session response hook: take the budget headers of an answer (if any).

        Answers served from the HTTP cache are ignored: their headers are old news.
        """
        if getattr(response, "from_cache", False):
            return response
        headers = response.headers
        limit = _int(headers.get("X-RateLimit-Limit"))
        remaining = _int(headers.get("X-RateLimit-Remaining"))
        if limit is None and remaining is None:
            return response
        reset = _int(headers.get("X-RateLimit-Reset"))
        request = getattr(response, "request", None)
        company = request.headers.get("ipp-company-id") if request is not None else None
        now = self._clock()
        with self._lock:
            self.company = company
            self.limit = limit if limit is not None else self.limit
            self.remaining = remaining
            self.policy = headers.get("X-RateLimit-Policy", self.policy)
            self._reset_at = now + reset if reset is not None else None
            self.calls_seen += 1
        return response

    # -- what the numbers mean -------------------------------------------------------------
    @property
    def reset_in(self) -> float | None:
        """Seconds until the window resets (None when unknown)."""
        with self._lock:
            if self._reset_at is None:
                return None
            return max(0.0, self._reset_at - self._clock())

    @property
    def known(self) -> bool:
        """Whether any answer has reported the budget yet."""
        return self.remaining is not None

    def state(self) -> BudgetState:
        """A consistent snapshot of the numbers."""
        return BudgetState(self.limit, self.remaining, self.reset_in, self.policy)

    def _expired(self) -> bool:
        reset = self.reset_in
        return reset is not None and reset <= 0

    def scoped(self, company: str | None) -> _CompanyBudget:
        """This budget as seen by a run on ``company``: unknown while the latest numbers
        belong to another company (so a spent budget there never slows a run here)."""
        return _CompanyBudget(self, company)

    def slots(self, workers: int) -> int:
        """How many requests may be in flight now, out of ``workers``.

        All of them while the budget lasts for a full round; one at a time once fewer
        calls are left than there are workers (so a run does not spend the last calls
        on requests that will be refused); and all again after the window has reset.
        """
        remaining = self.remaining
        if remaining is None or self._expired() or remaining >= 2 * workers:
            return workers
        if remaining >= workers:
            return max(1, workers // 2)
        return 1

    def wait_for_reset(self, max_wait: float, sleep=time.sleep) -> float:
        """Sleep until the window resets if the budget is spent and that is soon.

        Returns the seconds slept (0 when the budget is not spent, unknown, or the
        reset is more than ``max_wait`` away: the next request then meets the 429).
        """
        if self.remaining is None or self.remaining > 0:
            return 0.0
        reset = self.reset_in
        if reset is None or reset <= 0 or reset > max_wait:
            return 0.0
        sleep(reset)
        return reset

    # -- display -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        if not self.known:
            return "<RateBudget unknown: no answer with X-RateLimit headers yet>"
        reset = self.reset_in
        when = "unknown" if reset is None else _duration(reset)
        limit = "?" if self.limit is None else f"{self.limit:,}"
        company = f" on company {self.company}" if self.company else ""
        return (f"<RateBudget {self.remaining:,} of {limit} calls left{company}, window "
                f"resets in {when} (policy {self.policy or '?'})>")

    def _repr_html_(self) -> str:
        # A meter for notebooks: the share of the window's calls still available.
        if self.remaining is None or not self.limit:  # not self.known, or no limit
            return f"<code>{_escape(repr(self))}</code>"
        share = max(0.0, min(1.0, self.remaining / self.limit))
        colour = "#2e7d32" if share > 0.25 else "#f9a825" if share > 0.05 else "#c62828"
        return (f'<div style="font-family:monospace"><div style="width:240px;height:10px;'
                f'background:#ddd"><div style="width:{share * 240:.0f}px;height:10px;'
                f'background:{colour}"></div></div>{_escape(repr(self))}</div>')


class _CompanyBudget:
    """What a paged run asks of the budget, limited to the run's company."""

    def __init__(self, budget: RateBudget, company: str | None):
        self.budget = budget
        self.company = company

    def _applies(self) -> bool:
        return self.company is None or self.budget.company in (None, self.company)

    def slots(self, workers: int) -> int:
        return self.budget.slots(workers) if self._applies() else workers

    def wait_for_reset(self, max_wait: float, sleep=time.sleep) -> float:
        return self.budget.wait_for_reset(max_wait, sleep) if self._applies() else 0.0


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
