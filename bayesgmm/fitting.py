"""The one loop: data -> sufficient statistics -> engine update -> new state.

``objective = stats.loglik + engine.penalty(state)`` is the log-likelihood
(EM), the log-posterior (MAP) or the ELBO (VB).  Convergence follows
scikit-learn: the change of the *per-sample* objective between iterations
falls below ``tol``.  ``n_init`` restarts keep the run with the best final
objective.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .engines import ENGINES, Engine
from .engines.base import mixture_terms
from .exceptions import ConvergenceWarning
from .init import as_generator
from .online import run_minibatch_loop
from .pruning_history import PruningHistory
from .results import FitResult
from .safeguards import EmptyComponents
from .sources import DataSource, as_data_source
from .spec import ModelSpec


def make_engine(spec: ModelSpec, data: DataSource) -> Engine:
    engine_class = ENGINES[spec.engine]
    moments = data.moments() if engine_class.uses_data_moments else None
    return engine_class(spec, data.n_features, moments)


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

    if all(value is not None for value in user_given):
        # the user fixed the whole starting point: no data-driven guess is needed
        return engine.with_initial_parameters(None, *user_given, estep=estep)
    stats = data.initial_statistics(
        spec.n_components, spec.init_params, engine.family.kernel == "diag", rng
    )
    if empty_components is not None:  # e.g. a k-means cluster that ended empty
        stats, _ = empty_components.reseed(stats, iteration=0)
    state = engine.mstep(stats)
    if all(value is None for value in user_given):
        return state
    return engine.with_initial_parameters(state, *user_given, estep=estep)


def run_em_loop(
    engine: Engine,
    data: DataSource,
    state: Any,
    previous_objective: float = -np.inf,
    on_iteration: Callable[[int, float], None] | None = None,
    empty_components: EmptyComponents | None = None,
) -> tuple[Any, list[float], bool]:
    """Iterate E-step and M-step from ``state``; returns (state, per-sample trace, converged).

    Components that lose all their points are re-seeded before the engine's
    update (see :mod:`bayesgmm.safeguards`); ``empty_components`` records it.
    """
    spec = engine.spec
    total_weight = data.total_weight
    if empty_components is None:
        empty_components = EmptyComponents.for_engine(engine, data.n_samples, total_weight)
    objective = previous_objective
    trace: list[float] = []
    converged = False
    for iteration in range(1, spec.max_iter + 1):
        previous = objective
        stats = data.accumulate(engine.terms(state))
        objective = (stats.loglik + engine.penalty(state)) / total_weight
        if not np.isfinite(objective):
            raise FloatingPointError(
                f"the objective became {objective} at iteration {iteration}: some rows are too "
                "far from every component for float64 (their squared distances overflow). "
                "Standardise X, or increase reg_covar"
            )
        stats, reseeded = empty_components.reseed(stats, iteration)
        state = engine.mstep(stats)
        trace.append(objective)
        if on_iteration is not None:
            on_iteration(iteration, objective)
        if reseeded:
            objective = -np.inf  # a re-seeded model starts afresh: no convergence against the old one
        elif abs(objective - previous) < spec.tol:
            converged = True
            break
    return state, trace, converged


def fit(
    spec: ModelSpec,
    X: np.ndarray | DataSource,
    sample_weight: np.ndarray | None = None,
    feature_names: np.ndarray | None = None,
    previous: FitResult | None = None,
    on_iteration: Callable[[int, int, float], None] | None = None,
) -> FitResult:
    """Fit ``spec`` to validated data; ``previous`` continues a warm start.

    ``X`` is a validated array (with its ``sample_weight``) or any
    :class:`~bayesgmm.sources.DataSource`, such as a Dask array's.
    """
    data = as_data_source(X, sample_weight)
    spec.check_initial_parameters(data.n_features)
    if data.n_samples < spec.n_components:
        raise ValueError(
            f"X has {data.n_samples} samples but n_components={spec.n_components}; a mixture needs "
            "at least one sample per component: use fewer components or more data"
        )
    warm = previous is not None
    if warm and previous.pruning is not None and previous.n_components < spec.n_components:
        # continue from the pruned model: removed components do not come back
        spec = dataclasses.replace(spec, n_components=previous.n_components)
    engine = make_engine(spec, data)
    rng = as_generator(spec.random_state)
    best = None
    for run in range(1 if warm else spec.n_init):
        callback = None if on_iteration is None else (lambda i, o, run=run: on_iteration(run, i, o))
        empty_components = EmptyComponents.for_engine(engine, data.n_samples, data.total_weight)
        if warm:
            state = engine.state_from_saved(previous.parameters, previous.engine_variables)
            start_objective = previous.lower_bound
        else:
            state = initial_state(engine, data, rng, empty_components)
            start_objective = -np.inf
        if spec.learning_method == "online":
            state, trace, converged = run_minibatch_loop(
                engine, data, state, rng, start_objective, callback
            )
        else:
            state, trace, converged = run_em_loop(
                engine, data, state, start_objective, callback, empty_components
            )
        lower_bound = trace[-1] if trace else -np.inf
        if best is None or lower_bound > best[0]:
            best = (lower_bound, state, trace, converged, empty_components)
    lower_bound, state, trace, converged, empty_components = best
    empty_components.warn(stacklevel=3)
    pruning = None
    if warm and previous.pruning is not None:
        # iterations count along this fit's trace: earlier fits' steps become negative
        pruning = previous.pruning.shifted(-previous.n_iter)
    if spec.prune is not None:
        from .pruning import prune_below  # pruning builds on this module's loop

        engine, state, trace, converged, pruning = prune_below(
            engine, data, state, spec.prune, trace, converged, pruning
        )
    if not converged and spec.max_iter > 0:
        warnings.warn(
            "The best of the initialisations did not converge within max_iter="
            f"{spec.max_iter} iterations (tol={spec.tol}). Increase max_iter or tol, try other "
            "init_params, or check for degenerate data.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return finish_fit(engine, data, state, trace, converged, feature_names, pruning)


def finish_fit(
    engine: Engine,
    data: DataSource,
    state: Any,
    trace: list[float],
    converged: bool,
    feature_names: np.ndarray | None = None,
    pruning: PruningHistory | None = None,
) -> FitResult:
    """The result of a finished loop: a final pass gives the objective at ``state``."""
    final = data.accumulate(engine.terms(state))
    parameters = engine.parameters(state)
    if engine.terms_are_point_estimate:
        log_likelihood = final.loglik
    else:
        log_likelihood = data.accumulate(mixture_terms(engine.family, parameters)).loglik
    return FitResult.from_fit(
        spec=engine.spec,
        engine=engine,
        state=state,
        trace=np.asarray(trace, dtype=np.float64),
        converged=converged,
        lower_bound=trace[-1] if len(trace) else -np.inf,
        objective=final.loglik + engine.penalty(state),
        log_likelihood=log_likelihood,
        n_samples=data.n_samples,
        total_weight=final.total_weight,
        feature_names=feature_names,
        pruning=pruning,
    )
