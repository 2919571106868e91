"""Plain NumPy/SciPy references the kernels and engines are checked against.

Written straightforwardly, for clarity not speed: every density comes from
scipy.stats.multivariate_normal.
"""

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal


def full_covariances(covariance_type, covariances, K, D):
    """Per-component full covariance matrices for any covariance type."""
    if covariance_type == "full":
        return covariances
    if covariance_type == "tied":
        return np.repeat(covariances[None], K, axis=0)
    if covariance_type == "diag":
        return np.stack([np.diag(c) for c in covariances])
    return np.stack([np.eye(D) * c for c in covariances])


def log_rho(X, weights, means, covariances_full):
    return np.column_stack(
        [
            np.log(w) + multivariate_normal(mean=m, cov=c).logpdf(X)
            for w, m, c in zip(weights, means, covariances_full)
        ]
    )


def estep_statistics(X, weights, means, covariances_full, sample_weight=None, diagonal=False):
    """nk, sx, sxx (about `means`) and the summed log-likelihood."""
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X)) if sample_weight is None else sample_weight
    rho = log_rho(X, weights, means, covariances_full)
    norm = logsumexp(rho, axis=1)
    resp = np.exp(rho - norm[:, None]) * w[:, None]
    nk = resp.sum(axis=0)
    sx = np.stack([resp[:, k] @ (X - means[k]) for k in range(len(weights))])
    if diagonal:
        sxx = np.stack([resp[:, k] @ (X - means[k]) ** 2 for k in range(len(weights))])
    else:
        sxx = np.stack(
            [(X - means[k]).T @ ((X - means[k]) * resp[:, k, None]) for k in range(len(weights))]
        )
    return nk, sx, sxx, float(w @ norm)
