"""Choosing among fits: sweeps over K x covariance x engine, criteria tables, pruning paths.

``bayesgmm.select`` (the function) is :func:`~bayesgmm.model_selection.select.select`;
this package also holds :func:`best`, :func:`best_model`, :func:`sweep_table`,
:func:`~bayesgmm.model_selection.pruning.prune_path` and
:func:`~bayesgmm.model_selection.combine.combine_fits` (side by side, components aligned) and
:func:`~bayesgmm.model_selection.relabel.permute_components`; :func:`mclust_bic`,
:func:`top_models` and :func:`format_mclust_bic` show a sweep in R mclust's layout.
"""

from ..diagnostics.criteria import criteria_table
from .combine import combine_fits
from .mclust_summary import format_mclust_bic, mclust_bic, top_models
from .relabel import permute_components
from .select import best, best_model, select, sweep_model, sweep_table

__all__ = [
    "best",
    "best_model",
    "combine_fits",
    "criteria_table",
    "format_mclust_bic",
    "mclust_bic",
    "permute_components",
    "select",
    "sweep_model",
    "sweep_table",
    "top_models",
]
