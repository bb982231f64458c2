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
    if isinstance(stamp, str) and stamp:
        return f'"{stamp}"'
    return '"' + hashlib.sha1(doc).hexdigest()[:20] + '"'


def etag_matches(if_match: str, current: str) -> bool:
    """Whether an ``If-Match`` value (tags, quoted or not, or ``*``) names ``current``."""
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    return "*" in tags or current.strip('"') in tags
