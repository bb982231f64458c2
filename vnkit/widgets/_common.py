"""Pieces the vnkit widgets share: a status line, readable errors, deterministic reprs.

ipywidgets' own ``repr`` lists every trait, model ids included, so it changes on each run;
nbval compares the ``text/plain`` fallback of a displayed widget, hence ``_Panel``'s repr.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import ipywidgets as w

from .._exceptions import VnkitError

#: Colours of the status line by kind; "info" is the theme's text colour.
_COLOURS = {"ok": "var(--jp-success-color1, #2e7d32)",
            "error": "var(--jp-error-color1, #c62828)",
            "info": "inherit"}


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every non-empty secret replaced by ``***``.

    vnkit's own messages never contain secrets; this is a second line of defence for
    messages from elsewhere (a server's error text that echoes a form field).
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def describe_error(exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """One readable text for an exception: its class, message and HINT, no traceback.

    vnkit errors already put the hint on a ``HINT:`` line; anything else gets its class
    name so that, e.g., a ``ValueError`` from a typo is recognisable.
    """
    if isinstance(exc, VnkitError):
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redact(text, secrets)


class StatusLine(w.HTML):
    """A one- or few-line status message; ``kind`` is ``"info"``, ``"ok"`` or ``"error"``.

    The text is HTML-escaped (an API message may contain ``<``), and each line is kept.
    """

    def __init__(self, text: str = "", kind: str = "info", **kwargs: Any):
        super().__init__(**kwargs)
        self.add_class("vnkit-status")
        self.text = ""
        self.kind = "info"
        self.show(text, kind)

    def show(self, text: str, kind: str = "info") -> None:
        if kind not in _COLOURS:
            raise ValueError(f"status kind must be one of {sorted(_COLOURS)}, not {kind!r}")
        self.text, self.kind = text, kind
        body = "<br>".join(html.escape(line) for line in text.splitlines()) if text else ""
        self.value = (f'<div class="vnkit-status-{kind}" style="color:{_COLOURS[kind]};'
                      f'white-space:normal">{body}</div>')


class _Panel(w.VBox):
    """Base of the vnkit widgets: a VBox with a stable, short ``repr``."""

    def _describe(self) -> str:  # overridden: what the text/plain fallback says
        return ""

    def __repr__(self) -> str:
        detail = self._describe()
        return f"{type(self).__name__}({detail})"
