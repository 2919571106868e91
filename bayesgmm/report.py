"""The report the ``bayesgmm`` command writes: PNG figures, netCDF results and a text summary.

Figures are drawn on :class:`matplotlib.figure.Figure` objects, not through
pyplot, so no GUI backend is involved and nothing stays open after saving.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .diagnostics.alignment import match_components
from .diagnostics.quality import cluster_quality, quality_lines, responsibilities
from .io import save

DPI = 110


def component_orders(models: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Each model's components in the order of the first model's clusters.

    :func:`bayesgmm.align_components` with the first model as the reference;
    the tables and figures of the report list and colour the components in
    these orders, so that the same cluster has the same row and colour for
    every model.  The models themselves keep their own labels.
    """
    return {label: slots for label, (slots, _) in _matches(models).items()}


def _matches(models: Mapping[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per model: its components in the first model's order, and their distances (match_components)."""
    labels = list(models)
    if not labels:
        return {}
    reference = models[labels[0]]
    K = reference.result_.n_components
    matches = {labels[0]: (np.arange(K), np.zeros(K))}
    matches.update((label, match_components(reference, models[label])) for label in labels[1:])
    return matches


def new_figure(ncols: int = 1, *, width: float = 6.4, height: float = 4.8):
    """A Figure with ``ncols`` Axes in a row (no pyplot): ``(figure, array of Axes)``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = figure.subplots(1, ncols, squeeze=False)[0]
    return figure, axes


def save_figure(figure, folder: Path, name: str) -> Path:
    path = Path(folder) / name
    figure.savefig(path, dpi=DPI)
    return path


def _prefix_title(ax, label: str) -> None:
    """Name the panel by its label unless the title already starts with it (e.g. the engine)."""
    title = ax.get_title()
    if not title.startswith(label):
        ax.set_title(f"{label}: {title}", fontsize="medium")


def _label_standardised(ax, standardised: bool) -> None:
    if standardised:
        ax.set_xlabel(f"{ax.get_xlabel()} (standardised)")
        if ax.get_ylabel() != "density":
            ax.set_ylabel(f"{ax.get_ylabel()} (standardised)")


def mixture_figure(models: Mapping[str, Any], X, *, standardised: bool = False):
    """One panel per model: data and ellipses (two features or more) or the density (one).

    The same cluster has the same colour in every panel (:func:`component_orders`).
    """
    from . import plotting

    orders = component_orders(models)
    figure, axes = new_figure(len(models))
    for ax, (label, model) in zip(axes, models.items()):
        if model.n_features_in_ >= 2:
            plotting.plot_mixture(model, X, ax=ax, order=orders[label])
        else:
            plotting.plot_density(model, X, ax=ax, order=orders[label])
        _label_standardised(ax, standardised)
        _prefix_title(ax, label)
    return figure


def write_report(
    folder: str | Path,
    models: Mapping[str, Any],
    X,
    *,
    table=None,
    sweep=None,
    criterion: str = "bic",
    summary: str = "",
    standardised: bool = False,
    file_stem: str = "fit",
) -> list[Path]:
    """Write figures of ``models`` fitted to ``X``, their netCDF files and ``summary.txt``.

    ``uncertainty.png`` (two features or more) shades each row by its uncertainty;
    :func:`quality_text` gives the cluster-quality lines for the summary.

    Parameters
    ----------
    folder : path
        Created if missing; files the report writes are replaced.
    models : mapping of label -> fitted GaussianMixture
        Each is saved as ``{file_stem}-{label}.nc`` and drawn in every figure,
        its components coloured as the first model's clusters they match
        (:func:`component_orders`); the files keep each model's own labels.
    X : the data the models were fitted to (in the models' units)
    table : criteria_table Dataset, optional
        Drawn ranked by ``criterion`` (``criteria.png``).
    sweep : select() Dataset, optional
        Drawn as criteria curves (``criteria.png``) and ranked
        (``ranking.png``); saved as ``sweep.nc``.
    summary : str
        Written to ``summary.txt``.
    standardised : bool
        Label the axes as standardised units.

    Returns
    -------
    list of Path : every file written, in order.
    """
    from . import plotting

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        save_figure(mixture_figure(models, X, standardised=standardised), folder, "mixture.png")
    ]

    if sweep is not None:
        engines = sweep.sizes["engine"]
        figure, axes = new_figure(engines, width=5.2, height=4.6)
        plotting.plot_criteria(sweep, ["bic", "icl"], ax=axes)
        written.append(save_figure(figure, folder, "criteria.png"))
    ranked = sweep if sweep is not None else table
    if ranked is not None:
        figure, (ax,) = new_figure(1, width=7.5, height=5.0)
        plotting.plot_criteria_table(ranked, criterion, ax=ax)
        written.append(
            save_figure(figure, folder, "ranking.png" if sweep is not None else "criteria.png")
        )

    figure, axes = new_figure(len(models), height=4.0)
    for ax, (label, model) in zip(axes, models.items()):
        plotting.plot_trace(model, ax=ax)
        _prefix_title(ax, label)
    written.append(save_figure(figure, folder, "trace.png"))

    orders = component_orders(models)
    figure, axes = new_figure(len(models), height=4.0)
    for ax, (label, model) in zip(axes, models.items()):
        plotting.plot_weights(model, ax=ax, order=orders[label])
        _prefix_title(ax, label)
    written.append(save_figure(figure, folder, "weights.png"))
    if all(model.n_features_in_ >= 2 for model in models.values()):
        figure, axes = new_figure(len(models))
        for ax, (label, model) in zip(axes, models.items()):
            plotting.plot_uncertainty(responsibilities(model, X), X, ax=ax, title=label)
            _label_standardised(ax, standardised)
        written.append(save_figure(figure, folder, "uncertainty.png"))

    for label, model in models.items():
        written.append(save(model, folder / f"{file_stem}-{label}.nc", overwrite=True))
    if sweep is not None:
        written.append(save(sweep, folder / "sweep.nc", overwrite=True))
    path = folder / "summary.txt"
    path.write_text(summary if summary.endswith("\n") else summary + "\n", encoding="utf-8")
    written.append(path)
    return written


def describe_files(folder: Path, written: list[Path]) -> str:
    """``folder/: a.png, b.png, ...`` for the closing line of a command."""
    names = [
        str(Path(p).relative_to(folder)) if Path(p).is_relative_to(folder) else str(p)
        for p in written
    ]
    return f"{folder}/: " + ", ".join(names)


def components_table(models: Mapping[str, Any]):
    """Weights and means of every component of every model, as a pandas DataFrame.

    Indexed by model and ``cluster``: the first model's component ``i`` is
    cluster ``i``, and every other model's component matched to it
    (:func:`component_orders`) is listed as cluster ``i`` too; components that
    match none follow.  The column ``component`` is each model's own label (what
    its ``predict`` returns), ``distance`` the Bhattacharyya distance to the
    first model's component of that cluster (0: the same Gaussian).
    """
    import pandas as pd

    matches = _matches(models)
    rows = []
    for label, model in models.items():
        result = model.result_
        names = (
            [str(n) for n in result.feature_names]
            if result.feature_names is not None
            else [f"x{i}" for i in range(result.n_features)]
        )
        scaling = result.standardization
        means = result.parameters.means
        if scaling is not None:
            means = scaling.inverse_transform(means)
        slots, distances = matches[label]
        for cluster, (k, distance) in enumerate(zip(slots, distances)):
            if k < 0:  # the model has no component for this cluster
                continue
            row = {
                "model": label,
                "cluster": cluster,
                "component": int(k),
                "weight": result.parameters.weights[k],
            }
            row.update({f"mean {n}": v for n, v in zip(names, np.asarray(means[k]))})
            row["distance"] = distance
            rows.append(row)
    return pd.DataFrame(rows).set_index(["model", "cluster"])


def quality_text(models: Mapping[str, Any], X) -> str:
    """Cluster quality of each model on ``X`` (:mod:`bayesgmm.diagnostics.quality`), as text."""
    lines = []
    for label, model in models.items():
        quality = quality_lines(cluster_quality(model, X))
        lines += [f"{label}:", *("  " + line for line in quality)] if len(models) > 1 else quality
    return "\n".join(lines)
