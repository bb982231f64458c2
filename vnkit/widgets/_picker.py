"""``CompanyPicker``: choose the company the client works in (``ipp-company-id``).

The choices are the companies the token reaches (the context endpoint, article 06),
plus, for a service client that knows other companies' tenants (a sandbox's), those
companies too: a service token is bound to one tenant, so choosing one of them signs in
again for its tenant (``Client.use_company`` does that).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .._client import Client
from .._exceptions import ConfigurationError
from ._common import StatusLine, _Panel, describe_error
from ._source import follow


def company_choices(client: Client) -> list[tuple[str, Any]]:
    """``(label, company_id)`` of every company ``client`` can switch to.

    The token's own companies come first, in the API's order; companies of other tenants
    the client knows follow, marked so.
    """
    choices: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for item in client._context_list():
        company_id = item.get("id")
        choices.append((f"{item.get('name')} ({company_id})", company_id))
        seen.add(str(company_id))
    for name, company_id, _tenant in client._directory:
        if str(company_id) not in seen:
            choices.append((f"{name} ({company_id}) - other tenant", company_id))
            seen.add(str(company_id))
    return choices


class CompanyPicker(_Panel):
    """A drop-down of companies; choosing one switches the client to it.

    Parameters
    ----------
    source : Client or LoginWidget
        The client to switch, or a login widget whose clients are followed.
    on_change : callable, optional
        Called with the client after each successful switch.

    Examples
    --------
    >>> picker = CompanyPicker(client)     # doctest: +SKIP
    >>> picker.select("Kaleva Palvelut Oy")  # the same as choosing it  # doctest: +SKIP
    """

    def __init__(self, source: Any, *, on_change: Callable[[Client], Any] | None = None):
        super().__init__()
        self.add_class("vnkit-company-picker")
        self._client: Client | None = None
        self._callbacks: list[Callable[[Client], Any]] = [on_change] if on_change else []
        self._updating = False
        self.dropdown = w.Dropdown(options=[], description="Company",
                                   style={"description_width": "70px"},
                                   layout=w.Layout(width="460px"))
        self.dropdown.add_class("vnkit-company")
        self.dropdown.observe(self._on_pick, names="value")
        self.status = StatusLine("Not signed in yet.")
        self.children = [self.dropdown, self.status]
        client = follow(source, self.bind)
        if client is not None:
            self.bind(client)

    @property
    def client(self) -> Client | None:
        """The client being switched (None until someone signs in)."""
        return self._client

    def bind(self, client: Client) -> None:
        """Switch to ``client`` and reload its companies (called on each new sign-in)."""
        self._client = client
        self.refresh()

    def refresh(self) -> None:
        """Read the company list again (one call to the context endpoint)."""
        if self._client is None:
            return
        try:
            choices = company_choices(self._client)
        except Exception as exc:  # noqa: BLE001 - shown to the user instead
            self._set_options([], None)
            self.status.show(describe_error(exc), "error")
            return
        current = self._client.company
        ids = [str(c) for _, c in choices]
        value = choices[ids.index(str(current))][1] if str(current) in ids else None
        self._set_options(choices, value)
        self._show_current()

    def select(self, company: int | str) -> Client:
        """Work in ``company`` (id or name); the same as choosing it in the drop-down.

        Raises
        ------
        ConfigurationError
            No client yet, or an unknown company.
        AuthError
            Signing in to the company's tenant failed (the previous company is kept).
        """
        if self._client is None:
            raise ConfigurationError("the CompanyPicker has no client yet",
                                     hint="sign in first (LoginWidget or vnkit.connect)")
        wanted = str(company).strip()
        for label, company_id in self.dropdown.options:
            name = label.rsplit(" (", 1)[0]
            if wanted in (str(company_id), name) or wanted.casefold() == name.casefold():
                self._switch(company_id)
                self._set_options(self.dropdown.options, company_id)
                return self._client
        known = ", ".join(label for label, _ in self.dropdown.options)
        raise ConfigurationError(f"unknown company {company!r}",
                                 hint=f"choose one of: {known or '(none reachable)'}")

    def on_change(self, callback: Callable[[Client], Any]) -> None:
        """Call ``callback(client)`` after each successful switch."""
        self._callbacks.append(callback)

    # -- internals ------------------------------------------------------------------------
    def _set_options(self, options: Any, value: Any) -> None:
        self._updating = True  # setting options fires 'value': not a user's choice
        try:
            self.dropdown.options = list(options)
            self.dropdown.value = value
        finally:
            self._updating = False

    def _on_pick(self, change: dict) -> None:
        if self._updating or change["new"] is None or self._client is None:
            return
        try:
            self._switch(change["new"])
        except Exception as exc:  # noqa: BLE001 - a drop-down has nowhere to raise to
            self.status.show(describe_error(exc), "error")
            self._set_options(self.dropdown.options, change["old"])

    def _switch(self, company_id: Any) -> None:
        client = self._client
        assert client is not None
        previous = client.company
        try:
            client.use_company(company_id)
            client.sign_in()  # a new tenant needs a new token: fail here, not later
        except Exception:
            if previous is not None:
                try:
                    client.use_company(previous)
                except Exception:  # noqa: BLE001 - the original error matters more
                    pass
            raise
        self._show_current()
        for callback in list(self._callbacks):
            callback(client)

    def _show_current(self) -> None:
        client = self._client
        if client is None or client.company is None:
            self.status.show("No company chosen: pick one.")
        else:
            name = client.company_name or "company"
            self.status.show(f"Working in {name} (ipp-company-id {client.company}).", "ok")

    def _describe(self) -> str:
        if self._client is None:
            return "no client"
        company = self._client.company_name or self._client.company
        return f"company={company!r}, choices={len(self.dropdown.options)}"
