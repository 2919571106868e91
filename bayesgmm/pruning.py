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
   (:func:`bayesgmm.fitting.run_em_loop`) continues from there to convergence.

The weight compared with the threshold is the point estimate's
(``weights_``): the maximum-likelihood or MAP weight, or for variational Bayes
the expected weight under q.

Two ways to choose what to remove:

* :func:`prune_below` / :func:`prune_result` (the ``prune=`` option and the
  ``prune(threshold, X)`` methods): every component whose weight is below the
  threshold, repeatedly, until none is.  The heaviest component is never
  removed, so the loop ends.  ``1e-2`` is the usual threshold.
* :func:`prune_path`: the lightest component, one at a time down to
  ``min_components``, with BIC, AIC and ICL recorded along the way; its
  :meth:`PrunePath.best` is the model an information criterion prefers.
  Maximum-likelihood EM seldom drives a weight to zero by itself, so this is
  how EM started with too many components finds a smaller model.

Every step is recorded in the result (:class:`~bayesgmm.pruning_history.PruningHistory`):
what was removed, after which iteration, and the objective before and after.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from ._lazy import xr

from . import criteria, fitting
from .data import as_feature_matrix, as_sample_weight, check_features
from .engines import Engine
from .exceptions import ConvergenceWarning
from .pruning_history import PruningHistory
from .results import FitResult
from .spec import prune_threshold
from .sources import DataSource, InMemoryData
from .stats import GaussianTerms


def restricted_terms(terms: GaussianTerms, keep: np.ndarray) -> GaussianTerms:
    """The E-step terms of the components flagged in ``keep`` only."""
    return GaussianTerms(
        means=np.ascontiguousarray(terms.means[keep]),
        factor=np.ascontiguousarray(terms.factor[keep]),
        log_offset=np.ascontiguousarray(terms.log_offset[keep]),
        kernel=terms.kernel,
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
    )
    smaller = type(engine)(spec, engine.n_features, engine.moments)
    return smaller, smaller.mstep(stats)


def per_sample_objective(engine: Engine, data: DataSource, state: Any) -> float:
    """The engine's objective at ``state`` divided by the total weight (as the trace)."""
    stats = data.accumulate(engine.terms(state))
    return (stats.loglik + engine.penalty(state)) / stats.total_weight


def _remove_and_refit(engine, data, state, remove, trace, history, threshold):
    if history is None:
        history = PruningHistory.start(engine.n_components)
    weights = engine.parameters(state).weights
    before = per_sample_objective(engine, data, state)
    engine, state = refit_survivors(engine, data, state, ~remove)
    state, more, converged = fitting.run_em_loop(engine, data, state)
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
        engine, state, trace, converged, history = _remove_and_refit(
            engine, data, state, remove, trace, history, threshold
        )


def _as_result(model: Any) -> FitResult:
    if isinstance(model, FitResult):
        return model
    result = getattr(model, "result_", None)
    if isinstance(result, FitResult):
        return result
    raise TypeError(
        f"expected a fitted GaussianMixture or a FitResult, got {type(model).__name__}; "
        "fit the model first"
    )


def _fitting_data(result: FitResult, X, sample_weight) -> InMemoryData:
    array, names = as_feature_matrix(X)
    check_features(array, names, result.n_features, result.feature_names)
    return InMemoryData(array, as_sample_weight(sample_weight, array.shape[0]))


def _engine_and_state(result: FitResult, data: DataSource) -> tuple[Engine, Any]:
    engine = fitting.make_engine(result.spec, data)
    return engine, engine.state_from_saved(result.parameters, result.engine_variables)


def prune_result(result: FitResult, threshold: float, X, sample_weight=None) -> FitResult:
    """A new result without the components whose weight is below ``threshold``.

    Components below the threshold are removed and the survivors refitted
    from where they stand (warm start), repeatedly, until no weight is below
    the threshold.  The new result's trace continues the old one and its
    ``pruning`` record lists every step.  If no weight is below the threshold
    the result is returned unchanged.

    Parameters
    ----------
    result : FitResult
    threshold : float in (0, 1)
        ``1e-2`` is the usual choice.
    X : array-like (n_samples, n_features)
        The data the result was fitted to.
    sample_weight : array-like (n_samples,), optional
        The fit's sample weights.
    """
    threshold = prune_threshold(threshold, "threshold")
    data = _fitting_data(result, X, sample_weight)  # checked even when nothing is pruned
    if not (result.parameters.weights < threshold).any() or result.n_components == 1:
        return result
    engine, state = _engine_and_state(result, data)
    engine, state, trace, converged, history = prune_below(
        engine, data, state, threshold, list(result.trace), result.converged, result.pruning
    )
    _warn_if_not_converged(converged, engine.spec)
    pruned = fitting.finish_fit(engine, data, state, trace, converged, result.feature_names, history)
    # the survivors live in the same units as the model they came from
    return dataclasses.replace(pruned, standardization=result.standardization)


def _warn_if_not_converged(converged: bool, spec) -> None:
    if not converged and spec.max_iter > 0:
        warnings.warn(
            f"The refit after pruning did not converge within max_iter={spec.max_iter} "
            f"iterations (tol={spec.tol}). Increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=3,
        )


PATH_CRITERIA = ("bic", "aic", "icl")


@dataclass(frozen=True, eq=False)
class PrunePath:
    """Models from removing the lightest component one at a time.

    Attributes
    ----------
    results : tuple of FitResult
        The starting model first, then one model per step (one component fewer each).
    criteria : xarray.Dataset
        Over dim ``n_components`` (descending): ``bic``, ``aic``, ``icl`` (lower is
        better), ``log_likelihood``, ``objective``, ``converged``, ``n_iter`` (the
        step's refit iterations) and ``removed_weight`` (weight of the component
        the step removed; NaN for the starting model).
    """

    results: tuple[FitResult, ...]
    criteria: xr.Dataset

    def best(self, criterion: str = "bic") -> FitResult:
        """The model on the path with the lowest ``criterion`` ("bic", "aic" or "icl")."""
        if criterion not in PATH_CRITERIA:
            raise ValueError(f"criterion={criterion!r} is not one of {PATH_CRITERIA}")
        return self.results[int(np.argmin(self.criteria[criterion].values))]


def prune_path(model, X, sample_weight=None, *, min_components: int = 1) -> PrunePath:
    """Remove the lightest component, refit the survivors, repeat down to ``min_components``.

    Each step starts from the previous model's state (warm start), so the
    whole path costs about as much as one fit per step from a good start.
    Use :meth:`PrunePath.best` to take the model an information criterion
    prefers, e.g. start EM with too many components and keep the BIC-best::

        gm = GaussianMixture(10, covariance_type="tied", random_state=0).fit(X)
        path = bayesgmm.prune_path(gm, X)
        best = GaussianMixture.from_result(path.best("bic"))

    Parameters
    ----------
    model : fitted GaussianMixture or FitResult
    X : array-like (n_samples, n_features)
        The data the model was fitted to.
    sample_weight : array-like (n_samples,), optional
        The fit's sample weights.
    min_components : int, default 1
        Where the path ends.
    """
    result = _as_result(model)
    if isinstance(min_components, bool) or not isinstance(min_components, numbers.Integral):
        raise TypeError(f"min_components must be an integer, got {min_components!r}")
    if not 1 <= min_components <= result.n_components:
        raise ValueError(
            f"min_components={min_components} must lie between 1 and the model's "
            f"{result.n_components} components"
        )
    data = _fitting_data(result, X, sample_weight)
    engine, state = _engine_and_state(result, data)
    trace, history = list(result.trace), result.pruning
    results, n_iter, removed_weight = [result], [result.n_iter], [np.nan]
    while engine.n_components > min_components:
        current = engine.parameters(state).weights
        remove = np.zeros(current.size, dtype=bool)
        remove[np.argmin(current)] = True
        start = len(trace)
        engine, state, trace, converged, history = _remove_and_refit(
            engine, data, state, remove, trace, history, np.nan
        )
        results.append(
            fitting.finish_fit(engine, data, state, trace, converged, result.feature_names, history)
        )
        n_iter.append(len(trace) - start)
        removed_weight.append(float(current[remove][0]))
    rows = [criteria.result_criteria(r, data.X, data.sample_weight) for r in results]
    table = xr.Dataset(
        {
            **{name: ("n_components", [row[name] for row in rows])
               for name in (*PATH_CRITERIA, "log_likelihood")},
            "objective": ("n_components", [r.objective for r in results]),
            "converged": ("n_components", [r.converged for r in results]),
            "n_iter": ("n_components", n_iter),
            "removed_weight": ("n_components", removed_weight),
        },
        coords={"n_components": [r.n_components for r in results]},
        attrs={"engine": result.spec.engine, "covariance_type": result.spec.covariance_type,
               "convention": criteria.CONVENTION_NOTE},
    )
    return PrunePath(tuple(results), table)
