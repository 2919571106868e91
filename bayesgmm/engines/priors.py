"""Prior hyperparameters of the Bayesian engines.

* :class:`MAPPrior` for ``engine="map"``: a Dirichlet prior on the weights and the
  conjugate Normal-inverse-Wishart prior of Fraley & Raftery (2007) on each
  component's mean and covariance, with the defaults of R's mclust
  (``priorControl()`` / ``defaultPrior``).
* :class:`VBPrior` for ``engine="vb"``: the priors of scikit-learn's
  ``BayesianGaussianMixture`` (Dirichlet distribution or truncated Dirichlet
  process on the weights, Normal-Wishart on means and precisions), with its defaults.

Every hyperparameter is optional.  ``None`` takes the default, which may
depend on the data: the (sample-weighted) mean and covariance of the rows the
model is fitted to, normalised by ``n - 1`` as :func:`numpy.cov`.
Construction checks what can be checked without data (signs, finiteness,
symmetry, positive definiteness); :meth:`~MAPPrior.resolved` checks shapes
against the data and returns a copy with every hyperparameter explicit, which
is what a fit records and saves.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

import numpy as np

from ..data.moments import DataMoments
from ..families import CovarianceFamily
from .saved import prior_from_variables

WEIGHT_PRIORS = ("dirichlet_process", "dirichlet_distribution")


# ------------------------------------------------------------------ checks
def _scalar(owner: str, name: str, value: Any, *, above: float, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}.{name} must be a real number, got {type(value).__name__} {value!r}"
        )
    value = float(value)
    if not np.isfinite(value) or value <= above:
        raise ValueError(f"{owner}.{name}={value!r} must be a finite number > {above:g}; {hint}")
    return value


def _array(owner: str, name: str, value: Any) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)  # a private copy
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{owner}.{name} must be real numbers: {exc}") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{owner}.{name} contains NaN or infinite values; give finite numbers")
    return array


def _mean_vector(owner: str, value: Any) -> np.ndarray:
    """A prior mean: finite numbers, one per feature."""
    mean = _array(owner, "mean", value)
    if mean.ndim != 1:
        raise ValueError(f"{owner}.mean has shape {mean.shape}; give one number per feature")
    return mean


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array


def _check_scale(owner: str, name: str, value: Any, what: str) -> np.ndarray:
    """A scale is a positive number, a vector of positive numbers or an SPD matrix."""
    array = _array(owner, name, value)
    if array.ndim > 2 or (array.ndim == 2 and array.shape[0] != array.shape[1]):
        raise ValueError(
            f"{owner}.{name} has shape {array.shape}; give a number, one number per feature, "
            f"or a square (n_features, n_features) matrix"
        )
    if array.ndim == 2:
        if not np.allclose(array, array.T, rtol=1e-10, atol=1e-12 * np.abs(array).max()):
            raise ValueError(f"{owner}.{name} is not symmetric; {what} must be a symmetric matrix")
        if array.size and np.linalg.eigvalsh(array).min() <= 0:
            raise ValueError(
                f"{owner}.{name} is not positive definite (smallest eigenvalue "
                f"{np.linalg.eigvalsh(array).min():.3g}); {what} must be positive definite, "
                "e.g. a covariance matrix of the data"
            )
    elif np.any(array <= 0):
        raise ValueError(f"{owner}.{name} must be positive: {what} is a variance")
    return _frozen(array)


def prior_scale_shape(family: CovarianceFamily, n_features: int) -> tuple[int, ...]:
    """Shape of a covariance-like hyperparameter for one component of ``family``."""
    return family.prior_scale_shape(n_features)


def prior_scale_dims(family: CovarianceFamily) -> tuple[str, ...]:
    """xarray dims of a covariance-like hyperparameter (the family's, without ``component``)."""
    return family.prior_scale_dims()


def _scale_for_family(
    owner: str, name: str, scale: np.ndarray, family: CovarianceFamily, D: int
) -> np.ndarray:
    """A user-given scale in the family's per-component shape, or a clear error."""
    shape = prior_scale_shape(family, D)
    if scale.shape == shape:
        return scale
    if len(shape) == 1 and scale.ndim == 0:  # diag: one number for every feature
        return _frozen(np.full(shape, float(scale)))
    if len(shape) == 2 and D == 1 and scale.size == 1:  # one feature: a number is a 1 x 1 matrix
        return _frozen(scale.reshape(shape))
    wanted = {
        2: f"a ({D}, {D}) matrix",
        1: f"a number or {D} numbers, one per feature",
        0: "a single number (one variance shared by all features)",
    }[len(shape)]
    raise ValueError(
        f"{owner}.{name} has shape {scale.shape}, but a {family.name!r} model with {D} "
        f"feature{'s' if D != 1 else ''} needs {wanted}"
    )


# A data-derived default scale that is singular (a constant feature, a feature that is an
# exact combination of others, fewer rows than features) gets this fraction of its mean
# variance added to its diagonal, as reg_covar regularises a covariance: the default prior
# is then always proper.  A positive definite default is left exactly as it was.
DEFAULT_SCALE_REGULARISATION = 1e-6


def _proper_default_scale(owner: str, name: str, scale, moments: DataMoments) -> np.ndarray:
    """The data-derived default ``scale``, regularised if singular so the prior is proper."""
    scale = np.asarray(scale, dtype=np.float64)
    if moments.total_weight < 2:
        raise ValueError(
            f"the default {owner}.{name} is the data's covariance, which needs at least 2 "
            f"samples, got n_samples={moments.total_weight:g}; give more rows or pass "
            f"{owner}({name}=...)"
        )
    positive = np.linalg.eigvalsh(scale).min() > 0 if scale.ndim == 2 else np.all(scale > 0)
    if positive:
        return scale
    level = float(np.mean(np.diag(scale) if scale.ndim == 2 else scale))
    if level > 0 and np.isfinite(level):
        jitter = DEFAULT_SCALE_REGULARISATION * level
        return scale + jitter * np.eye(len(scale)) if scale.ndim == 2 else scale + jitter
    raise ValueError(
        f"the default {owner}.{name}, computed from the data's covariance, is zero: every "
        f"feature is constant. Drop constant features, or pass {owner}({name}=...)"
    )


def _check_dof(owner: str, dof: float, minimum: int, what: str) -> float:
    if dof <= minimum - 1:
        # VBPrior is BayesianGaussianMixture's degrees_of_freedom_prior: its wording first
        theirs = (
            f"The parameter 'degrees_of_freedom_prior' should be greater than {minimum - 1}, "
            f"but got {dof:.3f}. "
            if owner == "VBPrior"
            else ""
        )
        raise ValueError(
            f"{theirs}{owner}.degrees_of_freedom={dof:g} must exceed {minimum - 1} for {what}; "
            f"use at least {minimum}"
        )
    return dof


# ------------------------------------------------------------------- MAP
class _DataDependentDefaults:
    """What MAPPrior and VBPrior share: hyperparameters left None take data-dependent defaults."""

    # the hyperparameters saved as single numbers (the others are saved as arrays)
    saved_scalars: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_variables(
        cls, variables: dict, n_components: int, n_features: int, family, **given: Any
    ) -> Any:
        """Rebuild a resolved prior from its ``prior_*`` variables (as read from a file).

        It meets the checks a prior given to a fit meets (construction, then
        :meth:`resolved` for the model's shape); a value outside them is a
        :class:`~bayesgmm.exceptions.SavedFitError` naming the variable.  ``given``: the
        fields not saved as variables (VBPrior's ``weight_prior``).
        """
        return prior_from_variables(
            cls, variables, cls.saved_scalars, given, n_components, n_features, family
        )

    @property
    def is_explicit(self) -> bool:
        """True when no hyperparameter is left to a data-dependent default."""
        return all(getattr(self, f.name) is not None for f in fields(self))

    def _require_moments(self, moments: DataMoments | None) -> None:
        if moments is None and not self.is_explicit:
            raise ValueError(
                f"the data-dependent defaults of a {type(self).__name__} need the data"
            )


@dataclass(frozen=True, eq=False)
class MAPPrior(_DataDependentDefaults):
    """Conjugate prior of ``engine="map"`` (Fraley & Raftery 2007; R's mclust).

    Weights ``pi ~ Dirichlet(weight_concentration)``; each component's
    covariance ``Sigma_k ~ inverse-Wishart(degrees_of_freedom, scale)`` (for
    ``diag`` every variance, for ``spherical`` the one variance, an
    inverse-gamma(``degrees_of_freedom / 2``, ``scale / 2``)); each mean
    ``mu_k | Sigma_k ~ Normal(mean, Sigma_k / shrinkage)``.  A ``tied`` model has
    one covariance and so one inverse-Wishart, and a mean prior per component.

    Parameters
    ----------
    weight_concentration : float or (n_components,) array, default 1
        Dirichlet concentration alpha_k >= 1.  1 leaves the weights at their
        maximum-likelihood values; larger values pull them towards equality.
    mean : (n_features,) array, default the data mean
        Prior mean mu_P of every component mean.
    shrinkage : float > 0, default 0.01
        kappa: the prior mean counts as ``shrinkage`` observations.
    degrees_of_freedom : float, default n_features + 2
        nu; must exceed ``n_features - 1`` (full, tied) or 0 (diag, spherical).
    scale : array or float, default from the data
        Lambda_P.  full/tied: an (n_features, n_features) positive definite
        matrix, default ``cov(X) / G**(2/d)``; diag: a number or one per
        feature, spherical: a number, default ``G**(-2/d) * sum_j var(x_j) / d``
        (G components, d features, variances with ``n - 1``).

    Notes
    -----
    The mode of the posterior is what ``engine="map"`` finds; with the
    defaults it equals mclust's ``Mclust(..., prior = priorControl())`` M-step.
    """

    saved_scalars = ("shrinkage", "degrees_of_freedom")

    weight_concentration: Any = None
    mean: Any = None
    shrinkage: float | None = None
    degrees_of_freedom: float | None = None
    scale: Any = None

    def __post_init__(self) -> None:
        owner = "MAPPrior"
        set_ = lambda k, v: object.__setattr__(self, k, v)
        if self.weight_concentration is not None:
            alpha = _array(owner, "weight_concentration", self.weight_concentration)
            if alpha.ndim > 1:
                raise ValueError(
                    f"MAPPrior.weight_concentration has shape {alpha.shape}; give one number or "
                    "one per component"
                )
            if np.any(alpha < 1):
                raise ValueError(
                    "MAPPrior.weight_concentration must be >= 1: below 1 the posterior of the "
                    "weights has no mode inside the simplex. Use 1 (no effect) or more, or "
                    "engine='vb' with a small weight_concentration to switch components off"
                )
            set_("weight_concentration", _frozen(alpha))
        if self.mean is not None:
            set_("mean", _frozen(_mean_vector(owner, self.mean)))
        if self.shrinkage is not None:
            set_(
                "shrinkage",
                _scalar(
                    owner,
                    "shrinkage",
                    self.shrinkage,
                    above=0.0,
                    hint="it is the number of observations the prior mean counts as "
                    "(mclust's default is 0.01)",
                ),
            )
        if self.degrees_of_freedom is not None:
            set_(
                "degrees_of_freedom",
                _scalar(
                    owner,
                    "degrees_of_freedom",
                    self.degrees_of_freedom,
                    above=0.0,
                    hint="the default is n_features + 2",
                ),
            )
        if self.scale is not None:
            set_("scale", _check_scale(owner, "scale", self.scale, "the inverse-Wishart scale"))

    def resolved(
        self,
        moments: DataMoments | None,
        n_components: int,
        n_features: int,
        family: CovarianceFamily,
    ) -> MAPPrior:
        """A copy with every hyperparameter explicit, checked against the model's shape."""
        K, D = n_components, n_features
        self._require_moments(moments)
        alpha = np.ones(K) if self.weight_concentration is None else self.weight_concentration
        if alpha.ndim == 0:
            alpha = np.full(K, float(alpha))
        if alpha.shape != (K,):
            raise ValueError(
                f"MAPPrior.weight_concentration has {alpha.size} entries but the model has "
                f"{K} components; give one number or one per component"
            )
        mean = moments.mean if self.mean is None else self.mean
        if mean.shape != (D,):
            raise ValueError(
                f"MAPPrior.mean has {mean.size} entries but the data has {D} features; give one "
                "per feature"
            )
        p = family.inverse_wishart_dimension(D)
        dof = float(D + 2) if self.degrees_of_freedom is None else self.degrees_of_freedom
        _check_dof(
            "MAPPrior",
            dof,
            p,
            f"an inverse-Wishart prior of dimension {p}" if p > 1 else "an inverse-gamma prior",
        )
        if self.scale is None:
            covariance = np.atleast_2d(moments.covariance)
            factor = float(K) ** (-2.0 / D)
            scale = family.default_prior_scale(covariance, factor, D)
            scale = _proper_default_scale("MAPPrior", "scale", scale, moments)
        else:
            scale = _scale_for_family("MAPPrior", "scale", self.scale, family, D)
        return MAPPrior(
            weight_concentration=alpha,
            mean=mean,
            shrinkage=0.01 if self.shrinkage is None else self.shrinkage,
            degrees_of_freedom=dof,
            scale=np.array(scale),
        )

    def variables(self, family: CovarianceFamily) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """The (resolved) hyperparameters as result-Dataset variables ``prior_*``."""
        return {
            "prior_weight_concentration": (("component",), np.asarray(self.weight_concentration)),
            "prior_mean": (("feature",), np.asarray(self.mean)),
            "prior_shrinkage": ((), np.asarray(self.shrinkage)),
            "prior_degrees_of_freedom": ((), np.asarray(self.degrees_of_freedom)),
            "prior_scale": (prior_scale_dims(family), np.asarray(self.scale)),
        }


# -------------------------------------------------------------------- VB
@dataclass(frozen=True, eq=False)
class VBPrior(_DataDependentDefaults):
    """Priors of ``engine="vb"``, as scikit-learn's ``BayesianGaussianMixture``.

    The parameters are scikit-learn's, named without the ``_prior`` suffix.

    Parameters
    ----------
    weight_prior : {"dirichlet_process", "dirichlet_distribution"}, default "dirichlet_process"
        Truncated stick-breaking (each stick ``v_k ~ Beta(1, weight_concentration)``)
        or a symmetric Dirichlet on the weights (scikit-learn's
        ``weight_concentration_prior_type``).
    weight_concentration : float > 0, default 1 / n_components
        Small values leave the weight on few components.
    mean_precision : float > 0, default 1
        beta_0: the prior mean counts as ``mean_precision`` observations.
    mean : (n_features,) array, default the data mean
    degrees_of_freedom : float, default n_features
        nu_0 of the Wishart prior on each precision; must exceed ``n_features - 1``.
    covariance : array or float, default from the data
        W_0^-1, the inverse-Wishart scale: full/tied an (n_features, n_features)
        positive definite matrix (default ``np.cov(X.T)``); diag one variance per
        feature (default their sample variances); spherical a number (default
        the mean sample variance).
    """

    saved_scalars = ("weight_concentration", "mean_precision", "degrees_of_freedom")

    weight_prior: str = "dirichlet_process"
    weight_concentration: float | None = None
    mean_precision: float | None = None
    mean: Any = None
    degrees_of_freedom: float | None = None
    covariance: Any = None

    def __post_init__(self) -> None:
        owner = "VBPrior"
        set_ = lambda k, v: object.__setattr__(self, k, v)
        if not isinstance(self.weight_prior, str) or self.weight_prior not in WEIGHT_PRIORS:
            raise ValueError(
                f"VBPrior.weight_prior={self.weight_prior!r} is not one of "
                + ", ".join(repr(v) for v in WEIGHT_PRIORS)
            )
        if self.weight_concentration is not None:
            set_(
                "weight_concentration",
                _scalar(
                    owner,
                    "weight_concentration",
                    self.weight_concentration,
                    above=0.0,
                    hint="small values (e.g. 0.001) favour few components, large ones many",
                ),
            )
        if self.mean_precision is not None:
            set_(
                "mean_precision",
                _scalar(
                    owner,
                    "mean_precision",
                    self.mean_precision,
                    above=0.0,
                    hint="scikit-learn's default is 1",
                ),
            )
        if self.mean is not None:
            set_("mean", _frozen(_mean_vector(owner, self.mean)))
        if self.degrees_of_freedom is not None:
            set_(
                "degrees_of_freedom",
                _scalar(
                    owner,
                    "degrees_of_freedom",
                    self.degrees_of_freedom,
                    above=0.0,
                    hint="the default is n_features",
                ),
            )
        if self.covariance is not None:
            set_(
                "covariance",
                _check_scale(owner, "covariance", self.covariance, "the covariance prior"),
            )

    def resolved(
        self,
        moments: DataMoments | None,
        n_components: int,
        n_features: int,
        family: CovarianceFamily,
    ) -> VBPrior:
        """A copy with every hyperparameter explicit, checked against the model's shape."""
        K, D = n_components, n_features
        self._require_moments(moments)
        mean = moments.mean if self.mean is None else self.mean
        if mean.shape != (D,):
            raise ValueError(
                f"VBPrior.mean has {mean.size} entries but the data has {D} features; give one "
                "per feature"
            )
        dof = float(D) if self.degrees_of_freedom is None else self.degrees_of_freedom
        _check_dof("VBPrior", dof, D, f"a Wishart prior on {D} features")
        if self.covariance is None:
            covariance = np.atleast_2d(moments.covariance)
            shape = prior_scale_shape(family, D)
            scale = {2: covariance, 1: np.diag(covariance), 0: np.diag(covariance).mean()}[
                len(shape)
            ]
            scale = _proper_default_scale("VBPrior", "covariance", scale, moments)
        else:
            scale = _scale_for_family("VBPrior", "covariance", self.covariance, family, D)
        return replace(
            self,
            weight_concentration=1.0 / K
            if self.weight_concentration is None
            else self.weight_concentration,
            mean_precision=1.0 if self.mean_precision is None else self.mean_precision,
            mean=mean,
            degrees_of_freedom=dof,
            covariance=np.array(scale),
        )

    def variables(self, family: CovarianceFamily) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """The (resolved) numeric hyperparameters as result-Dataset variables ``prior_*``."""
        return {
            "prior_weight_concentration": ((), np.asarray(self.weight_concentration)),
            "prior_mean_precision": ((), np.asarray(self.mean_precision)),
            "prior_mean": (("feature",), np.asarray(self.mean)),
            "prior_degrees_of_freedom": ((), np.asarray(self.degrees_of_freedom)),
            "prior_covariance": (prior_scale_dims(family), np.asarray(self.covariance)),
        }


__all__ = ["WEIGHT_PRIORS", "MAPPrior", "VBPrior"]
