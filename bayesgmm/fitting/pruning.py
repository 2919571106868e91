"""Pruning: remove components that carry (almost) no weight and refit the survivors.

One mechanism serves every engine and every covariance family, because it
only uses the engine protocol:

1. restrict the engine's current :class:`~bayesgmm.stats.GaussianTerms` to the
   surviving components (rows of ``means``, ``factor`` and ``log_offset``);
2. one statistics pass with those terms: every row's responsibility is shared
   among the survivors only (for ``tied`` the pooled covariance is then
   re-estimated from the survivors' scatter);
3. an engine for the smaller spec (``n_components=K'``) applies its own
   M-step to those statistics, and the usual loop
   (:func:`bayesgmm.fitting.loop.run_em_loop`) continues from there to convergence.

The weight compared with the threshold is the point estimate's
(``weights_``): the maximum-likelihood or MAP weight, or for variational Bayes
the expected weight under q.

Two ways to choose what to remove:

A noise component (``noise=True``) is never pruned: the weights compared are the
Gaussians' (``weights_``, which with noise sum to one minus the noise weight), and
:func:`restricted_terms` always keeps the noise row.

* :func:`prune_below` (the ``prune=`` option and the ``prune(threshold, X)`` methods of
  :class:`~bayesgmm.FitResult` and the estimator): every component whose weight is below the
  threshold, repeatedly, until none is.  The heaviest component is never
  removed, so the loop ends.  ``1e-2`` is the usual threshold.
* :func:`bayesgmm.prune_path` (:mod:`bayesgmm.model_selection.pruning`): the lightest
  component, one at a time down to ``min_components``, with BIC, AIC and ICL recorded
  along the way; its ``best`` is the model an information criterion prefers.
  Maximum-likelihood EM seldom drives a weight to zero by itself, so this is
  how EM started with too many components finds a smaller model.

Every step is recorded in the result (:class:`~bayesgmm.fitting.pruning_history.PruningHistory`):
what was removed, after which iteration, and the objective before and after.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.checks import check_data
from ..data.incomplete import in_memory_source
from ..data.sources import DataSource, InMemoryData
from ..data.validation import as_feature_matrix, as_sample_weight, check_features
from ..engines import ITERATE_SAMPLING, Engine, engine_class, restore
from ..exceptions import convergence_warning
from ..spec import prune_threshold
from ..stats import GaussianTerms
from . import loop
from .pruning_history import PruningHistory

if TYPE_CHECKING:  # annotations only: the result is built on top of this mechanism
    from .result import FitResult


def restricted_terms(terms: GaussianTerms, keep: np.ndarray) -> GaussianTerms:
    """The E-step terms of the Gaussian components flagged in ``keep`` only.

    A noise component is always kept: it is no Gaussian, and ``keep`` (one flag per
    Gaussian) does not name it.
    """
    if terms.has_noise:
        keep = np.append(keep, True)
    return GaussianTerms(
        means=np.ascontiguousarray(terms.means[keep]),
        factor=np.ascontiguousarray(terms.factor[keep]),
        log_offset=np.ascontiguousarray(terms.log_offset[keep]),
        kernel=terms.kernel,
        has_noise=terms.has_noise,
    )


def refit_survivors(
    engine: Engine, data: DataSource, state: Any, keep: np.ndarray
) -> tuple[Engine, Any]:
    """An engine for the surviving components and its first state (one E-step, one M-step)."""
    keep = np.asarray(keep, dtype=bool)
    stats = data.accumulate(restricted_terms(engine.terms(state), keep))
    spec = dataclasses.replace(
        engine.spec,
        n_components=int(keep.sum()),
        # user-given starting points have the old number of rows and are spent anyway
        weights_init=None,
        means_init=None,
        precisions_init=None,
        responsibilities_init=None,
    )
    smaller = engine.smaller(spec)
    return smaller, smaller.mstep(stats)


def per_sample_objective(engine: Engine, data: DataSource, state: Any) -> float:
    """The engine's objective at ``state`` divided by the total weight (as the trace)."""
    stats = data.accumulate(engine.terms(state))
    return (stats.loglik + engine.penalty(state)) / stats.total_weight


def remove_and_refit(engine, data, state, remove, trace, history, threshold):
    if history is None:
        history = PruningHistory.start(engine.n_components)
    weights = engine.parameters(state).weights
    before = per_sample_objective(engine, data, state)
    engine, state = refit_survivors(engine, data, state, ~remove)
    state, more, converged = loop.run_em_loop(engine, data, state)
    after = per_sample_objective(engine, data, state)
    history = history.with_step(
        iteration=len(trace),
        threshold=threshold,
        removed=remove,
        weights=weights,
        objective_before=before,
        objective_after=after,
    )
    return engine, state, list(trace) + more, converged, history


def prune_below(
    engine: Engine,
    data: DataSource,
    state: Any,
    threshold: float,
    trace: list[float],
    converged: bool,
    history: PruningHistory | None = None,
) -> tuple[Engine, Any, list[float], bool, PruningHistory | None]:
    """Remove every component with weight below ``threshold`` and refit, until none is below.

    Returns the (possibly smaller) engine, its state, the trace extended by
    the refits' iterations, whether the last refit converged, and the history
    (``history`` extended; unchanged if nothing was removed).
    """
    threshold = prune_threshold(threshold, "threshold")
    while True:
        weights = engine.parameters(state).weights
        remove = weights < threshold
        remove[np.argmax(weights)] = False  # a mixture keeps at least one component
        if not remove.any():
            return engine, state, list(trace), converged, history
        engine, state, trace, converged, history = remove_and_refit(
            engine, data, state, remove, trace, history, threshold
        )


def fitting_data(result: FitResult, X, sample_weight) -> InMemoryData:
    """The fitting data, validated and checked as ``fit`` checks them (:mod:`bayesgmm.data.checks`)."""
    marginalize = result.spec.missing == "marginalize"
    array, names = as_feature_matrix(X, allow_nan=marginalize)
    check_features(array, names, result.n_features, result.feature_names)
    weights = as_sample_weight(sample_weight, array.shape[0])
    data = in_memory_source(array, weights) if marginalize else InMemoryData(array, weights)
    # the refits use the fit's reg_covar: the same scale warning as the fit's
    check_data(data, result.spec.reg_covar, stacklevel=3)
    return data


def engine_and_state(result: FitResult, data: DataSource) -> tuple[Engine, Any]:
    return restore(
        result.spec,
        result.n_features,
        result.parameters,
        result.engine_variables,
        loop.moments_for(result.spec, data),
    )


def warn_if_not_converged(converged: bool, spec) -> None:
    # a sampler's refit has warned already if its chains did not mix
    sampling = engine_class(spec.engine).iteration == ITERATE_SAMPLING
    if not converged and spec.max_iter > 0 and not sampling:
        warnings.warn(
            f"The refit after pruning did not converge within max_iter={spec.max_iter} "
            f"iterations (tol={spec.tol}). Increase max_iter or tol.",
            convergence_warning(),
            stacklevel=3,
        )
