"""``RateBudget``: how many API calls are left in this hour's window (article 09).

The API counts calls per client and company in a fixed one-hour window and reports the
count on every answer in ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (seconds until the window resets), with ``X-RateLimit-Policy``
naming the window. The meter reads those headers from each answer the client receives,
through a response hook on its session, so it moves while a fetch runs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
import requests

from .._client import Client
from ._common import _Panel
from ._source import follow


@dataclass(frozen=True)
class Budget:
    """The rate-limit headers of one answer.

    Attributes
    ----------
    limit : int
        Calls allowed in the window.
    remaining : int
        Calls left in the window.
    reset : int or None
        Seconds until the window resets.
    policy : str or None
        The window's policy name (``4-fixed-window``).
    """

    limit: int
    remaining: int
    reset: int | None = None
    policy: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Budget | None:
        """The budget in ``headers``, or None when they carry no usable rate-limit headers."""
        def number(name: str) -> int | None:
            value = headers.get(name)
            if value is None:
                return None
            try:
                return int(float(str(value).strip()))
            except ValueError:
                return None  # a header we cannot read is no reading, not an error

        limit, remaining = number("X-RateLimit-Limit"), number("X-RateLimit-Remaining")
        if limit is None or remaining is None or limit <= 0:
            return None
        return cls(limit, max(0, min(remaining, limit)), number("X-RateLimit-Reset"),
                   headers.get("X-RateLimit-Policy"))

    def describe(self) -> str:
        text = f"{self.remaining} of {self.limit} calls left this hour"
        details = []
        if self.reset is not None:
            details.append(f"window resets in {_duration(self.reset)}")
        if self.policy:
            details.append(f"policy {self.policy}")
        return text + (f" ({'; '.join(details)})" if details else "")


def _duration(seconds: int) -> str:
    minutes, secs = divmod(max(0, seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


class RateBudget(_Panel):
    """A progress bar and a label: calls left in the API's hourly window.

    Parameters
    ----------
    source : Client or LoginWidget
        The client whose answers are watched, or a login widget whose clients are followed.

    Attributes
    ----------
    budget : Budget or None
        The latest reading (None until an answer carried the headers).
    """

    def __init__(self, source: Any):
        super().__init__()
        self.add_class("vnkit-rate-budget")
        self.budget: Budget | None = None
        self._client: Client | None = None
        self._lock = threading.Lock()
        self.bar = w.IntProgress(value=0, min=0, max=1, description="Calls left",
                                 bar_style="info", style={"description_width": "70px"},
                                 layout=w.Layout(width="300px"))
        self.label = w.Label("No answer with X-RateLimit headers seen yet.")
        self.children = [w.HBox([self.bar, self.label])]
        client = follow(source, self.bind)
        if client is not None:
            self.bind(client)

    def bind(self, client: Client) -> None:
        """Watch ``client``'s answers from now on (and stop watching the previous one)."""
        self.close_hook()
        self._client = client
        client.session.hooks.setdefault("response", []).append(self._on_response)
        # The client keeps its own reading (``client.budget``): start from it, so the
        # meter is right before the next answer arrives.
        known: Any = getattr(client, "budget", None)
        if getattr(known, "known", False) is True and callable(getattr(known, "state", None)):
            state = known.state()
            headers = {"X-RateLimit-Limit": state.limit, "X-RateLimit-Remaining": state.remaining,
                       "X-RateLimit-Reset": state.reset_in, "X-RateLimit-Policy": state.policy}
            self.update({k: str(v) for k, v in headers.items() if v is not None})

    def close_hook(self) -> None:
        """Stop watching the client's answers."""
        if self._client is not None:
            hooks = self._client.session.hooks.get("response", [])
            if self._on_response in hooks:
                hooks.remove(self._on_response)
        self._client = None

    def update(self, headers: Mapping[str, str]) -> Budget | None:
        """Take a reading from an answer's headers; answers without them change nothing."""
        budget = Budget.from_headers(headers)
        if budget is None:
            return None
        with self._lock:  # answers of a concurrent fetch arrive on several threads
            self.budget = budget
            self.bar.max = budget.limit
            self.bar.value = budget.remaining
            share = budget.remaining / budget.limit
            self.bar.bar_style = "danger" if share < 0.1 else "warning" if share < 0.3 \
                else "success"
            self.label.value = budget.describe()
        return budget

    def _on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.update(response.headers)

    def _describe(self) -> str:
        if self.budget is None:
            return "no reading yet"
        return f"{self.budget.remaining} of {self.budget.limit} left"
