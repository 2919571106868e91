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

from .base import CovarianceFamily
from .diag import Diag
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


for _family in (Full(), Tied(), Diag(), Spherical()):
    register_family(_family)

__all__ = [
    "FAMILIES",
    "CovarianceFamily",
    "Diag",
    "Full",
    "Spherical",
    "Tied",
    "register_family",
    "unregister_family",
]
