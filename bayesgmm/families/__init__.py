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

R mclust's fourteen families (Celeux & Govaert 1995, volume / shape /
orientation Equal or Variable) are all here: scikit-learn's four under their
own names (``full`` = VVV, ``tied`` = EEE, ``diag`` = VVI, ``spherical`` = VII,
which are also accepted as :data:`ALIASES`), and EII, EEI, VEI, EVI
(:mod:`.diagonal_models`, stored as ``spherical``/``diag``) and VEE, EVE, VVE,
EEV, VEV, EVV (:mod:`.ellipsoidal_models`, stored as ``full``).  mclust's
one-dimensional names ``E`` and ``V`` are aliases of EII and VII.

Two E-step kernels serve the four families: ``full`` (tied broadcasts its one
factor to every component) and ``diag`` (spherical repeats its one variance
along the features).  Keeping the number of compiled kernels small keeps a
cold Numba compile short.
"""

from __future__ import annotations

from .base import CONJUGATE_FAMILY_NAMES, CovarianceFamily
from .diag import Diag
from .diagonal_models import (
    EqualDiagonal,
    EqualSpherical,
    VariableShapeDiagonal,
    VariableVolumeDiagonal,
)
from .ellipsoidal_models import (
    CommonOrientation,
    EqualVolume,
    EqualVolumeCommonOrientation,
    EqualVolumeEqualShape,
    VariableVolumeEqualMatrix,
    VariableVolumeEqualShape,
)
from .full import Full
from .spherical import Spherical
from .tied import Tied

FAMILIES: dict[str, CovarianceFamily] = {}
"""Registry of covariance families by ``covariance_type`` name."""


def register_family(family: CovarianceFamily) -> CovarianceFamily:
    """Make ``family`` available as ``covariance_type=family.name``; returns it.

    A new family is one module defining a :class:`CovarianceFamily` subclass plus
    one call here (or in the user's code); see docs/extending.md.
    """
    if not getattr(family, "name", None):
        raise ValueError("a covariance family needs a name")
    FAMILIES[family.name] = family
    return family


def unregister_family(name: str) -> None:
    """Remove a family registered under ``name`` (tests that register their own)."""
    FAMILIES.pop(name, None)


for _family in (
    Full(),
    Tied(),
    Diag(),
    Spherical(),
    EqualSpherical(),
    EqualDiagonal(),
    VariableVolumeDiagonal(),
    VariableShapeDiagonal(),
    VariableVolumeEqualMatrix(),
    EqualVolumeCommonOrientation(),
    CommonOrientation(),
    EqualVolumeEqualShape(),
    VariableVolumeEqualShape(),
    EqualVolume(),
):
    register_family(_family)

SKLEARN_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
"""scikit-learn's four names, the default sweep of :func:`bayesgmm.select`."""

MCLUST_MODELS = (
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
)  # fmt: skip
"""mclust's fourteen multivariate models in its own order (``mclust.options("emModelNames")``)."""

ONE_DIMENSIONAL_MODELS = ("E", "V")
"""mclust's models of one-dimensional data: equal or variable variance."""

ALIASES = {
    "VVV": "full",
    "EEE": "tied",
    "VVI": "diag",
    "VII": "spherical",
    "E": "EII",
    "V": "spherical",
}
"""Other accepted names of registered families (mclust's names of scikit-learn's four)."""

ALL_MODELS = "all"
"""The word that sweeps every mclust model (``select(X, ks, "all")``, ``--covariance all``)."""


def family_named(name: str) -> CovarianceFamily:
    """The family registered as ``name`` or one of its :data:`ALIASES`."""
    return FAMILIES[ALIASES.get(name, name)]


def family_names() -> tuple[str, ...]:
    """Every accepted ``covariance_type``: the registered names, then the aliases."""
    return tuple(FAMILIES) + tuple(a for a in ALIASES if a not in FAMILIES)


def all_models(n_features: int) -> tuple[str, ...]:
    """What ``"all"`` sweeps: mclust's 14 models, or ``E`` and ``V`` for one feature (as mclust)."""
    return ONE_DIMENSIONAL_MODELS if n_features == 1 else MCLUST_MODELS


__all__ = [
    "ALIASES",
    "ALL_MODELS",
    "CONJUGATE_FAMILY_NAMES",
    "FAMILIES",
    "MCLUST_MODELS",
    "ONE_DIMENSIONAL_MODELS",
    "SKLEARN_COVARIANCE_TYPES",
    "CovarianceFamily",
    "Diag",
    "Full",
    "Spherical",
    "Tied",
    "all_models",
    "family_named",
    "family_names",
    "register_family",
    "unregister_family",
]
