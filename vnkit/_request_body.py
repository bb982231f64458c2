"""Reading a request body in vnkit's own small HTTP servers (sign-in listener, webhooks).

``http.server`` leaves ``Content-Length`` to its handlers, and ``int()`` of the header is
not a check: it takes ``-1`` (``rfile.read(-1)`` then reads to the end of the stream,
past any size cap), ``+5`` and digits of other scripts, and raises on ``abc`` (the
connection then drops with a traceback instead of an answer).
"""

from __future__ import annotations


class BadLength(ValueError):
    """A ``Content-Length`` that cannot be honoured; ``status`` is the answer to give."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def content_length(value: str | None, limit: int) -> int:
    """The body length a request announces, at most ``limit``.

    Raises
    ------
    BadLength
        400 when the header is not a plain number of bytes (ASCII digits only, RFC
        9110 section 8.6), 413 when the body would be larger than ``limit``.
    """
    if value is None or not value.strip():
        return 0
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise BadLength(400, "Content-Length must be a number of bytes (digits only)")
    # Compared as text first: int() refuses strings of thousands of digits.
    if len(text.lstrip("0")) > len(str(limit)) or int(text) > limit:
        raise BadLength(413, f"the body is larger than {limit} bytes")
    return int(text)
