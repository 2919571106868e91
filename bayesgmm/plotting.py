"""Figures of fitted mixtures and model comparisons (matplotlib; ``pip install bayesgmm[plot]``).

Every function draws into the ``ax`` it is given, or into a new figure when
``ax`` is None, and returns the Axes (an array of Axes for the faceted
:func:`plot_criteria`); ``ax.figure`` is the Figure.  Nothing here calls
``plt.show()``, so the functions are safe on headless machines and in
scripts that save figures (``ax.figure.savefig("fit.png")``).

Models are fitted :class:`~bayesgmm.GaussianMixture` estimators or
:class:`~bayesgmm.FitResult` objects (e.g. from :func:`bayesgmm.load_result`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ._lazy import xr

try:
    import matplotlib
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Ellipse
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "bayesgmm.plotting needs matplotlib: pip install 'bayesgmm[plot]' (or matplotlib)"
    ) from exc

from scipy import stats

from .data import as_feature_matrix
from .results import FitResult, _as_full_covariance
from .select import CRITERIA, sweep_table

OBJECTIVE_NAMES = {"em": "log-likelihood", "map": "log-posterior", "vb": "ELBO"}
_CRITERION_STYLES = {"bic": "-", "aic": "--", "icl": ":"}
_CRITERION_MARKERS = {"bic": "o", "aic": "s", "icl": "^"}


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when a new figure is needed

    return plt.subplots(figsize=(6.4, 4.8), layout="constrained")[1]


def _result(model: Any) -> FitResult:
    if isinstance(model, FitResult):
        return model
    result = getattr(model, "result_", None)
    if isinstance(result, FitResult):
        return result
    raise TypeError(
        f"expected a fitted GaussianMixture or a FitResult, got {type(model).__name__}; fit it first"
    )


def _estimator(model: Any):
    from .estimator import GaussianMixture

    if isinstance(model, GaussianMixture):
        model._check_fitted()
        return model
    return GaussianMixture.from_result(_result(model))


def component_colors(n_components: int) -> np.ndarray:
    """(K, 3) RGB colours, one per component: tab10, tab20 beyond 10, then a continuous map."""
    if n_components <= 10:
        cmap = matplotlib.colormaps["tab10"]
        return np.array([to_rgb(cmap(k)) for k in range(n_components)])
    if n_components <= 20:
        cmap = matplotlib.colormaps["tab20"]
        return np.array([to_rgb(cmap(k)) for k in range(n_components)])
    cmap = matplotlib.colormaps["turbo"]
    return np.array([to_rgb(cmap(x)) for x in np.linspace(0, 1, n_components)])


def _feature_index(feature, names: list[str], D: int) -> int:
    if isinstance(feature, str):
        if feature not in names:
            raise ValueError(f"feature {feature!r} is not one of the model's features {names}")
        return names.index(feature)
    if isinstance(feature, (int, np.integer)) and not isinstance(feature, bool) and -D <= feature < D:
        return int(feature) % D
    raise ValueError(f"feature {feature!r} is neither a feature name nor an index below {D}")


def plot_mixture(
    model,
    X,
    features: Sequence[int | str] = (0, 1),
    *,
    ax=None,
    sigmas: Sequence[float] = (1, 2, 3),
    point_size: float | None = None,
):
    """Data coloured by soft assignment, with each component's 1, 2 and 3 sigma ellipses.

    Each point's colour mixes the component colours in proportion to its
    responsibilities, so points between components show blended colours.
    Ellipses are contours of the component's Gaussian on the chosen pair of
    features (its marginal covariance) at Mahalanobis distance 1, 2, 3; line
    width and opacity decrease outwards.  Means are marked with a cross.

    Parameters
    ----------
    model : fitted GaussianMixture or FitResult
    X : array-like (n_samples, n_features)
        Data to draw (usually the fitting data).
    features : pair of int or str, default (0, 1)
        The two features on the axes, by index or name.
    ax : matplotlib Axes, optional
    sigmas : sequence of float, default (1, 2, 3)
        Mahalanobis radii of the ellipses.
    point_size : float, optional
        Marker area; by default it shrinks with the number of points.

    Returns
    -------
    matplotlib.axes.Axes
    """
    estimator = _estimator(model)
    result = estimator.result_
    D = result.n_features
    if D < 2:
        raise ValueError("plot_mixture needs at least two features; this model has one")
    names = ([str(n) for n in result.feature_names] if result.feature_names is not None
             else [f"x{i}" for i in range(D)])
    if len(features) != 2:
        raise ValueError(f"features must name two features, got {features!r}")
    i, j = (_feature_index(f, names, D) for f in features)
    if i == j:
        raise ValueError(f"features must be two different features, got {features!r}")
    resp = estimator.predict_proba(X)  # also validates X against the model
    data = as_feature_matrix(X)[0]
    K = result.n_components
    colors = component_colors(K)
    ax = _axes(ax)
    size = point_size if point_size is not None else float(np.clip(2000 / len(data), 2, 30))
    ax.scatter(data[:, i], data[:, j], c=np.clip(resp @ colors, 0, 1), s=size, linewidths=0,
               alpha=0.8)
    p = result.parameters
    for k in range(K):
        covariance = _as_full_covariance(result.spec.covariance_type, p.covariances, k, D)
        block = covariance[np.ix_([i, j], [i, j])]
        values, vectors = np.linalg.eigh(block)
        angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
        for n, radius in enumerate(sigmas):
            ax.add_patch(Ellipse(
                (p.means[k, i], p.means[k, j]),
                width=2 * radius * np.sqrt(values[-1]), height=2 * radius * np.sqrt(values[0]),
                angle=angle, fill=False, edgecolor=colors[k], linewidth=2.0 / (1 + 0.5 * n),
                alpha=1.0 / (1 + 0.6 * n),
            ))
        ax.plot(p.means[k, i], p.means[k, j], "x", color=colors[k], markersize=8, mew=2,
                label=f"component {k} (weight {p.weights[k]:.2f})")
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    ax.set_title(f"{result.spec.engine}, {result.spec.covariance_type}, K={K}: "
                 + ", ".join(f"{s:g}" for s in sigmas) + " sigma")
    ax.legend(fontsize="small", loc="best")
    ax.autoscale_view()
    return ax


def plot_criteria(sweep: xr.Dataset, criteria: Sequence[str] = ("bic", "aic"), *, ax=None):
    """Criteria of a :func:`bayesgmm.select` sweep against K: a line per covariance type.

    One panel per engine (sharing the y axis); BIC solid, AIC dashed, ICL
    dotted; each panel's lowest value of each criterion is circled.  Failed
    fits leave gaps.  All criteria are lower-is-better.

    Parameters
    ----------
    sweep : xarray.Dataset from :func:`bayesgmm.select`
    criteria : sequence of "bic", "aic", "icl", default ("bic", "aic")
    ax : matplotlib Axes or sequence of Axes, optional
        One Axes per engine of the sweep.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes, one per engine
    """
    criteria = [criteria] if isinstance(criteria, str) else list(criteria)
    for name in criteria:
        if name not in CRITERIA:
            raise ValueError(f"criterion {name!r} is not one of {CRITERIA}")
    if not {"engine", "covariance_type", "n_components"} <= set(sweep.dims):
        raise ValueError("expected a bayesgmm.select() Dataset with dims engine, covariance_type, "
                         "n_components")
    engines = [str(e) for e in sweep.engine.values]
    if ax is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(engines), figsize=(5.0 * len(engines) + 1.4, 4.6),
                                 sharey=True, squeeze=False, layout="constrained")
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if axes.size != len(engines):
            raise ValueError(
                f"the sweep has {len(engines)} engines {engines}; pass one Axes per engine, or "
                "select one engine first: sweep.sel(engine=[...])"
            )
    families = [str(c) for c in sweep.covariance_type.values]
    colors = component_colors(len(families))
    ks = sweep.n_components.values
    for panel, engine in zip(axes, engines):
        winners = []
        for name in criteria:
            values = sweep[name].sel(engine=engine)
            for color, family in zip(colors, families):
                panel.plot(ks, values.sel(covariance_type=family).values, _CRITERION_STYLES[name],
                           marker=_CRITERION_MARKERS[name], markersize=4, color=color)
            if np.isfinite(values.values).any():
                c, k = np.unravel_index(np.nanargmin(values.values), values.shape)
                panel.plot(ks[k], values.values[c, k], "o", markersize=14, markerfacecolor="none",
                           markeredgecolor="black", markeredgewidth=1.5)
                winners.append(f"best {name.upper()}: {families[c]} K={ks[k]} "
                               f"({values.values[c, k]:.1f})")
        panel.text(0.5, 0.97, "\n".join(winners), transform=panel.transAxes, ha="center",
                   va="top", fontsize="small", bbox={"facecolor": "white", "alpha": 0.8,
                                                     "edgecolor": "none"})
        panel.set_title(f"engine {engine}")
        panel.set_xlabel("number of components")
        panel.set_xticks(ks)
    axes[0].set_ylabel(" / ".join(name.upper() for name in criteria) + " (lower is better)")
    # two small legends instead of one per line: colour = covariance type, style = criterion
    family_handles = [Line2D([], [], color=color, label=family) for color, family in zip(colors, families)]
    criterion_handles = [Line2D([], [], color="black", linestyle=_CRITERION_STYLES[name],
                                marker=_CRITERION_MARKERS[name], markersize=4, label=name.upper())
                         for name in criteria]
    last = axes[-1]
    last.add_artist(last.legend(handles=family_handles, title="covariance", fontsize="small",
                                loc="upper right"))
    last.legend(handles=criterion_handles, fontsize="small", loc="center right")
    return axes


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
            ax.annotate(f"K {history.n_components_before[step]}\u2192{history.n_components_after[step]}",
                        (at + 0.5, 0.02), xycoords=("data", "axes fraction"), rotation=90,
                        va="bottom", ha="right", fontsize="small", color="C3")
    name = OBJECTIVE_NAMES.get(result.spec.engine, "objective")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"{name} per sample")
    state = "converged" if result.converged else "not converged"
    ax.set_title(f"{result.spec.engine}, {result.spec.covariance_type}, K={result.n_components}: "
                 f"{result.n_iter} iterations, {state}")
    return ax


def weight_intervals(model, level: float = 0.95) -> tuple[np.ndarray, np.ndarray] | None:
    """Equal-tailed posterior intervals of the weights, or None for a point estimate.

    Uses a ``weight_concentration`` variable on dim ``component`` in the
    result (the Dirichlet posterior ``alpha`` of a Bayesian engine): each
    weight's marginal is ``Beta(alpha_k, sum(alpha) - alpha_k)``.  Results
    without one (EM, or an engine that stores no Dirichlet posterior) have no
    interval.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1, got {level!r}")
    result = _result(model)
    variable = result.engine_variables.get("weight_concentration")
    if variable is None:
        return None
    dims, alpha = variable
    alpha = np.asarray(alpha, dtype=np.float64)
    if tuple(dims) != ("component",) or alpha.shape != (result.n_components,) or np.any(alpha <= 0):
        return None
    rest = alpha.sum() - alpha
    tail = (1 - level) / 2
    return stats.beta.ppf(tail, alpha, rest), stats.beta.ppf(1 - tail, alpha, rest)


def plot_weights(model, *, ax=None, level: float = 0.95):
    """The mixture weights per component, with posterior intervals where the engine has them.

    Bars are the point estimates (``weights_``: for VB the expected weights);
    error bars the ``level`` intervals of :func:`weight_intervals`.  A
    pruning threshold in the model's settings is drawn as a dashed line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    result = _result(model)
    ax = _axes(ax)
    K = result.n_components
    weights = result.parameters.weights
    colors = component_colors(K)
    ax.bar(np.arange(K), weights, color=colors, edgecolor="black", linewidth=0.5)
    intervals = weight_intervals(result, level)
    if intervals is not None:
        lower, upper = intervals
        ax.errorbar(np.arange(K), weights, yerr=[np.maximum(weights - lower, 0),
                    np.maximum(upper - weights, 0)], fmt="none", ecolor="black", capsize=4,
                    label=f"{level:.0%} posterior interval")
    if result.spec.prune is not None:
        ax.axhline(result.spec.prune, color="C3", linestyle="--", linewidth=1,
                   label=f"pruning threshold {result.spec.prune:g}")
    if intervals is not None or result.spec.prune is not None:
        ax.legend(fontsize="small")
    ax.set_xticks(np.arange(K))
    ax.set_xlabel("component")
    ax.set_ylabel("weight")
    ax.set_title(f"{result.spec.engine}, {result.spec.covariance_type}, K={K}")
    return ax


def plot_criteria_table(table: xr.Dataset, criterion: str = "bic", *, ax=None, top: int | None = 15):
    """Models ranked by a criterion: distance of each criterion from its best value.

    Parameters
    ----------
    table : xarray.Dataset
        From :func:`bayesgmm.criteria_table` (dim ``model``) or a
        :func:`bayesgmm.select` sweep (flattened to one row per fit).
    criterion : "bic", "aic" or "icl", default "bic"
        Ranks the models, best at the top; filled markers.  The other
        criteria are drawn as hollow markers for comparison.
    top : int or None, default 15
        Show only the best ``top`` models.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion {criterion!r} is not one of {CRITERIA}")
    if "model" not in table.dims:
        table = sweep_table(table)
    order = np.argsort(table[criterion].values, kind="stable")
    order = order[np.isfinite(table[criterion].values[order])]
    if top is not None:
        order = order[:top]
    if order.size == 0:
        raise ValueError(f"no model has a finite {criterion}")
    table = table.isel(model=order)
    ax = _axes(ax)
    rows = np.arange(table.sizes["model"])
    for n, name in enumerate(CRITERIA):
        delta = table[name].values - np.nanmin(table[name].values)
        main = name == criterion
        ax.plot(delta, rows + (0 if main else 0.18 * (1 if n % 2 else -1)),
                _CRITERION_MARKERS[name], color=f"C{n}", markersize=8 if main else 6,
                markerfacecolor=None if main else "none", linestyle="none",
                label=f"\u0394{name.upper()}" + (" (ranking)" if main else ""))
    for row, value in zip(rows, table[criterion].values):
        ax.annotate(f"{value:.1f}", (0, row), textcoords="offset points", xytext=(-6, 0),
                    ha="right", va="center", fontsize="x-small")
    ax.set_yticks(rows, [str(m) for m in table.model.values])
    ax.invert_yaxis()
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("difference from the best model of each criterion (lower is better)")
    ax.set_title(f"models ranked by {criterion.upper()} (its value at the left)")
    ax.legend(fontsize="small", loc="lower right")
    ax.margins(x=0.25)
    return ax
