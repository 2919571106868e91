"""Mini-batch (online) EM: a stochastic approximation of the sufficient statistics.

Online EM (Cappé & Moulines, 2009, J. R. Statist. Soc. B 71, 593-613) replaces
the E-step over all rows by a running average of the statistics of one
mini-batch at a time,

    s_t = (1 - rho_t) s_{t-1} + rho_t * stats(batch_t) / w(batch_t),
    rho_t = (t + t0) ** -kappa,   kappa in (0.5, 1],

where ``stats(batch_t)`` is the E-step on the batch at the current parameters
and ``w(batch_t)`` the batch's weight, so ``s`` is the expected statistic of
one unit of weight.  The engine's own update then runs on ``N * s``, the
statistics of a data set of total weight ``N``; engines whose prior competes
with the data (MAP, VB) see the data set's real size.  ``kappa`` in (0.5, 1]
makes the steps sum to infinity and their squares converge (Robbins-Monro);
``t0`` damps the first steps.  The first update takes ``rho = 1``: the first
batch's statistics replace whatever the starting point implied.

Statistics are taken about the current means, which move after every update,
so the running average is re-centred on the new means before each addition
(:meth:`~bayesgmm.stats.SuffStats.recentered`, exact algebra): data far from
the origin keep their precision.

This is the estimator's ``learning_method="online"`` (one iteration = one pass
over the data in shuffled mini-batches; on Dask each row chunk is a batch) and
its ``partial_fit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data.init import as_generator
from ..data.sources import DataSource
from ..engines import ITERATE_SAMPLING, Engine
from ..stats import SuffStats
from .loop import initial_state, make_engine, objective_converged
from .result import FitResult


@dataclass(frozen=True)
class RunningStatistics:
    """The running average of per-unit-weight statistics and how it was formed.

    Attributes
    ----------
    average : SuffStats or None
        Statistics of one unit of weight (None before the first update).
    n_updates : int
        Mini-batch updates so far (``t`` in the step size).
    """

    average: SuffStats | None = None
    n_updates: int = 0

    def step_size(self, decay: float, offset: float) -> float:
        """``rho_t`` for the next update: 1 for the first, ``(t + offset) ** -decay`` after."""
        if self.average is None:
            return 1.0
        return float((self.n_updates + 1 + offset) ** -decay)

    def updated(self, batch: SuffStats, decay: float, offset: float) -> RunningStatistics:
        """Fold one batch's statistics into the average."""
        rho = self.step_size(decay, offset)
        per_unit = batch.scaled(1.0 / batch.total_weight)
        if self.average is None:
            average = per_unit
        else:
            average = self.average.recentered(per_unit.center).scaled(1.0 - rho) + per_unit.scaled(
                rho
            )
        return RunningStatistics(average, self.n_updates + 1)


def online_step(
    engine: Engine,
    state: Any,
    running: RunningStatistics,
    batch: DataSource,
    total_weight: float,
) -> tuple[Any, RunningStatistics, SuffStats]:
    """One mini-batch update: E-step on ``batch``, average, M-step on ``total_weight`` units.

    Returns the new state, the new running statistics and the batch's own
    statistics (their log-likelihood is the batch's, at the state before the update).
    """
    if engine.iteration == ITERATE_SAMPLING:
        raise ValueError(
            f"partial_fit makes mini-batch EM updates, but engine={engine.name!r} samples the "
            "posterior given all the data: use fit"
        )
    spec = engine.spec
    if spec.noise:
        raise ValueError(
            "partial_fit cannot fit a noise component: its volume and start come from the "
            "whole data set. Use fit(X) with noise=True"
        )
    batch_stats = batch.accumulate(engine.terms(state))
    running = running.updated(batch_stats, spec.learning_decay, spec.learning_offset)
    state = engine.update(running.average.scaled(total_weight), previous=state)
    return state, running, batch_stats


def run_minibatch_loop(
    engine: Engine,
    data: DataSource,
    state: Any,
    rng: np.random.Generator,
    previous_objective: float = -np.inf,
    on_iteration: Callable[[int, float], None] | None = None,
) -> tuple[Any, list[float], bool]:
    """Passes of mini-batch EM; returns (state, per-sample trace, converged) as the batch loop.

    One iteration is one pass over the data in shuffled mini-batches.  Its
    objective is the sum of the batches' log-likelihoods, each at the
    parameters before that batch's update, plus the engine's penalty at the
    end of the pass, per unit of weight: an estimate that costs no extra pass.
    """
    spec = engine.spec
    running = RunningStatistics()
    objective = previous_objective
    trace: list[float] = []
    converged = False
    for iteration in range(1, spec.max_iter + 1):
        previous = objective
        loglik, weight = 0.0, 0.0
        for batch in data.batches(spec.batch_size, rng):
            state, running, batch_stats = online_step(
                engine, state, running, batch, data.total_weight
            )
            loglik += batch_stats.loglik
            weight += batch_stats.total_weight
        objective = loglik / weight + engine.penalty(state) / data.total_weight
        trace.append(objective)
        if on_iteration is not None:
            on_iteration(iteration, objective)
        if objective_converged(engine, objective, previous, data.total_weight):
            converged = True
            break
    return state, trace, converged


@dataclass(frozen=True)
class OnlineProgress:
    """What successive ``partial_fit`` calls carry forward."""

    engine: Any
    state: Any
    running: RunningStatistics = field(default_factory=RunningStatistics)
    trace: list = field(default_factory=list)
    log_likelihood: float = 0.0
    n_samples: int = 0
    total_weight: float = 0.0


def online_update(
    spec: Any,
    data: DataSource,
    names: Any,
    progress: OnlineProgress | None,
    previous: Any = None,
) -> tuple[Any, OnlineProgress]:
    """One ``partial_fit`` call: the :class:`~bayesgmm.fitting.result.FitResult` after the
    mini-batch ``data`` and the progress to carry forward.

    ``progress`` is None on a first call, which starts from ``previous`` (a fitted
    FitResult) when given, else initialises on ``data``.  Raises before anything is
    returned, so an estimator that calls it keeps its state on error.
    """
    if progress is None:
        engine = make_engine(spec, data)
        if previous is not None:
            state = engine.state_from_saved(previous.parameters, previous.engine_variables)
        else:
            spec.check_initial_parameters(data.n_features, data.n_samples)
            if data.n_samples < spec.n_components:
                raise ValueError(
                    f"the first partial_fit chunk has {data.n_samples} rows but n_components="
                    f"{spec.n_components}; start with a chunk of at least one row per component"
                )
            state = initial_state(engine, data, as_generator(spec.random_state))
        progress = OnlineProgress(engine, state)
    engine = progress.engine
    seen_weight = progress.total_weight + data.total_weight
    total = seen_weight if spec.total_samples is None else spec.total_samples
    state, running, batch = online_step(engine, progress.state, progress.running, data, total)
    objective = batch.loglik / batch.total_weight + engine.penalty(progress.state) / total
    trace = [*progress.trace, objective]
    loglik = progress.log_likelihood + batch.loglik
    result = FitResult.from_fit(
        spec=spec,
        engine=engine,
        state=state,
        trace=np.asarray(trace, dtype=np.float64),
        converged=False,
        lower_bound=objective,
        objective=loglik + engine.penalty(state),
        log_likelihood=loglik,
        n_samples=progress.n_samples + data.n_samples,
        total_weight=seen_weight,
        feature_names=names,
    )
    carried = OnlineProgress(engine, state, running, trace, loglik, result.n_samples, seen_weight)
    return result, carried
