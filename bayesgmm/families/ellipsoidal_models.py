"""mclust's ellipsoidal families beyond EEE (tied) and VVV (full).

All are served by the full kernel and stored as scikit-learn stores ``full``
((K, D, D) covariances).  Each solves its M-step in
:mod:`bayesgmm.families.orientation` (``Sigma_k = lambda_k D_k A_k D_k^T``).

=====  ============================  ===========================================  ===========
name   covariance                    free covariance parameters (``nVarParams``)  M-step
=====  ============================  ===========================================  ===========
VEE    ``lambda_k C``                K + D (D + 1) / 2 - 1                        iterative
EVE    ``lambda D A_k D^T``          1 + K (D - 1) + D (D - 1) / 2                iterative (MM)
VVE    ``lambda_k D A_k D^T``        K + K (D - 1) + D (D - 1) / 2                iterative (MM)
EEV    ``lambda D_k A D_k^T``        1 + (D - 1) + K D (D - 1) / 2                closed form
VEV    ``lambda_k D_k A D_k^T``      K + (D - 1) + K D (D - 1) / 2                iterative
EVV    ``lambda C_k``                1 + K (D (D + 1) / 2 - 1)                    closed form
=====  ============================  ===========================================  ===========
"""

from __future__ import annotations

from functools import partial

from .base import ConstrainedSolve
from .full import Full
from .orientation import (
    common_orientation,
    equal_volume_equal_shape_variable_orientation,
    equal_volume_variable_matrix,
    variable_volume_equal_matrix,
    variable_volume_equal_shape_variable_orientation,
)


class _Ellipsoidal(ConstrainedSolve, Full):
    # a shared volume, shape or orientation is not linear in the log-Cholesky factors
    extrapolates_within_family = False


class VariableVolumeEqualMatrix(_Ellipsoidal):
    """VEE: a volume per component, one shape and orientation."""

    name = mclust_name = "VEE"
    solve = staticmethod(variable_volume_equal_matrix)

    def n_covariance_parameters(self, K, D):
        return K + D * (D + 1) // 2 - 1


class EqualVolumeCommonOrientation(_Ellipsoidal):
    """EVE: one volume and orientation, a shape per component."""

    name = mclust_name = "EVE"
    solve = staticmethod(partial(common_orientation, equal_volume=True))

    def n_covariance_parameters(self, K, D):
        return 1 + K * (D - 1) + D * (D - 1) // 2


class CommonOrientation(_Ellipsoidal):
    """VVE: one orientation, a volume and a shape per component."""

    name = mclust_name = "VVE"
    solve = staticmethod(partial(common_orientation, equal_volume=False))

    def n_covariance_parameters(self, K, D):
        return K * D + D * (D - 1) // 2


class EqualVolumeEqualShape(_Ellipsoidal):
    """EEV: one volume and shape, an orientation per component."""

    name = mclust_name = "EEV"
    solve = staticmethod(equal_volume_equal_shape_variable_orientation)

    def n_covariance_parameters(self, K, D):
        return D + K * D * (D - 1) // 2


class VariableVolumeEqualShape(_Ellipsoidal):
    """VEV: one shape, a volume and an orientation per component."""

    name = mclust_name = "VEV"
    solve = staticmethod(variable_volume_equal_shape_variable_orientation)

    def n_covariance_parameters(self, K, D):
        return K + D - 1 + K * D * (D - 1) // 2


class EqualVolume(_Ellipsoidal):
    """EVV: one volume, a shape and an orientation per component."""

    name = mclust_name = "EVV"
    solve = staticmethod(equal_volume_variable_matrix)

    def n_covariance_parameters(self, K, D):
        return 1 + K * (D * (D + 1) // 2 - 1)
