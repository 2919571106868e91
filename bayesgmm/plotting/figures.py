"""Figures of fitted mixtures and model comparisons (matplotlib, a dependency of bayesgmm).

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

from .._lazy import xr

try:
    import matplotlib
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Ellipse
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "bayesgmm.plotting needs matplotlib, which bayesgmm depends on: pip install matplotlib"
    ) from exc

from scipy import stats

from ..data.validation import as_feature_matrix
from ..diagnostics.criteria import CRITERIA
from ..fitting.result import FitResult, _as_full_covariance
from ..model_selection.select import sweep_table

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
    from ..estimator import GaussianMixture

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


def plot_density(model, X=None, feature: int | str = 0, *, ax=None, bins="auto", grid: int = 400):
    """One feature's mixture density, its weighted components and the data's histogram.

    The curves are exact marginals: component k contributes
    ``w_k N(x | mu_k[i], Sigma_k[i, i])`` for feature ``i``, so this works for
    any number of features and any covariance type.

    Parameters
    ----------
    model : fitted GaussianMixture or FitResult
    X : array-like (n_samples, n_features), optional
        Data whose histogram (as a density) is drawn under the curves.
    feature : int or str, default 0
        The feature, by index or name.
    ax : matplotlib Axes, optional
    bins : int, sequence or str, default "auto"
        Histogram bins, as :func:`numpy.histogram` takes them.
    grid : int, default 400
        Points at which the curves are evaluated.

    Returns
    -------
    matplotlib.axes.Axes
    """
    result = _result(model)
    D = result.n_features
    names = ([str(n) for n in result.feature_names] if result.feature_names is not None
             else [f"x{i}" for i in range(D)])
    i = _feature_index(feature, names, D)
    p = result.parameters
    K = result.n_components
    sd = np.sqrt([_as_full_covariance(result.spec.covariance_type, p.covariances, k, D)[i, i]
                  for k in range(K)])
    lo, hi = (p.means[:, i] - 4 * sd).min(), (p.means[:, i] + 4 * sd).max()
    ax = _axes(ax)
    if X is not None:
        data = as_feature_matrix(X)[0]
        if data.shape[1] != D:
            raise ValueError(f"X has {data.shape[1]} features, the model {D}")
        values = data[:, i]
        lo, hi = min(lo, values.min()), max(hi, values.max())
        ax.hist(values, bins=bins, density=True, color="0.85", edgecolor="0.6", linewidth=0.5,
                label=f"data ({values.size} rows)")
    x = np.linspace(lo, hi, grid)
    parts = p.weights[:, None] * stats.norm.pdf(x[None, :], p.means[:, i, None], sd[:, None])
    colors = component_colors(K)
    ax.plot(x, parts.sum(axis=0), color="black", linewidth=2.5, alpha=0.6, label="mixture density")
    for k in range(K):  # dashed, on top: where components are apart they trace the mixture
        ax.plot(x, parts[k], color=colors[k], linewidth=1.5, linestyle="--",
                label=f"component {k} (weight {p.weights[k]:.2f})")
    ax.set_xlabel(names[i])
    ax.set_ylabel("density")
    ax.set_title(f"{result.spec.engine}, {result.spec.covariance_type}, K={K}: density of {names[i]}")
    ax.legend(fontsize="small", loc="best")
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


def weight_intervals(model, level: float = 0.95, X=None, *, draws: int = 4000,
                     random_state=0) -> tuple[np.ndarray, np.ndarray] | None:
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
    alpha = _dirichlet_posterior(result, X)
    if alpha is not None:
        rest = alpha.sum() - alpha
        return stats.beta.ppf(tail, alpha, rest), stats.beta.ppf(1 - tail, alpha, rest)
    if result.spec.engine == "vb" and "weight_concentration_a" in result.engine_variables:
        from ..diagnostics.posterior import posterior_draws

        weights = posterior_draws(result, draws=draws, random_state=random_state).weights
        return np.quantile(weights, tail, axis=0), np.quantile(weights, 1 - tail, axis=0)
    return None


def _dirichlet_posterior(result: FitResult, X) -> np.ndarray | None:
    variable = result.engine_variables.get("weight_concentration")
    if variable is not None:
        dims, alpha = variable
        alpha = np.asarray(alpha, dtype=np.float64)
        if tuple(dims) == ("component",) and alpha.shape == (result.n_components,) and np.all(alpha > 0):
            return alpha
    if result.spec.engine == "map" and X is not None:
        from ..diagnostics.posterior import map_posterior

        return map_posterior(result, X).weight_concentration
    return None


def plot_weights(model, X=None, *, ax=None, level: float = 0.95):
    """The mixture weights per component, with posterior intervals where the engine has them.

    Bars are the point estimates (``weights_``: for VB the expected weights);
    error bars the ``level`` intervals of :func:`weight_intervals` (VB always;
    MAP when given its fitting data ``X``).  A pruning threshold in the model's
    settings is drawn as a dashed line.

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
    intervals = weight_intervals(result, level, X)
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
    ax.set_ylim(rows.size - 0.5, -1.2)  # best at the top, a free band above it for the legend
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("difference from the best model of each criterion (lower is better)")
    ax.set_title(f"models ranked by {criterion.upper()} (its value at the left)")
    ax.legend(fontsize="small", loc="upper right", ncols=len(CRITERIA))
    ax.margins(x=0.25)
    return ax


def plot_compare(table: xr.Dataset, *, ax=None):
    """PSIS-LOO of the fits in a :func:`bayesgmm.compare` table, best at the top.

    Filled circles are each model's ``elpd_loo`` with bars of one standard error
    (``se``).  Below every model but the best, a grey triangle sits at the best
    model's ``elpd_loo`` plus ``elpd_diff``, with bars of ``dse``: the standard
    error of the paired difference, which is what decides between two models
    (it is usually much smaller than either ``se``).  The dashed line marks the
    best ``elpd_loo``.  Higher is better.  A model whose Pareto k exceeded
    ``good_k`` is labelled "(k warning)": its estimate may be biased.  Models
    without PSIS-LOO (EM point estimates, weighted data) are listed underneath
    with the reason, so that the plot shows the whole table.

    ArviZ's own plot of the same numbers is
    ``az.plot_compare(bayesgmm.diagnostics.compare_frame(table))``; it always makes
    a new figure, whereas this function draws into ``ax``.

    Parameters
    ----------
    table : xarray.Dataset from :func:`bayesgmm.compare`
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if "elpd_loo" not in table or "model" not in table.dims:
        raise ValueError("expected a bayesgmm.compare() table (dim 'model', variable 'elpd_loo')")
    elpd = table.elpd_loo.values
    with_loo = np.flatnonzero(np.isfinite(elpd))
    if with_loo.size == 0:
        raise ValueError("no model in the table has PSIS-LOO (EM fits and weighted data have none); "
                         "plot_criteria_table shows their BIC, AIC and ICL")
    with_loo = with_loo[np.argsort(-elpd[with_loo], kind="stable")]
    without = np.flatnonzero(~np.isfinite(elpd))
    ax = _axes(ax)
    rows = np.arange(with_loo.size, dtype=float)
    best = elpd[with_loo[0]]
    ax.errorbar(elpd[with_loo], rows, xerr=table.se.values[with_loo], fmt="o", color="C0",
                capsize=3, label="elpd_loo \u00b1 se")
    if with_loo.size > 1:
        others = with_loo[1:]
        ax.errorbar(best + table.elpd_diff.values[others], rows[1:] + 0.25,
                    xerr=table.dse.values[others], fmt="^", color="grey", capsize=3,
                    label="best + elpd_diff \u00b1 dse")
    ax.axvline(best, color="grey", linestyle="--", linewidth=1)
    labels = [str(table.model.values[i]) + (" (k warning)" if bool(table.warning.values[i]) else "")
              for i in with_loo]
    positions = list(rows)
    for n, i in enumerate(without):
        y = with_loo.size + n
        positions.append(y)
        labels.append(str(table.model.values[i]))
        note = str(table.loo_note.values[i]) if "loo_note" in table else "no PSIS-LOO"
        # x in axes fraction, y in data: the note sits in the row whatever the elpd scale
        ax.text(0.02, y, f"no PSIS-LOO: {note}", transform=ax.get_yaxis_transform(),
                va="center", ha="left", fontsize="x-small", color="grey", style="italic")
    ax.set_yticks(positions, labels)
    ax.set_ylim(len(positions) - 0.5, -1.4)  # best at the top, a free band above it for the legend
    ax.set_xlabel("elpd_loo (log predictive density, higher is better)")
    ax.set_title("PSIS-LOO comparison")
    ax.legend(fontsize="small", loc="upper right", ncols=2)
    return ax
