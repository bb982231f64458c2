"""The ``%vn`` and ``%%vn`` IPython magics: a fetch in one line, with the same checks.

::

    %load_ext vnkit
    %vn customer status=Active
    %vn -o active customer status=Active lastModifiedDateTime>=2020-03-01
    %vn customer/{customerCd}/contact customerCd=10001
    %vn -d customer                      # describe the endpoint instead
    %vn -q -o active customer status=Active   # assign only, show nothing

    %%vn -o invoices customerinvoice
    status=Open
    documentDate >= 2024-01-01
    attributes = COLOR=RED

Each ``name=value`` is a query parameter (or a ``{name}`` of the path);
``name>=value`` (also ``>``, ``<=``, ``<``) is a date filter with its condition.
Parameters are checked against the API's surface before any request, as in
``client.fetch``. The client is the one ``vnkit.connect`` or a login widget signed in
last, or ``-c name`` for a client in the notebook's namespace. IPython is imported only
when the extension is loaded.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from ._exceptions import ConfigurationError, FilterError, VnkitError

__all__ = ["load_ipython_extension", "parse_vn", "run_vn"]

_PARAM = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(>=|<=|=|>|<)\s*(.*?)\s*$", re.DOTALL)
_USAGE = ("usage: %vn [-o NAME] [-q] [-c CLIENT] [-d] ENDPOINT [name=value | name>=date ...]; "
          "in a %%vn cell, one name=value per line")


def _parameter(text: str) -> tuple[str, Any]:
    m = _PARAM.match(text)
    if m is None:
        raise FilterError("%vn", f"{text!r} is not name=value",
                          hint="write name=value (or name>=2020-01-01 for a date); "
                               "quote values with spaces: name='two words'")
    name, op, value = m.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return name, value if op == "=" else (op, value)


def parse_vn(line: str, cell: str | None = None) -> dict[str, Any]:
    """The parts of a ``%vn`` line (and ``%%vn`` cell).

    Returns
    -------
    dict
        ``endpoint``, ``params`` (in order), ``output`` (``-o``), ``client`` (``-c``),
        ``describe`` (``-d``), ``quiet`` (``-q``: with ``-o``, assign without showing).

    Raises
    ------
    FilterError
        No endpoint, an option without its value, or an item that is not name=value.
    """
    try:
        tokens = shlex.split(line or "", posix=True)
    except ValueError as exc:
        raise FilterError("%vn", f"cannot read the line ({exc})", hint=_USAGE) from None
    out: dict[str, Any] = {"endpoint": None, "params": {}, "output": None, "client": None,
                           "describe": False, "quiet": False}
    items: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("-o", "--output", "-c", "--client"):
            if i + 1 >= len(tokens) or not tokens[i + 1].isidentifier():
                raise FilterError("%vn", f"{token} needs a Python name after it",
                                  hint=_USAGE)
            out["output" if token in ("-o", "--output") else "client"] = tokens[i + 1]
            i += 2
            continue
        if token in ("-d", "--describe"):
            out["describe"] = True
        elif token in ("-q", "--quiet"):
            out["quiet"] = True
        elif out["endpoint"] is None and _PARAM.match(token) is None:
            out["endpoint"] = token
        else:
            items.append(token)
        i += 1
    for raw in (cell or "").splitlines():
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if out["endpoint"] is None and _PARAM.match(text) is None:
            out["endpoint"] = text
            continue
        items.append(text)
    if not out["endpoint"]:
        raise FilterError("%vn", "no endpoint given", hint=_USAGE)
    for item in items:
        name, value = _parameter(item)
        if name in out["params"]:
            raise FilterError(name, "is given twice")
        out["params"][name] = value
    return out


def run_vn(line: str, cell: str | None = None, namespace: dict | None = None) -> Any:
    """Run a ``%vn`` line or ``%%vn`` cell; returns the DataFrame (or a description).

    Raises
    ------
    FilterError, ConfigurationError, ApiError ...
        As ``client.fetch`` would, before any request for bad parameters.
    """
    from ._client import latest_client

    parts = parse_vn(line, cell)
    namespace = namespace if namespace is not None else {}
    if parts["describe"]:
        from ._describe import describe

        result = describe(parts["endpoint"])
    else:
        if parts["client"]:
            client = namespace.get(parts["client"])
            if client is None or not hasattr(client, "fetch"):
                raise ConfigurationError(f"{parts['client']!r} is not a vnkit client here",
                                         hint="pass -c with the name of a client variable")
        else:
            client = latest_client()
            if client is None:
                raise ConfigurationError(
                    "no client yet for %vn",
                    hint="sign in first: client = vnkit.connect(sandbox), or the login "
                         "widget; or pass -c NAME for a client in a variable")
        from ._describe import find_operation

        params = parts["params"]
        try:
            op = find_operation(parts["endpoint"], "GET")
            listing = op.is_list or op.paginated
        except FilterError:
            listing = True  # fetch names the problem, with the closest endpoints
        if listing:
            result = client.fetch(parts["endpoint"], **params)
        else:
            from ._frames import to_frame

            body = client.get(parts["endpoint"], **params)
            result = to_frame(body if isinstance(body, list) else [body])
    if parts["output"]:
        namespace[parts["output"]] = result
        if parts["quiet"]:
            return None
    return result


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%vn`` / ``%%vn`` (called by ``%load_ext vnkit``)."""
    from IPython.core.error import UsageError

    def vn(line: str, cell: str | None = None) -> Any:
        try:
            return run_vn(line, cell, ipython.user_ns)
        except VnkitError as exc:
            # Shown as one readable message (with its HINT), not a traceback.
            raise UsageError(f"{type(exc).__name__}: {exc}") from None

    vn.__doc__ = __doc__
    ipython.register_magic_function(vn, magic_kind="line_cell", magic_name="vn")
