"""``diag``: per-component, per-feature variances, served by the diag kernel."""

from __future__ import annotations

import numpy as np

from ..exceptions import SingularCovarianceError
from ..kernels.forms import DIAG
from .base import CovarianceFamily


class Diag(CovarianceFamily):
    name, kernel, mclust_name = "diag", DIAG, "VVI"
    covariance_dims: tuple[str, ...] = ("component", "feature")

    def covariance_shape(self, K, D):
        return (K, D)

    def n_covariance_parameters(self, K, D):
        return K * D

    def dense_covariance(self, covariances, k, D):
        return np.diag(covariances[k])

    def conjugate_posterior(self, prior_dof, prior_scale, counts, spread, D):
        return 0.5 * (prior_dof + counts), 0.5 * (prior_scale + spread)

    def conjugate_mode(self, scale, dof, K, D):
        return scale / (dof + 1.5)[:, None]  # the mean's normal: 1/2 per diagonal variance

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
            raise ValueError(
                f"'{self.name} precision' should be positive: precisions_init must be positive, "
                "every precision is a 1/variance"
            )
