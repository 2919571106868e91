"""What a noise component needs from the data: its volume and a first guess of its rows.

mclust's noise component (Banfield & Raftery 1993; Fraley & Raftery 1998) is a
uniform density ``1 / V`` over the data's region.  :func:`hypervolume` is
mclust's ``hypvol``: the smaller of the volume of the box the features span and
that of the box around the data rotated onto its principal components.
:func:`nearest_neighbour_noise` is the start mclust's documentation recommends
(``Mclust(X, initialization = list(noise = ...))`` with prabclus's ``NNclean``):
Byers & Raftery's (1998) clutter removal, which models the distance of each row
to its k-th nearest neighbour as a mixture of two Poisson processes, a dense
one (the clusters) and a sparse one (the noise).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

# NNclean's usual k (mclust's examples use k = 5)
NEAREST_NEIGHBOURS = 5
_EM_ROUNDS = 200
_EM_TOL = 1e-8


def log_hypervolume(X: np.ndarray) -> float:
    """The log of mclust's ``hypvol(X)``: the smaller of the bounding box's volume and the
    volume of the box around the principal-component scores.

    Raises ``ValueError`` when a feature (or a principal component) has no spread: a
    uniform density over a region of volume 0 is no density.
    """
    X = np.asarray(X, dtype=np.float64)
    box = _log_ranges(X)
    centred = X - X.mean(axis=0)
    # princomp's loadings are the eigenvectors of the covariance (divisor n; the
    # divisor does not change the vectors, and the ranges of the scores ignore signs)
    _, vectors = np.linalg.eigh(centred.T @ centred / X.shape[0])
    rotated = _log_ranges(centred @ vectors)
    volume = min(box, rotated)
    if not np.isfinite(volume):
        raise ValueError(
            "noise=True needs the data to span a region of positive volume, but a feature "
            "(or a linear combination of features) is constant; drop it, or give noise_volume"
        )
    return float(volume)


def _log_ranges(X: np.ndarray) -> float:
    ranges = X.max(axis=0) - X.min(axis=0)
    with np.errstate(divide="ignore"):
        return float(np.log(ranges).sum())


def nearest_neighbour_noise(X: np.ndarray, n_neighbours: int = NEAREST_NEIGHBOURS) -> np.ndarray:
    """A boolean mask of the rows that look like noise, by Byers & Raftery's (1998) rule.

    The distance ``d`` of a row to its ``n_neighbours``-th nearest neighbour, for
    points of a Poisson process of intensity ``lambda`` in ``D`` dimensions, has
    ``d^D`` (times the unit ball's volume) Gamma(k, rate lambda) distributed; the
    rows are a mixture of a dense process (the clusters) and a sparse one (the
    noise), fitted by EM on ``d^D``.  A row is noise when the sparse process is
    the more probable.  Distances are Euclidean in the data's units, as NNclean's.
    """
    from scipy.spatial import cKDTree

    X = np.asarray(X, dtype=np.float64)
    N, D = X.shape
    k = int(min(n_neighbours, N - 1))
    if k < 1:
        return np.zeros(N, dtype=bool)
    distances, _ = cKDTree(X).query(X, k=k + 1)
    kth = distances[:, -1]
    positive = kth[kth > 0]
    if positive.size == 0:
        return np.zeros(N, dtype=bool)
    # scaled by the median (the unit ball's volume and the scale only rescale lambda),
    # zero distances (duplicate rows) floored so that their logarithm is finite
    log_y = D * np.log(np.maximum(kth, positive.min() * 1e-3) / np.median(positive))
    y = np.exp(np.clip(log_y, -700.0, 700.0))
    # start: the rows beyond the 90th percentile of the distances are the sparse process
    sparse = log_y > np.quantile(log_y, 0.9)
    if not sparse.any() or sparse.all():
        return np.zeros(N, dtype=bool)
    responsibility = sparse.astype(np.float64)  # of the sparse process
    previous = -np.inf
    for _ in range(_EM_ROUNDS):
        share = np.clip(responsibility.mean(), 1e-10, 1 - 1e-10)
        rate_sparse = k * responsibility.sum() / max((responsibility * y).sum(), 1e-300)
        dense = 1.0 - responsibility
        rate_dense = k * dense.sum() / max((dense * y).sum(), 1e-300)
        log_sparse = np.log(share) + _log_gamma_density(y, log_y, k, rate_sparse)
        log_dense = np.log1p(-share) + _log_gamma_density(y, log_y, k, rate_dense)
        top = np.maximum(log_sparse, log_dense)
        total = top + np.log(np.exp(log_sparse - top) + np.exp(log_dense - top))
        responsibility = np.exp(log_sparse - total)
        loglik = float(total.sum())
        if loglik - previous < _EM_TOL * abs(loglik):
            break
        previous = loglik
    if rate_sparse > rate_dense:  # the processes swapped roles: the sparse one has the lower rate
        responsibility = 1.0 - responsibility
    return responsibility > 0.5


def _log_gamma_density(y, log_y, shape: int, rate: float) -> np.ndarray:
    return shape * np.log(rate) + (shape - 1) * log_y - rate * y - gammaln(shape)
