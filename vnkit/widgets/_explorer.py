"""``Explorer``: Swagger's "Try it out" inside the notebook, answering with a DataFrame.

Choose an endpoint, fill in the filters, read the request URL as it will be sent, and
click to fetch every page into a DataFrame (``Client.fetch``). Filters are checked
before anything is sent, so a bad date or condition is reported without a request.
"""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as w
import requests

from .. import _endpoints
from .._client import Client
from .._exceptions import ConfigurationError, FilterError
from .._filters import encode_params
from ._common import StatusLine, _Panel, describe_error
from ._source import follow

#: Date filters the list endpoints take, each with its ``...Condition`` companion.
DATE_FIELDS = ("lastModifiedDateTime", "createdDateTime")
CONDITIONS = (">=", ">", "<=", "<")

_STYLE = {"description_width": "110px"}
_WIDE = w.Layout(width="520px")


def _pairs(text: str, parameter: str) -> list[tuple[str, str]]:
    """``name=value`` items separated by new lines or commas, in order."""
    out = []
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FilterError(parameter, f"{item!r} is not name=value",
                              hint="write one name=value per line (or separate with commas)")
        out.append((name.strip(), value.strip()))
    return out


def parse_attributes(text: str) -> dict[str, Any] | None:
    """The attributes field: ``COLOR=RED, SIZE=L`` or a JSON object; empty gives None."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise FilterError("attributes", f"not valid JSON ({exc.msg} at position "
                                            f"{exc.pos})",
                              hint='e.g. {"COLOR": "RED"} or COLOR=RED') from None
        if not isinstance(value, dict):
            raise FilterError("attributes", "the JSON must be an object of attribute to value")
        return value
    return dict(_pairs(text, "attributes"))


class Explorer(_Panel):
    """Build a list request with a form and fetch it into a DataFrame.

    Parameters
    ----------
    source : Client or LoginWidget
        The client to call, or a login widget whose clients are followed.
    endpoint : str
        The endpoint chosen at first.

    Attributes
    ----------
    frame : pandas.DataFrame or None
        The latest result.

    Examples
    --------
    >>> explorer = Explorer(client)                        # doctest: +SKIP
    >>> explorer.status_filter.value = "Active"            # doctest: +SKIP
    >>> explorer.run()          # the same as clicking "Get DataFrame"  # doctest: +SKIP
    """

    def __init__(self, source: Any, *, endpoint: str = "customer"):
        super().__init__()
        self.add_class("vnkit-explorer")
        self._client: Client | None = None
        self.frame = None
        names = sorted({e.name for e in _endpoints._KNOWN}, key=str.lower)
        self.endpoint = w.Combobox(value=endpoint, options=names, ensure_option=False,
                                   description="Endpoint", style=_STYLE, layout=_WIDE)
        self.status_filter = w.Text(description="status", placeholder="e.g. Active (optional)",
                                    style=_STYLE, layout=_WIDE)
        self.date_field = w.Dropdown(options=[("(no date filter)", ""),
                                              *[(f, f) for f in DATE_FIELDS]],
                                     value="", description="Date filter", style=_STYLE,
                                     layout=w.Layout(width="330px"))
        self.date_condition = w.Dropdown(options=CONDITIONS, value=">=",
                                         layout=w.Layout(width="70px"))
        self.date_value = w.Text(placeholder="2020-03-01 or 2020-03-01 12:00:00",
                                 layout=w.Layout(width="240px"))
        self.attributes = w.Text(description="attributes", placeholder="COLOR=RED or JSON",
                                 style=_STYLE, layout=_WIDE)
        self.extra = w.Textarea(description="More params", placeholder="name=value per line",
                                style=_STYLE, layout=w.Layout(width="520px", height="60px"))
        self.url = w.HTML()
        self.url.add_class("vnkit-request-url")
        self.run_button = w.Button(description="Get DataFrame", button_style="primary",
                                   icon="table")
        self.run_button.add_class("vnkit-run")
        self.run_button.on_click(lambda _: self._run_safely())
        self.status = StatusLine("")
        self.output = w.Output()
        self.output.add_class("vnkit-explorer-output")
        for field in (self.endpoint, self.status_filter, self.date_field, self.date_condition,
                      self.date_value, self.attributes, self.extra):
            field.observe(lambda _: self._update_url(), names="value")
        self.children = [
            self.endpoint, self.status_filter,
            w.HBox([self.date_field, self.date_condition, self.date_value]),
            self.attributes, self.extra, self.url, self.run_button, self.status, self.output]
        client = follow(source, self.bind)
        if client is not None:
            self.bind(client)
        else:
            self._update_url()

    def bind(self, client: Client) -> None:
        """Use ``client`` from now on (called on each new sign-in)."""
        self._client = client
        self._update_url()

    # -- the request ----------------------------------------------------------------------
    def filters(self) -> dict[str, Any]:
        """The form as ``Client.fetch`` keyword arguments.

        Raises
        ------
        FilterError
            A field that cannot be understood (named in the message).
        """
        filters: dict[str, Any] = {}
        if self.status_filter.value.strip():
            filters["status"] = self.status_filter.value.strip()
        if self.date_field.value:
            when = self.date_value.value.strip()
            if not when:
                raise FilterError(self.date_field.value, "the date is empty",
                                  hint="write a date such as 2020-03-01, or choose "
                                       "'(no date filter)'")
            filters[self.date_field.value] = (self.date_condition.value, when)
        attributes = parse_attributes(self.attributes.value)
        if attributes is not None:
            filters["attributes"] = attributes
        for name, value in _pairs(self.extra.value, "More params"):
            if name in filters:
                raise FilterError(name, "is given twice (in a field and in More params)")
            filters[name] = value
        return filters

    def request_url(self) -> str:
        """The URL of the request the form describes (page 1 without paging parameters).

        Raises
        ------
        ConfigurationError, FilterError
            No client yet, or a filter the API would refuse.
        """
        if self._client is None:
            raise ConfigurationError("no client yet", hint="sign in first")
        url, _ = self._client._resolve(self.endpoint.value.strip(), "v1")
        query = encode_params(self.filters(), strict=True)
        return requests.Request("GET", url, params=query).prepare().url

    def run(self):
        """Fetch every page of the request into a DataFrame, show it, and return it.

        Raises
        ------
        ConfigurationError, FilterError
            Before any request: no client, or a bad filter.
        ApiError, IncompleteResultError, TransportError
            From the API; the status line shows the same text.
        """
        if self._client is None:
            raise ConfigurationError("the Explorer has no client yet",
                                     hint="sign in first (LoginWidget or vnkit.connect)")
        endpoint = self.endpoint.value.strip()
        filters = self.filters()
        self.status.show(f"Fetching {endpoint} ...")
        frame = self._client.fetch(endpoint, progress=False, **filters)
        self.frame = frame
        # Set the output widget's contents directly rather than capturing display():
        # capturing relies on the front end routing messages, which nbval's does not.
        self.output.outputs = ()
        self.output.append_display_data(frame)
        company = self._client.company_name or self._client.company
        self.status.show(f"{len(frame)} rows x {frame.shape[1]} columns from {endpoint} "
                         f"({company}).", "ok")
        return frame

    # -- internals ------------------------------------------------------------------------
    def _run_safely(self) -> None:
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 - a button has nowhere to raise to
            self.output.outputs = ()
            self.status.show(describe_error(exc), "error")

    def _update_url(self) -> None:
        import html

        try:
            url = self.request_url()
        except Exception as exc:  # noqa: BLE001 - an unfinished form is normal while typing
            text = html.escape(describe_error(exc)).replace("\n", "<br>")
            self.url.value = f"<div>Request URL: <i>{text}</i></div>"
            return
        self.url.value = (f"<div>Request URL: <code>GET {html.escape(url)}</code> "
                          "<small>(vnkit adds pageNumber and pageSize)</small></div>")

    def _describe(self) -> str:
        return f"endpoint={self.endpoint.value!r}"
