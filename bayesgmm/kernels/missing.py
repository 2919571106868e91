"""Rows with missing values (NaN): Gaussian algebra on each row's observed coordinates.

Rows are grouped by their *missingness pattern* (which coordinates are NaN), so
that each pattern is one batch of vectorised NumPy: per component, the Cholesky
factor of the observed block of the covariance gives the marginal log-density
of the observed coordinates, the conditional means of the missing ones and
their conditional covariance (Ghahramani & Jordan 1994; Little & Rubin 2019).
Rows without a NaN never come here: they go through the E-step kernels.

The algebra is written on a precision ``P`` (``P = U U^T`` for the factor ``U``
of :class:`~bayesgmm.stats.GaussianTerms`), for any engine: with
``Sigma = P^{-1}``, integrating ``exp(log_offset - 0.5 (x - m)^T P (x - m))``
over the missing coordinates ``x_m`` gives

    log_offset - log|U| - 0.5 log|Sigma_oo| + (d_m / 2) log 2 pi - 0.5 q_o,

``q_o`` the squared Mahalanobis distance of ``x_o`` under ``Sigma_oo``.  For
EM and MAP (``log_offset = log w + log|U| - D/2 log 2 pi``) that is the log of
``w`` times the marginal density of ``x_o``; for VB (``P = nu W``) it is the
log normaliser of the optimal ``q(z, x_m)`` (see ``docs/missing.md``).  The
missing coordinates' conditional distribution is Gaussian with mean
``m_m + Sigma_mo Sigma_oo^{-1} (x_o - m_o)`` and covariance
``Sigma_mm - Sigma_mo Sigma_oo^{-1} Sigma_om`` (``= P_mm^{-1}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .missing_stats import incomplete_pass

if TYPE_CHECKING:  # annotations only: the terms are read by attribute
    from ..stats import GaussianTerms

LOG_2PI = np.log(2.0 * np.pi)
_NO_WEIGHTS = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class MissingPattern:
    """The rows that miss exactly the same coordinates.

    Attributes
    ----------
    observed : (D,) bool, True for the coordinates these rows hold
    rows : (n,) int, the rows' indices in the data
    """

    observed: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class MissingPatterns:
    """Rows of a data set split into complete rows and groups by missingness pattern."""

    complete: np.ndarray  # (n_complete,) indices of the rows without NaN
    incomplete: tuple[MissingPattern, ...]

    @property
    def n_incomplete(self) -> int:
        return int(sum(p.rows.size for p in self.incomplete))

    @cached_property
    def grouped(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The incomplete rows as the compiled pass reads them: their indices pattern after
        pattern (n,), each pattern's bounds in that order (P + 1,) and observed masks (P, D)."""
        order = np.concatenate([p.rows for p in self.incomplete]).astype(np.int64)
        sizes = [p.rows.size for p in self.incomplete]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        observed = np.array([p.observed for p in self.incomplete], dtype=np.bool_)
        return order, bounds, observed


def missing_patterns(X: np.ndarray) -> MissingPatterns:
    """Group the rows of ``X`` by which coordinates are NaN (rows in order within a group)."""
    missing = np.isnan(X)
    has_missing = missing.any(axis=1)
    complete = np.flatnonzero(~has_missing)
    incomplete_rows = np.flatnonzero(has_missing)
    if incomplete_rows.size == 0:
        return MissingPatterns(complete, ())
    keys, inverse = np.unique(missing[incomplete_rows], axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(keys.shape[0] + 1))
    groups = tuple(
        MissingPattern(~keys[g], incomplete_rows[order[bounds[g] : bounds[g + 1]]])
        for g in range(keys.shape[0])
    )
    return MissingPatterns(complete, groups)


def dense_covariances(factor: np.ndarray, is_diagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    """``Sigma = (U U^T)^{-1}`` as (K, D, D) matrices, and ``log|U|`` (K,), from a kernel factor.

    ``factor`` is (K, D, D) upper triangular (full form) or (K, D) square roots
    of precisions (diagonal form).
    """
    if is_diagonal:
        log_det = np.log(factor).sum(axis=1)
        covariances = np.zeros((factor.shape[0], factor.shape[1], factor.shape[1]))
        index = np.arange(factor.shape[1])
        covariances[:, index, index] = 1.0 / factor**2
        return covariances, log_det
    log_det = np.log(np.abs(np.diagonal(factor, axis1=1, axis2=2))).sum(axis=1)
    inverse = np.linalg.inv(factor)  # U^{-1}: Sigma = U^{-T} U^{-1}
    covariances = np.einsum("kji,kjl->kil", inverse, inverse)
    return covariances, log_det


@dataclass(frozen=True)
class PatternConditionals:
    """What one missingness pattern's rows give, per component.

    Attributes
    ----------
    log_rho : (n, K) log of weight times the marginal density of the observed coordinates
        (the engine's offset included)
    deviations : (K, n, D) ``E[x | x_o, k] - m_k``: observed coordinates' deviations and
        the missing ones' conditional mean deviations
    conditional_covariance : (K, d_m, d_m) covariance of the missing coordinates given the
        observed ones (the same for every row of the pattern)
    """

    log_rho: np.ndarray
    deviations: np.ndarray
    conditional_covariance: np.ndarray

    def normalised(self) -> tuple[np.ndarray, np.ndarray]:
        """Each row's log-density (n,) and log-responsibilities (n, K)."""
        top = self.log_rho.max(axis=1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            norm = top + np.log(np.exp(self.log_rho - top).sum(axis=1, keepdims=True))
        return norm[:, 0], self.log_rho - norm


def pattern_conditionals(
    rows: np.ndarray,
    observed: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    log_det_factor: np.ndarray,
    log_offset: np.ndarray,
) -> PatternConditionals:
    """Marginal log-densities and conditional moments of ``rows`` (n, D) sharing one pattern.

    ``covariances`` and ``log_det_factor`` come from :func:`dense_covariances`;
    ``means`` and ``log_offset`` are the terms' own.  The NaN of ``rows`` are
    never read.
    """
    K, D = means.shape
    obs = np.flatnonzero(observed)
    mis = np.flatnonzero(~observed)
    offset = log_offset - log_det_factor + 0.5 * mis.size * LOG_2PI
    deviations = np.empty((K, rows.shape[0], D))
    if obs.size == 0:  # nothing observed: the row only tells that it exists
        deviations[:] = 0.0
        log_rho = np.repeat(offset[None, :], rows.shape[0], axis=0)
        return PatternConditionals(log_rho, deviations, covariances.copy())
    # batched over components in NumPy: for matrices this small, SciPy's triangular
    # solves cost milliseconds a call where NumPy's batched inverse costs microseconds
    chol = np.linalg.cholesky(covariances[:, obs][:, :, obs])
    chol_inverse = np.linalg.inv(chol)
    deviation = rows[:, obs].astype(np.float64)[None, :, :] - means[:, None, obs]
    whitened = np.einsum("kij,knj->kni", chol_inverse, deviation)
    half_log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    log_rho = (offset - half_log_det)[None, :] - 0.5 * np.einsum("kni,kni->nk", whitened, whitened)
    regression = chol_inverse @ covariances[:, obs][:, :, mis]  # (K, d_o, d_m)
    deviations[:, :, obs] = deviation
    deviations[:, :, mis] = whitened @ regression
    conditional = covariances[:, mis][:, :, mis] - np.swapaxes(regression, 1, 2) @ regression
    return PatternConditionals(log_rho, deviations, conditional)


def incomplete_conditionals(
    X: np.ndarray, patterns: MissingPatterns, terms: GaussianTerms
) -> Iterator[tuple[MissingPattern, PatternConditionals]]:
    """``(pattern, conditionals)`` for each missingness pattern of ``X``'s incomplete rows."""
    covariances, log_det = dense_covariances(terms.factor, terms.kernel.is_diagonal)
    for pattern in patterns.incomplete:
        yield (
            pattern,
            pattern_conditionals(
                X[pattern.rows],
                pattern.observed,
                terms.means,
                covariances,
                log_det,
                terms.log_offset,
            ),
        )


def incomplete_statistics(
    X: np.ndarray,
    patterns: MissingPatterns,
    terms: GaussianTerms,
    sample_weight: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``(nk, sx, sxx, loglik)`` of the incomplete rows of ``X``, about the terms' means.

    Each row adds, per component, its responsibility times the deviation of its
    conditional expectation (first moments) and of its outer product, plus the
    conditional covariance of its missing coordinates (second moments; the
    diagonal only in the diagonal form); ``loglik`` sums the rows' observed-data
    log-densities.  Sample weights multiply everything a row adds.  Computed by
    the compiled :func:`~bayesgmm.kernels.missing_stats.incomplete_pass`, all
    patterns in one call.
    """
    K, D = terms.means.shape
    if not patterns.incomplete:
        sxx_shape = (K, D) if terms.kernel.is_diagonal else (K, D, D)
        return np.zeros(K), np.zeros((K, D)), np.zeros(sxx_shape), 0.0
    covariances, log_det = dense_covariances(terms.factor, terms.kernel.is_diagonal)
    order, bounds, observed = patterns.grouped
    rows = np.ascontiguousarray(X[order], dtype=np.float64)
    weights = _NO_WEIGHTS if sample_weight is None else np.ascontiguousarray(sample_weight[order])
    nk, sx, sxx, loglik = incomplete_pass(
        rows, bounds, observed, weights, terms.means, covariances, terms.log_offset - log_det
    )
    if terms.kernel.is_diagonal:
        sxx = np.ascontiguousarray(np.diagonal(sxx, axis1=1, axis2=2))
    return nk, sx, sxx, float(loglik)


def conditional_expectations(
    X: np.ndarray, terms: GaussianTerms, rng: np.random.Generator | None = None
) -> np.ndarray:
    """``X`` (float64 copy) with each NaN replaced by its conditional mean given the row's
    observed values (the responsibility-weighted mean over components), or, with ``rng``,
    by a draw from the conditional distribution (a component drawn by responsibility,
    then that component's conditional Gaussian)."""
    filled = np.array(X, dtype=np.float64)
    for pattern, conditionals in incomplete_conditionals(filled, missing_patterns(filled), terms):
        missing = np.flatnonzero(~pattern.observed)
        resp = np.exp(conditionals.normalised()[1])
        means: np.ndarray = (
            terms.means[:, missing][:, None, :] + conditionals.deviations[:, :, missing]
        )
        values: np.ndarray
        if rng is None:
            values = np.einsum("nk,knd->nd", resp, means)
        else:
            n = resp.shape[0]
            cumulative = np.cumsum(resp, axis=1)
            draws = rng.random((n, 1)) * cumulative[:, -1:]
            chosen = np.minimum((draws > cumulative).sum(axis=1), resp.shape[1] - 1)
            noise = rng.standard_normal((n, missing.size))
            values = means[chosen, np.arange(n)]
            for k in np.unique(chosen):
                picked = chosen == k
                values[picked] += (
                    noise[picked] @ _square_root(conditionals.conditional_covariance[k]).T
                )
        filled[np.ix_(pattern.rows, missing)] = values
    return filled


def _square_root(covariance: np.ndarray) -> np.ndarray:
    """A factor ``R`` with ``R R^T = covariance``: its Cholesky factor, or, for a covariance
    that round-off left a hair short of positive definite, from its clipped eigenvalues."""
    try:
        return np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(covariance)
        return vectors * np.sqrt(np.clip(values, 0.0, None))
