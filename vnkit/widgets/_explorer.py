"""``Explorer``: Swagger's "Try it out" inside the notebook, over every GET of the API.

Find an endpoint by typing part of its name or area; its parameters appear as typed
inputs built from the API's surface (a date with its condition, booleans as check boxes,
enums as drop-downs, path parameters as their own fields). The request URL is shown as
it will be sent and checked as you type (``vnkit._params``: an unknown name or a wrong
type is reported without a request); *Get DataFrame* fetches every page with a
progress bar, and the Python call that gives the same DataFrame is shown, ready to copy
into a cell.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import requests

from .._client import Client
from .._exceptions import ConfigurationError, FilterError
from .._filters import parse_attribute_text
from ._common import StatusLine, _Panel, describe_error
from ._source import follow

if TYPE_CHECKING:
    import pandas as pd

#: Operators of a date filter's ``...Condition``.
CONDITIONS = (">=", ">", "<=", "<")
#: Parameters vnkit sets itself while paging.
_PAGING = ("pagenumber",)

_STYLE = {"description_width": "170px"}
_WIDE = w.Layout(width="560px")


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


def parse_attributes(text: str) -> dict[str, Any] | str | None:
    """The attributes field: ``COLOR=RED, SIZE=L`` or a JSON object; empty gives None.

    The same rule as ``fetch(attributes=...)`` (``vnkit._filters``): JSON text is kept
    as written, pairs become a mapping.
    """
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        from .._filters import _attributes_param

        return _attributes_param(text)
    return parse_attribute_text(text)


def get_endpoints() -> list[tuple[str, str]]:
    """``(label, template)`` of every GET of the API, lists first, by name."""
    from .._surface import surface

    seen: dict[str, tuple[str, str, bool]] = {}
    for op in surface().operations:
        if op.method != "GET":
            continue
        template = op.path.split("/", 2)[2] if op.version == "v1" else op.path.lstrip("/")
        seen.setdefault(template.lower(), (template, op.group, op.is_list or op.paginated))
    rows = sorted(seen.values(), key=lambda t: (not t[2], t[0].lower()))
    return [(f"{t}  [{area}{'' if listed else ', one record'}]", t)
            for t, area, listed in rows]


class Explorer(_Panel):
    """Build a GET request with a form and fetch it into a DataFrame.

    Parameters
    ----------
    source : Client or LoginWidget
        The client to call, or a login widget whose clients are followed.
    endpoint : str
        The endpoint chosen at first (``customer``, ``v2/salesorder``,
        ``customer/{customerCd}/contact`` ...).

    Attributes
    ----------
    frame : pandas.DataFrame or None
        The latest result.
    params : dict of str to widget
        The input of each query parameter of the chosen endpoint.
    conditions : dict of str to Dropdown
        The operator of each date parameter that has a ``...Condition``.
    path_fields : dict of str to Text
        The input of each path parameter.

    Examples
    --------
    >>> explorer = Explorer(client)                        # doctest: +SKIP
    >>> explorer.params["status"].value = "Active"         # doctest: +SKIP
    >>> explorer.run()          # the same as clicking "Get DataFrame"  # doctest: +SKIP
    >>> explorer.python_call()  # 'client.fetch("customer", status="Active")'  # doctest: +SKIP
    """

    def __init__(self, source: Any, *, endpoint: str = "customer"):
        super().__init__()
        self.add_class("vnkit-explorer")
        self._client: Client | None = None
        self.frame: pd.DataFrame | None = None
        self._all = get_endpoints()
        self._operation = None
        self.params: dict[str, w.Widget] = {}
        self.conditions: dict[str, w.Dropdown] = {}
        self.path_fields: dict[str, w.Text] = {}
        self.search = w.Text(description="Find", placeholder="part of a name or area, "
                             "e.g. invoice", style=_STYLE, layout=_WIDE)
        self.search.add_class("vnkit-explorer-search")
        self.matches = w.Select(options=self._all, rows=6, description="Endpoints",
                                style=_STYLE, layout=_WIDE, value=None)
        self.matches.add_class("vnkit-explorer-matches")
        self.endpoint = w.Combobox(value=endpoint, options=[t for _, t in self._all],
                                   ensure_option=False, description="Endpoint", style=_STYLE,
                                   layout=_WIDE)
        self.form = w.VBox()
        self.form.add_class("vnkit-explorer-form")
        self.extra = w.Textarea(description="More params", placeholder="name=value per line "
                                "(checked against the endpoint)", style=_STYLE,
                                layout=w.Layout(width="560px", height="48px"))
        self.unchecked = w.Textarea(description="Unchecked params",
                                    placeholder="name=value sent as is (a parameter newer "
                                    "than vnkit's copy of the API)", style=_STYLE,
                                    layout=w.Layout(width="560px", height="48px"))
        self.url = w.HTML()
        self.url.add_class("vnkit-request-url")
        self.run_button = w.Button(description="Get DataFrame", button_style="primary",
                                   icon="table")
        self.run_button.add_class("vnkit-run")
        self.run_button.on_click(lambda _: self._run_safely())
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Pages",
                                      style=_STYLE, layout=w.Layout(width="560px"))
        self.progress.add_class("vnkit-explorer-progress")
        self.code = w.Textarea(description="Python", style=_STYLE, disabled=False,
                               layout=w.Layout(width="560px", height="48px"))
        self.code.add_class("vnkit-explorer-code")
        self.status = StatusLine("")
        self.output = w.Output()
        self.output.add_class("vnkit-explorer-output")
        self.search.observe(lambda _: self._filter_endpoints(), names="value")
        self.matches.observe(self._picked, names="value")
        self.endpoint.observe(lambda _: self._build_form(), names="value")
        for field in (self.extra, self.unchecked):
            field.observe(lambda _: self._update_url(), names="value")
        self.children = [self.search, self.matches, self.endpoint, self.form, self.extra,
                         self.unchecked, self.url, self.run_button, self.progress,
                         self.status, self.code, self.output]
        self._build_form()
        client = follow(source, self.bind)
        if client is not None:
            self.bind(client)
        else:
            self._update_url()

    def bind(self, client: Client) -> None:
        """Use ``client`` from now on (called on each new sign-in)."""
        self._client = client
        self._update_url()

    # -- finding an endpoint -----------------------------------------------------------------
    def _filter_endpoints(self) -> None:
        words = self.search.value.lower().split()
        shown = [(label, t) for label, t in self._all
                 if all(word in label.lower() for word in words)]
        self.matches.options = shown
        self.endpoint.options = [t for _, t in shown]

    def _picked(self, change: dict) -> None:
        if change["new"]:
            self.endpoint.value = change["new"]

    def _build_form(self) -> None:
        """Inputs for the chosen endpoint's path and query parameters, from the surface."""
        from .._describe import find_operation
        from .._params import is_date_param, query_enum

        old = {name: box.value for name, box in self.params.items()}
        self.params, self.conditions, self.path_fields = {}, {}, {}
        self._operation = None
        try:
            op = find_operation(self.endpoint.value.strip(), "GET")
        except FilterError:
            self.form.children = []
            self._update_url()
            return
        self._operation = op
        rows: list[w.Widget] = []
        for name in op.path_params:
            box = w.Text(description=f"{name} (path)", placeholder="required", style=_STYLE,
                         layout=_WIDE)
            self.path_fields[name] = box
            rows.append(box)
        names = {p.name.lower() for p in op.query}
        for p in op.query:
            lowered = p.name.lower()
            if lowered in _PAGING or (lowered.endswith("condition") and
                                      lowered[:-len("condition")] in names):
                continue  # paging is vnkit's; a condition sits next to its date
            if is_date_param(p):
                box = w.Text(placeholder="2020-03-01 or 2020-03-01 12:00:00",
                             layout=w.Layout(width="240px"))
                if f"{lowered}condition" in names:
                    cond = w.Dropdown(options=CONDITIONS, value=">=",
                                      layout=w.Layout(width="70px"))
                    cond.observe(lambda _: self._update_url(), names="value")
                    self.conditions[p.name] = cond
                    row = w.HBox([w.Label(p.name, layout=w.Layout(width="174px")), cond, box])
                else:
                    row = w.HBox([w.Label(p.name, layout=w.Layout(width="174px")), box])
                row.add_class("vnkit-date-param")
            elif p.type == "boolean":
                box = w.Checkbox(value=False, description=p.name, indent=False,
                                 layout=w.Layout(width="auto"))
                row = w.HBox([w.Label("", layout=w.Layout(width="174px")), box])
            else:
                allowed = query_enum(op, p)
                if allowed:
                    box = w.Dropdown(options=[("(any)", ""), *[(a, a) for a in allowed]],
                                     value="", description=p.name, style=_STYLE,
                                     layout=w.Layout(width="360px"))
                else:
                    hint = {"integer": "a whole number", "number": "a number",
                            "array": "values separated by commas"}.get(p.type, "")
                    if lowered == "attributes":
                        hint = "COLOR=RED, SIZE=L or JSON"
                    box = w.Text(description=p.name, placeholder=hint, style=_STYLE,
                                 layout=_WIDE)
                row = box
            # A value typed for the endpoint before stays when the new one has the
            # parameter too (and its input takes the value: a drop-down may not).
            if p.name in old and isinstance(old[p.name], type(box.value)) and (
                    not isinstance(box, w.Dropdown) or old[p.name] in
                    [v for _, v in box.options]):
                box.value = old[p.name]
            self.params[p.name] = box
            rows.append(row)
        for box in [*self.params.values(), *self.path_fields.values()]:
            box.observe(lambda _: self._update_url(), names="value")
        self.form.children = rows
        self._update_url()

    @property
    def status_filter(self) -> w.Widget:
        """The ``status`` input (kept for notebooks written before the typed form)."""
        box = self.params.get("status")
        if box is None:
            raise ConfigurationError(f"{self.endpoint.value!r} has no status parameter")
        return box

    # -- the request ----------------------------------------------------------------------
    def filters(self) -> dict[str, Any]:
        """The form as ``Client.fetch`` keyword arguments (path parameters included).

        Raises
        ------
        FilterError
            A field that cannot be understood (named in the message).
        """
        filters: dict[str, Any] = {}
        for name, box in self.path_fields.items():
            if not box.value.strip():
                raise FilterError(name, "the path parameter is empty",
                                  hint=f"fill in {name} (e.g. a customer number)")
            filters[name] = box.value.strip()
        for name, box in self.params.items():
            value = box.value
            if isinstance(box, w.Checkbox):
                if value:
                    filters[name] = True
                continue
            value = value.strip()
            if not value:
                continue
            if name in self.conditions:
                filters[name] = (self.conditions[name].value, value)
            elif name.lower() == "attributes":
                filters[name] = parse_attributes(value)
            else:
                filters[name] = value
        for name, value in _pairs(self.extra.value, "More params"):
            if any(name.lower() == k.lower() for k in filters):
                raise FilterError(name, "is given twice (in a field and in More params)")
            filters[name] = value
        return filters

    def unchecked_params(self) -> dict[str, str]:
        """The *Unchecked params* field: sent as written, without checks."""
        return dict(_pairs(self.unchecked.value, "Unchecked params"))

    def _template(self) -> str:
        return self.endpoint.value.strip()

    def _listing(self) -> bool:
        """Whether the chosen endpoint answers a list (fetched page by page)."""
        op = self._operation
        return op is None or op.is_list or op.paginated

    def request_url(self) -> str:
        """The URL of the request the form describes (page 1 without paging parameters).

        Raises
        ------
        ConfigurationError, FilterError
            No client yet, or a filter the API would refuse.
        """
        if self._client is None:
            raise ConfigurationError("no client yet", hint="sign in first")
        url, query = self._client._checked_call(
            self._template(), "v1", self.filters(), self.unchecked_params() or None,
            listing=self._listing(), strict=self._listing())
        query = {k: v for k, v in query.items() if k.lower() != "pagesize"}
        prepared = requests.Request("GET", url, params=query).prepare()
        assert prepared.url is not None  # prepare() always builds the URL it was given
        return prepared.url

    def python_call(self) -> str:
        """The ``client.fetch(...)`` call that gives the same DataFrame, as text."""
        args = [repr(self._template())]
        args += [f"{name}={value!r}" for name, value in self.filters().items()]
        unchecked = self.unchecked_params()
        if unchecked:
            args.append(f"unchecked={unchecked!r}")
        call = "fetch" if self._listing() else "get"
        return f"client.{call}({', '.join(args)})"

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
        endpoint = self._template()
        filters = self.filters()
        unchecked = self.unchecked_params() or None
        self.request_url()  # every check, before the status says anything is under way
        self.status.show(f"Fetching {endpoint} ...")
        self.progress.value, self.progress.max = 0, 1
        self.progress.bar_style = ""

        def arrived(page: Any, pager: Any) -> None:
            size = pager.page_size or len(page.records) or 1
            if pager.total_count is not None:
                self.progress.max = max(1, math.ceil(pager.total_count / size), page.number)
            else:
                self.progress.max = max(self.progress.max, page.number)
            self.progress.value = min(self.progress.max, self.progress.value + 1)

        if self._listing():
            frame = self._client.fetch(endpoint, progress=False, unchecked=unchecked,
                                       on_page=arrived, **filters)
        else:  # one record (or one object): a one-row frame
            from .._frames import to_frame

            body = self._client.get(endpoint, unchecked=unchecked, **filters)
            frame = to_frame(body if isinstance(body, list) else [body])
            self.progress.value = 1
        self.progress.max = max(1, self.progress.value)
        self.progress.value = self.progress.max
        self.progress.bar_style = "success"
        self.frame = frame
        self.code.value = self.python_call()
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
            self.progress.bar_style = "danger"
            self.status.show(describe_error(exc), "error")

    def _update_url(self) -> None:
        try:
            url = self.request_url()
            self.code.value = self.python_call()
        except Exception as exc:  # noqa: BLE001 - an unfinished form is normal while typing
            text = html.escape(describe_error(exc)).replace("\n", "<br>")
            self.url.value = f"<div>Request URL: <i>{text}</i></div>"
            return
        self.url.value = (f"<div>Request URL: <code>GET {html.escape(url)}</code> "
                          "<small>(vnkit adds pageNumber and pageSize)</small></div>")

    def _describe(self) -> str:
        return f"endpoint={self.endpoint.value!r}"
