"""The protocol every engine follows.

An engine knows one set of update equations (EM, MAP-EM, VB) and nothing
about the data: it receives :class:`~bayesgmm.stats.SuffStats`, returns its
new state, turns a state into the :class:`~bayesgmm.stats.GaussianTerms` the
E-step kernel needs, and says what it adds to the summed log-likelihood to
make the objective it maximises (0 for EM, the log prior for MAP, minus the
KL divergence of q from the prior for VB).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..data.moments import DataMoments
from ..families import CovarianceFamily
from ..stats import GaussianTerms, SuffStats

# scikit-learn adds this to every component's count so that an empty component
# divides by a tiny number instead of zero; we do the same to agree with it.
EMPTY_COMPONENT_GUARD = 10 * np.finfo(np.float64).eps


@dataclass(frozen=True)
class MixtureParameters:
    """A point estimate of the mixture in scikit-learn's storage conventions."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray


def mixture_terms(family: CovarianceFamily, parameters: MixtureParameters) -> GaussianTerms:
    """Kernel terms of a plain Gaussian mixture (its log-likelihood, for any engine)."""
    with np.errstate(divide="ignore"):  # a zero weight (weights_init) is log weight -inf
        log_weights = np.log(parameters.weights)
    return GaussianTerms.gaussian(
        family, log_weights, parameters.means, parameters.precisions_cholesky
    )


def merge_initial_parameters(
    family: CovarianceFamily, point: MixtureParameters | None, weights, means, precisions
) -> MixtureParameters:
    """A point estimate with user-given ``*_init`` arrays replacing parts of ``point`` (None: keep)."""
    if point is None:
        point = MixtureParameters(weights, means, None, None)
    precisions_cholesky = point.precisions_cholesky
    covariances = point.covariances
    if precisions is not None:
        precisions_cholesky = family.precision_cholesky_from_precisions(precisions)
        covariances = family.covariances(precisions_cholesky)
    return MixtureParameters(
        weights=point.weights if weights is None else np.array(weights, dtype=np.float64),
        means=point.means if means is None else np.array(means, dtype=np.float64),
        covariances=covariances,
        precisions_cholesky=precisions_cholesky,
    )


class Engine(ABC):
    """Base class of the update rules; subclasses set ``name``."""

    name: ClassVar[str]
    # The class of the ``prior`` this engine accepts (None: it takes no prior).
    prior_class: ClassVar[type | None] = None
    uses_data_moments: ClassVar[bool] = False
    # True when terms(state) are the Gaussian terms of the point estimate, so the
    # E-step's summed log-sum-exp is the log-likelihood of parameters(state).
    terms_are_point_estimate: ClassVar[bool] = True
    # True: the loop re-seeds a component that loses all its points by splitting
    # another (bayesgmm.safeguards); False leaves it empty (e.g. VB prunes on purpose).
    reseeds_empty_components: ClassVar[bool] = True

    def __init__(self, spec: Any, n_features: int, moments: DataMoments | None = None):
        self.spec = spec
        self.family: CovarianceFamily = spec.family
        self.n_components = spec.n_components
        self.n_features = n_features
        self.moments = moments

    @abstractmethod
    def mstep(self, stats: SuffStats) -> Any:
        """The engine's update: new state from the statistics of one E-step."""

    @abstractmethod
    def terms(self, state: Any) -> GaussianTerms:
        """What the E-step kernel needs from a state."""

    @abstractmethod
    def penalty(self, state: Any) -> float:
        """Added to the summed log-likelihood to form the objective."""

    @abstractmethod
    def parameters(self, state: Any) -> MixtureParameters:
        """The point estimate a state stands for (for predict, BIC, saving)."""

    @classmethod
    def check_prior(cls, prior: Any) -> None:
        """Raise a clear error when ``prior`` is not something this engine can use."""
        if prior is None:
            return
        if cls.prior_class is None:
            raise TypeError(
                f"engine={cls.name!r} takes no prior, got a {type(prior).__name__}; use "
                "engine='map' with a bayesgmm.MAPPrior or engine='vb' with a bayesgmm.VBPrior"
            )
        if not isinstance(prior, cls.prior_class):
            raise TypeError(
                f"the prior of engine={cls.name!r} must be a bayesgmm.{cls.prior_class.__name__} "
                f"(or None for its defaults), got a {type(prior).__name__}"
            )

    @abstractmethod
    def with_initial_parameters(
        self,
        state: Any,
        weights,
        means,
        precisions,
        *,
        estep: Callable[[MixtureParameters], SuffStats] | None = None,
    ) -> Any:
        """Replace parts of an initial state by user-given ``*_init`` arrays (None: keep).

        ``state`` is None when the user gave all three; the engine then builds its
        starting state from them alone.  ``estep(point)`` runs one E-step over the
        data under a plain mixture, for engines whose state a point estimate does
        not determine (VB starts from the responsibilities of the given mixture).
        """

    def state_variables(self, state: Any) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """Engine-specific variables for the result Dataset beyond the point estimate."""
        return {}

    def fitted_attributes(self, state: Any) -> dict[str, Any]:
        """Engine-specific fitted attributes of the estimator (name ending in ``_`` -> value)."""
        return {}

    @abstractmethod
    def state_from_saved(self, parameters: MixtureParameters, variables: dict[str, np.ndarray]) -> Any:
        """Rebuild a state from a saved point estimate and :meth:`state_variables`."""
