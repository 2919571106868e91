"""``GaussianMixture``: scikit-learn's interface over the spec, the loop and the engines."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import xarray as xr

from . import fitting
from .data import as_feature_matrix, as_sample_weight, check_features
from .engines import ENGINES
from .exceptions import not_fitted_error
from .init import as_generator
from .results import FitResult
from .safeguards import check_fit_data, check_warm_start, log_responsibilities
from .spec import ModelSpec


class GaussianMixture:
    """A Gaussian mixture fitted by EM, with scikit-learn's names and semantics.

    Parameters
    ----------
    n_components : int, default 1
        Number of mixture components K.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
        Each component's own full covariance; one full covariance shared by all;
        a diagonal covariance each; a single variance each.
    tol : float, default 1e-3
        Stop when the per-sample objective improves by less than this.
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance to keep it positive definite.
    max_iter : int, default 100
        Iterations per initialisation.
    n_init : int, default 1
        Initialisations; the best final objective is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default "kmeans"
        How the first responsibilities are chosen (see :mod:`bayesgmm.init`).
    weights_init, means_init, precisions_init : array-like, optional
        User-given starting parameters, in scikit-learn's shapes.
    random_state : None, int, numpy Generator or RandomState
        Seed; a seeded fit is reproducible bit for bit.
    warm_start : bool, default False
        Continue from the previous fit's parameters on the next ``fit`` call.
    verbose : int, default 0
        1 prints each initialisation's outcome; 2 also every ``verbose_interval`` iterations.
    verbose_interval : int, default 10
    engine : {"em"}, default "em"
        The update equations; maximum-likelihood EM.
    prior : optional
        Prior hyperparameters for Bayesian engines; unused by EM.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_
        The fitted parameters, shapes as scikit-learn's.
    converged_, n_iter_, lower_bound_, lower_bounds_
        Convergence of the best initialisation; the bounds are per-sample objectives.
    n_features_in_, feature_names_in_
        Width of the training data, and its column names when it had string names.
    result_ : FitResult
        Everything the fit produced; ``to_dataset()`` labels it as an xarray Dataset.
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        engine: str = "em",
        prior=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.engine = engine
        self.prior = prior

    # ------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [name for name in signature.parameters if name != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, as scikit-learn's ``get_params``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> GaussianMixture:
        """Set constructor parameters, as scikit-learn's ``set_params``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for GaussianMixture; valid parameters: {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()
        }
        shown = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not _same(value, defaults.get(name))
        ]
        return f"{type(self).__name__}({', '.join(shown)})"

    def _spec(self) -> ModelSpec:
        for name in ("verbose", "verbose_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (
                0 if name == "verbose" else 1
            ):
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        return ModelSpec(
            **{name: getattr(self, name) for name in self._param_names() if name not in
               ("verbose", "verbose_interval")}
        )

    # ------------------------------------------------------------------- fit
    def fit(self, X, y=None, sample_weight=None) -> GaussianMixture:
        """Fit the mixture to ``X`` (n_samples, n_features); returns ``self``.

        ``sample_weight`` (one non-negative number per row) scales each row's
        contribution: a weight of 2 counts the row twice.  Nothing on the
        estimator changes unless the fit succeeds.
        """
        spec = self._spec()
        data, names = as_feature_matrix(X)
        weights = as_sample_weight(sample_weight, data.shape[0])
        check_fit_data(data, weights, spec.n_components, spec.reg_covar)
        previous = None
        if spec.warm_start and hasattr(self, "result_"):
            check_features(data, names, self.n_features_in_, getattr(self, "feature_names_in_", None),
                           type(self).__name__)
            check_warm_start(spec, self.result_)
            previous = self.result_
        result = fitting.fit(spec, data, weights, names, previous, self._progress_printer())
        self._set_result(result)
        return self

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit, then return the most probable component of each row."""
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _progress_printer(self):
        if not self.verbose:
            return None

        def report(run: int, iteration: int, objective: float) -> None:
            if self.verbose >= 2 and iteration % self.verbose_interval == 0:
                print(f"  init {run}: iteration {iteration}, objective per sample {objective:.6f}")

        return report

    def _set_result(self, result: FitResult) -> None:
        # Build everything first, assign after: a failure leaves the old state whole.
        engine = ENGINES[result.spec.engine](result.spec, result.n_features)
        state = engine.state_from_saved(result.parameters, result.engine_variables)
        terms = engine.terms(state)
        p = result.parameters
        family = result.spec.family
        fitted = {
            "weights_": p.weights,
            "means_": p.means,
            "covariances_": p.covariances,
            "precisions_cholesky_": p.precisions_cholesky,
            "precisions_": family.precisions(p.precisions_cholesky),
            "converged_": result.converged,
            "n_iter_": result.n_iter,
            "lower_bound_": result.lower_bound,
            "lower_bounds_": list(result.trace),
            "n_features_in_": result.n_features,
            "result_": result,
            "_terms": terms,
        }
        if self.verbose:
            print(
                f"fit done: {result.n_iter} iterations, converged={result.converged}, "
                f"objective per sample {result.lower_bound:.6f}"
            )
        for name, value in fitted.items():
            setattr(self, name, value)
        if result.feature_names is not None:
            self.feature_names_in_ = result.feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    @classmethod
    def from_result(cls, result: FitResult) -> GaussianMixture:
        """A fitted estimator from a :class:`FitResult` (e.g. one loaded from disk)."""
        spec = result.spec
        estimator = cls(
            n_components=spec.n_components,
            covariance_type=spec.covariance_type,
            tol=spec.tol,
            reg_covar=spec.reg_covar,
            max_iter=spec.max_iter,
            n_init=spec.n_init,
            init_params=spec.init_params,
            random_state=spec.random_state,
            warm_start=spec.warm_start,
            engine=spec.engine,
        )
        estimator._set_result(result)
        return estimator

    # --------------------------------------------------------------- predict
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "result_")

    def __sklearn_tags__(self):
        """scikit-learn's estimator tags: a density estimator on dense, finite 2-D data.

        Only scikit-learn calls this, so importing it here adds no runtime
        dependency: bayesgmm itself never imports scikit-learn.
        """
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="density_estimator",
            target_tags=TargetTags(required=False),
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _validated(self, X) -> np.ndarray:
        self._check_fitted()
        data, names = as_feature_matrix(X)
        check_features(data, names, self.n_features_in_, getattr(self, "feature_names_in_", None),
                       type(self).__name__)
        return data

    def _log_responsibilities(self, X) -> tuple[np.ndarray, np.ndarray]:
        # never NaN for finite X, even for rows too far away for float64
        return log_responsibilities(self._validated(X), self._terms)

    def score_samples(self, X) -> np.ndarray:
        """Log-density of each row under the fitted mixture."""
        return self._log_responsibilities(X)[0]

    def score(self, X, y=None) -> float:
        """Mean log-density per row."""
        return float(self.score_samples(X).mean())

    def predict(self, X) -> np.ndarray:
        """The most probable component of each row."""
        return self._log_responsibilities(X)[1].argmax(axis=1)

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability of each component for each row (rows sum to 1)."""
        return np.exp(self._log_responsibilities(X)[1])

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` rows from the fitted mixture; returns (X, component labels)."""
        self._check_fitted()
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        rng = as_generator(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        D = self.n_features_in_
        covariances = self.covariances_
        blocks = []
        for k, count in enumerate(counts):
            if self.covariance_type in ("full", "tied"):
                cov = covariances[k] if self.covariance_type == "full" else covariances
                blocks.append(rng.multivariate_normal(self.means_[k], cov, size=count, method="cholesky"))
            else:
                scale = np.sqrt(covariances[k])
                blocks.append(self.means_[k] + rng.standard_normal((count, D)) * scale)
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

    def bic(self, X) -> float:
        """Bayesian information criterion on ``X`` (lower is better, as scikit-learn)."""
        data = self._validated(X)
        return -2.0 * self.score(data) * data.shape[0] + self._n_parameters() * np.log(data.shape[0])

    def aic(self, X) -> float:
        """Akaike information criterion on ``X`` (lower is better)."""
        data = self._validated(X)
        return -2.0 * self.score(data) * data.shape[0] + 2.0 * self._n_parameters()

    def to_dataset(self) -> xr.Dataset:
        """The fit as a labelled :class:`xarray.Dataset` (see :meth:`FitResult.to_dataset`)."""
        self._check_fitted()
        return self.result_.to_dataset()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False
