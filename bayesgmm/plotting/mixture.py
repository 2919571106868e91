"""Figures of one fitted mixture over its data: component ellipses and a feature's density."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Ellipse
from scipy import stats

from ..data.validation import as_feature_matrix
from .common import _axes, _estimator, _feature_index, _result, component_slots

# the colour of rows a noise component (noise=True) explains
NOISE_GREY = np.array([0.6, 0.6, 0.6])


def plot_mixture(
    model,
    X,
    features: Sequence[int | str] = (0, 1),
    *,
    ax=None,
    sigmas: Sequence[float] = (1, 2, 3),
    point_size: float | None = None,
    order: Sequence[int] | None = None,
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
    order : sequence of int, optional
        The component drawn in colour ``i`` and listed ``i``-th in the legend
        is ``order[i]`` (-1: none); by default component ``i``.  Give each
        panel its :func:`bayesgmm.align_components` order and the same cluster
        has the same colour in every panel; the legend keeps each model's own
        component numbers (what its ``predict`` returns).

    Returns
    -------
    matplotlib.axes.Axes
    """
    estimator = _estimator(model)
    result = estimator.result_
    D = result.n_features
    if D < 2:
        raise ValueError("plot_mixture needs at least two features; this model has one")
    names = (
        [str(n) for n in result.feature_names]
        if result.feature_names is not None
        else [f"x{i}" for i in range(D)]
    )
    if len(features) != 2:
        raise ValueError(f"features must name two features, got {features!r}")
    i, j = (_feature_index(f, names, D) for f in features)
    if i == j:
        raise ValueError(f"features must be two different features, got {features!r}")
    resp = estimator.predict_proba(X)  # also validates X against the model
    # rows missing one of the two plotted features (missing="marginalize") are not drawn
    data = as_feature_matrix(X, allow_nan=result.spec.missing == "marginalize")[0]
    K = result.n_components
    slots, colors = component_slots(order, K)
    ax = _axes(ax)
    size = point_size if point_size is not None else float(np.clip(2000 / len(data), 2, 30))
    shade = resp[:, :K] @ colors
    if resp.shape[1] > K:  # a noise component's probability (its last column) shades grey
        shade = shade + resp[:, K:] * NOISE_GREY
    ax.scatter(data[:, i], data[:, j], c=np.clip(shade, 0, 1), s=size, linewidths=0, alpha=0.8)
    p = result.parameters
    for k in slots[slots >= 0]:
        covariance = result.spec.family.dense_covariance(p.covariances, k, D)
        block = covariance[np.ix_([i, j], [i, j])]
        values, vectors = np.linalg.eigh(block)
        angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
        for n, radius in enumerate(sigmas):
            ax.add_patch(
                Ellipse(
                    (p.means[k, i], p.means[k, j]),
                    width=2 * radius * np.sqrt(values[-1]),
                    height=2 * radius * np.sqrt(values[0]),
                    angle=angle,
                    fill=False,
                    edgecolor=colors[k],
                    linewidth=2.0 / (1 + 0.5 * n),
                    alpha=1.0 / (1 + 0.6 * n),
                )
            )
        ax.plot(
            p.means[k, i],
            p.means[k, j],
            "x",
            color=colors[k],
            markersize=8,
            mew=2,
            label=f"component {k} (weight {p.weights[k]:.2f})",
        )
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    ax.set_title(
        f"{result.spec.engine}, {result.spec.covariance_type}, K={K}: "
        + ", ".join(f"{s:g}" for s in sigmas)
        + " sigma"
    )
    ax.legend(fontsize="small", loc="best")
    ax.autoscale_view()
    return ax


def plot_density(
    model,
    X=None,
    feature: int | str = 0,
    *,
    ax=None,
    bins="auto",
    grid: int = 400,
    order: Sequence[int] | None = None,
):
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
    order : sequence of int, optional
        The component drawn in colour ``i`` is ``order[i]`` (-1: none), as in
        :func:`plot_mixture`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    result = _result(model)
    D = result.n_features
    names = (
        [str(n) for n in result.feature_names]
        if result.feature_names is not None
        else [f"x{i}" for i in range(D)]
    )
    i = _feature_index(feature, names, D)
    p = result.parameters
    K = result.n_components
    sd = np.sqrt([result.spec.family.dense_covariance(p.covariances, k, D)[i, i] for k in range(K)])
    lo, hi = (p.means[:, i] - 4 * sd).min(), (p.means[:, i] + 4 * sd).max()
    ax = _axes(ax)
    if X is not None:
        data = as_feature_matrix(X)[0]
        if data.shape[1] != D:
            raise ValueError(f"X has {data.shape[1]} features, the model {D}")
        values = data[:, i]
        lo, hi = min(lo, values.min()), max(hi, values.max())
        ax.hist(
            values,
            bins=bins,
            density=True,
            color="0.85",
            edgecolor="0.6",
            linewidth=0.5,
            label=f"data ({values.size} rows)",
        )
    x = np.linspace(lo, hi, grid)
    parts = p.weights[:, None] * stats.norm.pdf(x[None, :], p.means[:, i, None], sd[:, None])
    slots, colors = component_slots(order, K)
    ax.plot(x, parts.sum(axis=0), color="black", linewidth=2.5, alpha=0.6, label="mixture density")
    for k in slots[slots >= 0]:  # dashed, on top: where components are apart they trace the mixture
        ax.plot(
            x,
            parts[k],
            color=colors[k],
            linewidth=1.5,
            linestyle="--",
            label=f"component {k} (weight {p.weights[k]:.2f})",
        )
    ax.set_xlabel(names[i])
    ax.set_ylabel("density")
    ax.set_title(
        f"{result.spec.engine}, {result.spec.covariance_type}, K={K}: density of {names[i]}"
    )
    ax.legend(fontsize="small", loc="best")
    return ax
