"""Jupyter widgets for vnkit (ipywidgets 8): sign in, pick a company, explore, watch the budget.

>>> from vnkit.widgets import LoginWidget, CompanyPicker, Explorer, RateBudget
>>> login = LoginWidget(sandbox)          # doctest: +SKIP
>>> CompanyPicker(login)                  # follows each sign-in   # doctest: +SKIP
>>> Explorer(login)                       # "Try it out" into a DataFrame  # doctest: +SKIP
>>> RateBudget(login)                     # calls left this hour  # doctest: +SKIP

This is the only part of vnkit that imports ipywidgets; ``import vnkit`` does not load it.
"""

from ._budget import Budget, RateBudget
from ._explorer import Explorer
from ._login import LoginWidget
from ._picker import CompanyPicker

__all__ = ["LoginWidget", "CompanyPicker", "Explorer", "RateBudget", "Budget"]
