"""What a fitted :class:`~bayesgmm.GaussianMixture` computes on data: predictions and criteria.

:class:`FittedMixtureMethods` holds scikit-learn's prediction methods
(``score_samples``, ``score``, ``predict``, ``predict_proba``, ``sample``) and
the information criteria (``bic``, ``aic``, ``icl``), on in-memory rows or,
lazily, on a Dask array's chunks.  They read only the fitted attributes the
estimator sets (``_terms``, ``result_``, ``weights_``, ...), so the estimator
module keeps the fitting and this one the use of a fit.
"""

from __future__ import annotations

import numpy as np

from ..data.init import as_generator
from ..data.validation import as_feature_matrix, check_features, is_dask_collection
from ..densities import log_responsibilities, log_rho, logsumexp_rows
from ..diagnostics import criteria
from ..engines.base import mixture_terms
from ..exceptions import not_fitted_error
from ..kernels.missing import conditional_expectations
from .anomaly import AnomalyMethods


class FittedMixtureMethods(AnomalyMethods):
    """Predictions and criteria of a fitted mixture (a mixin of :class:`~bayesgmm.GaussianMixture`);
    anomaly thresholds and flags come from :class:`~bayesgmm.fitting.anomaly.AnomalyMethods`."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _check_same_features(self, data, names) -> None:
        """Refuse data whose width or feature names differ from the fitted model's."""
        check_features(
            data,
            names,
            self.n_features_in_,
            getattr(self, "feature_names_in_", None),
            type(self).__name__,
        )

    def _validated(self, X) -> np.ndarray:
        self._check_fitted()
        # a model fitted with missing="marginalize" scores rows with NaN on their observed values
        data, names = as_feature_matrix(X, allow_nan=self.result_.spec.missing == "marginalize")
        self._check_same_features(data, names)
        return data

    def _validated_dask(self, X):
        """A Dask input validated as :meth:`_validated` validates an in-memory one."""
        from ..data.distributed import as_dask_matrix

        data, names = as_dask_matrix(X)
        self._check_same_features(data, names)
        return data

    def _per_row(self, X, function, n_columns: int | None = None, dtype=np.float64):
        """``function(rows, terms)`` on validated rows; for Dask input a lazy Dask array."""
        self._check_fitted()
        if is_dask_collection(X):
            from ..data.distributed import map_rows

            rows = self._validated_dask(X)
            values = map_rows(function, rows, self._terms, n_columns, dtype)
        else:
            rows = self._validated(X)
            values = function(rows, self._terms)
        if values.dtype.kind == "f":  # float32 rows and parameters give float32, as scikit-learn
            values = values.astype(np.result_type(rows.dtype, self.means_.dtype), copy=False)
        return values

    def score_samples(self, X) -> np.ndarray:
        """Log-density of each row under the fitted mixture (lazy for Dask input)."""
        return self._per_row(X, _log_density_rows)

    def score(self, X, y=None) -> float:
        """Mean log-density per row."""
        return float(self.score_samples(X).mean())

    def predict(self, X) -> np.ndarray:
        """The most probable component of each row (lazy for Dask input); ``-1`` for the rows
        the noise component (``noise=True``) explains best."""
        return self._per_row(X, _label_rows, dtype=np.intp)

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability of each component for each row (rows sum to 1; lazy for Dask).

        With a noise component (``noise=True``) the last of the ``n_components + 1``
        columns is the noise component's probability.
        """
        columns = self.n_components_fitted + int(self._terms.has_noise)
        return self._per_row(X, _probability_rows, n_columns=columns)

    def impute(self, X) -> np.ndarray:
        """``X`` with each missing value (NaN) replaced by its conditional mean given the row's
        observed values under the fitted mixture: ``sum_k p(k | x_o) E[x_m | x_o, k]``.

        Needs a model fitted with ``missing="marginalize"``.  The conditional
        mean is the best guess in squared error; it understates the spread of the
        missing values (use :meth:`sample_missing` for draws, e.g. for multiple
        imputation).  Rows without NaN come back unchanged.  VB uses its
        posterior-mean parameters.  See ``docs/missing.md``.
        """
        return self._filled(X, None)

    def sample_missing(self, X, random_state=None) -> np.ndarray:
        """``X`` with each missing value (NaN) replaced by a draw from its conditional
        distribution given the row's observed values: a component drawn with probability
        ``p(k | x_o)``, then the missing coordinates from that component's conditional Gaussian.

        ``random_state`` seeds the draws (None: fresh randomness).  Repeated
        calls give multiple imputations.  Needs a model fitted with
        ``missing="marginalize"``; see :meth:`impute`.
        """
        return self._filled(X, as_generator(random_state))

    def _filled(self, X, rng) -> np.ndarray:
        self._check_fitted()
        if self.result_.spec.missing != "marginalize":
            raise ValueError(
                "imputing needs a model fitted with missing='marginalize' (this one was fitted "
                f"with missing={self.result_.spec.missing!r}); refit with missing='marginalize'"
            )
        rows = self._validated(X)
        terms = mixture_terms(self.result_.spec.family, self.result_.parameters)
        return conditional_expectations(rows, terms, rng).astype(
            np.result_type(rows.dtype, self.means_.dtype), copy=False
        )

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` rows from the fitted mixture; returns (X, component labels)."""
        self._check_fitted()
        if (
            isinstance(n_samples, bool)
            or not isinstance(n_samples, (int, np.integer))
            or n_samples < 1
        ):
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples!r} . The sampling requires at least "
                f"one sample: n_samples must be a positive integer, got {n_samples!r}"
            )
        rng = as_generator(self.random_state)
        # from the float64 parameters (the attributes may be float32): X is float64, as
        # scikit-learn's sample returns
        p = self.result_.parameters
        counts = rng.multinomial(n_samples, p.weights / p.weights.sum())
        D = self.n_features_in_
        covariances = p.covariances
        blocks = []
        family = self.result_.spec.family
        for k, count in enumerate(counts):
            if not family.kernel.is_diagonal:
                cov = family.dense_covariance(covariances, k, D)
                blocks.append(
                    rng.multivariate_normal(p.means[k], cov, size=count, method="cholesky")
                )
            else:
                scale = np.sqrt(covariances[k])
                blocks.append(p.means[k] + rng.standard_normal((count, D)) * scale)
        labels = np.repeat(np.arange(self.n_components_fitted), counts)
        return np.vstack(blocks), labels

    @property
    def n_components_fitted(self) -> int:
        """Components in the fitted model."""
        self._check_fitted()
        return int(self.weights_.shape[0])

    # -------------------------------------------------------------- criteria
    def _n_parameters(self) -> int:
        self._check_fitted()
        return self.result_.n_parameters

    def _data_fit(self, X, entropy: bool = True) -> tuple[float, float, float]:
        # criteria use the point estimate (for VB the posterior-mean parameters);
        # without `entropy` (BIC, AIC) the entropy returned is NaN
        self._check_fitted()
        family, parameters = self.result_.spec.family, self.result_.parameters
        if not entropy and not is_dask_collection(X):
            log_likelihood, n = criteria.log_likelihood(self._validated(X), family, parameters)
            return log_likelihood, float("nan"), n
        if is_dask_collection(X):
            from ..data.distributed import map_rows

            data = self._validated_dask(X)
            terms = mixture_terms(family, parameters)
            sums = map_rows(_data_fit_rows, data, terms, 2, np.float64).sum(axis=0).compute()
            return float(sums[0]), -float(sums[1]), float(data.shape[0])
        return criteria.data_fit(self._validated(X), family, parameters)

    def bic(self, X, convention: str = "sklearn") -> float:
        """Bayesian information criterion on ``X``: ``-2 log L + p log n``.

        ``convention="sklearn"`` (default): lower is better, as scikit-learn.
        ``"mclust"``: the negative, higher is better, as R's mclust reports it.
        """
        criteria.check_convention(convention)
        log_likelihood, _, n = self._data_fit(X, entropy=False)
        return criteria.bic(log_likelihood, self._n_parameters(), n, convention)

    def aic(self, X) -> float:
        """Akaike information criterion on ``X``: ``-2 log L + 2 p`` (lower is better)."""
        log_likelihood, _, _ = self._data_fit(X, entropy=False)
        return criteria.aic(log_likelihood, self._n_parameters())

    def icl(self, X, convention: str = "sklearn") -> float:
        """mclust's integrated completed likelihood on ``X``: BIC plus twice the entropy
        of the hard classification, ``-2 sum_n log z[n, map(n)]``.

        Lower is better (``convention="mclust"``: the negative, as mclust's ``icl``).
        It exceeds the BIC by more the more the components overlap.
        """
        criteria.check_convention(convention)
        log_likelihood, entropy, n = self._data_fit(X)
        return criteria.icl(log_likelihood, self._n_parameters(), n, entropy, convention)


def _data_fit_rows(X: np.ndarray, terms) -> np.ndarray:
    """Per row: log p(x) and log z[n, map(n)], the pieces of the criteria (see criteria.data_fit)."""
    rho = log_rho(X, terms)
    norm, top = logsumexp_rows(rho, return_max=True)
    return np.column_stack([norm, top - norm])


# Row functions run on in-memory rows or inside Dask tasks; log_responsibilities never
# gives NaN for finite rows, even for rows too far away for float64.
def _log_density_rows(X: np.ndarray, terms) -> np.ndarray:
    return log_responsibilities(X, terms)[0]


def _label_rows(X: np.ndarray, terms) -> np.ndarray:
    labels = log_responsibilities(X, terms)[1].argmax(axis=1)
    if terms.has_noise:  # the noise component's column is the last: mclust's label 0, ours -1
        labels[labels == terms.n_gaussians] = -1
    return labels


def _probability_rows(X: np.ndarray, terms) -> np.ndarray:
    return np.exp(log_responsibilities(X, terms)[1])
