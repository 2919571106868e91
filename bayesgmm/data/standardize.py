"""Per-feature standardisation recorded with a fit: ``z = (x - center) / scale``.

A fit made on standardised features (``bayesgmm fit --standardize``) has its
parameters in standardised units.  The :class:`Standardization` it was made
with travels in the :class:`~bayesgmm.FitResult` and its netCDF file, so that
new rows in the data's own units are put on the same scale before
``predict``, ``predict_proba`` or ``score_samples``:

>>> model = bayesgmm.load("result.nc")                      # doctest: +SKIP
>>> z = model.result_.standardization.transform(X_raw)      # doctest: +SKIP
>>> model.predict(z)                                        # doctest: +SKIP

The saved model is kept in standardised units rather than transformed back,
because a spherical covariance in standardised units is not spherical in the
data's units: the back-transformed model would not be of its own family.
The densities are related exactly, ``log p(x) = log p(z) + log_jacobian``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import SavedFitError
from .validation import as_feature_matrix


@dataclass(frozen=True, eq=False)
class Standardization:
    """The centre and scale of each feature: ``z = (x - center) / scale``.

    Attributes
    ----------
    center : ndarray (n_features,)
        The mean of each feature of the fitting data.
    scale : ndarray (n_features,)
        Its standard deviation (``ddof=1``); strictly positive.
    """

    center: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        center = np.asarray(self.center, dtype=np.float64)
        scale = np.asarray(self.scale, dtype=np.float64)
        if center.ndim != 1 or center.shape != scale.shape:
            raise ValueError(
                f"center and scale must be 1-D of one length, got shapes {center.shape} and {scale.shape}"
            )
        if not (np.isfinite(center).all() and np.isfinite(scale).all()) or np.any(scale <= 0):
            raise ValueError("a standardisation needs finite centres and positive, finite scales")
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "scale", scale)

    @classmethod
    def of(cls, X: Any) -> Standardization:
        """The standardisation of ``X``'s columns (mean, standard deviation with ``ddof=1``).

        Raises
        ------
        ValueError
            If a column is constant (it has no scale to divide by) or ``X`` has
            a single row.
        """
        data, names = as_feature_matrix(X, allow_nan=True)
        if data.shape[0] < 2:
            raise ValueError("standardising needs at least 2 rows")
        # NaN (missing values, refused by the fit unless missing="marginalize") are left out
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column with < 2 observed values
            center = np.nanmean(data, axis=0, dtype=np.float64)
            scale = np.nanstd(data, axis=0, ddof=1, dtype=np.float64)
        constant = np.flatnonzero(~(scale > 0))
        if constant.size:
            label = [str(names[i]) if names is not None else f"column {i}" for i in constant]
            raise ValueError(
                f"{', '.join(label)} {'is' if len(label) == 1 else 'are'} constant: a standard "
                "deviation of 0 cannot be divided by; leave it out of the features"
            )
        return cls(center, scale)

    @property
    def n_features(self) -> int:
        return int(self.center.size)

    @property
    def log_jacobian(self) -> float:
        """``-sum(log scale)``: add it to a log-density in ``z`` to get the log-density in ``x``."""
        return float(-np.log(self.scale).sum())

    def transform(self, X: Any):
        """``(X - center) / scale``, keeping a DataFrame's or DataArray's labels."""
        width = np.shape(X)[-1] if np.ndim(X) == 2 else None
        if width != self.n_features:
            raise ValueError(
                f"X has shape {np.shape(X)}, but the standardisation is of {self.n_features} "
                "features; pass the columns the model was fitted on"
            )
        return (X - self.center) / self.scale

    def inverse_transform(self, Z: Any):
        """``Z * scale + center``: standardised values back in the data's units."""
        return Z * self.scale + self.center

    def to_variables(self) -> dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]]:
        """The variables a result's Dataset stores it in, on dim ``feature``."""
        return {
            "standardization_center": (
                ("feature",),
                self.center,
                {"long_name": "feature centre subtracted before fitting"},
            ),
            "standardization_scale": (
                ("feature",),
                self.scale,
                {"long_name": "feature scale divided by before fitting"},
            ),
        }

    @classmethod
    def from_variables(cls, center: np.ndarray, scale: np.ndarray) -> Standardization:
        """Rebuild from stored arrays; a damaged file gives a ``ValueError`` saying so."""
        try:
            return cls(center, scale)
        except ValueError as exc:
            raise SavedFitError(
                f"the file's standardization_* variables are damaged: {exc}"
            ) from None


VARIABLES = ("standardization_center", "standardization_scale")
