"""In-memory rows with missing values (NaN), for ``missing="marginalize"``.

:class:`IncompleteData` is an :class:`~bayesgmm.data.sources.InMemoryData`
whose statistics pass marginalises each row's missing coordinates
(:func:`accumulate_incomplete`): the complete rows go through the
E-step kernel unchanged, each missingness pattern through the vectorised
algebra of :mod:`bayesgmm.kernels.missing`.  The statistics stay additive, so
every engine and family, mini-batch EM and ``partial_fit`` use them unchanged.

What cannot use the NaN themselves sees the rows *filled with each feature's
observed (weighted) mean*: the initialisation (k-means, hc, random starts),
the checks of the features' spread, and the data moments from which MAP and VB
take their prior defaults (their covariance rescaled so that each feature's
variance is its observed variance, which mean filling would shrink).  The
fit's statistics never see the filled values.
"""

from __future__ import annotations

import numpy as np

from ..densities import has_nan
from ..kernels.missing import MissingPatterns, incomplete_statistics, missing_patterns
from ..stats import GaussianTerms, SuffStats, accumulate
from .moments import DataMoments, data_moments
from .scores import RowScores, log_densities
from .sources import InMemoryData


class IncompleteData(InMemoryData):
    """Rows with missing values (NaN), held in memory; see the module docstring.

    Parameters
    ----------
    X : (n_samples, n_features) float32 or float64 array; NaN marks a missing value.
        Every feature must be observed in at least one row of positive weight.
    sample_weight : (n_samples,) float64 array of non-negative weights, or None
    reuse_starts : bool, default False
        As :class:`~bayesgmm.data.sources.InMemoryData`'s.
    """

    def __init__(
        self, X: np.ndarray, sample_weight: np.ndarray | None = None, *, reuse_starts: bool = False
    ):
        self.patterns = missing_patterns(X)
        observed_means = _observed_means(X, sample_weight)
        super().__init__(
            np.where(np.isnan(X), observed_means.astype(X.dtype), X),
            sample_weight,
            reuse_starts=reuse_starts,
        )
        self.X_incomplete = X
        self._complete_rows = np.ascontiguousarray(X[self.patterns.complete])

    @property
    def given_rows(self) -> np.ndarray:
        """The rows with their NaN (``X`` holds them mean-filled, for the starts)."""
        return self.X_incomplete

    @property
    def n_incomplete(self) -> int:
        """Rows holding at least one NaN."""
        return self.patterns.n_incomplete

    def accumulate(self, terms: GaussianTerms) -> SuffStats:
        return accumulate_incomplete(
            self.X_incomplete, terms, self.sample_weight, self.patterns, self._complete_rows
        )

    def row_scores(self, terms: GaussianTerms) -> RowScores:
        return RowScores(log_densities(self.X_incomplete, terms), self.sample_weight, False)

    def _compute_moments(self) -> DataMoments:
        filled = data_moments(self.X, self.sample_weight)
        # mean filling shrinks each feature's variance by its missing share: rescale
        # the covariance (a congruence, so it stays positive semi-definite) to the
        # variances of the observed values
        observed = _observed_variances(self.X_incomplete, self.sample_weight, filled.mean)
        diagonal = np.diagonal(filled.covariance)
        scale = np.sqrt(
            np.divide(observed, diagonal, out=np.ones_like(observed), where=diagonal > 0)
        )
        covariance = filled.covariance * scale[:, None] * scale[None, :]
        return DataMoments(filled.mean, covariance, filled.total_weight)

    def batches(self, batch_size, rng):
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            rows = np.sort(order[start : start + batch_size])
            weights = None if self.sample_weight is None else self.sample_weight[rows]
            if weights is not None and not weights.any():
                continue
            yield in_memory_source(np.ascontiguousarray(self.X_incomplete[rows]), weights)


def in_memory_source(
    X: np.ndarray, sample_weight: np.ndarray | None = None, *, reuse_starts: bool = False
) -> InMemoryData:
    """:class:`IncompleteData` if ``X`` holds a NaN, else :class:`InMemoryData` (the very
    source, and so the very fit, of data without missing values)."""
    if has_nan(X):
        return IncompleteData(X, sample_weight, reuse_starts=reuse_starts)
    return InMemoryData(X, sample_weight, reuse_starts=reuse_starts)


def _observed_means(X: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    observed = ~np.isnan(X)
    weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    counts = weights @ observed
    empty = np.flatnonzero(counts <= 0)
    if empty.size:
        raise ValueError(
            f"feature {empty[0]} of X has no observed value"
            f"{' in a row of positive sample_weight' if sample_weight is not None else ''} "
            f"({empty.size} such feature{'s' if empty.size != 1 else ''}); a mixture cannot "
            "estimate anything about it: drop the column"
        )
    sums = weights @ np.where(observed, X, 0.0).astype(np.float64)
    return sums / counts


def _observed_variances(
    X: np.ndarray, sample_weight: np.ndarray | None, mean: np.ndarray
) -> np.ndarray:
    """Each feature's weighted variance over its observed values (about ``mean``), over the
    observed weight minus one, as :func:`~bayesgmm.data.moments.moments_from_statistics`."""
    observed = ~np.isnan(X)
    weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    squares = weights @ np.where(observed, (X.astype(np.float64) - mean) ** 2, 0.0)
    counts = weights @ observed
    return squares / np.maximum(counts - 1.0, 1.0)


def accumulate_incomplete(
    X: np.ndarray,
    terms: GaussianTerms,
    sample_weight: np.ndarray | None,
    patterns: MissingPatterns,
    complete_rows: np.ndarray,
) -> SuffStats:
    """One E-step pass over rows with missing values, folded into statistics.

    The complete rows (``complete_rows``, the C-contiguous copy of
    ``X[patterns.complete]``) go through :func:`accumulate`; the rows of each
    missingness pattern add what :func:`~bayesgmm.kernels.missing.incomplete_statistics`
    gives (conditional expectations, conditional covariances, the observed-data
    log-likelihood), all about the terms' means.  The result is an ordinary
    additive :class:`SuffStats`.
    """
    weights = None if sample_weight is None else sample_weight[patterns.complete]
    nk, sx, sxx, loglik = incomplete_statistics(X, patterns, terms, sample_weight)
    if complete_rows.shape[0]:
        stats = accumulate(complete_rows, terms, weights)
        nk, sx, sxx, loglik = nk + stats.nk, sx + stats.sx, sxx + stats.sxx, loglik + stats.loglik
    total = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
    return SuffStats(nk, sx, sxx, float(loglik), terms.means, total)
