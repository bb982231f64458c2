"""An opt-in token cache file, next to the in-memory default of ``_auth``.

``FileTokenStore`` keeps tokens (and refresh tokens) in one JSON file in the user's
config folder, so a notebook restarted tomorrow need not sign in again. The file is
created with mode 0600 from the start (``os.open``, never a chmod afterwards, which
would leave a moment where others can read it) and replaced atomically, so a crash
mid-write leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path

from ._auth import Token
from ._exceptions import ConfigurationError

#: File name inside ``platformdirs.user_config_dir("vnkit")``.
CACHE_FILE = "tokens.json"


def default_cache_path() -> Path:
    """``<user config dir>/vnkit/tokens.json`` (``VNKIT_CONFIG_DIR`` moves the folder)."""
    folder = os.environ.get("VNKIT_CONFIG_DIR")
    if not folder:
        import platformdirs

        folder = platformdirs.user_config_dir("vnkit")
    return Path(folder) / CACHE_FILE


class FileTokenStore:
    """Tokens in a private file (mode 0600), keyed like ``MemoryTokenStore``.

    Parameters
    ----------
    path : str or path-like, optional
        The cache file (default :func:`default_cache_path`).

    Notes
    -----
    The file holds live credentials: anyone who can read it can act as you until the
    tokens expire (or, with a refresh token, until it is revoked). Use it on your own
    machine only, and :meth:`clear` it when done.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_cache_path()
        if self.path.exists() and self.path.is_dir():
            raise ConfigurationError(f"token cache path {str(self.path)!r} is a folder",
                                     hint="give a file name, e.g. .../tokens.json")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    # -- file ------------------------------------------------------------------------------
    def _read(self) -> dict[str, dict]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}  # a damaged cache is only a cache: sign in again
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict]) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = _private_temp(folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)  # atomic: readers see the old or the new file
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    # -- TokenStore ------------------------------------------------------------------------
    def load(self, key: str) -> Token | None:
        with self._lock:
            entry = self._read().get(key)
        if not isinstance(entry, dict) or "access_token" not in entry:
            return None
        return Token.from_dict(entry)

    def save(self, key: str, token: Token) -> None:
        with self._lock:
            data = self._read()
            data[key] = token.to_dict()
            self._write(data)

    def delete(self, key: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)

    def clear(self) -> None:
        """Remove the cache file (every cached token)."""
        with self._lock:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass


def _private_temp(folder: Path) -> tuple[int, str]:
    """A new file in ``folder`` opened for writing, readable by its owner only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        name = folder / f".{CACHE_FILE}.{secrets.token_hex(8)}.tmp"
        try:
            return os.open(name, flags, 0o600), str(name)
        except FileExistsError:
            continue
    raise OSError(f"could not create a temporary file in {folder}")
