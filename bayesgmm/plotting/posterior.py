"""Figures of a fit's own course and posterior: the objective trace and the weights' intervals.

What the objective is called and where a weight interval comes from are the
engine's (``Engine.objective_name``, ``Engine.weight_posterior``,
``Engine.has_posterior``): no engine is named here.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..diagnostics.draws import posterior_draws, weight_posterior
from ..engines import engine_class
from .common import _axes, _result, component_slots


def plot_trace(model, *, ax=None):
    """The per-sample objective at each iteration, with pruning steps marked.

    The objective is the log-likelihood (EM), log-posterior (MAP) or ELBO
    (VB) divided by the number of samples, before each iteration's update.
    A pruning step shows as a dashed line where components were removed
    (the objective drops there: the model changed).

    Returns
    -------
    matplotlib.axes.Axes
    """
    result = _result(model)
    ax = _axes(ax)
    iterations = np.arange(1, result.n_iter + 1)
    ax.plot(iterations, result.trace, marker="." if result.n_iter < 60 else None, color="C0")
    history = result.pruning
    if history is not None:
        for step in range(history.n_steps):
            at = history.iteration[step]
            if at < 0:  # happened in an earlier fit that this warm start continued
                continue
            ax.axvline(at + 0.5, color="C3", linestyle="--", linewidth=1)
            ax.annotate(
                f"K {history.n_components_before[step]}\u2192{history.n_components_after[step]}",
                (at + 0.5, 0.02),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="bottom",
                ha="right",
                fontsize="small",
                color="C3",
            )
    name = engine_class(result.spec.engine).objective_name
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"{name} per sample")
    state = "converged" if result.converged else "not converged"
    ax.set_title(
        f"{result.spec.engine}, {result.spec.covariance_type}, K={result.n_components}: "
        f"{result.n_iter} iterations, {state}"
    )
    return ax


def weight_intervals(
    model, level: float = 0.95, X=None, *, draws: int = 4000, random_state=0
) -> tuple[np.ndarray, np.ndarray] | None:
    """Equal-tailed posterior intervals of the weights, or None for a point estimate.

    * A Dirichlet posterior ``alpha`` (VB with ``weight_prior="dirichlet_distribution"``:
      the ``weight_concentration`` variable of the result): each weight's marginal
      is ``Beta(alpha_k, sum(alpha) - alpha_k)``, exactly.
    * MAP with the fitting data ``X``: the same for the conjugate posterior
      ``Dirichlet(alpha + n_k)`` given the responsibilities on ``X``
      (:func:`bayesgmm.diagnostics.map_posterior`).
    * VB with the truncated Dirichlet process: the normalised stick-breaking
      weights have no closed-form marginals, so the quantiles of ``draws``
      posterior draws (seeded by ``random_state``) are used.

    EM, and MAP without ``X``, have no interval.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1, got {level!r}")
    result = _result(model)
    tail = (1 - level) / 2
    engine = engine_class(result.spec.engine)
    alpha = _stored_dirichlet(result)
    if alpha is None and engine.has_posterior:
        alpha = weight_posterior(result, X)
    if alpha is not None:
        alpha = np.asarray(alpha, dtype=np.float64)
        rest = alpha.sum() - alpha
        return stats.beta.ppf(tail, alpha, rest), stats.beta.ppf(1 - tail, alpha, rest)
    if engine.has_posterior and not engine.draws_need_data:
        # e.g. VB's Dirichlet process: the stick-breaking weights have no closed-form marginals
        weights = posterior_draws(result, draws=draws, random_state=random_state).weights
        return np.quantile(weights, tail, axis=0), np.quantile(weights, 1 - tail, axis=0)
    return None


def _stored_dirichlet(result) -> np.ndarray | None:
    """A saved ``weight_concentration`` variable: the Dirichlet posterior a Bayesian engine stores."""
    variable = result.engine_variables.get("weight_concentration")
    if variable is not None:
        dims, alpha = variable
        alpha = np.asarray(alpha, dtype=np.float64)
        if (
            tuple(dims) == ("component",)
            and alpha.shape == (result.n_components,)
            and np.all(alpha > 0)
        ):
            return alpha
    return None


def plot_weights(model, X=None, *, ax=None, level: float = 0.95, order=None):
    """The mixture weights per component, with posterior intervals where the engine has them.

    Bars are the point estimates (``weights_``: for VB the expected weights);
    error bars the ``level`` intervals of :func:`weight_intervals` (VB always;
    MAP when given its fitting data ``X``).  A pruning threshold in the model's
    settings is drawn as a dashed line.  ``order`` places component
    ``order[i]`` at position ``i`` in colour ``i`` (-1: an empty place), as
    :func:`~bayesgmm.plotting.plot_mixture` colours it; the ticks keep each
    model's own component numbers.

    Returns
    -------
    matplotlib.axes.Axes
    """
    result = _result(model)
    ax = _axes(ax)
    K = result.n_components
    slots, colors = component_slots(order, K)
    places = np.flatnonzero(slots >= 0)
    shown = slots[places]
    weights = result.parameters.weights[shown]
    ax.bar(places, weights, color=colors[shown], edgecolor="black", linewidth=0.5)
    intervals = weight_intervals(result, level, X)
    if intervals is not None:
        lower, upper = (bound[shown] for bound in intervals)
        ax.errorbar(
            places,
            weights,
            yerr=[np.maximum(weights - lower, 0), np.maximum(upper - weights, 0)],
            fmt="none",
            ecolor="black",
            capsize=4,
            label=f"{level:.0%} posterior interval",
        )
    if result.spec.prune is not None:
        ax.axhline(
            result.spec.prune,
            color="C3",
            linestyle="--",
            linewidth=1,
            label=f"pruning threshold {result.spec.prune:g}",
        )
    if intervals is not None or result.spec.prune is not None:
        ax.legend(fontsize="small")
    ax.set_xticks(places, [str(k) for k in shown])
    ax.set_xlabel("component")
    ax.set_ylabel("weight")
    ax.set_title(f"{result.spec.engine}, {result.spec.covariance_type}, K={K}")
    return ax
