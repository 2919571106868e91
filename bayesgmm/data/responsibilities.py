"""A start given by the user: labels or responsibilities of every row (``responsibilities_init``).

R's mclust starts EM from a matrix ``z`` of responsibilities (``me(data, modelName, z)``);
:class:`bayesgmm.GaussianMixture` takes the same start as ``responsibilities_init``:

* integer labels of shape ``(n_samples,)`` in ``0..n_components-1`` (a hard
  partition; whole numbers stored as floats are accepted), or
* an ``(n_samples, n_components)`` array of non-negative rows summing to 1.

The start's statistics are those of the given assignment, with the sample
weights (:meth:`bayesgmm.data.sources.DataSource.given_statistics`); the
engine's M-step turns them into the first parameters, as it does for
``init_params``' guesses.  A component no row is assigned to starts empty and
is re-seeded as any empty component is.

Checked in two steps, like scikit-learn's ``weights_init``: the values when the
spec is built (:func:`check_responsibilities`), the number of rows against the
data at fit time (:func:`check_responsibilities_rows`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

ROW_SUM_TOLERANCE = 1e-6
"""How far a row of responsibilities may sum from 1 (``weights_init``'s tolerance)."""

_WHAT = (
    "give integer labels of shape (n_samples,) in 0..n_components-1, or an "
    "(n_samples, n_components) array of non-negative rows summing to 1"
)


def _rows(mask: np.ndarray) -> str:
    bad = np.flatnonzero(mask)
    return f"{bad.size} row{'s' if bad.size > 1 else ''} (first: {bad[0]})"


def check_responsibilities(value: Any, n_components: int, start_given: bool = False):
    """``responsibilities_init`` validated: int64 labels (N,), float64 (N, K), or None.

    A private read-only copy: the caller's array is never kept.  ``start_given``
    says whether weights, means and precisions are all given too (then the
    start would be fixed twice).
    """
    if value is None:
        return None
    if start_given:
        raise ValueError(
            "responsibilities_init and weights_init, means_init, precisions_init each fix the "
            "whole start; give responsibilities_init or the three parameter arrays, not both"
        )
    try:
        array = np.array(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"responsibilities_init must be an array: {exc}") from None
    if array.dtype == bool or array.dtype.kind not in "iuf":
        raise TypeError(f"responsibilities_init has dtype {array.dtype}; {_WHAT}")
    K = n_components
    if array.ndim == 1:
        array = _labels(array, K)
    elif array.ndim == 2:
        array = _probabilities(array.astype(np.float64), K)
    else:
        raise ValueError(f"responsibilities_init has {array.ndim} dimensions; {_WHAT}")
    if array.shape[0] == 0:
        raise ValueError(f"responsibilities_init is empty; {_WHAT}")
    array.setflags(write=False)
    return array


def _labels(array: np.ndarray, K: int) -> np.ndarray:
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            raise ValueError(
                f"responsibilities_init holds NaN or infinite labels in {_rows(~finite)}; "
                "give every row a label"
            )
        whole = array == np.round(array)
        if not whole.all():
            raise ValueError(
                f"responsibilities_init is 1-D, so it holds labels, but {_rows(~whole)} hold "
                f"fractions ({array[~whole][0]!r}); {_WHAT}"
            )
    labels = array.astype(np.int64)
    outside = (labels < 0) | (labels >= K)
    if outside.any():
        raise ValueError(
            f"responsibilities_init holds labels from {labels.min()} to {labels.max()}, but "
            f"with n_components={K} they must lie in 0..{K - 1}: {_rows(outside)}"
        )
    return labels


def _probabilities(array: np.ndarray, K: int) -> np.ndarray:
    if array.shape[1] != K:
        raise ValueError(
            f"responsibilities_init has shape {array.shape}; with n_components={K} it needs "
            f"{K} columns, one per component: {_WHAT}"
        )
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        raise ValueError(
            f"responsibilities_init contains NaN or infinite values in {_rows(~finite)}; "
            "give finite probabilities"
        )
    negative = (array < 0).any(axis=1)
    if negative.any():
        raise ValueError(
            f"responsibilities_init has negative entries in {_rows(negative)}; "
            "responsibilities are probabilities"
        )
    sums = array.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if off.any():
        first = np.flatnonzero(off)[0]
        raise ValueError(
            f"rows of responsibilities_init must sum to 1, but {off.sum()} do not (first: row "
            f"{first} sums to {sums[first]:.8g}); divide each row by its sum"
        )
    return array


def check_responsibilities_rows(responsibilities: np.ndarray | None, n_samples: int | None) -> None:
    """A given start must have one row (or label) per sample of the data being fitted."""
    if responsibilities is None or n_samples is None:
        return
    if responsibilities.shape[0] != n_samples:
        raise ValueError(
            f"responsibilities_init has {responsibilities.shape[0]} rows but X has "
            f"{n_samples} samples; give one label or row of responsibilities per sample"
        )
