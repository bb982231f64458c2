"""An opt-in HTTP cache for the client, so re-running a notebook cell spends no calls.

Built on ``requests-cache`` with its SQLite backend. What is kept and how it is found:

- Only ``GET`` answers with status 200 are stored: writes (POST, PUT, DELETE), errors
  and the token endpoint (a POST, on its own session) never are.
- The key is the method, the full URL with its query, and the ``ipp-company-id`` and
  ``Accept`` headers, plus the client id: the same URL on another company, or for
  another API client, is a different entry. The bearer token is *not* part of the key
  (it changes every hour) and is removed from the stored request, so the cache file
  holds no secret.
- Entries expire after ``expire_after`` (default ten minutes): the cache is for
  exploring, not a copy of the ERP.

Answers served from the cache carry ``from_cache=True`` and do not update the rate
budget (their headers are old).
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ._exceptions import ConfigurationError

if TYPE_CHECKING:
    from requests_cache import CachedSession

    from ._client import Client

#: Seconds a cached answer stays valid unless told otherwise.
DEFAULT_EXPIRE_AFTER = 600

#: Request headers that make two requests different answers.
MATCHED_HEADERS = ("ipp-company-id", "Accept")


def default_path() -> Path:
    """``http-cache.sqlite`` in vnkit's cache directory (``VNKIT_CACHE_DIR`` wins)."""
    env = os.environ.get("VNKIT_CACHE_DIR")
    if env:
        folder = Path(env)
    else:
        import platformdirs

        folder = Path(platformdirs.user_cache_dir("vnkit"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "http-cache.sqlite"


def _expiry(expire_after: Any) -> int | float | timedelta:
    if isinstance(expire_after, timedelta):
        if expire_after.total_seconds() <= 0:
            raise ConfigurationError(f"expire_after must be positive, not {expire_after!r}")
        return expire_after
    if isinstance(expire_after, bool) or not isinstance(expire_after, (int, float)) \
            or expire_after <= 0:
        raise ConfigurationError(
            f"expire_after must be a positive number of seconds or a timedelta, "
            f"not {expire_after!r}", hint="e.g. expire_after=600 (ten minutes)")
    return expire_after


def _cache_path(cache: Any) -> Path:
    if cache is True:
        return default_path()
    if isinstance(cache, (str, os.PathLike)):
        path = Path(cache).expanduser()
        if path.is_dir():
            return path / "http-cache.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    raise ConfigurationError(f"cache must be True or a file path, not {cache!r}",
                             hint="cache=True (vnkit's cache folder) or "
                                  "cache='work/http-cache.sqlite'")


class HttpCache:
    """Whether a client's answers are cached, where, and for how long.

    Made by :meth:`Client.enable_cache`; ``client.cache`` shows it. ``clear()`` drops
    the stored answers, ``disable()`` sends every request to the API again.
    """

    def __init__(self, client: Client | None = None, session: Any = None,
                 path: Path | None = None, expire_after: Any = None):
        self._client = client
        self._session = session
        self.path = path
        self.expire_after = expire_after

    @property
    def enabled(self) -> bool:
        return self._session is not None

    def __len__(self) -> int:
        if self._session is None:
            return 0
        return len(list(self._session.cache.responses.keys()))

    def clear(self) -> None:
        """Forget every stored answer (of every client using this file)."""
        if self._session is not None:
            self._session.cache.clear()

    def disable(self) -> None:
        """Stop caching: the client's session goes back to a plain one."""
        if self._client is not None:
            disable_cache(self._client)

    def __bool__(self) -> bool:
        return self.enabled

    def __repr__(self) -> str:
        if not self.enabled:
            return "<HttpCache off>"
        expire = self.expire_after
        shown = (f"{expire.total_seconds():g} s" if isinstance(expire, timedelta)
                 else f"{expire:g} s")
        return (f"<HttpCache on: {self.path}, expire_after={shown}, "
                f"{len(self)} stored answer(s)>")


def _key_fn(identity: str):
    """``requests-cache`` key function: the library's key, salted with the client id."""
    from requests_cache.cache_keys import create_key

    def key(request, **kwargs) -> str:
        base = create_key(request, **kwargs)
        return hashlib.blake2b(f"{identity}\n{base}".encode(), digest_size=8).hexdigest()

    return key


def enable_cache(client: Client, cache: Any = True,
                 expire_after: Any = DEFAULT_EXPIRE_AFTER) -> HttpCache:
    """Swap the client's session for a caching one with the same headers and transport.

    Parameters
    ----------
    client
        The client to cache for.
    cache
        ``True`` for ``http-cache.sqlite`` in vnkit's cache folder, or a file path.
    expire_after
        Seconds (or a ``timedelta``) an answer stays valid.
    """
    expiry = _expiry(expire_after)
    path = _cache_path(cache)
    from requests_cache import CachedSession

    plain = getattr(client, "_plain_session", None) or client.session
    credentials = getattr(client, "credentials", None)
    identity = getattr(credentials, "client_id", None) or ""
    session = CachedSession(
        str(path), backend="sqlite", expire_after=expiry, allowable_methods=("GET",),
        allowable_codes=(200,), match_headers=list(MATCHED_HEADERS),
        key_fn=_key_fn(identity), stale_if_error=False)
    session.headers.clear()
    session.headers.update(plain.headers)
    session.auth = plain.auth
    session.hooks = {k: list(v) for k, v in plain.hooks.items()}
    for prefix, adapter in plain.adapters.items():
        session.mount(prefix, adapter)
    client._plain_session = plain
    client.session = session
    client._http_cache = HttpCache(client, session, path, expiry)
    return client._http_cache


def disable_cache(client: Client) -> None:
    """Put the plain session back (headers changed meanwhile are carried over)."""
    plain = getattr(client, "_plain_session", None)
    if plain is None:
        return
    cached = cast("CachedSession", client.session)  # enable_cache put it there
    plain.headers.clear()
    plain.headers.update(cached.headers)
    client.session = plain
    client._plain_session = None
    client._http_cache = HttpCache()
    # Close only the cache file: the adapters belong to the plain session too.
    cached.cache.close()
