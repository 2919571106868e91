"""Benchmark data and starting points, identical for every library.

Every case draws its rows from a seeded Gaussian mixture and starts both
libraries from the same weights, means and precisions (or, for VB, the same
responsibilities).
"""

from __future__ import annotations

import numpy as np


def mixture(
    n_samples: int, n_features: int, n_components: int, seed: int = 0, dtype=np.float64
) -> np.ndarray:
    """Rows of a random mixture with correlated components, built in place (no N x D temporaries)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(n_components, n_features))
    mixing = [
        rng.normal(size=(n_features, n_features)) / np.sqrt(n_features) + 0.5 * np.eye(n_features)
        for _ in range(n_components)
    ]
    X = np.empty((n_samples, n_features), dtype=dtype)
    block = 1 << 16
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        labels = rng.integers(0, n_components, size=stop - start)
        noise = rng.standard_normal((stop - start, n_features))
        rows = np.empty((stop - start, n_features))
        for k in range(n_components):
            mask = labels == k
            rows[mask] = centers[k] + noise[mask] @ mixing[k]
        X[start:stop] = rows
    return X


def starting_point(X: np.ndarray, n_components: int, covariance_type: str, seed: int = 1) -> dict:
    """``weights_init``, ``means_init``, ``precisions_init`` in scikit-learn's shapes.

    Means are distinct random rows; every covariance starts as the data's
    covariance (its diagonal, its mean variance) over K.
    """
    rng = np.random.default_rng(seed)
    N, D = X.shape
    sub = np.asarray(X[rng.choice(N, size=min(N, 20_000), replace=False)], dtype=np.float64)
    means = np.asarray(X[rng.choice(N, size=n_components, replace=False)], dtype=np.float64)
    cov = np.cov(sub.T).reshape(D, D) / n_components + 1e-3 * np.eye(D)
    weights = np.full(n_components, 1.0 / n_components)
    if covariance_type == "full":
        precisions = np.repeat(np.linalg.inv(cov)[None], n_components, axis=0)
    elif covariance_type == "tied":
        precisions = np.linalg.inv(cov)
    elif covariance_type == "diag":
        precisions = np.repeat(1.0 / np.diag(cov)[None], n_components, axis=0)
    else:
        precisions = np.full(n_components, 1.0 / np.diag(cov).mean())
    return dict(weights_init=weights, means_init=means, precisions_init=precisions)


def nearest_seed_responsibilities(X: np.ndarray, n_components: int, seed: int = 1) -> np.ndarray:
    """One-hot responsibilities: each row to its nearest of K random rows (VB's common start)."""
    rng = np.random.default_rng(seed)
    seeds = np.asarray(
        X[rng.choice(X.shape[0], size=n_components, replace=False)], dtype=np.float64
    )
    distance = (X**2).sum(axis=1)[:, None] - 2 * X @ seeds.T + (seeds**2).sum(axis=1)[None]
    R = np.zeros((X.shape[0], n_components))
    R[np.arange(X.shape[0]), distance.argmin(axis=1)] = 1.0
    return R
