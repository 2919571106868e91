"""Input validation and coercion: the only place that looks at what the user passed.

Every public method funnels its data through :func:`as_feature_matrix`, which
returns a C-contiguous float32/float64 array the kernels can read (copying only
when the input is not already one) and the feature names, if the input had any.
The caller's array is never modified.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from scipy import sparse


def is_dask_collection(X: Any) -> bool:
    """True for a Dask array or a Dask-backed xarray object; never imports Dask itself."""
    if "dask" not in sys.modules:  # nothing can be a Dask collection before Dask is imported
        return False
    import dask

    return dask.is_dask_collection(X)


def _is_dataframe(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "to_numpy")


def _is_dataarray(X: Any) -> bool:
    return hasattr(X, "dims") and hasattr(X, "coords") and hasattr(X, "values")


def _names_or_none(labels: Any) -> np.ndarray | None:
    labels = list(labels)
    if labels and all(isinstance(label, str) for label in labels):
        return np.asarray(labels, dtype=object)
    return None


def as_feature_matrix(
    X: Any, *, name: str = "X", allow_nan: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate ``X`` as an (n_samples, n_features) matrix of finite real numbers.

    ``allow_nan`` (``missing="marginalize"``) lets NaN through as missing values;
    infinities are refused all the same.

    Returns
    -------
    array : C-contiguous float32 (if the input was float32) or float64 array
    feature_names : object array of column names, or None when the input has none

    Raises
    ------
    TypeError
        for sparse matrices and non-numeric or boolean data.
    ValueError
        for complex data (as scikit-learn), wrong dimensionality, empty input,
        NaN or infinite values.
    """
    feature_names = None
    if sparse.issparse(X):
        raise TypeError(
            f"{name} is a scipy sparse {type(X).__name__}; sparse input is not supported "
            "(a Gaussian mixture's covariances are dense). Pass X.toarray() if it fits in memory"
        )
    if _is_dataframe(X):
        bad = {
            str(col): str(dtype)
            for col, dtype in zip(X.columns, X.dtypes)
            if not _is_real_dtype(dtype)
        }
        if bad:
            raise TypeError(
                f"{name} has non-numeric columns {list(bad)} (dtypes {list(bad.values())}); drop "
                "them or encode them as numbers before fitting a Gaussian mixture"
            )
        feature_names = _names_or_none(X.columns)
        dtypes = list(X.dtypes)
        if dtypes and all(isinstance(dtype, np.dtype) and dtype == np.float32 for dtype in dtypes):
            X = X.to_numpy()  # float32 data stay float32
        else:
            # nullable (extension) columns hold pd.NA; as NaN they get the missing-value message
            X = X.to_numpy(dtype=np.float64, na_value=np.nan)
    elif _is_dataarray(X):
        if len(X.dims) == 2 and X.dims[1] in X.coords:
            feature_names = _names_or_none(X.coords[X.dims[1]].values)
        X = X.values

    if hasattr(X, "__array_namespace__") or isinstance(X, np.ndarray):
        array = X
    else:
        try:
            array = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} cannot be read as a numeric array: {exc}") from None
    array = np.asarray(array)

    if array.dtype == bool:
        raise TypeError(
            f"{name} is boolean; a Gaussian mixture needs real-valued measurements. "
            "If the 0/1 values are meant, pass X.astype(float)"
        )
    if np.iscomplexobj(array):
        raise complex_data_error(name)
    if array.dtype.kind in "OUSV":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} contains non-numeric values ({exc}); convert or drop them first"
            ) from None
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} has unsupported dtype {array.dtype}; give real numbers")

    if array.ndim != 2:
        hint = (
            "Reshape your data with X.reshape(-1, 1) if it has a single feature or "
            "X.reshape(1, -1) if it is a single sample"
            if array.ndim == 1
            else "pass a 2-D (n_samples, n_features) array"
        )
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {array.ndim}-D; {hint}")
    n_samples, n_features = array.shape
    # worded as scikit-learn's check_array, whose messages users and tools match on
    if n_samples == 0:
        raise ValueError(
            f"{name} has 0 sample(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    if n_features == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
        )

    dtype = np.float32 if array.dtype == np.float32 else np.float64
    array = np.ascontiguousarray(array, dtype=dtype)

    if allow_nan:
        infinite = (
            np.flatnonzero(np.isinf(array).any(axis=1)) if _has_inf(array) else np.empty(0, int)
        )
        if len(infinite):
            raise ValueError(
                f"{name} contains infinite values in {len(infinite)} row"
                f"{'s' if len(infinite) != 1 else ''} (first: {infinite[0]}); only NaN marks "
                "a missing value: replace the infinities by NaN, or drop those rows"
            )
        return array, feature_names
    bad_rows = _non_finite_rows(array)
    if bad_rows.size:
        raise ValueError(
            f"{name} contains NaN or infinite values in {bad_rows.size} row"
            f"{'s' if bad_rows.size != 1 else ''} (first: {bad_rows[0]}); drop or impute them"
        )
    return array, feature_names


def complex_data_error(name: str = "X") -> ValueError:
    """The error for complex data, in memory and on Dask alike."""
    # ValueError, as scikit-learn: code catching its errors keeps working
    return ValueError(
        f"{name} is complex. Complex data not supported; split it into real and imaginary features"
    )


_CHECK_ROWS = 65536


def _non_finite_rows(array: np.ndarray) -> np.ndarray:
    """Indices of the rows holding a NaN or an infinity, without an N x D temporary.

    ``np.isfinite(X)`` is a boolean copy of X: 153 MB for 10 million rows of 16
    features, the largest allocation of a whole fit (measured by ``python -m bench``,
    case H).  A NaN or an infinity makes the sum non-finite, so one allocation-free
    sum clears almost every array; only then are the rows checked, block by block.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(array.sum(dtype=np.float64)):
            return np.empty(0, dtype=np.intp)
    bad = [
        start + np.flatnonzero(~np.isfinite(array[start : start + _CHECK_ROWS]).all(axis=1))
        for start in range(0, array.shape[0], _CHECK_ROWS)
    ]
    return np.concatenate(bad)


def _has_inf(array: np.ndarray) -> bool:
    """True if ``array`` holds an infinity (NaN are allowed), checked without a copy when clear."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = array.sum(dtype=np.float64)
    if np.isfinite(total):
        return False
    return bool(np.isinf(array).any())


def _is_real_dtype(dtype: Any) -> bool:
    try:
        kind = np.dtype(dtype).kind
    except TypeError:  # pandas extension dtypes
        return getattr(dtype, "kind", "O") in "fiu"
    return kind in "fiu"


def as_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """Validate sample weights: finite, non-negative, one per row, not all zero.

    Returns a private float64 copy, so the caller's array is never modified.
    """
    if sample_weight is None:
        return None
    try:
        raw = np.asarray(sample_weight)
        if raw.dtype.kind in "cb":
            raise TypeError(f"got dtype {raw.dtype}")
        weights = np.array(raw, dtype=np.float64).reshape(-1)  # a private copy
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"sample_weight must be real numbers, one non-negative weight per row: {exc}"
        ) from None
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has {weights.size} entries for {n_samples} samples; give one per row"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    with np.errstate(over="ignore"):  # an overflowing sum is reported below
        total = weights.sum()
    if total <= 0:
        raise ValueError("sample_weight sums to zero; at least one row must carry weight")
    if not np.isfinite(total):
        raise ValueError(
            f"sample_weight sums to {total} (overflow); divide the weights by a common factor: "
            "only their ratios matter to the fit"
        )
    return weights


def check_features(
    X: np.ndarray,
    feature_names: np.ndarray | None,
    n_features_in: int,
    names_in: np.ndarray | None,
    owner: str = "the model",
) -> None:
    """Check data given after fitting against what the model was fitted on.

    ``owner`` names the fitted object in the message (scikit-learn's wording).
    """
    if X.shape[1] != n_features_in:
        raise ValueError(
            f"X has {X.shape[1]} features, but {owner} is expecting {n_features_in} features as "
            f"input (it was fitted on {n_features_in}); pass the same columns in the same order"
        )
    if names_in is not None and feature_names is not None and list(names_in) != list(feature_names):
        raise ValueError(
            f"X has feature names {list(feature_names)}, but the model was fitted with "
            f"{list(names_in)}; select and order the columns as at fit time"
        )
