"""What the posterior diagnostics share: draw counts, names in the DataTree and checks of the data."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.validation import as_feature_matrix, check_features

if TYPE_CHECKING:  # annotations only: the diagnostics sit below the fitting layer
    from ..fitting.result import FitResult

DEFAULT_DRAWS = 1000
"""Posterior draws when none are asked for: PSIS's Pareto k threshold is
``min(1 - 1 / log10(S), 0.7)`` for S draws, 0.67 at 1000 (0.57 at 200), and the
log-likelihood array costs ``8 S N`` bytes (2 MB for Old Faithful)."""

MIN_LOO_DRAWS = 25
"""ArviZ's PSIS fits a generalised Pareto to the largest ``floor(S / 5)``
importance ratios (``3 sqrt(S)`` beyond 225 draws) and needs at least 5 of them."""

OBSERVATION_DIM = "obs_id"
# ArviZ reserves "sample" for stacked (chain, draw) pairs (az.extract), so the rows of
# the data get ArviZ's usual observation dim instead of bayesgmm's "sample"
OBSERVED_NAME = "x"

_INDEPENDENT_NOTE = (
    "one chain of independent draws, not MCMC: effective sample size and R-hat do not apply"
)
_CHAINS_NOTE = (
    "Markov chains of a sampler, relabelled (see label_switching): R-hat, effective sample "
    "size and trace plots apply"
)


# ------------------------------------------------------------------ checks
def _check_data(result: FitResult, data: np.ndarray, names, owner: str = "the model") -> None:
    check_features(data, names, result.n_features, result.feature_names, owner)
    if data.shape[0] != result.n_samples:
        raise ValueError(
            f"X has {data.shape[0]} rows, but {owner} was fitted on {result.n_samples}: posterior "
            "draws and leave-one-out need the data the model was fitted to"
        )


def _fitting_data(result: FitResult, X) -> np.ndarray:
    data, names = as_feature_matrix(X)
    _check_data(result, data, names)
    return data


def _is_weighted(result: FitResult) -> bool:
    return not np.isclose(result.total_weight, result.n_samples, rtol=1e-12, atol=0)


def _refuse_weighted(result: FitResult) -> None:
    if _is_weighted(result):
        raise ValueError(
            f"the model was fitted with sample weights (total weight {result.total_weight:g} for "
            f"{result.n_samples} rows). PSIS-LOO leaves out one row at a time and treats every "
            "row as one observation, which a weighted posterior does not; for integer "
            "(frequency) weights refit on np.repeat(X, weights, axis=0), or compare by BIC/AIC/ICL"
        )


def _check_same_features(results: Mapping[str, FitResult]) -> None:
    labels = list(results)
    first = results[labels[0]]
    for label in labels[1:]:
        other = results[label]
        if other.n_features != first.n_features:
            raise ValueError(
                f"model {label!r} was fitted on {other.n_features} features, model "
                f"{labels[0]!r} on {first.n_features}; compare models fitted to the same data"
            )
        if (
            first.feature_names is not None
            and other.feature_names is not None
            and list(first.feature_names) != list(other.feature_names)
        ):
            raise ValueError(
                f"model {label!r} was fitted on features {list(other.feature_names)}, model "
                f"{labels[0]!r} on {list(first.feature_names)}; compare models fitted to the same data"
            )


def _check_draws(draws: Any, minimum: int) -> int:
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral):
        raise TypeError(f"draws must be an integer, got {draws!r}")
    if draws < minimum:
        if minimum == MIN_LOO_DRAWS:
            raise ValueError(
                f"draws={draws} is too few for PSIS-LOO: ArviZ fits a Pareto tail to the largest "
                f"fifth of the importance ratios and needs 5 of them, i.e. at least "
                f"{MIN_LOO_DRAWS} draws. Use the default {DEFAULT_DRAWS} (or more for a stabler "
                "Pareto k)"
            )
        raise ValueError(f"draws must be at least {minimum}, got {draws}")
    return int(draws)


def _feature_coordinate(result: FitResult) -> np.ndarray:
    if result.feature_names is not None:
        return np.asarray([str(name) for name in result.feature_names])
    return np.arange(result.n_features)
