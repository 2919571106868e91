"""``GaussianMixtureClassifier``: mclust's MclustDA and EDDA with scikit-learn's classifier interface.

A class's rows are modelled by a Gaussian mixture (MclustDA) or one Gaussian of a family shared
by all classes (EDDA); a new row goes to the class of largest posterior
``prior_c p(x | c) / sum_j prior_j p(x | j)`` (:mod:`bayesgmm.classification.models`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._lazy import xr
from ..data.validation import (
    as_feature_matrix,
    as_sample_weight,
    check_features,
    is_dask_collection,
)
from ..densities import logsumexp_rows
from ..engines import ENGINES, ITERATE_SAMPLING, engine_class
from ..estimator import ScikitLearnParameters
from ..exceptions import data_conversion_warning, not_fitted_error
from ..families import ALL_MODELS, all_models, family_names
from ..fitting.result import FitResult
from ..model_selection.select import _choices, _component_counts
from . import models
from .labels import class_codes
from .saving import from_datatree, to_datatree
from .summary import classifier_summary

KINDS = ("mclustda", "edda")


class GaussianMixtureClassifier(ScikitLearnParameters):
    """Classification by Gaussian mixtures: R mclust's ``MclustDA`` and ``EDDA``.

    Parameters
    ----------
    kind : {"mclustda", "edda"}, default "mclustda"
        "mclustda": per class a mixture chosen by BIC over ``n_components`` x
        ``covariance_type`` x ``engine`` (:func:`bayesgmm.select` on the class's rows).
        "edda": one Gaussian per class, the family shared across classes and chosen by
        mclust's EDDA BIC (``tied``/EEE is linear, ``full``/VVV quadratic discriminant
        analysis); ``n_components`` is not used.
    n_components : int or iterable of int, default (1, 2, 3)
        MclustDA: numbers of components tried per class (mclust's default is ``range(1, 6)``).
    covariance_type : str or iterable of str, default scikit-learn's four
        Families tried (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``, mclust's
        names such as ``"VEV"``), or ``"all"``: mclust's 14 (its default; ``E``/``V``
        for one feature).  The default is kept small so that a fit is quick.
    engine : str or iterable of str, default "em"
        "em", "map" or "vb" (MclustDA may sweep several; EDDA takes one).
    priors : array-like (n_classes,) or mapping {class: prior}, optional
        Class prior probabilities, in the order of ``classes_``; default: the
        (weighted) class frequencies of the training data, as mclust.
    prior : MAPPrior or VBPrior, optional
        The engine's prior (:class:`bayesgmm.GaussianMixture`'s ``prior``).
    tol, reg_covar, max_iter, n_init, init_params, random_state
        As :class:`bayesgmm.GaussianMixture`'s, for every mixture fitted.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
        The class labels, sorted; any type (strings included).
    class_prior_ : ndarray (n_classes,)
        The class priors used.
    covariance_type_ : str (EDDA) or ndarray of str (MclustDA, one per class)
        The chosen families.
    n_components_ : ndarray of int (n_classes,)
        Components of each class's model (1 for EDDA).
    n_iter_ : ndarray of int (n_classes,)
        Engine updates of each class's model (EDDA: 1, the update from the labels).
    mixture_ : GaussianMixture
        EDDA: the fitted mixture, one component per class.
    mixtures_ : list of GaussianMixture
        MclustDA: each class's fitted mixture.
    selection_ : xarray.Dataset
        The BIC of every candidate: EDDA over ``covariance_type``; MclustDA every class's
        :func:`~bayesgmm.select` sweep stacked along ``class`` (lower is better).
    training_error_ : float
        Weighted share of the training rows misclassified (mclust's classification error).
    confusion_matrix_ : xarray.DataArray (class, predicted)
        Training rows (their weights) by true and predicted class.
    n_features_in_, feature_names_in_
        As scikit-learn's.
    """

    def __init__(
        self,
        kind: str = "mclustda",
        *,
        n_components=(1, 2, 3),
        covariance_type=("full", "tied", "diag", "spherical"),
        engine="em",
        priors=None,
        prior=None,
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        random_state=None,
    ):
        self.kind = kind
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.engine = engine
        self.priors = priors
        self.prior = prior
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state

    # ------------------------------------------------------------ scikit-learn's protocol
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "classes_")

    def __sklearn_tags__(self):
        """scikit-learn's tags: a classifier of dense, finite 2-D data (only scikit-learn calls it)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(),
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
        )

    def _settings(self) -> models.Settings:
        return models.Settings(
            engine=self.engine if isinstance(self.engine, str) else "em",
            prior=self.prior,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            init_params=self.init_params,
            random_state=self.random_state,
        )

    def _families(self, n_features: int) -> list[str]:
        value = self.covariance_type
        if isinstance(value, str) and value == ALL_MODELS:
            value = all_models(n_features)
        return _choices("covariance_type", value, family_names())

    # ------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None) -> GaussianMixtureClassifier:
        """Fit the class models to ``X`` (n_samples, n_features) labelled by ``y``; returns ``self``.

        ``sample_weight`` scales each row's contribution (class priors included).  A Dask
        ``X`` is fitted chunk by chunk with ``kind="edda"``.  Nothing on the estimator
        changes unless the fit succeeds.
        """
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is not one of {KINDS}")
        dask_input = is_dask_collection(X)
        if dask_input:
            if self.kind != "edda":
                raise ValueError(
                    "a Dask X is fitted with kind='edda' only (MclustDA sweeps each class's rows "
                    "in memory); use kind='edda' or X.compute()"
                )
            n_samples, n_features = X.shape
            names = None
        else:
            X, names = as_feature_matrix(X)
            X = _kernel_ready(X)
            n_samples, n_features = X.shape
        classes, codes = class_codes(y, n_samples, data_conversion_warning())
        weights = as_sample_weight(sample_weight, n_samples)
        totals = np.bincount(codes, weights=weights, minlength=len(classes))
        if np.any(totals <= 0):
            empty = [_python(classes[i]) for i in np.flatnonzero(totals <= 0)]
            raise ValueError(
                f"class {empty[0]!r} has zero total sample weight, so its model cannot be fitted; "
                "drop its rows or give them positive weights"
            )
        class_prior = self._class_prior(classes, totals)
        families = self._families(n_features)
        settings = self._settings()
        fitted: dict[str, Any] = {}
        if self.kind == "edda":
            if not isinstance(self.engine, str):
                raise ValueError(
                    f"kind='edda' fits with one engine; got engine={self.engine!r}: give one name"
                )
            if engine_class(self.engine).iteration == ITERATE_SAMPLING:
                raise ValueError(
                    f"kind='edda' fits each class's Gaussian by one update from the labels, but "
                    f"engine={self.engine!r} samples allocations instead of keeping them; use "
                    "engine='map' (its posterior's mode) or kind='mclustda'"
                )
            mixture, table = models.fit_edda(X, codes, len(classes), families, weights, settings)
            fitted.update(
                mixture_=mixture,
                covariance_type_=mixture.covariance_type,
                n_components_=np.ones(len(classes), dtype=np.int64),
                n_iter_=np.ones(len(classes), dtype=np.int64),  # the one engine update
            )
        else:
            ks = _component_counts(self.n_components)
            engines = _choices("engine", self.engine, ENGINES)
            mixtures, table = models.fit_mclustda(
                X, codes, classes, ks, families, engines, weights, settings
            )
            fitted.update(
                mixtures_=mixtures,
                covariance_type_=np.array([m.covariance_type for m in mixtures]),
                n_components_=np.array([m.n_components_fitted for m in mixtures], dtype=np.int64),
                n_iter_=np.array([m.n_iter_ for m in mixtures], dtype=np.int64),
            )
        fitted.update(
            classes_=classes,
            class_prior_=class_prior,
            selection_=table.assign_coords({"class": classes}) if "class" in table.dims else table,
            n_features_in_=n_features,
        )
        self._set_fitted(fitted, names)
        if dask_input:
            self.training_error_ = np.nan
            self.confusion_matrix_: xr.DataArray | None = None
        else:
            self._training_confusion(X, codes, weights)
        return self

    def _class_prior(self, classes: np.ndarray, totals: np.ndarray) -> np.ndarray:
        if self.priors is None:
            return totals / totals.sum()
        given = self.priors
        if isinstance(given, Mapping):
            missing = [_python(c) for c in classes if c not in given]
            if missing:
                raise ValueError(f"priors has no entry for class {missing[0]!r}")
            given = [given[c] for c in classes]
        try:
            priors = np.array(given, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"priors must be numbers, one per class: {exc}") from None
        if priors.shape != (len(classes),):
            raise ValueError(
                f"priors has {priors.size} values but there are {len(classes)} classes "
                f"({list(classes)}); give one prior per class, in that order"
            )
        if not np.all(np.isfinite(priors)) or np.any(priors <= 0):
            raise ValueError("priors must be positive finite numbers")
        if not np.isclose(priors.sum(), 1.0, rtol=0, atol=1e-6):
            raise ValueError(f"priors must sum to 1, but sum to {priors.sum():.8g}")
        return priors

    def _set_fitted(self, fitted: dict[str, Any], names) -> None:
        for stale in ("mixture_", "mixtures_", "feature_names_in_"):
            if hasattr(self, stale):
                delattr(self, stale)
        for name, value in fitted.items():
            setattr(self, name, value)
        if names is not None:
            self.feature_names_in_ = names

    def _training_confusion(self, X: np.ndarray, codes: np.ndarray, weights) -> None:
        predicted = self._log_posterior(X).argmax(axis=1)
        C = len(self.classes_)
        counts = np.zeros((C, C))
        np.add.at(counts, (codes, predicted), 1.0 if weights is None else weights)
        self.confusion_matrix_ = xr.DataArray(
            counts,
            dims=("class", "predicted"),
            coords={"class": self.classes_, "predicted": self.classes_},
            attrs={"long_name": "training rows (their weights) by true and predicted class"},
        )
        self.training_error_ = float(1.0 - np.trace(counts) / counts.sum())

    # --------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _validated(self, X) -> np.ndarray:
        self._check_fitted()
        data, names = as_feature_matrix(X)
        data = _kernel_ready(data)
        check_features(
            data,
            names,
            self.n_features_in_,
            getattr(self, "feature_names_in_", None),
            type(self).__name__,
        )
        return data

    def class_log_densities(self, X) -> np.ndarray:
        """(n_samples, n_classes) log-density of each row under each class's model."""
        data = self._validated(X)
        return self._class_log_densities(data)

    def _class_log_densities(self, data: np.ndarray) -> np.ndarray:
        if hasattr(self, "mixture_"):
            return models.class_log_densities_edda(self.mixture_, data)
        return models.class_log_densities_mclustda(self.mixtures_, data)

    def _log_posterior(self, data: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            joint = self._class_log_densities(data) + np.log(self.class_prior_)
        norm, top = logsumexp_rows(joint, return_max=True)
        posterior = joint - norm[:, None]
        # a row too far from every class for float64 (every density underflows to -inf): the
        # posterior is undefined, and the priors are the honest answer
        lost = ~np.isfinite(top)
        if lost.any():
            posterior[lost] = np.log(self.class_prior_)
        return posterior

    def predict_log_proba(self, X) -> np.ndarray:
        """Log posterior probability of each class for each row, columns in ``classes_`` order."""
        return self._log_posterior(self._validated(X))

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability of each class for each row (rows sum to 1)."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row (labels of ``classes_``)."""
        best = self.predict_log_proba(X).argmax(axis=1)  # checks the fit before classes_ is read
        return self.classes_[best]

    def uncertainty(self, X) -> np.ndarray:
        """mclust's uncertainty of each row's class: 1 - its largest posterior probability."""
        return 1.0 - self.predict_proba(X).max(axis=1)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy: the (weighted) share of rows whose predicted class is ``y``."""
        predicted = self.predict(X)
        truth = np.asarray(y).reshape(-1)
        if truth.shape[0] != predicted.shape[0]:
            raise ValueError(f"y has {truth.shape[0]} labels but X has {predicted.shape[0]} rows")
        correct = (predicted == truth).astype(np.float64)
        weights = as_sample_weight(sample_weight, correct.shape[0])
        return float(np.average(correct, weights=weights))

    # ---------------------------------------------------------------- results
    def class_models(self) -> list[FitResult]:
        """Each class's model as a :class:`FitResult` (EDDA: the one mixture's result)."""
        self._check_fitted()
        if hasattr(self, "mixture_"):
            return [self.mixture_.result_]
        return [model.result_ for model in self.mixtures_]

    def summary(self) -> str:
        """A text summary like mclust's ``summary(MclustDA)`` (:mod:`.summary`)."""
        self._check_fitted()
        return classifier_summary(self)

    def to_datatree(self) -> xr.DataTree:
        """The fit as an :class:`xarray.DataTree` (:mod:`.saving`): save it with ``to_netcdf``."""
        self._check_fitted()
        return to_datatree(self)

    @classmethod
    def from_datatree(cls, tree: xr.DataTree) -> GaussianMixtureClassifier:
        """A fitted classifier from :meth:`to_datatree`'s tree (e.g. opened from a file)."""
        return from_datatree(cls, tree)


def _python(label: Any) -> Any:
    """A label as a plain Python value, so that messages show 'b', not np.str_('b')."""
    return label.item() if isinstance(label, np.generic) else label


def _kernel_ready(X: np.ndarray) -> np.ndarray:
    """``X`` as a C-contiguous float64 array (a copy only when it is not one).

    The class models are fitted and evaluated in float64 whatever the input's dtype; a
    read-only input (a memory map) is fine as it is: every kernel sees its data read-only
    (:func:`bayesgmm.kernels.read_only`).
    """
    return np.require(X, dtype=np.float64, requirements=["C"])
