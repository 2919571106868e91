"""Checks of the data, made once for every entry point that fits.

``fit``, ``partial_fit``, :func:`bayesgmm.select`, ``FitResult.prune`` /
``GaussianMixture.prune_components`` and :func:`bayesgmm.prune_path`, on
in-memory or Dask data, all build their data source through
:func:`checked_data_source` (or :func:`data_source` and then
:func:`check_data`), so that they refuse and warn about the same data with the
same errors and warnings:

* the validation and dtype policy of :func:`~bayesgmm.data.validation.as_feature_matrix`
  (:func:`~bayesgmm.data.distributed.as_dask_matrix` for Dask), finite values
  (a Dask source finds non-finite rows on its first pass);
* **data whose squares overflow or underflow float64 are refused**, and a
  ``reg_covar`` that is not small against a feature's variance is warned
  about: ``reg_covar`` is an absolute variance in the data's squared units,
  as in scikit-learn (``docs/robustness.md``);
* fewer rows with positive weight than components is refused.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..exceptions import DataScaleWarning
from .incomplete import in_memory_source
from .sources import DataSource, InMemoryData
from .validation import as_feature_matrix, as_sample_weight, is_dask_collection

# Features must spread over [1e-100, 1e100]: squared deviations summed over
# millions of rows then stay far from float64's overflow (1.8e308) and underflow.
MIN_FEATURE_SPREAD = 1e-100
MAX_FEATURE_SPREAD = 1e100

# Warn when reg_covar adds more than this fraction to a feature's total variance
# (and so more still to each component's variance along that feature).
REG_COVAR_WARN_FRACTION = 0.01


def data_source(
    X: Any, sample_weight: Any = None, missing: str = "error"
) -> tuple[DataSource, np.ndarray | None]:
    """The rows (and weights) validated as a data source, and the feature names if any.

    ``missing="marginalize"`` accepts NaN as missing values in in-memory data
    (:class:`~bayesgmm.data.incomplete.IncompleteData`); ``"error"`` refuses them.

    A :class:`DataSource` given by the caller (e.g. ``DaskData(X, persist=False)``)
    is used as it is; a Dask collection becomes a
    :class:`~bayesgmm.data.distributed.DaskData`, anything else
    :class:`InMemoryData`.
    """
    if isinstance(X, DataSource):  # the caller chose the settings
        if sample_weight is not None:
            raise TypeError("give sample_weight to the DataSource itself, not to fit")
        return X, getattr(X, "feature_names", None)
    if is_dask_collection(X):
        if missing != "error":
            raise ValueError(
                f"missing={missing!r} works on in-memory data only; a Dask array is fitted "
                "with missing='error'. Compute the array into memory (X.compute()) to "
                "marginalise its missing values, or drop the rows holding NaN"
            )
        from .distributed import DaskData  # imports Dask, so only for Dask input

        source = DaskData(X, sample_weight)
        return source, source.feature_names
    data, names = as_feature_matrix(X, allow_nan=missing == "marginalize")
    weights = as_sample_weight(sample_weight, data.shape[0])
    if missing == "marginalize":
        return in_memory_source(data, weights), names
    return InMemoryData(data, weights), names


def checked_data_source(
    X: Any,
    sample_weight: Any = None,
    *,
    reg_covar: float,
    n_components: int | None = None,
    stacklevel: int = 2,
    missing: str = "error",
) -> tuple[DataSource, np.ndarray | None]:
    """:func:`data_source` and then :func:`check_data`: the one door of a fit's data."""
    data, names = data_source(X, sample_weight, missing)
    check_data(data, reg_covar, n_components, stacklevel=stacklevel + 1)
    return data, names


def check_data(
    data: DataSource, reg_covar: float, n_components: int | None = None, *, stacklevel: int = 2
) -> None:
    """Refuse data a fit cannot handle in float64; warn when ``reg_covar`` dominates a feature.

    ``n_components`` (None: not checked) asks for at least that many rows of
    positive weight.  ``stacklevel`` counts from the caller, as in
    :func:`warnings.warn`.  A source that cannot tell its weighted rows,
    spreads or variances (a :class:`DataSource` method returning None) is not
    checked for them.

    Raises
    ------
    ValueError
        fewer rows with positive weight than components; a feature whose
        spread would overflow or underflow float64 once squared.

    Warns
    -----
    DataScaleWarning
        ``reg_covar`` adds more than 1% to some non-constant feature's variance.
    """
    positive = data.weighted_rows() if n_components is not None else None
    if positive is not None and positive < n_components:
        raise ValueError(
            f"sample_weight is positive for only {positive} rows but n_components="
            f"{n_components}; each component needs at least one row that carries weight: "
            "use fewer components or give more rows a positive weight"
        )
    spread = data.feature_spread()
    if spread is None:
        return
    too_wide = np.flatnonzero(spread > MAX_FEATURE_SPREAD)
    if too_wide.size:
        j = too_wide[0]
        raise ValueError(
            f"feature {j} of X spans {spread[j]:.3g}: squared deviations that large overflow "
            f"float64. Rescale X (e.g. standardise each feature) so that every feature spans "
            f"less than {MAX_FEATURE_SPREAD:.0e}"
        )
    varying = spread > 0
    too_narrow = np.flatnonzero(varying & (spread < MIN_FEATURE_SPREAD))
    if too_narrow.size:
        j = too_narrow[0]
        raise ValueError(
            f"feature {j} of X spans only {spread[j]:.3g}: squared deviations that small "
            f"underflow float64. Rescale X (e.g. standardise each feature) so that every "
            f"non-constant feature spans more than {MIN_FEATURE_SPREAD:.0e}"
        )
    if reg_covar > 0 and varying.any():
        variances = data.feature_variances()
        if variances is None:
            return
        dominated = np.flatnonzero(varying & (reg_covar > REG_COVAR_WARN_FRACTION * variances))
        if dominated.size:
            j = dominated[np.argmin(variances[dominated])]
            # a feature that varies only among rows of zero weight has weighted variance 0
            ratio = reg_covar / variances[j] if variances[j] > 0 else np.inf
            warnings.warn(
                DataScaleWarning(
                    f"reg_covar={reg_covar:g} is {ratio:.3g} times the variance "
                    f"of feature {j} ({variances[j]:.3g}). reg_covar is an absolute variance in "
                    "the data's squared units (as in scikit-learn), so it will inflate the "
                    "covariances and blur the components. Standardise X, or set reg_covar to "
                    f"about 1e-6 times the smallest feature variance (here {1e-6 * variances[j]:.3g})"
                ),
                stacklevel=stacklevel + 1,
            )
