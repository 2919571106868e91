"""Shared algebra of the conjugate engines (MAP-EM and VB), in *kernel form*.

The E-step kernels hand back scatter in one of two forms: ``full`` (K, D, D)
matrices or ``diag`` (K, D) diagonals.  The Bayesian updates are written once
on per-component matrices in that form (the same formula serves a (D, D)
matrix and its diagonal, since both are elementwise in the diagonal case), and
the covariance family projects the result onto its own shape with
:meth:`~bayesgmm.families.CovarianceFamily.pool`.  Nothing here knows a
family by name: ``tied`` and ``spherical`` differ from ``full`` and ``diag``
only in how their ``pool`` aggregates the per-component copies.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ..families import CovarianceFamily
from ..kernels.forms import KernelForm


def in_kernel_form(family: CovarianceFamily, value: np.ndarray, D: int) -> np.ndarray:
    """A per-component covariance-like hyperparameter as a (D, D) matrix or (D,) diagonal."""
    return family.kernel.as_form(value, D)


def outer(kernel: KernelForm, vectors: np.ndarray) -> np.ndarray:
    """``v v^T`` per row of ``vectors`` (K, D), in kernel form."""
    return kernel.outer(vectors)


def add_to_diagonal(kernel: KernelForm, matrices: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``matrices[k] + values[k] I`` in kernel form."""
    return kernel.add_to_diagonal(matrices, values)


def log_det(kernel: KernelForm, matrix: np.ndarray) -> float:
    """``log |A|`` of one positive definite hyperparameter in kernel form."""
    return kernel.log_det(matrix)


def precisions(kernel: KernelForm, factor: np.ndarray) -> np.ndarray:
    """Precision matrices (or diagonals) from kernel factors: ``U U^T`` or ``f**2``."""
    return kernel.precisions(factor)


def quadratic(kernel: KernelForm, vectors: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``||v_k U_k||^2 = v_k^T P_k v_k`` per component, as the E-step kernel evaluates it."""
    return kernel.quadratic(vectors, factor)


def trace_product(prior: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """``tr(A P_k)`` per component for a symmetric ``A`` in kernel form."""
    return (prior * precision).reshape(precision.shape[0], -1).sum(axis=1)


def kernel_copies(family: CovarianceFamily, K: int, D: int) -> float:
    """How many kernel-form entries stand for one free covariance parameter (the family says)."""
    return family.prior_copies(K, D)


def multigammaln(a, d: int):
    """``log Gamma_d(a)``, the multivariate log-gamma function, as :func:`scipy.special.multigammaln`.

    The same sum in the same order, without SciPy's argument checks and array-API
    dispatch, which cost more than the sum: MAP's and VB's objectives evaluate it
    every iteration (30-40 us of a 2000 x 6, K=5 iteration).  The callers'
    degrees of freedom satisfy ``a > (d - 1) / 2`` by the priors' validation.
    """
    a = np.asarray(a, dtype=np.float64)
    result = (d * (d - 1) * 0.25) * np.log(np.pi)
    return result + np.sum(gammaln([a - (j - 1.0) / 2 for j in range(1, d + 1)]), axis=0)
