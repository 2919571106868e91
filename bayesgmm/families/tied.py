"""``tied``: one (D, D) covariance shared by every component (the full kernel, broadcast)."""

from __future__ import annotations

import numpy as np

from .base import (
    CovarianceFamily,
    _check_positive_definite,
    _covariance_from_factor,
    _upper_cholesky_from_precision,
    _upper_cholesky_of_precision,
)
from .full import Full


class Tied(Full):
    name, mclust_name = "tied", "EEE"
    covariance_dims = ("feature", "feature2")

    def covariance_shape(self, K, D):
        return (D, D)

    def n_covariance_parameters(self, K, D):
        return D * (D + 1) // 2

    def dense_covariance(self, covariances, k, D):
        return covariances

    def n_stored_covariances(self, stored):
        return 1

    def conjugate_posterior(self, prior_dof, prior_scale, counts, spread, D):
        return np.asarray(prior_dof + counts.sum()), prior_scale + spread.sum(axis=0)

    def conjugate_mode(self, scale, dof, K, D):
        return scale / (dof + D + 1.0 + K)  # the K means' normals all share the one Sigma

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
        return np.ascontiguousarray(
            np.broadcast_to(precision_cholesky, (K, D, D)), dtype=np.float64
        )

    def check_precisions(self, precisions, K, D):
        CovarianceFamily.check_precisions(self, precisions, K, D)
        _check_positive_definite(precisions[None], "precisions_init", self.name)
