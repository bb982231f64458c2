"""Where a widget gets its client: a ``Client`` given once, or a ``LoginWidget`` to follow.

Following a ``LoginWidget`` means the picker, explorer and budget meter switch to the new
client each time someone signs in again, without re-running the cells that made them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._client import Client
from .._exceptions import ConfigurationError


def follow(source: Any, on_client: Callable[[Client], None]) -> Client | None:
    """The client of ``source`` now (or None), calling ``on_client`` on later sign-ins.

    Parameters
    ----------
    source : Client or LoginWidget
        A signed-in client, or a login widget (signed in or not yet).
    on_client : callable
        Called with each client the login widget produces after this call.
    """
    from ._login import LoginWidget  # not at import time: _login imports nothing from here

    if isinstance(source, LoginWidget):
        source.on_login(on_client)
        return source.current_client
    if isinstance(source, Client):
        return source
    raise ConfigurationError(
        f"expected a vnkit Client or a LoginWidget, not {type(source).__name__}",
        hint="pass vnkit.connect(...)'s result, or the LoginWidget to follow its sign-ins")
