"""The protocol every engine follows.

An engine knows one set of update equations (EM, MAP-EM, VB) and nothing
about the data: it receives :class:`~bayesgmm.stats.SuffStats`, returns its
new state, turns a state into the :class:`~bayesgmm.stats.GaussianTerms` the
E-step kernel needs, and says what it adds to the summed log-likelihood to
make the objective it maximises (0 for EM, the log prior for MAP, minus the
KL divergence of q from the prior for VB).
"""

from __future__ import annotations

import inspect
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
class NoiseComponent:
    """mclust's noise component: a uniform density ``weight / volume`` over the data's region.

    ``weight`` is its mixture weight (the Gaussians' weights then sum to ``1 - weight``),
    ``log_volume`` the log of the region's volume (mclust's ``hypvol`` by default).
    """

    weight: float
    log_volume: float

    @property
    def log_weight(self) -> float:
        with np.errstate(divide="ignore"):  # a weight of 0 is log weight -inf
            return float(np.log(self.weight))


@dataclass(frozen=True)
class MixtureParameters:
    """A point estimate of the mixture in scikit-learn's storage conventions.

    ``noise`` is the uniform background of a ``noise=True`` fit (None without one);
    with it, ``weights`` sum to ``1 - noise.weight``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    noise: NoiseComponent | None = None


@dataclass(frozen=True)
class PosteriorDraws:
    """Draws of a mixture's parameters, leading axis ``draw``.

    Shapes follow the covariance family as in :meth:`FitResult.to_dataset`
    (full ``(S, K, D, D)``, tied ``(S, D, D)``, diag ``(S, K, D)``, spherical
    ``(S, K)``); ``precisions_cholesky`` is stored like scikit-learn's
    ``precisions_cholesky_``.  ``stick_fractions`` holds the Beta sticks of a
    Dirichlet-process VB fit (None otherwise).  A sampler's draws are ``n_chains``
    Markov chains of ``S / n_chains`` draws each, chain after chain; independent
    draws are one "chain".
    """

    kind: str
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    stick_fractions: np.ndarray | None = None
    # draws of a sampler come in chains: the leading axis holds ``n_chains`` runs of equal
    # length one after the other (chain-major); ``log_posterior`` is each draw's (or None)
    n_chains: int = 1
    log_posterior: np.ndarray | None = None

    @property
    def n_draws(self) -> int:
        return int(self.weights.shape[0])

    def parameters(self, draw: int) -> MixtureParameters:
        """The mixture of one draw."""
        return MixtureParameters(
            self.weights[draw],
            self.means[draw],
            self.covariances[draw],
            self.precisions_cholesky[draw],
        )


def finite_covariances(family: CovarianceFamily, factor: np.ndarray) -> np.ndarray | None:
    """The covariances of precision factors ``factor``, or None where they are not finite
    (an extrapolated point of the accelerated loop may be no mixture at all)."""
    try:
        with np.errstate(all="ignore"):
            covariances = family.covariances(factor)
    except np.linalg.LinAlgError:
        return None
    return covariances if np.all(np.isfinite(covariances)) else None


def mixture_terms(family: CovarianceFamily, parameters: MixtureParameters) -> GaussianTerms:
    """Kernel terms of a mixture's point estimate (its log-likelihood, for any engine),
    with its noise component as the terms' last row when it has one."""
    with np.errstate(divide="ignore"):  # a zero weight (weights_init) is log weight -inf
        log_weights = np.log(parameters.weights)
    terms = GaussianTerms.gaussian(
        family, log_weights, parameters.means, parameters.precisions_cholesky
    )
    noise = parameters.noise
    return terms if noise is None else terms.with_noise(noise.log_weight, noise.log_volume)


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
    """Base class of the update rules; subclasses set ``name`` and the class attributes below.

    What the rest of the package asks of an engine goes through this protocol
    (class attributes and methods), never through the engine's name: the loop,
    the saved files, the ArviZ export, the plots and the model-selection tables
    all serve a newly registered engine unchanged (docs/extending.md).
    """

    name: ClassVar[str]
    # whether ``mstep`` takes the ``previous`` state (set from its signature): an engine
    # written with ``mstep(self, stats)`` keeps working, it just gets no previous state
    mstep_takes_previous: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.mstep_takes_previous = "previous" in inspect.signature(cls.mstep).parameters

    def update(self, stats: SuffStats, previous: Any) -> Any:
        """:meth:`mstep` from ``stats``, handed ``previous`` when the engine's mstep takes it."""
        if self.mstep_takes_previous:
            return self.mstep(stats, previous=previous)
        return self.mstep(stats)

    # what ``objective = loglik + penalty`` is, in words (trace plots, tables)
    objective_name: ClassVar[str] = "objective"
    # how the loop iterates (``ITERATE_ASCENT`` or ``ITERATE_SAMPLING``), and whether the
    # objective trace must never decrease (tests rely on it; a sampler's trace wanders)
    iteration: ClassVar[str] = "ascent"
    objective_is_monotone: ClassVar[bool] = True
    # the posterior the draws of :meth:`posterior_draws` come from (ArviZ attrs)
    posterior_kind: ClassVar[str] = "point_estimate"
    posterior_description: ClassVar[str] = "point estimate stored as a single draw"
    # True when the engine has a posterior to draw from (False: its point estimate is one draw)
    has_posterior: ClassVar[bool] = False
    # how a sampler's draws were relabelled against label switching (ArviZ attrs); None when
    # the draws need no relabelling (independent draws of one posterior with fixed labels)
    label_switching: ClassVar[str | None] = None
    # True when PSIS-LOO over the draws estimates out-of-sample fit (not for a point estimate)
    supports_loo: ClassVar[bool] = False
    # True when posterior_draws needs the fitting data's statistics (MAP's posterior is
    # given the responsibilities on the data)
    draws_need_data: ClassVar[bool] = False
    # The class of the ``prior`` this engine accepts (None: it takes no prior).
    prior_class: ClassVar[type | None] = None
    uses_data_moments: ClassVar[bool] = False
    # True when terms(state) are the Gaussian terms of the point estimate, so the
    # E-step's summed log-sum-exp is the log-likelihood of parameters(state).
    terms_are_point_estimate: ClassVar[bool] = True
    # True: the loop re-seeds a component that loses all its points by splitting
    # another (bayesgmm.fitting.safeguards); False leaves it empty (e.g. VB prunes on purpose).
    reseeds_empty_components: ClassVar[bool] = True
    # What ``tol`` bounds: the change of the objective per unit of sample weight
    # (``TOL_PER_SAMPLE``, scikit-learn's GaussianMixture) or of the summed objective
    # (``TOL_SUMMED``, scikit-learn's BayesianGaussianMixture, whose summed ELBO it tests).
    # Read in one place, :func:`bayesgmm.fitting.stopping.per_sample_tol` (the "relative"
    # rule is scale-free and ignores it).
    tol_applies_to: ClassVar[str] = "per_sample"

    def __init__(
        self,
        family: CovarianceFamily,
        n_components: int | None = None,
        n_features: int | None = None,
        *,
        reg_covar: float = 0.0,
        prior: Any = None,
        moments: DataMoments | None = None,
    ):
        """An engine from what it needs, not from a whole model spec.

        Use :func:`bayesgmm.engines.make_engine` to build one for a spec.
        """
        self.family = family
        self.n_components = int(n_components)
        self.n_features = int(n_features)
        self.reg_covar = float(reg_covar)
        self.prior_given = prior
        self.moments = moments
        # the spec this engine was built for, when the factory built it: the loop reads its
        # tol, max_iter and *_init; the engine's mathematics never does
        self.spec: Any = None

    @classmethod
    def from_spec(cls, spec: Any, n_features: int, moments: DataMoments | None = None) -> Engine:
        """The engine of ``spec`` (a :class:`~bayesgmm.spec.ModelSpec`) for ``n_features``."""
        engine = cls(
            spec.family,
            spec.n_components,
            n_features,
            reg_covar=spec.reg_covar,
            prior=spec.prior,
            moments=moments,
        )
        engine.spec = spec
        return engine

    def smaller(self, spec: Any) -> Engine:
        """The same engine for ``spec`` with fewer components (pruning), same data moments."""
        return type(self).from_spec(spec, self.n_features, self.moments)

    @abstractmethod
    def mstep(self, stats: SuffStats, previous: Any = None) -> Any:
        """The engine's update: new state from the statistics of one E-step.

        ``previous`` is the state the E-step was taken at, when there is one: a
        family whose M-step is an inner iteration (mclust's EVE, VVE) continues from
        its parameters, as mclust does, so the M-step never moves downhill.
        """

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
    def check_family(cls, family: CovarianceFamily) -> None:
        """Raise a clear error when this engine cannot fit ``family`` (every family by default)."""
        return None

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
    def state_from_saved(
        self, parameters: MixtureParameters, variables: dict[str, np.ndarray]
    ) -> Any:
        """Rebuild a state from a saved point estimate and :meth:`state_variables`."""

    def check_relabelling(self, state: Any) -> None:
        """Raise ``ValueError`` when listing the components in another order changes the fit.

        Relabelling (:func:`bayesgmm.permute_components`) permutes the point
        estimate and every :meth:`state_variables` entry along ``component``.
        That is the same fit under other labels when the state and the prior
        treat the components alike (EM, MAP, VB with a Dirichlet prior on the
        weights); an engine whose state orders them says why here.
        """
        return None

    # ------------------------------------------------------------ accelerated EM
    def to_vector(self, state: Any) -> np.ndarray | None:
        """The state as a point of R^p that SQUAREM may extrapolate, or None (no acceleration).

        The default serves every engine whose E-step terms are those of its point
        estimate (``terms_are_point_estimate``): centred log-weights (softmax logits),
        the means and the family's unconstrained precision factors
        (:meth:`CovarianceFamily.factor_to_vector`).  For an engine with another state
        it returns None (the engine runs unaccelerated) unless the engine overrides this
        and :meth:`from_vector`, as VB does.
        """
        if not self.terms_are_point_estimate:
            return None
        point = self.parameters(state)
        with np.errstate(divide="ignore"):
            log_weights = np.log(point.weights)
        logits = log_weights - log_weights.mean()
        factors = self.family.factor_to_vector(point.precisions_cholesky)
        return np.concatenate((logits, point.means.ravel(), factors))

    def from_vector(self, vector: np.ndarray, like: Any) -> Any | None:
        """The state at ``vector`` (see :meth:`to_vector`), or None if it is not a valid mixture.

        ``like`` is a state of the same fit: it gives the shapes and whatever the
        vector does not hold (MAP's resolved prior, through :meth:`state_variables`
        and :meth:`state_from_saved`).
        """
        if not np.all(np.isfinite(vector)):
            return None
        template = self.parameters(like)
        K, D = self.n_components, self.n_features
        logits = vector[:K] - vector[:K].max()
        weights = np.exp(logits)
        weights /= weights.sum()
        means = vector[K : K + K * D].reshape(K, D)
        factor = self.family.factor_from_vector(vector[K + K * D :], template.precisions_cholesky)
        if not (np.all(np.isfinite(factor)) and np.all(weights > 0)):
            return None
        covariances = finite_covariances(self.family, factor)
        if covariances is None:
            return None
        point = MixtureParameters(weights, means, covariances, factor)
        return self.state_from_saved(point, self.state_variables(like))

    # ------------------------------------------------------------ posterior
    def posterior_draws(
        self, state: Any, stats: SuffStats | None, n_draws: int, rng: np.random.Generator
    ) -> Any:
        """Draws of the parameters (a :class:`~bayesgmm.engines.draws.PosteriorDraws`).

        The default is the point estimate as a single draw, ``n_draws`` and
        ``rng`` unused: right for an engine without a posterior (EM).  ``stats``
        are the statistics of one E-step over the fitting data under the point
        estimate, given when :attr:`draws_need_data` is True.
        """
        p = self.parameters(state)
        return PosteriorDraws(
            self.posterior_kind,
            p.weights[None],
            p.means[None],
            p.covariances[None],
            p.precisions_cholesky[None],
        )

    def with_draws(self, state: Any, draws: Any) -> Any:
        """A sampling engine's state after its chains ran: ``draws`` (a
        :class:`~bayesgmm.engines.draws.ChainDraws`, relabelled) kept in it and its point
        estimate made of them.  ``state`` is a state of the same fit (its prior)."""
        raise NotImplementedError(f"engine={self.name!r} is not a sampling engine")

    def weight_posterior(self, state: Any, stats: SuffStats | None = None) -> np.ndarray | None:
        """Dirichlet concentration of the weights' posterior (K,), or None if there is none.

        The plots' weight intervals come from it.  ``stats`` as for
        :meth:`posterior_draws` (MAP adds the counts of the responsibilities).
        """
        return None


TOL_PER_SAMPLE = "per_sample"
"""``Engine.tol_applies_to``: stop when the per-sample objective changes by less than ``tol``."""

TOL_SUMMED = "summed"
"""``Engine.tol_applies_to``: stop when the summed objective (per-sample objective times the
total sample weight) changes by less than ``tol``."""

ITERATE_ASCENT = "ascent"
"""``Engine.iteration``: the loop runs E-step and update until the objective's change (per
sample or summed, by ``Engine.tol_applies_to``) falls below ``tol`` or ``max_iter`` runs out
(EM, MAP, VB)."""

ITERATE_SAMPLING = "sampling"
"""``Engine.iteration`` of a sampler (the Gibbs engine): ``mstep`` is a random draw given the
statistics of a sampled allocation, the loop (:mod:`bayesgmm.fitting.sampling`) runs chains of
a fixed number of sweeps with no convergence test, and the objective is a trace
(``objective_is_monotone = False``)."""
