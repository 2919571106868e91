"""The one loop: data -> sufficient statistics -> engine update -> new state.

``objective = stats.loglik + engine.penalty(state)`` is the log-likelihood
(EM), the log-posterior (MAP) or the ELBO (VB).  Convergence follows
scikit-learn: the change of the *per-sample* objective between iterations
falls below ``tol``.  ``n_init`` restarts keep the run with the best final
objective.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .engines import ENGINES, Engine
from .engines.base import mixture_terms
from .exceptions import ConvergenceWarning
from .init import as_generator, initial_labels_or_responsibilities, statistics_from_assignment
from .results import FitResult
from .safeguards import EmptyComponents
from .spec import ModelSpec
from .stats import accumulate, data_moments


def make_engine(spec: ModelSpec, X: np.ndarray, sample_weight: np.ndarray | None) -> Engine:
    engine_class = ENGINES[spec.engine]
    moments = data_moments(X, sample_weight) if engine_class.uses_data_moments else None
    return engine_class(spec, X.shape[1], moments)


def initial_state(
    engine: Engine,
    X: np.ndarray,
    rng: np.random.Generator,
    sample_weight: np.ndarray | None,
    empty_components: EmptyComponents | None = None,
) -> Any:
    spec = engine.spec
    user_given = (spec.weights_init, spec.means_init, spec.precisions_init)
    if all(value is not None for value in user_given):
        # the user fixed the whole starting point: no data-driven guess is needed
        return engine.with_initial_parameters(None, *user_given)
    labels, resp = initial_labels_or_responsibilities(X, spec.n_components, spec.init_params, rng)
    stats = statistics_from_assignment(
        X, spec.n_components, engine.family.kernel == "diag", labels, resp, sample_weight
    )
    if empty_components is not None:  # e.g. a k-means cluster that ended empty
        stats, _ = empty_components.reseed(stats, iteration=0)
    state = engine.mstep(stats)
    return engine.with_initial_parameters(
        state, spec.weights_init, spec.means_init, spec.precisions_init
    )


def run_em_loop(
    engine: Engine,
    X: np.ndarray,
    state: Any,
    sample_weight: np.ndarray | None,
    previous_objective: float = -np.inf,
    on_iteration: Callable[[int, float], None] | None = None,
    empty_components: EmptyComponents | None = None,
) -> tuple[Any, list[float], bool]:
    """Iterate E-step and M-step from ``state``; returns (state, per-sample trace, converged).

    Components that lose all their points are re-seeded before the engine's
    update (see :mod:`bayesgmm.safeguards`); ``empty_components`` records it.
    """
    spec = engine.spec
    total_weight = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
    if empty_components is None:
        empty_components = EmptyComponents.for_engine(engine, X.shape[0], total_weight)
    objective = previous_objective
    trace: list[float] = []
    converged = False
    for iteration in range(1, spec.max_iter + 1):
        previous = objective
        stats = accumulate(X, engine.terms(state), sample_weight)
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
    X: np.ndarray,
    sample_weight: np.ndarray | None = None,
    feature_names: np.ndarray | None = None,
    previous: FitResult | None = None,
    on_iteration: Callable[[int, int, float], None] | None = None,
) -> FitResult:
    """Fit ``spec`` to validated data ``X``; ``previous`` continues a warm start."""
    spec.check_initial_parameters(X.shape[1])
    if X.shape[0] < spec.n_components:
        raise ValueError(
            f"X has {X.shape[0]} samples but n_components={spec.n_components}; a mixture needs "
            "at least one sample per component: use fewer components or more data"
        )
    engine = make_engine(spec, X, sample_weight)
    rng = as_generator(spec.random_state)
    warm = previous is not None
    best = None
    total_weight = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
    for run in range(1 if warm else spec.n_init):
        callback = None if on_iteration is None else (lambda i, o, run=run: on_iteration(run, i, o))
        empty_components = EmptyComponents.for_engine(engine, X.shape[0], total_weight)
        if warm:
            state = engine.state_from_saved(previous.parameters, previous.engine_variables)
            start_objective = previous.lower_bound
        else:
            state = initial_state(engine, X, rng, sample_weight, empty_components)
            start_objective = -np.inf
        state, trace, converged = run_em_loop(
            engine, X, state, sample_weight, start_objective, callback, empty_components
        )
        lower_bound = trace[-1] if trace else -np.inf
        if best is None or lower_bound > best[0]:
            best = (lower_bound, state, trace, converged, empty_components)
    lower_bound, state, trace, converged, empty_components = best
    empty_components.warn(stacklevel=3)
    if not converged and spec.max_iter > 0:
        warnings.warn(
            "The best of the initialisations did not converge within max_iter="
            f"{spec.max_iter} iterations (tol={spec.tol}). Increase max_iter or tol, try other "
            "init_params, or check for degenerate data.",
            ConvergenceWarning,
            stacklevel=3,
        )
    final = accumulate(X, engine.terms(state), sample_weight)
    parameters = engine.parameters(state)
    if engine.terms_are_point_estimate:
        log_likelihood = final.loglik
    else:
        log_likelihood = accumulate(X, mixture_terms(engine.family, parameters), sample_weight).loglik
    return FitResult.from_fit(
        spec=spec,
        engine=engine,
        state=state,
        trace=np.asarray(trace, dtype=np.float64),
        converged=converged,
        lower_bound=lower_bound,
        objective=final.loglik + engine.penalty(state),
        log_likelihood=log_likelihood,
        n_samples=int(X.shape[0]),
        total_weight=final.total_weight,
        feature_names=feature_names,
    )
