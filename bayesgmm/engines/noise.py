"""mclust's noise component for any engine: a uniform background as one more weight.

A ``noise=True`` model is a mixture of the engine's Gaussians and a uniform
density ``1 / V`` over the data's region (Banfield & Raftery 1993), with
weights ``(1 - w0) w_k`` and ``w0``.  The engine's own mathematics is left
whole: :func:`with_noise` derives, from an engine class, one that

* hands the kernel the engine's terms with ``log(1 - w0)`` added to every
  offset and the background as one more row
  (:meth:`~bayesgmm.stats.GaussianTerms.with_noise`: a zero precision factor
  and the offset ``log w0 - log V``), so the kernel's log-sum-exp is the
  observed-data log-likelihood mclust maximises;
* updates the engine's state from the Gaussian rows' statistics (the kernel
  pass keeps only the background's count, ``SuffStats.noise_count``), and
  ``w0`` to the background's share of the total weight.

The complete-data objective separates into ``sum_n r_n0 log w0 + (N - n_0)
log(1 - w0)`` and the engine's own terms in the conditional weights ``w_k``
(which sum to 1 over the Gaussians), so each update is the engine's and the
objective still never decreases: for EM the likelihood, for MAP the posterior
with the prior on ``w_k`` (the background's weight has a flat prior), for VB the
ELBO with ``w0`` a point estimate (variational EM on it).  The state the engine
sees is its own; only :meth:`parameters` scales its weights by ``1 - w0``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..stats import GaussianTerms, SuffStats
from .base import Engine, MixtureParameters, NoiseComponent

NOISE_WEIGHT_VARIABLE = "noise_weight"


@dataclass(frozen=True)
class NoisyState:
    """An engine's own state (``inner``, weights over its Gaussians summing to 1) and the
    noise component."""

    inner: Any
    noise: NoiseComponent


class NoiseMixin:
    """The noise component's part of an engine derived by :func:`with_noise`.

    Placed before the engine's class in the method order: each method here
    wraps the engine's own, which receives and returns the engine's own state.
    """

    wrapped: type[Engine]  # the engine class the noise component is added to
    noise_log_volume: float

    @classmethod
    def from_spec(cls, spec: Any, n_features: int, moments=None):
        if spec.noise_volume is None:
            raise ValueError(
                "a noise component needs its volume: give noise_volume, or fit through "
                "bayesgmm.fitting, which computes mclust's hypvol of the data"
            )
        engine = super().from_spec(spec, n_features, moments)  # type: ignore[misc]
        engine.noise_log_volume = float(np.log(spec.noise_volume))
        return engine

    def _noise(self, weight: float) -> NoiseComponent:
        return NoiseComponent(float(weight), self.noise_log_volume)

    def mstep(self, stats: SuffStats, previous: NoisyState | None = None) -> NoisyState:
        inner_previous = None if previous is None else previous.inner
        if self.wrapped.mstep_takes_previous:
            inner = super().mstep(stats, previous=inner_previous)  # type: ignore[misc]
        else:
            inner = super().mstep(stats)  # type: ignore[misc]
        gaussian = float(stats.nk.sum())
        total = gaussian + stats.noise_count
        weight = stats.noise_count / total if total > 0 else 0.0
        return NoisyState(inner, self._noise(weight))

    def terms(self, state: NoisyState) -> GaussianTerms:
        terms = super().terms(state.inner)  # type: ignore[misc]
        with np.errstate(divide="ignore"):
            log_rest = float(np.log1p(-state.noise.weight))
        gaussian = dataclasses.replace(terms, log_offset=terms.log_offset + log_rest)
        return gaussian.with_noise(state.noise.log_weight, state.noise.log_volume)

    def penalty(self, state: NoisyState) -> float:
        return super().penalty(state.inner)  # type: ignore[misc]

    def parameters(self, state: NoisyState) -> MixtureParameters:
        point = super().parameters(state.inner)  # type: ignore[misc]
        return dataclasses.replace(
            point, weights=point.weights * (1.0 - state.noise.weight), noise=state.noise
        )

    def with_initial_parameters(self, state, weights, means, precisions, *, estep=None):
        """``state`` is a :class:`NoisyState` whose ``inner`` may be None (all ``*_init``
        given); ``weights`` are then the Gaussians' weights among themselves (sum 1)."""
        inner = super().with_initial_parameters(
            state.inner, weights, means, precisions, estep=estep
        )
        return NoisyState(inner, state.noise)

    def state_variables(self, state: NoisyState):
        variables = dict(super().state_variables(state.inner))  # type: ignore[misc]
        variables[NOISE_WEIGHT_VARIABLE] = ((), np.float64(state.noise.weight))
        return variables

    def state_from_saved(self, parameters: MixtureParameters, variables) -> NoisyState:
        if parameters.noise is not None:
            weight = parameters.noise.weight
        else:
            weight = float(np.asarray(variables[NOISE_WEIGHT_VARIABLE][1]))
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"the noise component's weight must lie in [0, 1], got {weight}")
        if weight < 1.0:
            own_weights = parameters.weights / (1.0 - weight)
        else:  # the background took every row: the Gaussians' shares among themselves are moot
            own_weights = np.full(parameters.weights.shape, 1.0 / parameters.weights.size)
        own = dataclasses.replace(parameters, weights=own_weights, noise=None)
        inner = super().state_from_saved(own, variables)  # type: ignore[misc]
        return NoisyState(inner, self._noise(weight))

    def fitted_attributes(self, state: NoisyState) -> dict[str, Any]:
        attributes = dict(super().fitted_attributes(state.inner))  # type: ignore[misc]
        attributes["noise_weight_"] = state.noise.weight
        attributes["noise_log_volume_"] = state.noise.log_volume
        return attributes

    def check_relabelling(self, state: NoisyState) -> None:
        super().check_relabelling(state.inner)  # type: ignore[misc]

    def to_vector(self, state: NoisyState):
        # SQUAREM would extrapolate the engine's state without the background's weight:
        # a noise fit runs unaccelerated (docs/robustness.md)
        return None

    def posterior_draws(self, state, stats, n_draws, rng):
        raise ValueError(
            "posterior draws (to_arviz, PSIS-LOO) of a fit with a noise component are not "
            "available: the draws would leave the uniform background out of every "
            "log-likelihood. Fit without noise for them"
        )

    def weight_posterior(self, state: NoisyState, stats=None):
        return None


_DERIVED: dict[type, type] = {}


def with_noise(engine_class: type[Engine]) -> type[Engine]:
    """The engine class ``engine_class`` with a noise component (one derived class per engine)."""
    if engine_class not in _DERIVED:
        _DERIVED[engine_class] = type(
            f"{engine_class.__name__}WithNoise",
            (NoiseMixin, engine_class),
            {"wrapped": engine_class, "__doc__": engine_class.__doc__},
        )
    return _DERIVED[engine_class]
