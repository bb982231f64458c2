"""``LoginWidget``: sign in to the API from a notebook, as Swagger's Authorize dialog does.

Three tabs, one per way in (knowledge-base article 04): the service API (client id,
secret, tenant id and scopes), the interactive API (a person signs in in the browser),
and a legacy bearer token pasted from elsewhere.

The client secret is never put into a widget by vnkit: widget values travel to the
browser and can be saved with the notebook. With a sandbox the demo secret stays in the
kernel and the field only says where it comes from; a typed secret (or pasted token) is
cleared from its field after every attempt, successful or not, and the form says so.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import requests

from .._client import Client, _is_sandbox_handle, connect, remember
from .._config import SERVICE_SCOPE_PREFIX, Environment
from .._exceptions import ConfigurationError
from ._common import StatusLine, _Panel, describe_error

#: The scope operations offered as checkboxes, in the order Swagger lists them.
SCOPE_OPERATIONS = ("read", "create", "update", "delete")

_LABEL_WIDTH = {"description_width": "120px"}
_FIELD = w.Layout(width="460px")


def _interactive_module() -> Any | None:
    """``vnkit._interactive`` if this vnkit has it (the user sign-in flows), else None."""
    if importlib.util.find_spec("vnkit._interactive") is None:
        return None
    module = importlib.import_module("vnkit._interactive")
    return module if hasattr(module, "begin") else None


class _BearerAuth(requests.auth.AuthBase):
    """Send a token obtained elsewhere (the legacy flow); vnkit cannot renew it."""

    def __init__(self, token: str):
        self._token = token

    def __repr__(self) -> str:
        return "_BearerAuth(token='***')"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


def _text(label: str, value: str = "", placeholder: str = "", cls: Any = w.Text) -> Any:
    return cls(value=value, placeholder=placeholder, description=label, style=_LABEL_WIDTH,
               layout=_FIELD)


class LoginWidget(_Panel):
    """Sign in with a form; ``.client`` is the signed-in ``vnkit.Client``.

    Parameters
    ----------
    target : sandbox handle, str or None
        A running sandbox (``vnkit.sandbox.start()``) pre-fills the form with its URL,
        demo client and first company's tenant, and supplies the demo secret; a string
        (``"production"``, ``"legacy"`` or a URL) names the API; None reads ``VNKIT_ENV``,
        ``VNKIT_CLIENT_ID`` and ``VNKIT_TENANT_ID`` (the secret: ``VNKIT_CLIENT_SECRET``).
    on_login : callable, optional
        Called with the new client after each successful sign-in.
    progress : bool
        Passed to the clients made here (progress bars on multi-page fetches).

    Attributes
    ----------
    status : StatusLine
        The outcome of the last action, errors included (message and HINT).
    interactive, legacy_sign_in : UserSignInPanel
        The user sign-in panels (present when this vnkit has ``vnkit._interactive``):
        ``start()`` gives the sign-in URL, ``finish(redirect_url)`` completes it.

    Examples
    --------
    >>> login = LoginWidget(sandbox)       # doctest: +SKIP
    >>> login                              # displays the form   # doctest: +SKIP
    >>> client = login.sign_in()           # the same as clicking "Sign in"  # doctest: +SKIP
    """

    def __init__(self, target: Any = None, *, on_login: Callable[[Client], Any] | None = None,
                 progress: bool = True):
        super().__init__()
        self.add_class("vnkit-login")
        self._sandbox = target if _is_sandbox_handle(target) else None
        self._progress = progress
        self._client: Client | None = None
        self._callbacks: list[Callable[[Client], Any]] = []
        # Typed secrets of the attempt under way, kept (in the kernel only) so that an
        # error shown in the status line can be scrubbed of them; emptied after it.
        self._attempt_secrets: list[str] = []
        self._in_button = False
        if on_login is not None:
            self.on_login(on_login)

        if self._sandbox is not None:
            api = str(self._sandbox.url)
            creds = self._sandbox.credentials
            client_id = creds.client_id
            tenant = str(creds.companies[0].tenant_id) if creds.companies else ""
            secret_hint = "(the sandbox's demo secret)"
        else:
            if target is not None and not isinstance(target, str):
                raise ConfigurationError(
                    f"LoginWidget cannot sign in to a {type(target).__name__}",
                    hint="pass a sandbox handle, 'production', 'legacy' or a URL")
            api = target or os.environ.get("VNKIT_ENV", "production")
            client_id = os.environ.get("VNKIT_CLIENT_ID", "")
            tenant = os.environ.get("VNKIT_TENANT_ID", "")
            secret_hint = ("(from VNKIT_CLIENT_SECRET)" if os.environ.get("VNKIT_CLIENT_SECRET")
                           else "the application's client secret")

        # -- service API ----------------------------------------------------------------
        self.api = _text("API", api, "production, legacy or a sandbox URL")
        self.tenant_id = _text("Tenant id", tenant, "the company's tenant id")
        self.client_id = _text("Client id", client_id, "isv_...")
        self.client_secret = _text("Client secret", "", secret_hint, cls=w.Password)
        self.scopes = {op: w.Checkbox(value=(op == "read"), description=op, indent=False,
                                      layout=w.Layout(width="90px"))
                       for op in SCOPE_OPERATIONS}
        self.company = _text("Company", "", "id or name (optional)")
        self.sign_in_button = w.Button(description="Sign in", button_style="primary",
                                       icon="sign-in")
        self.sign_in_button.add_class("vnkit-sign-in")
        self.sign_in_button.on_click(lambda _: self._safely(self.sign_in))
        scope_row = w.HBox([w.Label("Scopes", layout=w.Layout(width="124px")),
                            *self.scopes.values()])
        self.secret_note = w.HTML(
            "<small>A typed secret is cleared from this form after every sign-in attempt, "
            "successful or not, so it is never saved with the notebook; type it again to "
            "retry. Better: set VNKIT_CLIENT_SECRET before starting Jupyter.</small>")
        self.secret_note.add_class("vnkit-secret-note")
        service = w.VBox([self.api, self.tenant_id, self.client_id, self.client_secret,
                          self.secret_note, scope_row, self.company, self.sign_in_button])

        # -- interactive API ------------------------------------------------------------
        self._interactive = _interactive_module()
        self.interactive_note = w.HTML()
        if self._interactive is None:
            self.interactive_note.value = (
                "<i>The interactive sign-in (a person signs in with their Visma.net account "
                "in the browser) is not available in this version of vnkit yet; use the "
                "service API tab.</i>")
            interactive = w.VBox([self.interactive_note])
        else:
            interactive = self._interactive_tab()

        # -- legacy token ---------------------------------------------------------------
        self.legacy_api = _text("API", "legacy" if self._sandbox is None else api,
                                "legacy, production or a sandbox URL")
        self.legacy_token = _text("Token", "", "a bearer token from the legacy flow",
                                  cls=w.Password)
        self.legacy_company = _text("Company id", "", "ipp-company-id (optional)")
        self.legacy_button = w.Button(description="Use token", icon="key")
        self.legacy_button.on_click(lambda _: self._safely(self.use_token))
        pasted = [w.HTML("<p>Or use a token you already have:</p>"), self.legacy_api,
                  self.legacy_token,
                  w.HTML("<small>A pasted token is cleared from this form after every "
                         "attempt, successful or not.</small>"),
                  self.legacy_company, self.legacy_button]
        if self._interactive is None:
            legacy = w.VBox(pasted)
        else:
            from ._interactive_tab import build

            self.legacy_sign_in = build(self, "legacy")
            legacy = w.VBox([self.legacy_sign_in, *pasted])

        self.tabs = w.Tab(children=[service, interactive, legacy],
                          titles=("Service API", "Interactive API", "Legacy token"))
        self.status = StatusLine("Not signed in.")
        self.status.add_class("vnkit-login-status")
        self.children = [self.tabs, self.status]

    # -- public ---------------------------------------------------------------------------
    @property
    def client(self) -> Client:
        """The signed-in client.

        Raises
        ------
        ConfigurationError
            Nobody signed in yet.
        """
        if self._client is None:
            raise ConfigurationError("the LoginWidget has not signed in yet",
                                     hint="fill the form and click Sign in, or call "
                                          "login.sign_in()")
        return self._client

    @property
    def current_client(self) -> Client | None:
        """The signed-in client, or None before the first sign-in."""
        return self._client

    def on_login(self, callback: Callable[[Client], Any]) -> None:
        """Call ``callback(client)`` after every successful sign-in from now on."""
        if not callable(callback):
            raise ConfigurationError(f"on_login needs a callable, not {callback!r}")
        self._callbacks.append(callback)

    def selected_scopes(self) -> tuple[str, ...]:
        """The ticked scopes, with the service API prefix."""
        return tuple(f"{SERVICE_SCOPE_PREFIX}:{op}" for op, box in self.scopes.items()
                     if box.value)

    def sign_in(self) -> Client:
        """Sign in with the service API tab's values (what the Sign in button does).

        Returns
        -------
        Client
            Signed in, with the company selected when one was named (or, with a sandbox,
            the first company of the tenant).

        Raises
        ------
        ConfigurationError
            A required field is empty (no request is made).
        AuthError, ApiError, TransportError
            Visma Connect or the API refused; the status line shows the same text.
        """
        typed = self.client_secret.value
        if typed:
            self._attempt_secrets.append(typed)
        # Cleared before anything can fail: a typed secret never outlives the attempt
        # in the widget's state (which travels to the browser and into saved notebooks).
        self.client_secret.value = ""
        try:
            return self._sign_in(typed.strip())
        finally:
            if not self._in_button:
                self._attempt_secrets.clear()

    def _sign_in(self, typed: str) -> Client:
        api, tenant = self.api.value.strip(), self.tenant_id.value.strip()
        client_id, company = self.client_id.value.strip(), self.company.value.strip()
        secret = typed or self._secret()
        scopes = self.selected_scopes()
        for label, value in (("API", api), ("Tenant id", tenant), ("Client id", client_id),
                             ("Client secret", secret)):
            if not value:
                raise ConfigurationError(f"{label} is empty",
                                         hint=f"fill in the {label} field of the Service API tab")
        if not scopes:
            raise ConfigurationError("no scope is ticked",
                                     hint="tick at least 'read' to read data")
        self.status.show("Signing in ...")
        common = dict(client_id=client_id, client_secret=secret, tenant_id=tenant, scopes=scopes,
                      progress=self._progress)
        if self._sandbox is not None and api.rstrip("/") == str(self._sandbox.url).rstrip("/"):
            # The sandbox handle knows each company's tenant, which lets the client switch
            # tenants when another company is picked later.
            of_tenant = [c for c in self._sandbox.companies if str(c.tenant_id) == tenant]
            if company or of_tenant:
                client = connect(self._sandbox, company=company or of_tenant[0].company_id,
                                 **common)
            else:
                client = connect(api, **common)  # an unknown tenant: let the server answer
        else:
            client = connect(api, company=company or None, **common)
        return self._signed_in(client, "service API")

    def use_token(self) -> Client:
        """Use the legacy tab's bearer token (what the Use token button does).

        The token is checked with one call to the company list before it is accepted.
        The field is emptied after every attempt, successful or not.
        """
        pasted = self.legacy_token.value
        if pasted:
            self._attempt_secrets.append(pasted)
        self.legacy_token.value = ""
        try:
            return self._use_token(pasted.strip())
        finally:
            if not self._in_button:
                self._attempt_secrets.clear()

    def _use_token(self, token: str) -> Client:
        api = self.legacy_api.value.strip()
        company = self.legacy_company.value.strip()
        if not api:
            raise ConfigurationError("API is empty", hint="fill in the API field of the "
                                                          "Legacy token tab")
        if not token:
            raise ConfigurationError("Token is empty", hint="paste a bearer token")
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        client = Client(Environment.from_name(api), auth=_BearerAuth(token),
                        progress=self._progress)
        try:
            if company:
                client.use_company(company)
            client.companies()  # proves the token works before anyone relies on it
        except BaseException:
            client.close()
            raise
        return self._signed_in(client, "legacy token")

    # -- internals ------------------------------------------------------------------------
    def _secret(self) -> str:
        typed = self.client_secret.value.strip()
        if typed:
            return typed
        if self._sandbox is not None:
            return self._sandbox.credentials.client_secret or ""
        return os.environ.get("VNKIT_CLIENT_SECRET", "")

    def _signed_in(self, client: Client, how: str) -> Client:
        self._client = client
        remember(client)  # the client the %vn magic uses from now on
        # Followers (picker, explorer, meter) first: "Signed in" then means all is ready.
        for callback in list(self._callbacks):
            callback(client)
        where = client.company_name or (client.company if client.company is not None else
                                        "no company chosen")
        self.status.show(f"Signed in ({how}) to {client.environment.name}: {where}.", "ok")
        return client

    def _safely(self, action: Callable[[], Any]) -> None:
        # A button callback has nowhere to raise to: show the error in the status line.
        self._in_button = True
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user
            self.status.show(describe_error(exc, self._known_secrets()), "error")
        finally:
            self._in_button = False
            self._attempt_secrets.clear()

    def _known_secrets(self) -> list[str | None]:
        secrets = [self.client_secret.value, self.legacy_token.value,
                   os.environ.get("VNKIT_CLIENT_SECRET"), *self._attempt_secrets]
        if self._sandbox is not None:
            secrets.append(self._sandbox.credentials.client_secret)
        return secrets

    def _interactive_tab(self) -> w.Widget:
        from ._interactive_tab import build

        self.interactive = build(self, "interactive")
        return self.interactive

    def _describe(self) -> str:
        if self._client is None:
            return "signed out"
        client = self._client
        company = client.company_name or client.company
        return f"signed in to {client.environment.name}, company={company!r}"
