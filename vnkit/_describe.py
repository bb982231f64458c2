"""``vnkit.endpoints()`` and ``vnkit.describe(endpoint)``: the API's surface as DataFrames.

Both read only the bundled surface, so they work offline and before signing in:

>>> vnkit.endpoints("invoice")                      # doctest: +SKIP
>>> vnkit.describe("customer")                      # doctest: +SKIP
>>> vnkit.describe("customer").query("part == 'query'")   # doctest: +SKIP

A description has one row per path parameter, query parameter, field of what the
endpoint returns and field of what the resource takes (its update DTO, in the shape
``vnkit.payload`` builds: ``wrapped`` says which are sent as ``{"value": ...}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._exceptions import FilterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["describe", "endpoints", "find_operation"]

_METHODS = ("GET", "POST", "PUT", "DELETE")
_DEPTH = 3  # nested DTOs shown (dotted names) below the top level


def _surface():
    from ._surface import surface

    return surface()


def _short(template: str) -> str:
    return template.split("/", 2)[2]


def _returns(op) -> str:
    dto = op.record_dto
    if not op.response:
        return ""
    if op.is_list:
        return f"list of {dto}" if dto else "list"
    return dto or str(op.response.get("type") or "")


def endpoints(search: str | None = None, *, method: str | None = None) -> pd.DataFrame:
    """Every operation of the API, one row each, to read and filter in a notebook.

    Parameters
    ----------
    search : str, optional
        Keep rows whose endpoint or area contains this text (any case).
    method : str, optional
        Keep one method (``"GET"`` for everything ``fetch`` and ``get`` can read).

    Returns
    -------
    pandas.DataFrame
        ``method``, ``endpoint`` (below the version root, as ``fetch`` takes it),
        ``version``, ``area``, ``list`` (answers records), ``paged`` (takes
        ``pageNumber``/``pageSize``), ``returns``, ``takes`` (body DTO), ``path``.
    """
    import pandas as pd

    rows = []
    for op in _surface().operations:
        rows.append({"method": op.method, "endpoint": _short(op.path),
                     "version": op.version, "area": op.group,
                     "list": op.method == "GET" and op.is_list, "paged": op.paginated,
                     "returns": _returns(op), "takes": op.body or "", "path": op.path})
    frame = pd.DataFrame(rows)
    if method is not None:
        frame = frame[frame["method"] == str(method).upper()]
    if search:
        text = str(search).lower()
        keep = frame["endpoint"].str.lower().str.contains(text, regex=False) | \
            frame["area"].str.lower().str.contains(text, regex=False)
        frame = frame[keep]
    return frame.reset_index(drop=True)


def find_operation(endpoint: Any, method: str | None = None, version: str = "v1"):
    """The operation ``endpoint`` names: a template (``customer/{customerCd}``), a
    concrete path (``customer/10001``) or a name; any method unless given.

    Raises
    ------
    FilterError
        No such endpoint (with the closest names).
    """
    if not isinstance(endpoint, str) or not endpoint.strip("/ "):
        raise FilterError("endpoint", f"{endpoint!r} is not an endpoint",
                          hint="e.g. vnkit.describe('customer'); vnkit.endpoints() lists "
                               "them all")
    clean = endpoint.strip().strip("/")
    head, _, rest = clean.partition("/")
    if head.lower() in ("v1", "v2") and rest:
        version, clean = head.lower(), rest.strip("/")
    surface = _surface()
    methods = (str(method).upper(),) if method else _METHODS
    versions = (version, "v2" if version == "v1" else "v1")
    for v in versions:
        for m in methods:
            op = surface.find(m, f"/{v}/{clean}") if "{" in clean else None
            if op is None:
                hit = surface.match(m, f"/{v}/{clean}")
                op = hit[0] if hit else None
            if op is not None:
                return op
    from ._params import _explain_unknown

    _explain_unknown(methods[0], clean, version, clean.split("/"))
    raise AssertionError("unreachable")  # pragma: no cover - _explain_unknown raises


def _field_type(field) -> str:
    if field.dto:
        return f"object {field.dto}"
    if field.enum:
        return f"enum {field.enum}"
    if field.type == "array" or field.items_dto or field.items_type:
        return f"array of {field.items_dto or field.items_type or 'any'}"
    return field.type or "any"


def _field_rows(part: str, dto: str | None, with_wrapped: bool) -> list[dict]:
    if not dto:
        return []
    surface = _surface()
    rows = []
    for dotted, field in surface.walk(dto, depth=_DEPTH):
        allowed = surface.enums.get(field.enum, ()) if field.enum else ()
        rows.append({"part": part, "name": dotted, "type": _field_type(field),
                     "allowed": ", ".join(allowed),
                     "wrapped": field.wrapped if with_wrapped else None})
    return rows


def describe(endpoint: str, method: str | None = None, *, version: str = "v1"
             ) -> pd.DataFrame:
    """What one endpoint takes and returns, from the API's surface (no request).

    Parameters
    ----------
    endpoint : str
        ``"customer"``, ``"customer/{customerCd}"``, ``"customer/10001/invoice"``,
        ``"v2/salesorder"`` ...
    method : str, optional
        Default: GET if the endpoint has one, else the first method it has.
    version : {"v1", "v2"}
        Used when ``endpoint`` does not say (the other version is tried next).

    Returns
    -------
    pandas.DataFrame
        One row per ``part``: ``path`` (path parameters), ``query`` (query
        parameters; ``allowed`` lists an enum's values), ``returns`` (fields of the
        answer, nested ones dotted) and ``takes`` (fields of the body the resource is
        written with, and whether each is ``wrapped`` as ``{"value": ...}``). The index
        is named after the operation; ``frame.attrs`` holds ``method``, ``path``,
        ``area``, ``paged``, ``returns`` and ``takes``.

    Raises
    ------
    FilterError
        An endpoint the API does not have (with the closest names).
    """
    import pandas as pd

    from ._params import is_date_param, query_enum
    from ._payload import write_dto

    op = find_operation(endpoint, method, version)
    rows: list[dict] = []
    for name in op.path_params:
        rows.append({"part": "path", "name": name, "type": "string", "allowed": "",
                     "wrapped": None})
    for p in op.query:
        kind = "date" if is_date_param(p) else p.type
        if p.name.lower().endswith("condition") and p.type == "string":
            kind = "operator"
            allowed: tuple[str, ...] = (">", "<", ">=", "<=")
        else:
            allowed = query_enum(op, p) or ()
        rows.append({"part": "query", "name": p.name, "type": kind,
                     "allowed": ", ".join(allowed), "wrapped": None})
    rows += _field_rows("returns", op.record_dto, False)
    takes = op.body if op.body in _surface().dtos else None
    if takes is None and op.method == "GET":
        takes = write_dto(op.path)
    rows += _field_rows("takes", takes, True)
    frame = pd.DataFrame(rows, columns=["part", "name", "type", "allowed", "wrapped"])
    frame.index.name = f"{op.method} {op.path}"
    frame.attrs.update({"method": op.method, "path": op.path, "area": op.group,
                        "paged": op.paginated, "returns": _returns(op),
                        "takes": takes or ""})
    return frame
