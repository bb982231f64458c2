"""The small pieces every sandbox route uses to answer: JSON bodies, the API's
``{"message": ...}`` error shape, and keys in paths (percent-encoded or ``b64(...)``).

Kept apart from ``_app`` so that the feature modules (writes, attachments, background,
webhooks) can import them at the top without importing the app that installs them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any
from urllib.parse import unquote

from fastapi.responses import Response

JSON_TYPE = "application/json; charset=utf-8"


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """``body`` as a JSON answer (UTF-8, non-ASCII kept as is)."""
    return Response(json.dumps(body, ensure_ascii=False).encode(), status_code=status,
                    media_type=JSON_TYPE, headers=headers)


def message_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The API's business/validation error shape: ``{"message": ...}``."""
    return json_answer(status, {"message": message}, headers)


def decode_key(segment: str) -> str:
    """A key path segment: percent-decoded, or the ``b64(<base64url>)`` form decoded."""
    text = unquote(segment, encoding="utf-8", errors="replace")
    if len(text) > 5 and text[:4].lower() == "b64(" and text.endswith(")"):
        inner = text[4:-1]
        try:
            return base64.urlsafe_b64decode(inner + "=" * (-len(inner) % 4)).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return text  # not base64 after all: treat it as a literal key
    return text


def encode_key_b64(key: str) -> str:
    """The ``b64(...)`` path form of a key (for links and tests)."""
    return "b64(" + base64.urlsafe_b64encode(key.encode()).rstrip(b"=").decode() + ")"


def etag(doc: bytes) -> str:
    """The ``ETag`` of a stored record: its ``timeStamp`` (facts section 10), quoted.

    Records without one (the sandbox's own reference lists) get a digest of their JSON.
    """
    stamp = json.loads(doc).get("timeStamp") if doc[:1] == b"{" else None
    # A header carries printable ASCII only; anything else gets the digest.
    if isinstance(stamp, str) and stamp and all(" " <= ch <= "~" and ch != '"'
                                                for ch in stamp):
        return f'"{stamp}"'
    return '"' + hashlib.sha1(doc).hexdigest()[:20] + '"'


def etag_matches(if_match: str, current: str) -> bool:
    """Whether an ``If-Match`` value (tags, quoted or not, or ``*``) names ``current``."""
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    return "*" in tags or current.strip('"') in tags


# Characters a key may hold and still travel as a plain path segment; any other key is
# written ``b64(...)`` (a ``/`` would split the segment, ``%`` would be decoded twice).
_PLAIN_KEY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")


def key_segment(key: str) -> str:
    """A key as one URL path segment: as is when plain, else its ``b64(...)`` form."""
    if key and all(ch in _PLAIN_KEY for ch in key) and not key.lower().startswith("b64("):
        return key
    return encode_key_b64(key)


# --------------------------------------------------------------------------- JSON input

#: Deepest nesting a request body or a JSON query value may have. Real DTOs nest a few
#: levels (a document, its lines, a line's account); a hundred is far beyond any of them.
MAX_JSON_DEPTH = 100


class BadJson(ValueError):
    """A JSON text the sandbox refuses, with the message for the 400 answer."""


def parse_json(text: bytes | str, what: str = "The request body",
               max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON; :class:`BadJson` names what is wrong.

    Refused: text that is not UTF-8 or not JSON, nesting deeper than ``max_depth`` and
    strings holding lone surrogates (``"\\ud800"``), which no UTF-8 answer or SQLite
    text can carry. Never a ``RecursionError`` or ``UnicodeEncodeError`` later on.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadJson(f"{what} is not UTF-8 text: {exc.reason} at byte {exc.start}.") \
                from None
    depth = _nesting(text)
    if depth > max_depth:
        raise BadJson(f"{what} is nested {depth} levels deep; at most {max_depth} are "
                      "accepted.")
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadJson(f"{what} is nested too deeply.") from None
    except ValueError as exc:
        raise BadJson(f"{what} is not valid JSON: {exc}") from None
    bad = _lone_surrogate(value)
    if bad is not None:
        raise BadJson(f"{what} holds a lone UTF-16 surrogate (\\ud800-\\udfff) in {bad}; "
                      "send whole characters.")
    return value


def _nesting(text: str) -> int:
    """Deepest ``[``/``{`` nesting of a JSON text (brackets inside strings skipped)."""
    if "[" not in text and "{" not in text:
        return 0
    deepest = depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _lone_surrogate(value: Any, where: str = "the document") -> str | None:
    """Where the first string with a lone surrogate is (None when there is none)."""
    stack = [(value, where)]
    while stack:
        item, place = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return place
        elif isinstance(item, dict):
            for key, inner in item.items():
                if not _encodable(key):
                    return f"a member name of {place}"
                stack.append((inner, f"'{key}'"))
        elif isinstance(item, list):
            stack.extend((inner, place) for inner in item)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Refused(Exception):
    """Raised inside ``Store.transaction()`` to roll the write back and answer ``answer``.

    A write that finds a problem after it began (a duplicate key, a missing record, a
    rule the API enforces) must leave nothing behind; raising out of the transaction
    block rolls it back, and the caller answers with what the exception carries.
    """

    def __init__(self, answer: Any):
        super().__init__(getattr(answer, "status", None) or getattr(answer, "status_code",
                                                                    None))
        self.answer = answer
