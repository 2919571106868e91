"""The data's moments: one pass about a centre, shared by every data source.

MAP and VB take their default priors from the data's mean and covariance, and
the scale checks (:mod:`bayesgmm.data.checks`) need each feature's variance.
Both are a one-component E-step about a centre, shifted exactly to the mean
(:meth:`~bayesgmm.stats.SuffStats.shifted_scatter`): :func:`moments_terms`
gives that component and :func:`moments_from_statistics` reads the moments off
its statistics, whatever computed them (a NumPy array's pass here, a Dask
array's chunk by chunk in :mod:`bayesgmm.data.distributed`).  A data source
computes its moments at most once (:meth:`bayesgmm.data.sources.DataSource.moments`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.forms import FULL, KernelForm
from ..stats import GaussianTerms, SuffStats, accumulate


@dataclass(frozen=True)
class DataMoments:
    """Weighted mean and covariance of the data, for data-dependent prior defaults."""

    mean: np.ndarray
    covariance: np.ndarray  # (D, D), normalised by n - 1 as numpy's cov
    total_weight: float


def moments_terms(center: np.ndarray, kernel: KernelForm = FULL) -> GaussianTerms:
    """One component at ``center`` with an identity precision factor: its E-step
    statistics are the data's moments about ``center``."""
    D = center.shape[0]
    factor = np.ones((1, D)) if kernel.is_diagonal else np.eye(D)[None]
    return GaussianTerms(center[None], factor, np.zeros(1), kernel)


def moments_from_statistics(center: np.ndarray, stats: SuffStats) -> DataMoments:
    """Mean and covariance from the statistics of :func:`moments_terms` ``(center)``."""
    shift = stats.sx / stats.nk[:, None]
    scatter = stats.shifted_scatter(shift)[0]
    dof = max(stats.total_weight - 1.0, 1.0)
    return DataMoments(center + shift[0], scatter / dof, stats.total_weight)


# rows per block of feature_variances: 65536 x D float64 scratch at most
VARIANCE_BLOCK_ROWS = 65536


def weighted_mean(X: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """The (weighted) column means in float64: the centre the moment passes start from."""
    if sample_weight is None:
        return X.mean(axis=0, dtype=np.float64)
    return (sample_weight @ X) / sample_weight.sum()


def data_moments(X: np.ndarray, sample_weight: np.ndarray | None = None) -> DataMoments:
    """Mean and covariance in one kernel pass: a one-component E-step about the mean."""
    mean = weighted_mean(X, sample_weight)
    # in float64 even for float32 data: a one-off pass, and the data's own scale
    # (which the identity factor does not carry) may be outside float32's comfort
    stats = accumulate(X, moments_terms(mean), sample_weight, allow_float32=False)
    return moments_from_statistics(mean, stats)


def feature_variances(X: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Weighted per-feature variances (divided by the total weight), block by block in NumPy.

    Every fit runs this check, so it uses no Numba kernel of its own: as a one-component
    ``diag`` E-step it made a full-covariance fit compile the diag statistics kernel too,
    19 s of the 65 s a cold ``bayesgmm demo`` took (measured, machine loaded). Blocks of
    :data:`VARIANCE_BLOCK_ROWS` rows bound the float64 scratch; deviations are taken about
    the float64 mean, so data far from the origin keep their spread.
    """
    mean = weighted_mean(X, sample_weight)
    squares = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], VARIANCE_BLOCK_ROWS):
        rows = slice(start, start + VARIANCE_BLOCK_ROWS)
        deviation = X[rows].astype(np.float64) - mean
        if sample_weight is None:
            squares += np.einsum("nd,nd->d", deviation, deviation)
        else:
            squares += np.einsum("n,nd,nd->d", sample_weight[rows], deviation, deviation)
    total = X.shape[0] if sample_weight is None else sample_weight.sum()
    return squares / total
