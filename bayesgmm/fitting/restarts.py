"""A whole fit: ``n_init`` starts of the loop, the best kept, warm starts and pruning.

``n_init`` restarts keep the run with the best final objective;
``warm_start`` continues from a previous :class:`~bayesgmm.FitResult`;
``prune`` removes light components once the loop has converged
(:mod:`bayesgmm.fitting.pruning`).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import numpy as np

from ..data.init import as_generator
from ..data.sources import DataSource, as_data_source
from ..engines.base import ITERATE_SAMPLING
from ..exceptions import convergence_warning
from ..spec import ModelSpec
from .loop import initial_state, make_engine, run_em_loop
from .online import run_minibatch_loop
from .pruning import prune_below
from .result import FitResult, finish_fit
from .safeguards import EmptyComponents


def fit(
    spec: ModelSpec,
    X: np.ndarray | DataSource,
    sample_weight: np.ndarray | None = None,
    feature_names: np.ndarray | None = None,
    previous: FitResult | None = None,
    on_iteration: Callable[[int, int, float], None] | None = None,
    score_quantiles: bool = True,
) -> FitResult:
    """Fit ``spec`` to validated data; ``previous`` continues a warm start.

    ``X`` is a validated array (with its ``sample_weight``) or any
    :class:`~bayesgmm.data.sources.DataSource`, such as a Dask array's.
    ``score_quantiles=False`` skips the last pass, which scores the training rows
    for the anomaly thresholds (:mod:`bayesgmm.fitting.score_quantiles`): a sweep's
    cells keep only their criteria.
    """
    data = as_data_source(X, sample_weight)
    spec.check_initial_parameters(data.n_features, data.n_samples)
    if data.n_samples < spec.n_components:
        raise ValueError(
            f"Expected n_samples >= n_components but got n_components = {spec.n_components}, "
            f"n_samples = {data.n_samples}: "
            f"X has {data.n_samples} samples but n_components={spec.n_components}; a mixture needs "
            "at least one sample per component: use fewer components or more data"
        )
    warm = previous is not None
    if warm and previous.pruning is not None and previous.n_components < spec.n_components:
        # continue from the pruned model: removed components do not come back
        spec = dataclasses.replace(spec, n_components=previous.n_components)
    engine = make_engine(spec, data)
    rng = as_generator(spec.random_state)
    # a sampler's chains are its restarts: each starts from its own init_params start
    sampling = engine.iteration == ITERATE_SAMPLING
    runs = 1 if warm or sampling else spec.n_init
    if sampling and not data.can_allocate:  # before any start is computed on the data
        raise NotImplementedError(
            f"{type(data).__name__} cannot run the Gibbs sampler's pass yet; fit in-memory data "
            f"(a NumPy array) with engine={engine.name!r}"
        )
    if not warm and runs > 1 and spec.responsibilities_init is not None:
        # scikit-learn's KMeans does the same for explicit initial centres
        warnings.warn(
            "responsibilities_init fixes the start: performing only one initialisation "
            f"instead of n_init={runs}",
            RuntimeWarning,
            stacklevel=3,
        )
        runs = 1
    best = None
    for run in range(runs):
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
    assert best is not None  # n_init >= 1: the loop ran at least once
    lower_bound, state, trace, converged, empty_components = best
    empty_components.warn(stacklevel=3)
    pruning = None
    if warm and previous.pruning is not None:
        # iterations count along this fit's trace: earlier fits' steps become negative
        pruning = previous.pruning.shifted(-previous.n_iter)
    if spec.prune is not None:
        engine, state, trace, converged, pruning = prune_below(
            engine, data, state, spec.prune, trace, converged, pruning
        )
    if not converged and spec.max_iter > 0 and not sampling:  # a sampler warns "did not mix"
        warnings.warn(
            # scikit-learn's wording first: code and tests written for it match on it
            "Best performing initialization did not converge. Try different init parameters, "
            "or increase max_iter, tol, or check for degenerate data. "
            "The best of the initialisations did not converge within max_iter="
            f"{spec.max_iter} iterations (tol={spec.tol}). Increase max_iter or tol, try other "
            "init_params, or check for degenerate data.",
            convergence_warning(),
            stacklevel=3,
        )
    return finish_fit(
        engine, data, state, trace, converged, feature_names, pruning, score_quantiles
    )
