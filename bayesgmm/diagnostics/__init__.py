"""Posterior draws as ArviZ DataTrees, PSIS-LOO and the comparison of fits."""

from .posterior import (
    COMPARE_CRITERIA,
    DEFAULT_DRAWS,
    MIN_LOO_DRAWS,
    ConjugatePosterior,
    PosteriorDraws,
    compare,
    compare_frame,
    loo,
    map_posterior,
    pointwise_log_likelihood,
    posterior_draws,
    to_arviz,
)

__all__ = [
    "COMPARE_CRITERIA",
    "DEFAULT_DRAWS",
    "MIN_LOO_DRAWS",
    "ConjugatePosterior",
    "PosteriorDraws",
    "compare",
    "compare_frame",
    "loo",
    "map_posterior",
    "pointwise_log_likelihood",
    "posterior_draws",
    "to_arviz",
]
