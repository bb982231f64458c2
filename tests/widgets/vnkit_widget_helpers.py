"""Helpers of the widget tests (a uniquely named module: every test folder has a conftest)."""

from __future__ import annotations


def all_widget_values(widget) -> list[str]:
    """Every string in the synced state of ``widget`` and its descendants.

    This is what travels to the browser (and may be saved with a notebook).
    """
    import ipywidgets
    from ipywidgets.widgets.widget import _instances

    seen, out, stack = set(), [], [widget]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        for value in item.get_state().values():
            values = value if isinstance(value, list | tuple) else [value]
            for v in values:
                if isinstance(v, ipywidgets.Widget):
                    stack.append(v)
                elif isinstance(v, str) and v.startswith("IPY_MODEL_"):
                    stack.append(_instances[v[len("IPY_MODEL_"):]])
                else:
                    out.append(str(v))
    return out
