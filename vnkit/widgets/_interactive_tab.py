"""The user sign-in panels of ``LoginWidget``: Visma Connect's interactive API and VNI's.

A person signs in in the browser, so the panel has two halves: *Start sign-in* makes the
authorization URL (``vnkit._interactive``) and shows it as a link to open in a new tab;
the sign-in then finishes on its own when the browser comes back to the kernel's
loopback listener, or when the user pastes the address the browser landed on into the
redirect field (kernel and browser on different machines). The user's password only
ever goes to the sign-in pages, never through the notebook.
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from .._exceptions import ConfigurationError
from ._common import StatusLine, describe_error

if TYPE_CHECKING:
    from .._client import Client
    from ._login import LoginWidget

_STYLE = {"description_width": "120px"}
_FIELD = w.Layout(width="460px")

#: Seconds the kernel keeps listening for the browser's redirect after a start.
LISTEN_SECONDS = 900.0

_TITLES = {"interactive": "Visma Connect (interactive API)",
           "legacy": "the retired Visma.net Integrations (VNI) flow"}


def demo_client(flow: str) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of the sandbox's demo application for ``flow``."""
    try:
        from ..sandbox._signin import INTERACTIVE_CLIENTS
    except ImportError:  # a vnkit without the sandbox's sign-in pages
        return None
    wanted = "legacy" if flow == "legacy" else "connect"
    for client in INTERACTIVE_CLIENTS:
        if client.flow == wanted:
            return client.client_id, client.client_secret
    return None


def demo_users_note() -> str:
    """Who to sign in as on the sandbox's sign-in page (HTML), from its demo users."""
    try:
        from ..sandbox import demo_users

        users = demo_users()
    except ImportError:  # a vnkit without the sandbox's sign-in pages
        return ""
    roles = {"all": "API User in every demo company", "first": "API User in the first "
             "company only", "none": "no API User role: shows the refusal"}
    items = "".join(f"<li><code>{html.escape(u['email'])}</code> / password "
                    f"<code>{html.escape(u['password'])}</code> "
                    f"({html.escape(roles.get(u['api_user'], u['api_user']))})</li>"
                    for u in users)
    return ("<p class='vnkit-demo-users'>Sandbox: sign in as a demo user (demo values, not "
            f"real accounts):</p><ul>{items}</ul>")


class UserSignInPanel(w.VBox):
    """Start a user sign-in, show its link, and finish it (listener or pasted address).

    Parameters
    ----------
    login : LoginWidget
        The widget that receives the signed-in client.
    flow : {"interactive", "legacy"}
        Visma Connect's authorization code flow (PKCE), or VNI's.
    """

    def __init__(self, login: LoginWidget, flow: str):
        super().__init__()
        self.add_class(f"vnkit-user-signin-{flow}")
        self._login = login
        self.flow = flow
        self.sign_in_flow: Any = None  # the running vnkit._interactive.SignIn
        self._typed_secret: str | None = None
        self._lock = threading.Lock()
        sandbox = login._sandbox
        demo = demo_client(flow) if sandbox is not None else None
        api = str(sandbox.url) if sandbox is not None else \
            ("legacy" if flow == "legacy" else os.environ.get("VNKIT_ENV", "production"))
        self._demo = demo
        self.api = w.Text(value=api, description="API", style=_STYLE, layout=_FIELD)
        self.client_id = w.Text(value=demo[0] if demo else os.environ.get("VNKIT_CLIENT_ID", ""),
                                description="Client id", style=_STYLE, layout=_FIELD,
                                placeholder="the application's client id")
        self.client_secret = w.Password(
            description="Client secret", style=_STYLE, layout=_FIELD,
            placeholder="(the sandbox's demo secret)" if demo else "the client secret")
        self.start_button = w.Button(description="Start sign-in", icon="external-link",
                                     button_style="primary")
        self.start_button.add_class("vnkit-start-signin")
        self.start_button.on_click(lambda _: self._safely(self.start))
        self.link = w.HTML()
        self.link.add_class("vnkit-signin-link")
        self.redirect = w.Text(description="Redirect URL", style=_STYLE, layout=_FIELD,
                               placeholder="paste the address the browser landed on")
        self.finish_button = w.Button(description="Finish", icon="check")
        self.finish_button.on_click(lambda _: self._safely(
            lambda: self.finish(self.redirect.value)))
        self.status = StatusLine("")
        intro = w.HTML(f"<p>A person signs in with their Visma.net account through "
                       f"{_TITLES[flow]} in a new browser tab, and picks the company there."
                       "</p>" + (demo_users_note() if sandbox is not None else "")
                       + "<p><small>A typed client secret is cleared from this form after "
                       "every attempt, successful or not.</small></p>")
        self.children = [intro, self.api, self.client_id, self.client_secret,
                         self.start_button, self.link,
                         w.HBox([self.redirect, self.finish_button]), self.status]

    def start(self) -> Any:
        """Begin a sign-in: show the link, and listen for the browser's redirect.

        Returns
        -------
        vnkit._interactive.SignIn
            The sign-in in progress (its ``url`` is the link shown).
        """
        from .. import _interactive

        secret = self.client_secret.value.strip() or None
        # Cleared now, whatever happens next: a typed secret must not stay in the widget.
        self.client_secret.value = ""
        if secret is not None:
            self._typed_secret = secret  # scrubbed from an error shown below, then dropped
        api, client_id = self.api.value.strip(), self.client_id.value.strip()
        if not api:
            raise ConfigurationError("API is empty", hint="fill in the API field")
        if not client_id:
            raise ConfigurationError("Client id is empty",
                                     hint="fill in the application's client id")
        if secret is None and self._demo is not None and client_id == self._demo[0]:
            secret = self._demo[1]
        if secret is None:
            secret = os.environ.get("VNKIT_CLIENT_SECRET")
        if self.sign_in_flow is not None:
            self.sign_in_flow.close()  # a new start replaces a pending one
        self.sign_in_flow = _interactive.begin(
            api, flow=self.flow, client_id=client_id, client_secret=secret,
            progress=self._login._progress)
        self._typed_secret = None
        self.link.value = (f'<a href="{html.escape(self.sign_in_flow.url)}" target="_blank" '
                           'rel="noopener" class="vnkit-open-signin">Open the sign-in page</a>'
                           " (a new tab); when it is done this form finishes by itself, or "
                           "paste the address you landed on below.")
        self.status.show("Waiting for the sign-in in the browser ...")
        pending = self.sign_in_flow
        threading.Thread(target=self._listen, args=(pending,), daemon=True,
                         name="vnkit-signin-listener").start()
        return pending

    def finish(self, redirect_url: str) -> Client:
        """Finish with the address the browser was sent back to (the Finish button)."""
        if self.sign_in_flow is None:
            raise ConfigurationError("no sign-in was started",
                                     hint="click Start sign-in first")
        return self._complete(self.sign_in_flow, lambda s: s.finish(redirect_url))

    # -- internals ------------------------------------------------------------------------
    def _complete(self, pending: Any, how: Callable[[Any], Client]) -> Client:
        with self._lock:  # the listener and a pasted address may both arrive
            already = pending.client is not None
            client = how(pending)
            if not already and pending is self.sign_in_flow:
                self.redirect.value = ""
                self.status.show("Signed in.", "ok")
                self._login._signed_in(client, f"{self.flow} API" if self.flow == "interactive"
                                       else "legacy sign-in")
            return client

    def _listen(self, pending: Any) -> None:
        try:
            listener = pending._listener
            if listener is None:
                return
            deadline = time.monotonic() + LISTEN_SECONDS
            received = None
            while received is None and time.monotonic() < deadline:
                # Short waits, so a replaced or pasted-in sign-in ends this thread soon.
                if pending is not self.sign_in_flow or pending.client is not None:
                    return
                received = listener.wait(0.5)
            if received is not None and pending is self.sign_in_flow:
                self._complete(pending, lambda s: s.finish(received))
        except Exception as exc:  # noqa: BLE001 - a thread has nowhere to raise to
            self._show_error(exc)

    def _safely(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - shown to the user instead
            self._show_error(exc)
        finally:
            self._typed_secret = None

    def _show_error(self, exc: BaseException) -> None:
        text = describe_error(exc, [self.client_secret.value, self._typed_secret,
                                    self._demo[1] if self._demo else None])
        self.status.show(text, "error")
        self._login.status.show(text, "error")


def build(login: LoginWidget, flow: str = "interactive") -> UserSignInPanel:
    """The panel for ``flow``, bound to ``login``."""
    return UserSignInPanel(login, flow)
