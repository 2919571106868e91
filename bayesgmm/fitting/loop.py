"""The one loop: data -> sufficient statistics -> engine update -> new state.

``objective = stats.loglik + engine.penalty(state)`` is the log-likelihood
(EM), the log-posterior (MAP) or the ELBO (VB).  Convergence follows
``stopping`` (:mod:`bayesgmm.fitting.stopping`); by default scikit-learn's rule, per
engine (``Engine.tol_applies_to``): EM and MAP stop when the *per-sample* objective
changes by less than ``tol`` (as its GaussianMixture), VB when the *summed*
ELBO does (as its BayesianGaussianMixture).  :mod:`bayesgmm.fitting.restarts` runs this loop from
``n_init`` starts and keeps the best.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from ..data.sources import DataSource
from ..engines import Engine, engine_class
from ..engines import make_engine as build_engine
from ..engines.base import (
    ITERATE_ASCENT,
    ITERATE_SAMPLING,
    NoiseComponent,
    mixture_terms,
)
from ..engines.noise import NoisyState
from ..spec import ModelSpec
from .acceleration import can_accelerate, run_squarem_loop
from .safeguards import EmptyComponents
from .sampling import run_sampling_loop
from .step import objective_pass
from .stopping import STOPPING_AITKEN, per_sample_tol, should_stop


def moments_for(spec: ModelSpec, data: DataSource):
    """The data moments ``spec``'s engine resolves its prior from, or None if it has no use for them."""
    return data.moments() if engine_class(spec.engine).uses_data_moments else None


def make_engine(spec: ModelSpec, data: DataSource) -> Engine:
    """The engine of ``spec`` for ``data`` (:func:`bayesgmm.engines.make_engine`, with the moments).

    A noise component without a given volume gets mclust's ``hypvol`` of ``data``:
    the engine's spec, and so the result and its file, carry the volume used.
    """
    if spec.noise and spec.noise_volume is None:
        spec = dataclasses.replace(spec, noise_volume=float(np.exp(data.noise_log_volume())))
    return build_engine(spec, data.n_features, moments_for(spec, data))


def noise_start(spec: ModelSpec, data: DataSource) -> tuple[np.ndarray, float]:
    """The rows a noise fit starts with in the noise component, and their share of the weight.

    ``noise_init`` when given, else Byers & Raftery's nearest-neighbour guess
    (:func:`bayesgmm.data.noise.nearest_neighbour_noise`), as mclust's documentation
    starts ``Mclust(X, initialization = list(noise = ...))``.
    """
    mask = spec.noise_init if spec.noise_init is not None else data.noise_guess()
    subset = data.rows_without(mask)
    if subset.n_samples < spec.n_components:
        raise ValueError(
            f"the noise start flags {int(mask.sum())} of {data.n_samples} rows as noise, "
            f"leaving fewer than n_components={spec.n_components}; give noise_init"
        )
    return mask, (data.total_weight - subset.total_weight) / data.total_weight


def initial_state(
    engine: Engine,
    data: DataSource,
    rng: np.random.Generator,
    empty_components: EmptyComponents | None = None,
) -> Any:
    spec = engine.spec
    user_given = (spec.weights_init, spec.means_init, spec.precisions_init)

    def estep(point):  # for engines that start from the responsibilities of a given mixture
        return data.accumulate(mixture_terms(engine.family, point))

    noisy = spec.noise
    if noisy:
        # mclust's start: the Gaussians from the rows outside the noise guess (its hc on
        # them), the background's weight the guess's share; the first M-step sees both
        mask, share = noise_start(spec, data)
        start = NoisyState(None, NoiseComponent(share, engine.noise_log_volume))
    if all(value is not None for value in user_given):
        # the user fixed the whole starting point: no data-driven guess is needed
        return engine.with_initial_parameters(start if noisy else None, *user_given, estep=estep)
    diagonal = engine.family.kernel.is_diagonal
    if spec.responsibilities_init is not None:  # the user's start replaces init_params' guess
        stats = data.given_statistics(spec.responsibilities_init, spec.n_components, diagonal)
    elif noisy:
        rest = data.rows_without(mask)
        stats = rest.initial_statistics(spec.n_components, spec.init_params, diagonal, rng)
        stats = dataclasses.replace(
            stats,
            total_weight=data.total_weight,
            noise_count=data.total_weight - rest.total_weight,
        )
    else:
        stats = data.initial_statistics(spec.n_components, spec.init_params, diagonal, rng)
    if empty_components is not None:  # e.g. a k-means cluster that ended empty
        stats, _ = empty_components.reseed(stats, iteration=0)
    state = engine.mstep(stats)
    if all(value is None for value in user_given):
        return state
    return engine.with_initial_parameters(state, *user_given, estep=estep)


def objective_converged(
    engine: Engine, objective: float, previous: float, total_weight: float
) -> bool:
    """Whether one plain iteration, from ``previous`` to ``objective`` (per sample), meets the
    spec's stopping rule: "change" or "relative" (:mod:`bayesgmm.fitting.stopping`, where
    every rule lives; "aitken" needs three objectives and runs in the accelerated loop)."""
    return should_stop(
        [previous, objective],
        per_sample_tol(engine, total_weight),
        engine.spec.stopping,
        total_weight,
    )


def run_em_loop(
    engine: Engine,
    data: DataSource,
    state: Any,
    previous_objective: float = -np.inf,
    on_iteration: Callable[[int, float], None] | None = None,
    empty_components: EmptyComponents | None = None,
) -> tuple[Any, list[float], bool]:
    """Iterate E-step and M-step from ``state``; returns (state, per-sample trace, converged).

    A sampling engine (``engine.iteration == "sampling"``) runs its chains instead
    (:func:`bayesgmm.fitting.sampling.run_sampling_loop`); ``converged`` then says whether
    they mixed.

    Components that lose all their points are re-seeded before the engine's
    update (see :mod:`bayesgmm.fitting.safeguards`); ``empty_components`` records it.
    """
    if engine.iteration == ITERATE_SAMPLING:
        # a sampler runs chains of a fixed number of sweeps: its "converged" is "mixed"
        return run_sampling_loop(
            engine, data, state, lambda rng: initial_state(engine, data, rng), on_iteration
        )
    if engine.iteration != ITERATE_ASCENT:
        raise NotImplementedError(
            f"engine={engine.name!r} iterates by {engine.iteration!r}, which no loop runs"
        )
    spec = engine.spec
    total_weight = data.total_weight
    if empty_components is None:
        empty_components = EmptyComponents.for_engine(engine, data.n_samples, total_weight)
    accelerated = spec.accelerate and can_accelerate(engine, state)
    if accelerated or spec.stopping == STOPPING_AITKEN:  # SQUAREM, Aitken: fitting/acceleration.py
        return run_squarem_loop(
            engine, data, state, previous_objective, on_iteration, empty_components, accelerated
        )
    objective = previous_objective
    trace: list[float] = []
    converged = False
    for iteration in range(1, spec.max_iter + 1):
        previous = objective
        stats, objective = objective_pass(engine, data, state, iteration)
        stats, reseeded = empty_components.reseed(stats, iteration)
        state = engine.update(stats, previous=state)
        trace.append(objective)
        if on_iteration is not None:
            on_iteration(iteration, objective)
        if reseeded:
            objective = (
                -np.inf
            )  # a re-seeded model starts afresh: no convergence against the old one
        elif objective_converged(engine, objective, previous, total_weight):
            converged = True
            break
    return state, trace, converged
