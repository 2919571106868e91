"""The inner loops of mclust's constrained M-steps: EVE/VVE's common orientation by MM,
VEI's (and VEV's) and VEE's alternations between volumes and a shared shape.

:mod:`bayesgmm.families.orientation` states the algorithms (Celeux & Govaert 1995;
Browne & McNicholas 2014 for the orientation).  Their rounds converge linearly, tens to
hundreds per M-step; written in NumPy each round cost 10-40 us of call overhead (8 ms an
M-step for EVE on iris, K = 3, D = 4).  Here the rounds run compiled, on one thread, on
(K, D, D) arrays only (the data never reach these kernels); they are compiled for
float64 only, when such a model is first fitted.
"""

import numpy as np
from numba import njit

from .linalg import cholesky_lower, lower_inverse_transposed


@njit(cache=True, nogil=True)
def _product(a, b, out):
    """``out = a @ b`` for small square matrices, without a BLAS call (a few us saved each)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] = 0.0
        for m in range(n):
            value = a[i, m]
            for j in range(n):
                out[i, j] += value * b[m, j]


@njit(cache=True, nogil=True)
def _product_transposed(a, b, out):
    """``out = a.T @ b`` for small square matrices."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] = 0.0
    for m in range(n):
        for i in range(n):
            value = a[m, i]
            for j in range(n):
                out[i, j] += value * b[m, j]


@njit(cache=True, nogil=True)
def polar_factor(M, out, V):
    """The orthogonal polar factor ``U V^T`` of square ``M = U S V^T`` into ``out``.

    One-sided Jacobi (Hestenes): plane rotations ``V`` orthogonalise the columns of
    ``A = M V``, which are then ``U S``.  ``V`` (orthogonal) is where the rotations start
    and receives the final ones: the inner rounds hand each step the previous round's
    ``V``, for a matrix that changed little, and one or two sweeps finish it.  Agrees with
    LAPACK's SVD to about 5e-15 on random matrices and costs a third of NumPy's ``svd``
    call at D <= 6 from the identity (two of which made most of an EVE/VVE inner round).
    Returns False, leaving ``out`` unspecified and ``V`` reset to the identity, when a
    singular value is below 1e-12 of the largest: ``U`` is then ill-determined and the
    caller asks LAPACK.
    """
    n = M.shape[0]
    A = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            entry = 0.0
            for m in range(n):
                entry += M[i, m] * V[m, j]
            A[i, j] = entry
    for _ in range(60):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                alpha = 0.0
                beta = 0.0
                gamma = 0.0
                for i in range(n):
                    alpha += A[i, p] * A[i, p]
                    beta += A[i, q] * A[i, q]
                    gamma += A[i, p] * A[i, q]
                if abs(gamma) <= 1e-15 * np.sqrt(alpha * beta):
                    continue  # columns p and q orthogonal to round-off
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                t = (1.0 if zeta >= 0.0 else -1.0) / (abs(zeta) + np.sqrt(1.0 + zeta * zeta))
                c = 1.0 / np.sqrt(1.0 + t * t)
                s = c * t
                for i in range(n):
                    a, b = A[i, p], A[i, q]
                    A[i, p] = c * a - s * b
                    A[i, q] = s * a + c * b
                    a, b = V[i, p], V[i, q]
                    V[i, p] = c * a - s * b
                    V[i, q] = s * a + c * b
        if not rotated:
            break
    norms = np.empty(n)
    for j in range(n):
        total = 0.0
        for i in range(n):
            total += A[i, j] * A[i, j]
        norms[j] = np.sqrt(total)
    if not norms.min() > 1e-12 * norms.max():
        V[:, :] = np.eye(n)
        return False
    for i in range(n):
        for j in range(n):
            entry = 0.0
            for m in range(n):
                entry += A[i, m] / norms[m] * V[j, m]
            out[i, j] = entry
    return True


@njit(cache=True, nogil=True, error_model="numpy")  # x / 0 gives inf, as NumPy
def common_orientation_rounds(scatter, counts, orientation, equal_volume, tol, max_rounds):
    """Alternate the diagonal ``Omega_k`` and two MM steps of ``D`` until ``f`` settles.

    ``orientation`` (D, D) is the start and is overwritten; returns the
    per-component variances (K, D) of the final orientation, the final
    ``f = sum_k n_k log|Sigma_k| + tr(Sigma_k^-1 W_k)`` and the rounds run.
    The small products are written out: a round on (K, D) = (3, 6) took 30 us
    through NumPy's matmul (BLAS calls and their temporaries), and an M-step runs
    tens to hundreds of rounds.
    """
    K, D, _ = scatter.shape
    shifted = np.empty_like(scatter)
    for k in range(K):
        largest = np.linalg.eigvalsh(scatter[k])[D - 1]
        for i in range(D):
            for j in range(D):
                shifted[k, i, j] = -scatter[k, i, j]
            shifted[k, i, i] += largest
    rotated = np.empty((K, D))
    variances = np.empty((K, D))
    product = np.empty((D, D))
    step = np.empty((D, D))
    # each MM step's Jacobi rotations, carried from round to round (see polar_factor)
    first_rotations = np.eye(D)
    second_rotations = np.eye(D)
    scale = np.empty(K)
    total = counts.sum()
    previous = np.inf
    value = np.inf
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        # rotated[k, i] = d_i^T W_k d_i for the columns d_i of the orientation
        for k in range(K):
            _product(scatter[k], orientation, product)
            for i in range(D):
                value = 0.0
                for j in range(D):
                    value += orientation[j, i] * product[j, i]
                rotated[k, i] = value
        if equal_volume:
            for k in range(K):
                scale[k] = np.exp(np.log(rotated[k]).mean())
            volume = scale.sum() / total
            for k in range(K):
                for i in range(D):
                    variances[k, i] = volume * rotated[k, i] / scale[k]
        else:
            for k in range(K):
                for i in range(D):
                    variances[k, i] = rotated[k, i] / counts[k]
        value = 0.0
        for k in range(K):
            for i in range(D):
                value += counts[k] * np.log(variances[k, i]) + rotated[k, i] / variances[k, i]
        if not np.isfinite(value) or abs(previous - value) <= tol * (1.0 + abs(value)):
            break  # converged, or a variance collapsed (the caller's check names it)
        previous = value
        # F = sum_k Omega_k^-1 D^T (a_k I - W_k); D <- R P^T for F = P S R^T
        step[:, :] = 0.0
        for k in range(K):
            _product_transposed(orientation, shifted[k], product)
            for i in range(D):
                for j in range(D):
                    step[i, j] += product[i, j] / variances[k, i]
        if polar_factor(step, product, first_rotations):  # D <- (P R^T)^T
            orientation[:, :] = product.T
        else:
            left, _, right_t = np.linalg.svd(step)
            _product_transposed(right_t, left.T.copy(), orientation)
        # the second majorisation (mclust does both each round): with b_k the largest of
        # 1 / Omega_k, G = sum_k W_k D (b_k I - Omega_k^-1); D <- P R^T for G = P S R^T
        step[:, :] = 0.0
        for k in range(K):
            largest_inverse = 0.0
            for i in range(D):
                largest_inverse = max(largest_inverse, 1.0 / variances[k, i])
            _product(scatter[k], orientation, product)
            for i in range(D):
                for j in range(D):
                    step[i, j] += product[i, j] * (largest_inverse - 1.0 / variances[k, j])
        if not polar_factor(step, orientation, second_rotations):  # D <- P R^T
            left, _, right_t = np.linalg.svd(step)
            _product(left, right_t, orientation)
    return variances, value, rounds


@njit(cache=True, nogil=True, error_model="numpy")
def equal_shape_rounds(scatter, counts, volume, tol, max_rounds):
    """VEI's alternation (and VEV's, on eigenvalues): volumes ``lambda_k`` and one diagonal
    shape ``B`` (determinant 1) for diagonal scatters ``scatter`` (K, D).

    ``volume`` (K,) is the start and is overwritten; returns the shape (D,).  Each round
    sets ``B`` given the volumes, then the volumes given ``B``, and stops when
    ``f = D sum_k n_k (log lambda_k + 1)`` changes by at most ``tol (1 + |f|)`` or is not
    finite (a collapsed volume: the caller's check names it).
    """
    K, D = scatter.shape
    shape = np.empty(D)
    previous = np.inf
    for _ in range(max_rounds):
        log_mean = 0.0
        for i in range(D):
            total = 0.0
            for k in range(K):
                total += scatter[k, i] / volume[k]
            shape[i] = total
            log_mean += np.log(total)
        scale = np.exp(log_mean / D)
        for i in range(D):
            shape[i] /= scale
        value = 0.0
        for k in range(K):
            total = 0.0
            for i in range(D):
                total += scatter[k, i] / shape[i]
            volume[k] = total / (D * counts[k])
            value += counts[k] * (np.log(volume[k]) + 1.0)
        value *= D
        if not np.isfinite(value) or abs(previous - value) <= tol * (1.0 + abs(value)):
            break
        previous = value
    return shape


@njit(cache=True, nogil=True, error_model="numpy")
def equal_matrix_rounds(scatter, counts, volume, tol, max_rounds):
    """VEE's alternation (mclust's ``msvee``): volumes ``lambda_k`` and one matrix ``C`` of
    determinant 1 for scatters ``scatter`` (K, D, D).

    ``volume`` (K,) is the start and is overwritten; returns ``C`` (D, D), NaN when the
    pooled matrix is not positive definite (the caller's check names the singular
    component).  Given the volumes, ``C`` is ``sum_k W_k / lambda_k`` scaled to
    determinant 1; given ``C``, ``lambda_k = tr(W_k C^-1) / (D n_k)``.  Both through one
    Cholesky factor (:mod:`.linalg`): NumPy's slogdet, inv and einsum cost about 25 us a round.
    """
    K, D, _ = scatter.shape
    shape = np.empty((D, D))
    lower = np.empty((D, D))
    upper_inverse = np.empty((D, D))
    inverse = np.empty((D, D))
    previous = np.inf
    for _ in range(max_rounds):
        for i in range(D):
            for j in range(D):
                total = 0.0
                for k in range(K):
                    total += scatter[k, i, j] / volume[k]
                shape[i, j] = total
        if not cholesky_lower(shape, lower):  # shape = L L^T
            shape[:, :] = np.nan
            return shape
        log_det = 0.0
        for j in range(D):
            log_det += 2.0 * np.log(lower[j, j])
        scale = np.exp(log_det / D)
        for i in range(D):
            for j in range(D):
                shape[i, j] /= scale
        # C^-1 = scale * L^-T L^-1
        lower_inverse_transposed(lower, upper_inverse)
        for i in range(D):
            for j in range(D):
                entry = 0.0
                for m in range(max(i, j), D):
                    entry += upper_inverse[i, m] * upper_inverse[j, m]
                inverse[i, j] = scale * entry
        value = 0.0
        for k in range(K):
            trace = 0.0
            for i in range(D):
                for j in range(D):
                    trace += scatter[k, i, j] * inverse[j, i]
            volume[k] = trace / (D * counts[k])
            value += counts[k] * (np.log(volume[k]) + 1.0)
        value *= D
        if not np.isfinite(value) or abs(previous - value) <= tol * (1.0 + abs(value)):
            break
        previous = value
    return shape


@njit(cache=True, nogil=True)
def covariances_from_orientation(orientation, variances):
    """``D_k diag(variances[k]) D_k^T`` (K, D, D), exactly symmetric; ``orientation`` is
    (K, D, D), or (1, D, D) for one orientation shared by every component.

    NumPy's stacked matmul on these small matrices cost about 35 us an M-step (K=5, D=2).
    """
    K, D = variances.shape
    out = np.empty((K, D, D))
    for k in range(K):
        V = orientation[k if orientation.shape[0] > 1 else 0]
        for i in range(D):
            for j in range(i + 1):
                entry = 0.0
                for m in range(D):
                    entry += V[i, m] * variances[k, m] * V[j, m]
                out[k, i, j] = entry
                out[k, j, i] = entry
    return out
