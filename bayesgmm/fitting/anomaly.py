"""Anomaly detection with a fitted mixture: thresholds from the training rows' log-density.

:class:`AnomalyMethods` (a mixin of :class:`~bayesgmm.GaussianMixture`) flags rows whose
log-density (``score_samples``) is at or below a threshold.  The threshold is the
P-th percentile of the *training* rows' log-density, which every fit stores
(:mod:`bayesgmm.fitting.score_quantiles`) and saves with itself, or a log-density
given outright.  Taking the percentile of the rows being scored instead flags P%
of any batch, however normal or abnormal its rows are; ``numpy.percentile`` of
``score_samples`` does that when it is what you want.

scikit-learn's outlier detectors name the same ideas ``contamination`` (a fraction:
``percentile = 100 * contamination``), ``offset_`` (:meth:`anomaly_threshold`),
``decision_function`` (here too: negative for anomalies) and ``predict`` returning
-1 for outliers, whose name a mixture uses for the component labels: here it is
:meth:`is_anomaly`, True for anomalies.

A model with mclust's noise component (``noise=True``) has a second, model-based
answer: the rows whose probability under the noise component (:meth:`noise_probability`)
is above 1/2, those ``predict`` labels -1.  :meth:`is_anomaly` gives that when it is
asked for neither a percentile nor a threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .score_quantiles import check_percentile

DEFAULT_PERCENTILE = 5.0


class AnomalyMethods:
    """Anomaly thresholds and flags of a fitted mixture (see the module docstring)."""

    if TYPE_CHECKING:  # provided by the estimator and FittedMixtureMethods
        result_: Any

        def _check_fitted(self) -> None: ...

        def score_samples(self, X) -> Any: ...

        def predict_proba(self, X) -> Any: ...

        _terms: Any

    @property
    def has_noise_component(self) -> bool:
        """Whether the fitted model has mclust's noise component (``noise=True``)."""
        self._check_fitted()
        return bool(self._terms.has_noise)

    def noise_probability(self, X) -> np.ndarray:
        """Each row's posterior probability of the noise component (``predict_proba``'s last
        column); lazy for Dask input.  Raises ``ValueError`` for a model without one."""
        if not self.has_noise_component:
            raise ValueError(
                f"this {type(self).__name__} has no noise component; fit it with noise=True"
            )
        return self.predict_proba(X)[:, -1]

    def anomaly_threshold(self, percentile: float = DEFAULT_PERCENTILE) -> float:
        """The log-density at the ``percentile``-th percentile of the training rows.

        Rows scored at or below it are anomalies at that rate: ``percentile`` % of the
        training rows (sample-weighted if the fit was) lie at or below it.  The stored
        percentiles (0 = the lowest training row, 0.1, 0.2, 0.5, 1, 2, 3, 4, 5, 10, 15,
        20, 25, 50, 75, 100) are exact; others are interpolated between the two nearest.
        For a fit on standardised features the value is in standardised units, as
        ``score_samples`` of standardised rows is.

        Raises
        ------
        ValueError
            if ``percentile`` is not in [0, 100], or the fit holds no training
            quantiles: a ``partial_fit`` model, or one loaded from a file written
            before bayesgmm stored them (refit it, or give ``is_anomaly`` a
            ``threshold``).
        """
        self._check_fitted()
        percentile = check_percentile(percentile)
        quantiles = self.result_.score_quantiles
        if quantiles is None:
            raise ValueError(
                f"this {type(self).__name__} holds no training log-density quantiles (a "
                "partial_fit model, or a file saved before bayesgmm stored them), so there "
                "is no anomaly threshold from the training data; refit it with fit(), or "
                "pass is_anomaly(X, threshold=...) a log-density"
            )
        return quantiles.threshold(percentile)

    def decision_function(self, X, percentile: float = DEFAULT_PERCENTILE) -> np.ndarray:
        """``score_samples(X) - anomaly_threshold(percentile)``: negative or zero for anomalies.

        scikit-learn's outlier detectors return the same (their ``offset_`` is the
        threshold; they call exactly 0 an inlier, which continuous log-densities meet
        only at a stored training row's own value).  Lazy for Dask input.
        """
        threshold = self.anomaly_threshold(percentile)
        return self.score_samples(X) - threshold

    def is_anomaly(self, X, percentile: float | None = None, *, threshold: float | None = None):
        """Whether each row's log-density is at or below the anomaly threshold.

        Parameters
        ----------
        X : array-like (n_samples, n_features), or a Dask array (the result is then lazy)
        percentile : float in [0, 100], default 5
            The threshold is the training rows' log-density at this percentile
            (:meth:`anomaly_threshold`).  A model with a noise component, given
            neither ``percentile`` nor ``threshold``, flags the rows whose
            :meth:`noise_probability` is above 1/2 instead.
        threshold : float, optional
            A log-density to use instead (in the units of ``score_samples``); give
            either ``percentile`` or ``threshold``.

        Returns
        -------
        ndarray of bool (n_samples,)
            True for anomalies.  (scikit-learn's detectors' ``predict`` gives
            ``np.where(is_anomaly(X), -1, 1)``.)
        """
        if threshold is not None and percentile is not None:
            raise ValueError("give either percentile or threshold, not both")
        if threshold is None and percentile is None and self.has_noise_component:
            return self.noise_probability(X) > 0.5
        if threshold is None:
            threshold = self.anomaly_threshold(
                DEFAULT_PERCENTILE if percentile is None else percentile
            )
        else:
            try:
                threshold = float(threshold)
            except (TypeError, ValueError):
                threshold = float("nan")
            if np.isnan(threshold):
                raise ValueError("threshold must be a log-density (a number, -inf allowed)")
        return self.score_samples(X) <= threshold
