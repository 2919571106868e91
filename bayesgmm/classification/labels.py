"""Class labels of any type (strings, integers, whole floats) turned into codes 0..C-1."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def class_codes(y: Any, n_samples: int, conversion_warning: type[Warning]) -> tuple:
    """``(classes, codes)``: the sorted distinct labels of ``y`` and each row's index into them.

    A column vector (n, 1) is raveled with a warning, as scikit-learn does; continuous
    targets (floats that are not whole numbers) are refused: this is a classifier.
    """
    if y is None:
        raise ValueError(
            "GaussianMixtureClassifier requires y to be passed, but the target y is None; "
            "give one class label per row"
        )
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape "
            "of y to (n_samples, ), for example using ravel().",
            conversion_warning,
            stacklevel=3,
        )
        labels = labels.ravel()
    if labels.ndim != 1:
        raise ValueError(
            f"y should be a 1d array of class labels, got an array of shape {labels.shape}"
        )
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"y has {labels.shape[0]} labels but X has {n_samples} rows; give one label per row"
        )
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)):
            raise ValueError("y contains NaN or infinite labels; give every row a class")
        if np.any(labels != np.round(labels)):
            raise ValueError(
                "Unknown label type: continuous. y holds fractional numbers, which are not class "
                "labels: a classifier needs a finite set of classes (use a regressor, or bin y)"
            )
    elif labels.dtype.kind == "c":
        raise ValueError("Unknown label type: complex numbers are not class labels")
    elif labels.dtype.kind == "O":
        missing = [i for i, value in enumerate(labels) if value is None or value != value]
        if missing:
            raise ValueError(
                f"y holds missing labels (None or NaN) in {len(missing)} rows (first: "
                f"{missing[0]}); give every row a class"
            )
    try:
        classes, codes = np.unique(labels, return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            f"the labels of y cannot be sorted ({exc}); give labels of one type, e.g. all strings"
        ) from None
    return classes, codes.reshape(-1).astype(np.int64)
