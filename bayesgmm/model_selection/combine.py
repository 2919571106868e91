"""Several fits of the same data side by side in one labelled xarray Dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._lazy import xr
from ..diagnostics.alignment import alignment_variables
from ..fitting.result import FORMAT_NAME, FitResult

# Per-fit summary numbers: attributes of one fit's Dataset, variables along the new dimension.
SUMMARY_ATTRIBUTES = (
    "n_components",
    "log_likelihood",
    "objective",
    "lower_bound",
    "bic",
    "aic",
    "n_parameters",
    "n_iter",
    "converged",
)


def _as_dataset(fit: Any, label: Any) -> xr.Dataset:
    if isinstance(fit, xr.Dataset):
        dataset = fit
    elif isinstance(fit, FitResult):
        dataset = fit.to_dataset()
    elif hasattr(fit, "to_dataset") and hasattr(fit, "get_params"):
        if not hasattr(fit, "result_"):
            raise ValueError(f"the fit labelled {label!r} is not fitted yet; call fit first")
        dataset = fit.to_dataset()
    else:
        raise TypeError(
            f"cannot combine a {type(fit).__name__} (label {label!r}); give fitted "
            "GaussianMixture estimators, FitResults or their Datasets"
        )
    if dataset.attrs.get("format") != FORMAT_NAME:
        raise ValueError(f"the Dataset labelled {label!r} is not a bayesgmm result")
    return dataset


def combine_fits(
    fits: Mapping[Any, Any] | Sequence[Any], dim: str = "engine", *, align: bool = True
) -> xr.Dataset:
    """Put fits of the same data side by side along a new dimension, the same clusters in one row.

    Parameters
    ----------
    fits : mapping of label -> fit, or a sequence of fits
        Fitted :class:`~bayesgmm.GaussianMixture` estimators (or
        :class:`~bayesgmm.FitResult` objects, or their ``to_dataset()``).  A
        sequence is labelled by each fit's engine name, which must then differ.
    dim : str, default "engine"
        Name of the new dimension.
    align : bool, default True
        List every fit's components in the order of the first fit's clusters
        (:func:`bayesgmm.align_components`: an optimal assignment on the
        Bhattacharyya distance between the Gaussians), so that ``component``
        ``i`` is the same cluster in every fit.  A fit's components that match
        none of the first fit's follow, heaviest first; where a fit has no
        component for one of the first fit's, its row is NaN.  False keeps
        each fit's own order.

    Returns
    -------
    xarray.Dataset
        Every variable of the fits' Datasets with ``dim`` in front.  A variable
        that only some fits have (a prior's hyperparameters, VB's posterior
        hyperparameters) is NaN for the others; so are components, iterations
        and rows of the objective trace that a fit does not reach.  The summary
        numbers (``log_likelihood``, ``objective``, ``lower_bound``, ``bic``,
        ``aic``, ``n_parameters``, ``n_iter``, ``converged``, ``n_components``)
        become variables along ``dim``, the coordinate ``engine_name`` says
        which engine made each fit, and attributes all fits share are kept.
        Aligned (``align=True``), ``source_component`` (``dim`` x
        ``component``) is each row's index in its own fit (what its
        ``predict`` returns; -1: none) and ``alignment_distance`` the
        Bhattacharyya distance to the first fit's component of that row (0:
        the same Gaussian, NaN: unmatched).

    Raises
    ------
    ValueError
        for labels that repeat, fits of different covariance types, or fits of
        different features.

    Examples
    --------
    >>> fits = {e: GaussianMixture(2, engine=e, random_state=0).fit(X) for e in ("em", "map", "vb")}
    >>> combined = bayesgmm.combine_fits(fits)
    >>> combined.weights.to_pandas()   # engine x component, the same cluster in each column
    >>> combined.source_component.to_pandas()  # which of its own components each fit shows there
    """
    if isinstance(fits, Mapping):
        items = list(fits.items())
    elif isinstance(fits, Sequence) and not isinstance(fits, (str, bytes)):
        items = [(None, fit) for fit in fits]
    else:
        raise TypeError("fits must be a mapping of label -> fit or a sequence of fits")
    if not items:
        raise ValueError("fits is empty; give at least one fitted model")
    datasets = [_as_dataset(fit, label) for label, fit in items]
    labels = [
        ds.attrs["engine"] if label is None else label for (label, _), ds in zip(items, datasets)
    ]
    if len(set(labels)) != len(labels):
        raise ValueError(
            f"the labels {labels} repeat; pass a dict {{label: fit}} with a distinct label per fit"
        )
    kinds = sorted({str(ds.attrs["covariance_type"]) for ds in datasets})
    if len(kinds) > 1:
        raise ValueError(
            f"the fits have different covariance types {kinds}, whose covariances have different "
            "shapes; combine fits of one covariance_type"
        )
    features = datasets[0]["feature"].values
    for label, ds in zip(labels, datasets):
        if not np.array_equal(ds["feature"].values, features):
            raise ValueError(
                f"the fit labelled {label!r} has features {list(ds['feature'].values)}, the first "
                f"has {list(features)}; combine fits of the same data"
            )
    alignment = None
    if align:
        results = [
            fit.result_ if hasattr(fit, "result_") else _as_result(fit, ds)
            for (_, fit), ds in zip(items, datasets)
        ]
        alignment = alignment_variables(dict(zip(labels, results)), dim)
        datasets = [
            _in_slots(ds, slots) for ds, slots in zip(datasets, alignment.source_component.values)
        ]
    prepared = []
    for ds in datasets:
        summary = {name: ((), np.asarray(ds.attrs[name])) for name in SUMMARY_ATTRIBUTES}
        attrs = {k: v for k, v in ds.attrs.items() if k not in SUMMARY_ATTRIBUTES}
        one = ds.assign(summary).assign_coords(engine_name=str(ds.attrs["engine"]))
        one.attrs = attrs
        prepared.append(one)
    combined = xr.concat(
        prepared,
        dim=xr.DataArray(labels, dims=dim, name=dim),
        data_vars="all",
        coords="different",
        compat="equals",
        join="outer",
        combine_attrs="drop_conflicts",
        fill_value=np.nan,
    )
    if alignment is not None:
        combined = combined.merge(alignment)
    # not one FitResult any more: bayesgmm.load must not take it for one
    for name in ("format", "format_version"):
        combined.attrs.pop(name, None)
    return combined


def _as_result(fit: Any, dataset: xr.Dataset) -> FitResult:
    return fit if isinstance(fit, FitResult) else FitResult.from_dataset(dataset)


def _in_slots(dataset: xr.Dataset, slots: np.ndarray) -> xr.Dataset:
    """The fit's components moved to the rows of :func:`alignment_variables`' ``slots``."""
    rows = np.flatnonzero(slots >= 0)
    return dataset.isel(component=slots[rows]).assign_coords(component=rows)
