"""Per-row, per-component log densities: prediction, scoring and the criteria.

The fit's passes fold responsibilities straight into statistics (:func:`bayesgmm.stats.
accumulate`); what needs each row's densities (``predict``, ``score_samples``, ICL on
other data, the classifier) asks this module, which runs the log-density kernels
(:mod:`bayesgmm.kernels.logprob`) and normalises their (N, K) output.  Rows holding NaN
are scored on their observed coordinates (:mod:`bayesgmm.kernels.missing`).
"""

from __future__ import annotations

import numpy as np

from .kernels.missing import incomplete_conditionals, missing_patterns
from .stats import GaussianTerms, float64_row_chunks, pass_work, run_kernel


def log_rho(X: np.ndarray, terms: GaussianTerms) -> np.ndarray:
    """The (N, K) matrix of per-component log densities (weights included)."""

    def rho(rows):
        return run_kernel(
            terms.kernel.log_rho,
            pass_work(rows.shape[0], terms),
            rows,
            terms.means,
            terms.factor,
            terms.log_offset,
        )

    if X.dtype == np.float64:
        return rho(X)
    out = np.empty((X.shape[0], terms.means.shape[0]))
    for rows, chunk in float64_row_chunks(X):  # the values float32 rows held, exactly as before
        out[rows] = rho(chunk)
    return out


def logsumexp_rows(rho: np.ndarray, return_max: bool = False):
    """``log sum_k exp(rho[n, k])`` per row; ``-inf`` for a row of ``-inf``.

    With ``return_max``, also each row's ``max_k rho[n, k]`` (computed anyway),
    as a pair ``(logsumexp, max)``.

    scipy.special.logsumexp gives the same numbers; its array-API dispatch cost
    0.1 s of a 40-fit BIC sweep on 10,000 rows, and importing it 0.05 s.
    """
    top = rho.max(axis=1)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):  # a row of -inf: log(0) = -inf
        norm = shift + np.log(np.exp(rho - shift[:, None]).sum(axis=1))
    return (norm, top) if return_max else norm


def log_density(X: np.ndarray, terms: GaussianTerms) -> np.ndarray:
    """Per-row log-density (N,): :func:`log_responsibilities`' first value, the same numbers,
    without forming the (N, K) log-responsibilities (the score pass of every fit needs only
    this)."""
    if has_nan(X):
        return _log_responsibilities_incomplete(X, terms)[0]
    rho = log_rho(X, terms)
    rho[np.isnan(rho)] = -np.inf  # an overflowed deviation, as in log_responsibilities
    return logsumexp_rows(rho)


def log_responsibilities(X: np.ndarray, terms: GaussianTerms) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-density (N,) and log-responsibilities (N, K), never NaN for finite X.

    Rows holding NaN (missing values, see :mod:`bayesgmm.kernels.missing`) are
    scored on their observed coordinates: their log-density is the marginal's.

    Rows so far from every component that their squared Mahalanobis distances
    overflow float64 (or whose deviations overflow) have a log-density of
    ``-inf`` (the true value is below -1e308) and are given to the component
    nearest in Mahalanobis distance, computed on rescaled deviations.  The
    estimator's ``score_samples``, ``predict`` and ``predict_proba`` rest on
    this (see ``docs/robustness.md``).
    """
    if has_nan(X):
        return _log_responsibilities_incomplete(X, terms)
    rho = log_rho(X, terms)
    # with finite X and parameters a NaN can only come from an overflowed deviation
    # (inf - inf, inf * 0): that component's density underflows to 0
    rho[np.isnan(rho)] = -np.inf
    bad = ~np.isfinite(rho).any(axis=1)
    rho[bad] = 0.0  # replaced below
    # normalise about the row maximum rather than subtracting logsumexp: far from the
    # components |log rho| is huge and "rho - (top + log(sum))" would round log(sum) away,
    # leaving responsibilities that sum to K instead of 1
    top = rho.max(axis=1, keepdims=True)
    shifted = rho - top
    log_total = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_resp = shifted - log_total
    norm = (top + log_total)[:, 0]
    if bad.any():
        log_resp[bad] = _far_rows_log_responsibilities(X[bad], terms)
        norm[bad] = -np.inf
    return norm, log_resp


def _far_rows_log_responsibilities(rows: np.ndarray, terms: GaussianTerms) -> np.ndarray:
    rows = rows.astype(np.float64)
    # scale deviations into range: (x - m) / s is computed as x / s - m / s, which cannot overflow
    scale = np.maximum(np.abs(rows).max(axis=1), np.abs(terms.means).max())[:, None]
    K = terms.means.shape[0]
    distance = np.empty((rows.shape[0], K))
    for k in range(K):
        deviation = rows / scale - terms.means[k] / scale
        whitened = (
            deviation * terms.factor[k] if terms.kernel.is_diagonal else deviation @ terms.factor[k]
        )
        distance[:, k] = np.einsum("nd,nd->n", whitened, whitened)
    # the true log rho are log_offset - 0.5 s^2 distance, all below -1e308: the
    # smallest distance wins outright, exact ties share
    nearest = distance == distance.min(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.log(nearest / nearest.sum(axis=1, keepdims=True))


def has_nan(X: np.ndarray) -> bool:
    """True if ``X`` holds a NaN (one allocation-free sum clears almost every array)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isnan(X.sum(dtype=np.float64)):
            return False
    return bool(np.isnan(X).any())


def _log_responsibilities_incomplete(X: np.ndarray, terms: GaussianTerms):
    """:func:`log_responsibilities` of rows some of which hold NaN."""
    patterns = missing_patterns(X)
    norm = np.empty(X.shape[0])
    log_resp = np.empty((X.shape[0], terms.means.shape[0]))
    if patterns.complete.size:
        rows = np.ascontiguousarray(X[patterns.complete])
        norm[patterns.complete], log_resp[patterns.complete] = log_responsibilities(rows, terms)
    for pattern, conditionals in incomplete_conditionals(X, patterns, terms):
        norm[pattern.rows], log_resp[pattern.rows] = conditionals.normalised()
    return norm, log_resp
