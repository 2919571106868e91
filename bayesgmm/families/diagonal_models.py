"""mclust's diagonal families beyond VII (spherical) and VVI (diag): EII, EEI, VEI, EVI.

All are served by the diag kernel and stored as scikit-learn stores ``spherical``
((K,) variances: EII) or ``diag`` ((K, D) variances: EEI, VEI, EVI); a shared
parameter is repeated in every component's row, so ``covariances_`` reads the same
way for every family of a storage shape.

=====  ========================  ===================================  ==========
name   covariance                free covariance parameters           M-step
=====  ========================  ===================================  ==========
EII    ``lambda I``              1                                    pooled
EEI    ``lambda B``              D                                    pooled
VEI    ``lambda_k B``            K + D - 1                            iterative
EVI    ``lambda B_k``            1 + K (D - 1)                        closed form
=====  ========================  ===================================  ==========

(``B`` diagonal with determinant 1; the counts are mclust's ``nVarParams``.)
EII and EEI pool their statistics like tied pools full, so the conjugate
posterior and the VB update exist for them; VEI and EVI solve their M-step in
:mod:`bayesgmm.families.orientation`.
"""

from __future__ import annotations

import numpy as np

from .base import ConstrainedSolve, check_rows_equal
from .diag import Diag
from .orientation import (
    equal_volume_variable_diagonal_shape,
    variable_volume_equal_diagonal_shape,
)
from .spherical import Spherical


class _SharedAcrossComponents:
    """A family storing one shared value in every component's row (EII, EEI)."""

    name: str
    # what the rows repeat, for the message of a file whose rows disagree
    shared: str

    def share_draws(self, precisions):
        return np.broadcast_to(precisions[:, :1], precisions.shape).copy()

    def check_shared(self, covariances, precisions_cholesky):
        check_rows_equal(self.shared, self.name, covariances, precisions_cholesky)


class EqualSpherical(_SharedAcrossComponents, Spherical):
    """EII: one variance shared by every component and every feature."""

    name = mclust_name = "EII"
    shared = "variance"

    def n_covariance_parameters(self, K, D):
        return 1

    def prior_copies(self, K, D):
        return float(K * D)

    def pool(self, scatter, counts):
        K = counts.shape[0]
        return np.full(K, scatter.mean(axis=1).sum()), np.full(K, counts.sum())

    def conjugate_posterior(self, prior_dof, prior_scale, counts, spread, D):
        K = counts.shape[0]
        shape = np.full(K, 0.5 * (prior_dof + D * counts.sum()))
        return shape, np.full(K, 0.5 * (prior_scale + spread.sum()))

    def conjugate_mode(self, scale, dof, K, D):
        return scale / (dof + 1.0 + 0.5 * K * D)  # all K means' normals share the variance


class EqualDiagonal(_SharedAcrossComponents, Diag):
    """EEI: one set of per-feature variances shared by every component."""

    name = mclust_name = "EEI"
    shared = "set of per-feature variances"

    def n_covariance_parameters(self, K, D):
        return D

    def prior_copies(self, K, D):
        return float(K)

    def pool(self, scatter, counts):
        K = counts.shape[0]
        pooled = np.broadcast_to(scatter.sum(axis=0), scatter.shape).copy()
        return pooled, np.full(K, counts.sum())

    def conjugate_posterior(self, prior_dof, prior_scale, counts, spread, D):
        K = counts.shape[0]
        shape = np.full(K, 0.5 * (prior_dof + counts.sum()))
        scale = np.broadcast_to(0.5 * (prior_scale + spread.sum(axis=0)), spread.shape).copy()
        return shape, scale

    def conjugate_mode(self, scale, dof, K, D):
        return scale / (dof + 1.0 + 0.5 * K)[:, None]


class VariableVolumeDiagonal(ConstrainedSolve, Diag):
    """VEI: ``lambda_k B``, a volume per component and one diagonal shape."""

    name = mclust_name = "VEI"
    solve = staticmethod(variable_volume_equal_diagonal_shape)

    def n_covariance_parameters(self, K, D):
        return K + D - 1


class VariableShapeDiagonal(ConstrainedSolve, Diag):
    """EVI: ``lambda B_k``, one volume and a diagonal shape per component."""

    name = mclust_name = "EVI"
    solve = staticmethod(equal_volume_variable_diagonal_shape)

    def n_covariance_parameters(self, K, D):
        return 1 + K * (D - 1)
