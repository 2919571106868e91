"""The two ways of fitting class-conditional mixtures: EDDA and MclustDA (Fraley & Raftery 2002).

**EDDA** (eigenvalue decomposition discriminant analysis, Bensmail & Celeux 1996) fits one
Gaussian per class with one covariance family shared across the classes: ``tied`` (EEE) is
linear discriminant analysis, ``full`` (VVV) quadratic.  It is one K-component mixture, a
component per class, whose responsibilities are the labels: the statistics of the labelled
rows (``responsibilities_init``, :meth:`~bayesgmm.data.sources.DataSource.given_statistics`)
and *one* engine update, mclust's ``mstep`` (``max_iter=0``: no E-step moves the labels).
The family is chosen by mclust's EDDA BIC: the mixture log-likelihood of the training rows at
those parameters, with the class proportions not counted as free parameters (mclust's
``bic(..., equalPro = TRUE)``: they are fixed by the labels).

**MclustDA** fits, per class, a mixture chosen by BIC over numbers of components and
covariance families (:func:`bayesgmm.select` on the class's rows), so a class may be
several clusters (a phoneme's speakers, a disease's subtypes).

Both go through the estimator, so sample weights, MAP/VB priors and (EDDA) Dask arrays work
as they do for :class:`~bayesgmm.GaussianMixture`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import xr
from ..densities import log_rho, logsumexp_rows
from ..diagnostics import criteria
from ..engines.base import mixture_terms
from ..estimator import GaussianMixture
from ..exceptions import OverparameterizedWarning
from ..model_selection.select import best_model, select
from ..stats import GaussianTerms


@dataclass(frozen=True)
class Settings:
    """What every fit of one classifier shares (the estimator's parameters)."""

    engine: str
    prior: Any
    tol: float
    reg_covar: float
    max_iter: int
    n_init: int
    init_params: str
    random_state: Any

    def mixture(self, **params) -> GaussianMixture:
        settings = {
            "engine": self.engine,
            "prior": self.prior,
            "tol": self.tol,
            "reg_covar": self.reg_covar,
            "max_iter": self.max_iter,
            "n_init": self.n_init,
            "init_params": self.init_params,
            "random_state": self.random_state,
        }
        return GaussianMixture(**{**settings, **params})


def edda_bic(model: GaussianMixture) -> float:
    """mclust's EDDA BIC, scikit-learn's sign (lower is better): the class proportions are fixed
    by the labels, so they are not counted (``bic(..., equalPro = TRUE)``)."""
    result = model.result_
    n_free = result.n_parameters - (result.n_components - 1)
    return criteria.bic(result.log_likelihood, n_free, result.total_weight)


def fit_edda(
    X, codes: np.ndarray, n_classes: int, families: list[str], sample_weight, settings: Settings
) -> tuple[GaussianMixture, xr.Dataset]:
    """The EDDA mixture of the family with the lowest BIC, and the table of every family's BIC.

    Families that cannot be fitted (an engine that does not serve them, a singular covariance)
    are recorded in ``fit_error`` and skipped, as mclust records NA.
    """
    bic = np.full(len(families), np.nan)
    log_likelihood = np.full(len(families), np.nan)
    n_parameters = np.full(len(families), np.nan)
    errors = np.full(len(families), "", dtype=object)
    best: tuple[float, GaussianMixture] | None = None
    for index, family in enumerate(families):
        model = settings.mixture(
            n_components=n_classes,
            covariance_type=family,
            responsibilities_init=codes,
            max_iter=0,  # mclust's mstep: the labels fix the responsibilities, nothing iterates
            n_init=1,
        )
        try:
            model.fit(X, sample_weight=sample_weight)
        except ValueError as exc:  # includes SingularCovarianceError and unfittable families
            errors[index] = f"{type(exc).__name__}: {exc}"
            continue
        bic[index] = edda_bic(model)
        log_likelihood[index] = model.result_.log_likelihood
        n_parameters[index] = model.result_.n_parameters - (n_classes - 1)
        if best is None or bic[index] < best[0]:
            best = (bic[index], model)
    if best is None:
        raise ValueError(
            "EDDA could fit none of the covariance types: " + "; ".join(map(str, errors))
        )
    table = xr.Dataset(
        {
            "bic": ("covariance_type", bic, {"long_name": "mclust's EDDA BIC, lower is better"}),
            "log_likelihood": ("covariance_type", log_likelihood),
            "n_parameters": ("covariance_type", n_parameters),
            "fit_error": ("covariance_type", errors.astype(str)),
        },
        coords={"covariance_type": families},
    )
    return best[1], table


def fit_mclustda(
    X: np.ndarray,
    codes: np.ndarray,
    classes: np.ndarray,
    n_components: list[int],
    families: list[str] | str,
    engines: list[str],
    sample_weight: np.ndarray | None,
    settings: Settings,
) -> tuple[list[GaussianMixture], xr.Dataset]:
    """Per class, the mixture that BIC prefers among ``n_components`` x ``families`` x ``engines``.

    Returns the fitted mixtures in class order and the sweeps stacked along a ``class`` dim.
    """
    models, sweeps = [], []
    estimator_params = {
        "tol": settings.tol,
        "reg_covar": settings.reg_covar,
        "max_iter": settings.max_iter,
        "init_params": settings.init_params,
    }
    if settings.prior is not None:
        estimator_params["prior"] = settings.prior
    for code, label in enumerate(classes):
        rows = codes == code
        weights = None if sample_weight is None else sample_weight[rows]
        try:
            with warnings.catch_warnings():
                # the sweep records it per cell (overparameterized); a class of 30 rows
                # and 14 families would otherwise warn on every fit of a classifier
                warnings.simplefilter("ignore", OverparameterizedWarning)
                sweep = select(
                    X[rows],
                    n_components,
                    families,
                    engines,
                    n_init=settings.n_init,
                    random_state=settings.random_state,
                    sample_weight=weights,
                    progress=False,
                    **estimator_params,
                )
                models.append(
                    best_model(sweep, X[rows], "bic", sample_weight=weights, **estimator_params)
                )
        except ValueError as exc:
            name = label.item() if isinstance(label, np.generic) else label
            raise ValueError(f"class {name!r} ({int(rows.sum())} rows): {exc}") from exc
        sweeps.append(sweep.drop_attrs(deep=False))
    stacked = xr.concat(sweeps, dim="class", combine_attrs="drop_conflicts")
    return models, stacked.assign_coords({"class": np.arange(len(classes))})


def class_log_densities_edda(model: GaussianMixture, X: np.ndarray) -> np.ndarray:
    """(N, C) log-density of each row under each class's Gaussian (no class weights)."""
    result = model.result_
    parameters = result.parameters
    terms = GaussianTerms.gaussian(
        result.spec.family,
        np.zeros(result.n_components),
        parameters.means,
        parameters.precisions_cholesky,
    )
    return log_rho(np.ascontiguousarray(X, dtype=np.float64), terms)


def class_log_densities_mclustda(models: list[GaussianMixture], X: np.ndarray) -> np.ndarray:
    """(N, C) log-density of each row under each class's mixture (its point estimate)."""
    rows = np.ascontiguousarray(X, dtype=np.float64)
    columns = []
    for model in models:
        result = model.result_
        columns.append(
            logsumexp_rows(log_rho(rows, mixture_terms(result.spec.family, result.parameters)))
        )
    return np.column_stack(columns)
