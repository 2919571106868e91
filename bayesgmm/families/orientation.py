"""The inner solves of mclust's constrained families: volume, shape and orientation.

Celeux & Govaert (1995) write a component covariance as ``Sigma_k = lambda_k D_k A_k D_k^T``:
volume ``lambda_k`` (a scalar), shape ``A_k`` (diagonal, determinant 1), orientation
``D_k`` (orthogonal).  Given the weighted scatter ``W_k`` and weight ``n_k`` of
each component, the M-step minimises

    f = sum_k n_k log|Sigma_k| + tr(Sigma_k^-1 W_k)

over the family's constraint set.  Some families have a closed form; the others
(VEI, VEE, VEV, EVE, VVE) alternate between the pieces, each step minimising
``f`` over one piece with the others fixed, so ``f`` never increases and the
mixture's objective never decreases.  The common orientation of EVE and VVE is
updated by Browne & McNicholas's (2014) majorisation-minimisation step.  Like
mclust (``emControl``'s inner ``tol``), every M-step starts its inner iteration
afresh and runs it until ``f`` changes by less than :data:`INNER_TOL` relatively.

Every solve takes ``start``, the previous M-step's covariances.  The closed forms
ignore it.  The alternations of VEI, VEE and VEV continue from its volumes and the
common orientation of EVE and VVE from its orientation (as mclust's
``meeve``/``mevve`` do): each round then lowers ``f`` below its value at the previous
parameters, so the EM objective never decreases however early the rounds stop.

Everything works on small (K, D, D) arrays; the data never reach this module.
"""

from __future__ import annotations

import numpy as np

from ..kernels.orientation import (
    common_orientation_rounds,
    covariances_from_orientation,
    equal_matrix_rounds,
    equal_shape_rounds,
)

INNER_TOL = float(np.sqrt(np.finfo(np.float64).eps))
"""Relative change of ``f`` at which an inner iteration stops: mclust's (sqrt(eps), 1.5e-8).

Every inner iteration continues from the previous M-step's parameters, so each of its
rounds already lowers ``f`` below their value: the EM objective never decreases however
early the rounds stop, and EM's own iterations carry the precision further."""

INNER_MAX_ITER = 2000
"""Bound on inner iterations; the alternating steps converge linearly, usually in tens."""


def _start_volumes(start: np.ndarray | None) -> np.ndarray | None:
    """The volumes ``|Sigma_k|^(1/D)`` of the previous covariances (variances or matrices)."""
    if start is None:
        return None
    if start.ndim == 2:
        return geometric_mean(start)
    return np.exp(np.linalg.slogdet(start)[1] / start.shape[-1])


def geometric_mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """``prod(values) ** (1 / n)`` along ``axis``, through logarithms (no overflow)."""
    return np.exp(np.log(values).mean(axis=axis))


def eigen_descending(scatter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (K, D), descending, and eigenvectors (K, D, D) as columns, of each ``W_k``."""
    values, vectors = np.linalg.eigh(scatter)
    return values[..., ::-1].copy(), vectors[..., ::-1].copy()


def from_orientation(orientation: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """``D_k diag(variances_k) D_k^T``; ``orientation`` (D, D) shared or (K, D, D)."""
    stacked = orientation if orientation.ndim == 3 else orientation[None]
    return covariances_from_orientation(
        np.ascontiguousarray(stacked, dtype=np.float64),
        np.ascontiguousarray(variances, dtype=np.float64),
    )


# ----------------------------------------------------------- diagonal families
def variable_volume_equal_diagonal_shape(
    scatter: np.ndarray, counts: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """VEI: ``lambda_k B`` with one diagonal shape ``B`` (``scatter`` (K, D) diagonals)."""
    D = scatter.shape[1]
    volume = _start_volumes(start)
    if volume is None:
        volume = scatter.sum(axis=1) / (D * counts)  # the volumes of B = I
    volume = np.array(volume, dtype=np.float64)  # the rounds overwrite it
    shape = equal_shape_rounds(
        np.ascontiguousarray(scatter, dtype=np.float64), counts, volume, INNER_TOL, INNER_MAX_ITER
    )
    return volume[:, None] * shape


def equal_volume_variable_diagonal_shape(
    scatter: np.ndarray, counts: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """EVI: ``lambda B_k`` (closed form): ``B_k`` is ``W_k``'s diagonal scaled to determinant 1."""
    scale = geometric_mean(scatter)
    volume = scale.sum() / counts.sum()
    return volume * scatter / scale[:, None]


# --------------------------------------------------------- ellipsoidal families
def variable_volume_equal_matrix(
    scatter: np.ndarray, counts: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """VEE: ``lambda_k C`` with one matrix ``C`` of determinant 1 (mclust's ``msvee``)."""
    D = scatter.shape[-1]
    volume = _start_volumes(start)
    if volume is None:
        volume = np.trace(scatter, axis1=1, axis2=2) / (D * counts)  # the volumes of C = I
    volume = np.array(volume, dtype=np.float64)  # the rounds overwrite it
    shape = equal_matrix_rounds(
        np.ascontiguousarray(scatter, dtype=np.float64), counts, volume, INNER_TOL, INNER_MAX_ITER
    )
    covariance = volume[:, None, None] * shape
    return 0.5 * (covariance + np.swapaxes(covariance, -1, -2))


def equal_volume_equal_shape_variable_orientation(
    scatter: np.ndarray, counts: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """EEV (closed form): ``D_k`` are ``W_k``'s eigenvectors; one eigenvalue profile for all."""
    values, vectors = eigen_descending(scatter)
    # pairing the largest eigenvalues of every W_k with the largest of the common
    # profile minimises each trace term (von Neumann), whatever the profile
    profile = values.sum(axis=0) / counts.sum()
    return from_orientation(vectors, np.broadcast_to(profile, values.shape))


def variable_volume_equal_shape_variable_orientation(
    scatter: np.ndarray, counts: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """VEV: ``lambda_k D_k A D_k^T``: VEI's alternation on the eigenvalues of each ``W_k``.

    The orientations are the eigenvectors of the ``W_k`` (eigenvalues in decreasing
    order, paired with the common shape's, as EEV); given them, ``f`` depends on the
    eigenvalues exactly as VEI's does on the diagonals.
    """
    values, vectors = eigen_descending(scatter)
    return from_orientation(vectors, variable_volume_equal_diagonal_shape(values, counts, start))


def equal_volume_variable_matrix(
    scatter: np.ndarray, counts: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """EVV (closed form, mclust's ``msevv``): ``lambda C_k`` with ``C_k = W_k / |W_k|^(1/D)``."""
    D = scatter.shape[-1]
    _, log_det = np.linalg.slogdet(scatter)
    scale = np.exp(log_det / D)
    volume = scale.sum() / counts.sum()
    return (volume / scale)[:, None, None] * scatter


def common_orientation(
    scatter: np.ndarray,
    counts: np.ndarray,
    start: np.ndarray | None = None,
    *,
    equal_volume: bool,
) -> np.ndarray:
    """EVE (``equal_volume``) or VVE: one orientation ``D``, per-component diagonal ``Omega_k``.

    Given ``D``, ``Omega_k`` is the diagonal of ``D^T W_k D`` divided by ``n_k``
    (VVE) or scaled to EVI's equal volume (EVE).  Given the ``Omega_k``, ``D``
    takes two majorisation-minimisation steps (Browne & McNicholas 2014; mclust takes
    both each round): with ``a_k`` the largest eigenvalue of ``W_k``,
    ``F = sum_k Omega_k^-1 D^T (a_k I - W_k)`` and its SVD ``F = P S R^T``, the new
    orientation is ``R P^T``; then with ``b_k`` the largest of ``1 / Omega_k``,
    ``G = sum_k W_k D (b_k I - Omega_k^-1) = P S R^T`` gives ``P R^T``.  Neither step
    increases ``f``.  The rounds run in a compiled kernel
    (:mod:`bayesgmm.kernels.orientation`).

    With ``start`` (the previous covariances, which share one orientation) the
    rounds continue from its orientation; without, from the better (lower ``f``)
    of mclust's start, the identity, and the eigenvectors of the pooled scatter.
    """
    scatter = np.ascontiguousarray(scatter, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    if start is not None:
        # the common eigenvectors of the previous covariances, from a weighted sum with
        # irrational weights, so that no two of its eigenvalues coincide by accident
        weights = 1.0 + 0.6180339887498949 * np.arange(start.shape[0])
        starts = [np.linalg.eigh(np.tensordot(weights, start, axes=1))[1]]
    else:
        D = scatter.shape[-1]
        starts = [np.eye(D), np.linalg.eigh(scatter.sum(axis=0))[1]]
    best = None
    for orientation in starts:
        orientation = np.ascontiguousarray(orientation)
        variances, value, _ = common_orientation_rounds(
            scatter, counts, orientation, equal_volume, INNER_TOL, INNER_MAX_ITER
        )
        if best is None or value < best[0]:
            best = (value, orientation, variances)
    assert best is not None
    return from_orientation(best[1], best[2])
