"""Which rows a mixture or a classifier is unsure of: points shaded by their uncertainty."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..data.validation import as_feature_matrix
from .common import _axes, _feature_index


def plot_uncertainty(
    probabilities,
    X,
    features: Sequence[int | str] = (0, 1),
    *,
    ax=None,
    feature_names: Sequence[str] | None = None,
    threshold: float | None = 0.2,
    title: str | None = None,
):
    """Data on two features, each point shaded and sized by its uncertainty.

    The uncertainty of a row is ``1 - max_k p[n, k]`` (mclust's): light and small for a row
    assigned with certainty, dark and large for a row between components (or classes).  As
    mclust's ``plot(..., what = "uncertainty")``, it shows where a mixture, or a classifier,
    is unsure.

    Parameters
    ----------
    probabilities : array (n_samples, K)
        Responsibilities (``GaussianMixture.predict_proba(X)``) or class posteriors
        (``GaussianMixtureClassifier.predict_proba(X)``).
    X : array-like (n_samples, n_features)
    features : pair of int or str, default (0, 1)
    ax : matplotlib Axes, optional
    feature_names : sequence of str, optional
        Names of the features (default: the DataFrame's columns, else x0, x1, ...).
    threshold : float or None, default 0.2
        Rows more uncertain than this are circled (None: none).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    data, names = as_feature_matrix(X)
    z = np.asarray(probabilities, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] != data.shape[0]:
        raise ValueError(
            f"probabilities has shape {z.shape}; give one row of probabilities per row of X "
            f"({data.shape[0]})"
        )
    D = data.shape[1]
    if D < 2:
        raise ValueError("plot_uncertainty needs at least two features; X has one")
    labels = (
        list(feature_names)
        if feature_names is not None
        else ([str(n) for n in names] if names is not None else [f"x{i}" for i in range(D)])
    )
    i, j = (_feature_index(f, labels, D) for f in features)
    uncertainty = 1.0 - z.max(axis=1)
    largest = 1.0 - 1.0 / max(z.shape[1], 2)  # the most uncertain a row can be
    ax = _axes(ax)
    order = np.argsort(uncertainty)  # the uncertain rows are drawn last, on top
    points = ax.scatter(
        data[order, i],
        data[order, j],
        c=uncertainty[order],
        cmap="magma_r",
        vmin=0.0,
        vmax=largest,
        s=8 + 80 * uncertainty[order] / largest,
        edgecolors="0.55",  # the certain rows are pale: a grey rim keeps them visible
        linewidths=0.3,
    )
    if threshold is not None:
        flagged = uncertainty > threshold
        ax.scatter(
            data[flagged, i],
            data[flagged, j],
            s=120,
            facecolors="none",
            edgecolors="tab:red",
            linewidths=1.0,
            label=f"{int(flagged.sum())} row{'' if flagged.sum() == 1 else 's'} with "
            f"uncertainty > {threshold:g}",
        )
        ax.legend(fontsize="small", loc="best")
    ax.figure.colorbar(points, ax=ax, label="uncertainty (1 - largest probability)")
    ax.set_xlabel(labels[i])
    ax.set_ylabel(labels[j])
    ax.set_title(title if title is not None else "uncertainty of each row")
    return ax
