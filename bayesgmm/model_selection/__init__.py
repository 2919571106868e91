"""Choosing among fits: sweeps over K x covariance x engine, criteria tables, pruning paths.

``bayesgmm.select`` (the function) is :func:`~bayesgmm.model_selection.select.select`;
this package also holds :func:`best`, :func:`best_model`, :func:`sweep_table`,
:func:`~bayesgmm.model_selection.pruning.prune_path` and
:func:`~bayesgmm.model_selection.combine.combine_fits`.
"""

from ..diagnostics.criteria import criteria_table
from .combine import combine_fits
from .select import best, best_model, select, sweep_model, sweep_table

__all__ = [
    "best",
    "best_model",
    "combine_fits",
    "criteria_table",
    "select",
    "sweep_model",
    "sweep_table",
]
