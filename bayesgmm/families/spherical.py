"""``spherical``: one variance per component (the diag kernel, repeated along the features)."""

from __future__ import annotations

import numpy as np

from .diag import Diag


class Spherical(Diag):
    name, mclust_name = "spherical", "VII"
    covariance_dims = ("component",)

    def covariance_shape(self, K, D):
        return (K,)

    def n_covariance_parameters(self, K, D):
        return K

    def dense_covariance(self, covariances, k, D):
        return np.eye(D) * covariances[k]

    def conjugate_posterior(self, prior_dof, prior_scale, counts, spread, D):
        return 0.5 * (prior_dof + D * counts), 0.5 * (prior_scale + spread.sum(axis=1))

    def conjugate_mode(self, scale, dof, K, D):
        return scale / (dof + 1.0 + 0.5 * D)  # the mean's normal: D/2 for the one variance

    def pool(self, scatter, counts):
        return scatter.mean(axis=1), counts

    def log_det_precision_cholesky(self, precision_cholesky, K, D):
        return D * np.log(precision_cholesky)

    def precision_cholesky(self, covariance):
        return super().precision_cholesky(covariance[:, None])[:, 0]

    def kernel_factor(self, precision_cholesky, K, D):
        return np.ascontiguousarray(
            np.repeat(precision_cholesky[:, None], D, axis=1), dtype=np.float64
        )
