"""Covariance families: how one covariance structure is stored, counted and inverted.

A family is a small object found by name in :data:`FAMILIES`.  Engines write
their updates once on per-component scatter matrices and let the family
*pool* them into its own form; adding a family touches no engine.

Storage follows scikit-learn exactly (shapes of ``covariances_`` and
``precisions_cholesky_``):

============  ==================  =====================================
family        covariance shape    precision Cholesky factor
============  ==================  =====================================
full          (K, D, D)           (K, D, D), upper triangular, P = U U^T
tied          (D, D)              (D, D), upper triangular
diag          (K, D)              (K, D), 1 / sqrt(variance)
spherical     (K,)                (K,), 1 / sqrt(variance)
============  ==================  =====================================

Two E-step kernels serve the four families: ``full`` (tied broadcasts its one
factor to every component) and ``diag`` (spherical repeats its one variance
along the features).  Keeping the number of compiled kernels small keeps a
cold Numba compile short.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ..exceptions import SingularCovarianceError


def _upper_cholesky_of_precision(covariance: np.ndarray, component: str) -> np.ndarray:
    """Upper-triangular U with U U^T = covariance^-1 (scikit-learn's convention)."""
    # LAPACK's potrf itself: scipy.linalg.cholesky's checks around it cost more than the
    # factorisation of a small matrix, and the M-step factors one per component per iteration
    lower, info = linalg.lapack.dpotrf(np.asarray(covariance, dtype=np.float64), lower=1, clean=1)
    if info != 0 or not np.all(np.isfinite(lower)):
        raise SingularCovarianceError(component)
    return _triangular_inverse(lower, lower=True).T


def _triangular_inverse(matrix: np.ndarray, lower: bool) -> np.ndarray:
    """Inverse of a triangular matrix by LAPACK's trtri.

    ``solve_triangular(A, I)`` goes through OpenBLAS's threaded trsm, which on a
    busy 2-core machine took 4-17 ms for a 2 x 2 matrix (trtri: 1.4 us); the M-step
    inverts one factor per component per iteration.
    """
    inverse, info = linalg.lapack.dtrtri(np.asarray(matrix, dtype=np.float64), lower=int(lower))
    if info != 0:
        raise np.linalg.LinAlgError(f"triangular matrix is singular (trtri info={info})")
    # trtri leaves the other triangle as it found it
    return np.tril(inverse) if lower else np.triu(inverse)


def _upper_cholesky_from_precision(precision: np.ndarray) -> np.ndarray:
    """Upper-triangular U with U U^T = precision, without inverting it."""
    flipped = precision[::-1, ::-1]
    return linalg.cholesky(flipped, lower=True)[::-1, ::-1].copy()


def _check_positive_definite(matrices: np.ndarray, name: str) -> None:
    for index, matrix in enumerate(matrices):
        if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * np.abs(matrix).max()):
            raise ValueError(f"{name}[{index}] is not symmetric; give symmetric precision matrices")
        if np.linalg.eigvalsh(matrix).min() <= 0:
            raise ValueError(
                f"{name}[{index}] is not positive definite; every precision matrix must be"
            )


class CovarianceFamily:
    """Base class: the operations an engine and the kernels need from a family."""

    name: str
    kernel: str  # "full" or "diag": which E-step kernel serves this family
    covariance_dims: tuple[str, ...]

    def covariance_shape(self, K: int, D: int) -> tuple[int, ...]:
        raise NotImplementedError

    def n_covariance_parameters(self, K: int, D: int) -> int:
        raise NotImplementedError

    def n_parameters(self, K: int, D: int) -> int:
        """Free parameters of the whole mixture: covariances, means and K - 1 weights."""
        return self.n_covariance_parameters(K, D) + K * D + K - 1

    def pool(self, scatter: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project per-component scatter (kernel form) onto this family.

        Returns the pooled scatter in the family's covariance shape and the
        matching sample counts, so that ``scatter / counts`` is the
        maximum-likelihood covariance.
        """
        raise NotImplementedError

    def divide(self, pooled: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """``pooled / counts`` broadcast over the family's trailing axes."""
        counts = np.asarray(counts, dtype=np.float64)
        return pooled / counts.reshape(counts.shape + (1,) * (pooled.ndim - counts.ndim))

    def add_to_diagonal(self, covariance: np.ndarray, value: float) -> np.ndarray:
        raise NotImplementedError

    def precision_cholesky(self, covariance: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def precision_cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def precisions(self, precision_cholesky: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def covariances(self, precision_cholesky: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def log_det_precision_cholesky(self, precision_cholesky: np.ndarray, K: int, D: int) -> np.ndarray:
        """``log det U`` per component (half the log-determinant of the precision)."""
        raise NotImplementedError

    def kernel_factor(self, precision_cholesky: np.ndarray, K: int, D: int) -> np.ndarray:
        """The precision factor in the shape the E-step kernel expects."""
        raise NotImplementedError

    def check_precisions(self, precisions: np.ndarray, K: int, D: int) -> None:
        shape = self.covariance_shape(K, D)
        if precisions.shape != shape:
            raise ValueError(
                f"precisions_init has shape {precisions.shape}; a {self.name!r} model with "
                f"{K} components and {D} features needs shape {shape}"
            )


class Full(CovarianceFamily):
    name, kernel = "full", "full"
    covariance_dims = ("component", "feature", "feature2")

    def covariance_shape(self, K, D):
        return (K, D, D)

    def n_covariance_parameters(self, K, D):
        return K * D * (D + 1) // 2

    def pool(self, scatter, counts):
        return scatter, counts

    def add_to_diagonal(self, covariance, value):
        covariance = covariance.copy()
        covariance[:, np.arange(covariance.shape[1]), np.arange(covariance.shape[1])] += value
        return covariance

    def precision_cholesky(self, covariance):
        return np.stack(
            [_upper_cholesky_of_precision(c, f"component {k}") for k, c in enumerate(covariance)]
        )

    def precision_cholesky_from_precisions(self, precisions):
        return np.stack([_upper_cholesky_from_precision(p) for p in precisions])

    def precisions(self, precision_cholesky):
        return precision_cholesky @ np.swapaxes(precision_cholesky, -1, -2)

    def covariances(self, precision_cholesky):
        return np.stack([_covariance_from_factor(u) for u in precision_cholesky])

    def log_det_precision_cholesky(self, precision_cholesky, K, D):
        return np.log(np.diagonal(precision_cholesky, axis1=-2, axis2=-1)).sum(axis=-1)

    def kernel_factor(self, precision_cholesky, K, D):
        return np.ascontiguousarray(precision_cholesky, dtype=np.float64)

    def check_precisions(self, precisions, K, D):
        super().check_precisions(precisions, K, D)
        _check_positive_definite(precisions, "precisions_init")


def _covariance_from_factor(factor: np.ndarray) -> np.ndarray:
    inverse = _triangular_inverse(factor, lower=False)
    return inverse.T @ inverse  # (U U^T)^-1 = U^-T U^-1


class Tied(Full):
    name = "tied"
    covariance_dims = ("feature", "feature2")

    def covariance_shape(self, K, D):
        return (D, D)

    def n_covariance_parameters(self, K, D):
        return D * (D + 1) // 2

    def pool(self, scatter, counts):
        return scatter.sum(axis=0), np.asarray(counts.sum())

    def add_to_diagonal(self, covariance, value):
        return super().add_to_diagonal(covariance[None], value)[0]

    def precision_cholesky(self, covariance):
        return _upper_cholesky_of_precision(covariance, "all components (one tied covariance)")

    def precision_cholesky_from_precisions(self, precisions):
        return _upper_cholesky_from_precision(precisions)

    def covariances(self, precision_cholesky):
        return _covariance_from_factor(precision_cholesky)

    def log_det_precision_cholesky(self, precision_cholesky, K, D):
        return np.full(K, np.log(np.diagonal(precision_cholesky)).sum())

    def kernel_factor(self, precision_cholesky, K, D):
        return np.ascontiguousarray(np.broadcast_to(precision_cholesky, (K, D, D)), dtype=np.float64)

    def check_precisions(self, precisions, K, D):
        CovarianceFamily.check_precisions(self, precisions, K, D)
        _check_positive_definite(precisions[None], "precisions_init")


class Diag(CovarianceFamily):
    name, kernel = "diag", "diag"
    covariance_dims = ("component", "feature")

    def covariance_shape(self, K, D):
        return (K, D)

    def n_covariance_parameters(self, K, D):
        return K * D

    def pool(self, scatter, counts):
        return scatter, counts

    def add_to_diagonal(self, covariance, value):
        return covariance + value

    def precision_cholesky(self, covariance):
        bad = np.flatnonzero(~(covariance > 0).all(axis=tuple(range(1, covariance.ndim))))
        if bad.size:
            raise SingularCovarianceError(f"component {bad[0]}")
        return 1.0 / np.sqrt(covariance)

    def precision_cholesky_from_precisions(self, precisions):
        return np.sqrt(precisions)

    def precisions(self, precision_cholesky):
        return precision_cholesky**2

    def covariances(self, precision_cholesky):
        return 1.0 / precision_cholesky**2

    def log_det_precision_cholesky(self, precision_cholesky, K, D):
        return np.log(precision_cholesky).sum(axis=1)

    def kernel_factor(self, precision_cholesky, K, D):
        return np.ascontiguousarray(precision_cholesky, dtype=np.float64)

    def check_precisions(self, precisions, K, D):
        super().check_precisions(precisions, K, D)
        if np.any(precisions <= 0):
            raise ValueError("precisions_init must be positive: every precision is a 1/variance")


class Spherical(Diag):
    name = "spherical"
    covariance_dims = ("component",)

    def covariance_shape(self, K, D):
        return (K,)

    def n_covariance_parameters(self, K, D):
        return K

    def pool(self, scatter, counts):
        return scatter.mean(axis=1), counts

    def log_det_precision_cholesky(self, precision_cholesky, K, D):
        return D * np.log(precision_cholesky)

    def precision_cholesky(self, covariance):
        return super().precision_cholesky(covariance[:, None])[:, 0]

    def kernel_factor(self, precision_cholesky, K, D):
        return np.ascontiguousarray(np.repeat(precision_cholesky[:, None], D, axis=1), dtype=np.float64)


FAMILIES: dict[str, CovarianceFamily] = {
    family.name: family for family in (Full(), Tied(), Diag(), Spherical())
}
"""Registry of covariance families by ``covariance_type`` name."""
