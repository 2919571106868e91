"""Pruning paths: remove the lightest component, refit the survivors, repeat.

:func:`prune_path` walks from a fitted model down to ``min_components`` and
tabulates BIC, AIC and ICL along the way; :meth:`PrunePath.best` takes the model
a criterion prefers.  The mechanism (removing components and refitting from
where the survivors stand) is :mod:`bayesgmm.fitting.pruning`'s.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .._lazy import xr
from ..diagnostics import criteria
from ..diagnostics.criteria import CRITERIA
from ..diagnostics.fitted import as_result
from ..fitting.pruning import engine_and_state, fitting_data, remove_and_refit
from ..fitting.result import FitResult, finish_fit


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
        if criterion not in CRITERIA:
            raise ValueError(f"criterion={criterion!r} is not one of {CRITERIA}")
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
    result = as_result(model)
    if isinstance(min_components, bool) or not isinstance(min_components, numbers.Integral):
        raise TypeError(f"min_components must be an integer, got {min_components!r}")
    if not 1 <= min_components <= result.n_components:
        raise ValueError(
            f"min_components={min_components} must lie between 1 and the model's "
            f"{result.n_components} components"
        )
    data = fitting_data(result, X, sample_weight)
    engine, state = engine_and_state(result, data)
    trace, history = list(result.trace), result.pruning
    results, n_iter, removed_weight = [result], [result.n_iter], [np.nan]
    while engine.n_components > min_components:
        current = engine.parameters(state).weights
        remove = np.zeros(current.size, dtype=bool)
        remove[np.argmin(current)] = True
        start = len(trace)
        engine, state, trace, converged, history = remove_and_refit(
            engine, data, state, remove, trace, history, np.nan
        )
        results.append(
            finish_fit(engine, data, state, trace, converged, result.feature_names, history)
        )
        n_iter.append(len(trace) - start)
        removed_weight.append(float(current[remove][0]))
    rows = [
        criteria.result_criteria(r, data.given_rows, data.sample_weight, fitting_data=True)
        for r in results
    ]
    table = xr.Dataset(
        {
            **{
                name: ("n_components", [row[name] for row in rows])
                for name in (*CRITERIA, "log_likelihood")
            },
            "objective": ("n_components", [r.objective for r in results]),
            "converged": ("n_components", [r.converged for r in results]),
            "n_iter": ("n_components", n_iter),
            "removed_weight": ("n_components", removed_weight),
        },
        coords={"n_components": [r.n_components for r in results]},
        attrs={
            "engine": result.spec.engine,
            "covariance_type": result.spec.covariance_type,
            "convention": criteria.CONVENTION_NOTE,
        },
    )
    return PrunePath(tuple(results), table)
