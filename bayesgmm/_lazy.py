"""Modules imported on first use, to keep ``import bayesgmm`` fast.

xarray (and pandas under it) took 0.4 of the 1.0 s that ``import bayesgmm``
cost; a fit never needs it, only results as Datasets, sweeps and files do.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING


class LazyModule:
    """Stands for a module and imports it when one of its attributes is first read."""

    def __init__(self, name: str):
        self._name = name

    def _load(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attribute: str):
        return getattr(self._load(), attribute)

    def __repr__(self) -> str:
        return f"<lazily imported module {self._name!r}>"


if TYPE_CHECKING:  # type checkers see the real module
    import xarray as xr
else:
    xr = LazyModule("xarray")
