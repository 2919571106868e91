"""Figures comparing fits: criteria over K per engine, a criteria table, a PSIS-LOO comparison."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.lines import Line2D

from .._lazy import xr
from ..diagnostics.criteria import CRITERIA
from ..model_selection.select import sweep_table
from .common import _axes, component_colors

_CRITERION_STYLES = {"bic": "-", "aic": "--", "icl": ":"}
_CRITERION_MARKERS = {"bic": "o", "aic": "s", "icl": "^"}


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
        raise ValueError(
            "expected a bayesgmm.select() Dataset with dims engine, covariance_type, n_components"
        )
    engines = [str(e) for e in sweep.engine.values]
    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            1,
            len(engines),
            figsize=(5.0 * len(engines) + 1.4, 4.6),
            sharey=True,
            squeeze=False,
            layout="constrained",
        )
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
                panel.plot(
                    ks,
                    values.sel(covariance_type=family).values,
                    _CRITERION_STYLES[name],
                    marker=_CRITERION_MARKERS[name],
                    markersize=4,
                    color=color,
                )
            if np.isfinite(values.values).any():
                c, k = np.unravel_index(np.nanargmin(values.values), values.shape)
                panel.plot(
                    ks[k],
                    values.values[c, k],
                    "o",
                    markersize=14,
                    markerfacecolor="none",
                    markeredgecolor="black",
                    markeredgewidth=1.5,
                )
                winners.append(
                    f"best {name.upper()}: {families[c]} K={ks[k]} ({values.values[c, k]:.1f})"
                )
        panel.text(
            0.5,
            0.97,
            "\n".join(winners),
            transform=panel.transAxes,
            ha="center",
            va="top",
            fontsize="small",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        )
        panel.set_title(f"engine {engine}")
        panel.set_xlabel("number of components")
        panel.set_xticks(ks)
    axes[0].set_ylabel(" / ".join(name.upper() for name in criteria) + " (lower is better)")
    # two small legends instead of one per line: colour = covariance type, style = criterion
    family_handles = [
        Line2D([], [], color=color, label=family) for color, family in zip(colors, families)
    ]
    criterion_handles = [
        Line2D(
            [],
            [],
            color="black",
            linestyle=_CRITERION_STYLES[name],
            marker=_CRITERION_MARKERS[name],
            markersize=4,
            label=name.upper(),
        )
        for name in criteria
    ]
    last = axes[-1]
    figure = last.figure
    if len(families) > 6 and type(figure.get_layout_engine()).__name__ == "ConstrainedLayoutEngine":
        # mclust's 14 models: the legends beside the panels (the layout makes room), not over
        # the lines
        figure.legend(
            handles=family_handles, title="covariance", fontsize="small", loc="outside right upper"
        )
        figure.legend(handles=criterion_handles, fontsize="small", loc="outside right lower")
        return axes
    last.add_artist(
        last.legend(handles=family_handles, title="covariance", fontsize="small", loc="upper right")
    )
    last.legend(handles=criterion_handles, fontsize="small", loc="center right")
    return axes


def plot_criteria_table(
    table: xr.Dataset, criterion: str = "bic", *, ax=None, top: int | None = 15
):
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
        ax.plot(
            delta,
            rows + (0 if main else 0.18 * (1 if n % 2 else -1)),
            _CRITERION_MARKERS[name],
            color=f"C{n}",
            markersize=8 if main else 6,
            markerfacecolor=None if main else "none",
            linestyle="none",
            label=f"\u0394{name.upper()}" + (" (ranking)" if main else ""),
        )
    for row, value in zip(rows, table[criterion].values):
        ax.annotate(
            f"{value:.1f}",
            (0, row),
            textcoords="offset points",
            xytext=(-6, 0),
            ha="right",
            va="center",
            fontsize="x-small",
        )
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
        raise ValueError(
            "no model in the table has PSIS-LOO (EM fits and weighted data have none); "
            "plot_criteria_table shows their BIC, AIC and ICL"
        )
    with_loo = with_loo[np.argsort(-elpd[with_loo], kind="stable")]
    without = np.flatnonzero(~np.isfinite(elpd))
    ax = _axes(ax)
    rows = np.arange(with_loo.size, dtype=float)
    best = elpd[with_loo[0]]
    ax.errorbar(
        elpd[with_loo],
        rows,
        xerr=table.se.values[with_loo],
        fmt="o",
        color="C0",
        capsize=3,
        label="elpd_loo \u00b1 se",
    )
    if with_loo.size > 1:
        others = with_loo[1:]
        ax.errorbar(
            best + table.elpd_diff.values[others],
            rows[1:] + 0.25,
            xerr=table.dse.values[others],
            fmt="^",
            color="grey",
            capsize=3,
            label="best + elpd_diff \u00b1 dse",
        )
    ax.axvline(best, color="grey", linestyle="--", linewidth=1)
    labels = [
        str(table.model.values[i]) + (" (k warning)" if bool(table.warning.values[i]) else "")
        for i in with_loo
    ]
    positions = list(rows)
    for n, i in enumerate(without):
        y = with_loo.size + n
        positions.append(y)
        labels.append(str(table.model.values[i]))
        note = str(table.loo_note.values[i]) if "loo_note" in table else "no PSIS-LOO"
        # x in axes fraction, y in data: the note sits in the row whatever the elpd scale
        ax.text(
            0.02,
            y,
            f"no PSIS-LOO: {note}",
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize="x-small",
            color="grey",
            style="italic",
        )
    ax.set_yticks(positions, labels)
    ax.set_ylim(len(positions) - 0.5, -1.4)  # best at the top, a free band above it for the legend
    ax.set_xlabel("elpd_loo (log predictive density, higher is better)")
    ax.set_title("PSIS-LOO comparison")
    ax.legend(fontsize="small", loc="upper right", ncols=2)
    return ax
