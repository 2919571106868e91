"""Fit results as labelled xarray Datasets.

A :class:`FitResult` is everything a fit produced: the spec, the point
estimate, the engine's extra state, the objective trace and summary numbers.
It is a plain data object: what builds on a fit (pruning, ArviZ draws, files)
lives in the layers above and takes a result.  :meth:`FitResult.to_dataset`
labels it with dims ``component``, ``feature``, ``feature2`` and ``iteration``;
:meth:`FitResult.from_dataset` rebuilds it, checking every variable and
attribute it reads (:mod:`bayesgmm.io` writes and reads the files).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._lazy import xr
from .._version import __version__
from ..data.sources import DataSource
from ..data.standardize import VARIABLES as _STANDARDIZATION_VARIABLES
from ..data.standardize import Standardization
from ..data.validation import as_feature_matrix, as_sample_weight, check_features
from ..diagnostics import criteria
from ..diagnostics.arviz import to_arviz
from ..engines import ENGINES, Engine, MixtureParameters
from ..engines.base import NoiseComponent, mixture_terms
from ..engines.noise import NOISE_WEIGHT_VARIABLE
from ..exceptions import SavedFitError
from ..families import family_names
from ..spec import ModelSpec, prune_threshold
from . import pruning
from . import saved_values as saved
from .checksum import add_checksums, verify_checksums
from .pruning_history import PruningHistory
from .score_quantiles import ScoreQuantiles
from .summary import summary_text

FORMAT_NAME = "bayesgmm.FitResult"
FORMAT_VERSION = 1

# ModelSpec fields stored as attributes, with the type each must have when read back
_SPEC_ATTRS = {
    "n_components": int,
    "covariance_type": str,
    "engine": str,
    "tol": float,
    "reg_covar": float,
    "max_iter": int,
    "n_init": int,
    "init_params": str,
}
# added after format 1 was first written: read when present, spec defaults otherwise
_OPTIONAL_SPEC_ATTRS = {
    "learning_method": str,
    "batch_size": int,
    "learning_decay": float,
    "learning_offset": float,
    "total_samples": float,
    "accelerate": bool,
    "stopping": str,
    "missing": str,
    "noise": bool,
    "noise_volume": float,
    "n_chains": int,
    "n_draws": int,
    "n_warmup": int,
    "thin": int,
}


@dataclass(frozen=True, eq=False)
class FitResult:
    """The outcome of one fit (the best of ``n_init`` runs).

    Attributes
    ----------
    spec : the ModelSpec that was fitted
    parameters : point estimate (weights, means, covariances, precisions_cholesky)
    engine_variables : engine-specific state, name -> (dims, array)
    trace : per-sample objective at each iteration (before that iteration's update)
    converged, n_iter, lower_bound : as scikit-learn's ``converged_``, ``n_iter_``, ``lower_bound_``
    objective : summed objective at the final parameters (log-likelihood, log-posterior or ELBO)
    log_likelihood : summed log-likelihood of the fitting data at the point estimate
    n_samples, total_weight : rows, and their summed weights
    feature_names : names of the features, or None
    pruning : PruningHistory or None, what pruning removed (None: nothing was pruned)
    standardization : Standardization or None, the centre and scale the features were
        standardised with before fitting (None: the data's own units); the parameters are
        then in standardised units, see :mod:`bayesgmm.data.standardize`
    score_quantiles : ScoreQuantiles or None, the training rows' log-density at fixed
        percentiles, where anomaly thresholds come from (None: not stored, e.g. partial_fit),
        see :mod:`bayesgmm.fitting.score_quantiles`
    classification_entropy : float or None, ICL's ``-sum_n w_n log z[n, map(n)]`` on the
        fitting data at the parameters, a by-product of the final pass (None: not known,
        as for a loaded fit; :func:`bayesgmm.diagnostics.criteria.result_criteria` then
        computes it from the data)
    """

    spec: ModelSpec
    parameters: MixtureParameters
    engine_variables: dict = field(repr=False)
    trace: np.ndarray = field(repr=False)
    converged: bool
    lower_bound: float
    objective: float
    log_likelihood: float
    n_samples: int
    total_weight: float
    feature_names: np.ndarray | None = None
    pruning: PruningHistory | None = None
    standardization: Standardization | None = None
    score_quantiles: ScoreQuantiles | None = None
    classification_entropy: float | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_fit(cls, *, spec, engine: Engine, state, **fields) -> FitResult:
        return cls(
            spec=spec,
            parameters=engine.parameters(state),
            engine_variables=engine.state_variables(state),
            **fields,
        )

    @property
    def n_iter(self) -> int:
        return int(self.trace.size)

    @property
    def n_components(self) -> int:
        return int(self.parameters.weights.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.parameters.means.shape[1])

    @property
    def n_parameters(self) -> int:
        """Free parameters, counted as scikit-learn's ``_n_parameters``; a noise component
        adds two, its weight and its volume (estimated from the data), as mclust's
        ``nMclustParams(..., noise = TRUE)`` counts them."""
        count = self.spec.family.n_parameters(self.n_components, self.n_features)
        return count + 2 * int(self.parameters.noise is not None)

    def bic(self, convention: str = "sklearn") -> float:
        """Bayesian information criterion on the fitting data.

        ``convention="sklearn"``: ``-2 log L + p log n``, lower is better;
        ``"mclust"``: its negative, higher is better (see :mod:`bayesgmm.diagnostics.criteria`).
        """
        return criteria.bic(self.log_likelihood, self.n_parameters, self.total_weight, convention)

    def aic(self) -> float:
        """Akaike information criterion on the fitting data (lower is better)."""
        return criteria.aic(self.log_likelihood, self.n_parameters)

    def icl(self, X, sample_weight=None, convention: str = "sklearn") -> float:
        """mclust's integrated completed likelihood on ``X``: BIC plus twice the entropy of
        the hard classification (lower is better; ``convention="mclust"``: negative).

        The classification needs the responsibilities, hence the data: pass the
        fitting data (and its ``sample_weight``) for the ICL of the fit.
        """
        data, names = as_feature_matrix(X)
        check_features(data, names, self.n_features, self.feature_names)
        weights = as_sample_weight(sample_weight, data.shape[0])
        log_likelihood, entropy, n = criteria.data_fit(
            data, self.spec.family, self.parameters, weights
        )
        return criteria.icl(log_likelihood, self.n_parameters, n, entropy, convention)

    def prune(self, threshold: float, X, sample_weight=None) -> FitResult:
        """A new result without the components whose weight is below ``threshold``.

        Components below the threshold are removed and the survivors refitted
        from where they stand (warm start), repeatedly, until no weight is below
        the threshold.  The new result's trace continues the old one and its
        ``pruning`` record lists every step.  If no weight is below the threshold
        the result is returned unchanged.

        Parameters
        ----------
        threshold : float in (0, 1)
            ``1e-2`` is the usual choice.
        X : array-like (n_samples, n_features)
            The data the result was fitted to.
        sample_weight : array-like (n_samples,), optional
            The fit's sample weights.
        """
        threshold = prune_threshold(threshold, "threshold")
        data = pruning.fitting_data(self, X, sample_weight)  # checked even when nothing is pruned
        if not (self.parameters.weights < threshold).any() or self.n_components == 1:
            return self
        engine, state = pruning.engine_and_state(self, data)
        engine, state, trace, converged, history = pruning.prune_below(
            engine, data, state, threshold, list(self.trace), self.converged, self.pruning
        )
        pruning.warn_if_not_converged(converged, engine.spec)
        pruned = finish_fit(engine, data, state, trace, converged, self.feature_names, history)
        # the survivors live in the same units as the model they came from
        return dataclasses.replace(pruned, standardization=self.standardization)

    def to_arviz(
        self,
        X,
        *,
        draws: int | None = None,
        random_state: Any = None,
        posterior_predictive: bool = False,
    ):
        """Posterior draws and pointwise log-likelihood as an ArviZ :class:`xarray.DataTree`.

        ``X`` must be the fitting data.  See :func:`bayesgmm.diagnostics.to_arviz`
        for the groups, the draws of each engine, ``draws`` (default 1000) and
        ``posterior_predictive``.
        """
        return to_arviz(
            self,
            X,
            draws=draws,
            random_state=random_state,
            posterior_predictive=posterior_predictive,
        )

    def summary(self) -> str:
        """A readable multi-line description: spec, fit quality and parameters per component,
        in lines of at most 100 characters (:mod:`bayesgmm.fitting.summary`)."""
        return summary_text(self)

    # ------------------------------------------------------------------ xarray
    def to_dataset(self) -> xr.Dataset:
        """The result as a labelled :class:`xarray.Dataset`."""
        family = self.spec.family
        p = self.parameters
        K, D = self.n_components, self.n_features
        features = self.feature_names if self.feature_names is not None else np.arange(D)
        coords = {
            "component": np.arange(K),
            "feature": np.asarray(features) if self.feature_names is None else features.astype(str),
            "iteration": np.arange(1, self.n_iter + 1),
        }
        coords["feature2"] = coords["feature"].copy()
        data_vars = {
            "weights": (("component",), p.weights),
            "means": (("component", "feature"), p.means),
            "covariances": (family.covariance_dims, p.covariances),
            "precisions_cholesky": (family.covariance_dims, p.precisions_cholesky),
            "objective_trace": (("iteration",), self.trace),
        }
        data_vars.update(self.engine_variables)
        attrs = {name: getattr(self.spec, name) for name in _SPEC_ATTRS}
        attrs.update(
            # netCDF has no boolean attributes: a flag is stored as 0 or 1
            (name, int(value) if isinstance(value, bool) else value)
            for name in _OPTIONAL_SPEC_ATTRS
            if (value := getattr(self.spec, name)) is not None
        )
        attrs.update(
            warm_start=int(self.spec.warm_start),
            n_features=D,
            n_samples=self.n_samples,
            total_weight=self.total_weight,
            log_likelihood=self.log_likelihood,
            objective=self.objective,
            lower_bound=self.lower_bound,
            n_parameters=self.n_parameters,
            bic=self.bic(),
            aic=self.aic(),
            n_iter=self.n_iter,
            converged=int(self.converged),
            has_feature_names=int(self.feature_names is not None),
            format=FORMAT_NAME,
            format_version=FORMAT_VERSION,
            bayesgmm_version=__version__,
        )
        if isinstance(self.spec.random_state, (int, np.integer)):
            attrs["random_state"] = int(self.spec.random_state)
        if self.spec.prune is not None:
            attrs["prune"] = self.spec.prune
        variables = {
            name: xr.Variable(dims, np.asarray(values), attrs=_VARIABLE_DOCS.get(name, {}))
            for name, (dims, values) in data_vars.items()
        }
        if self.pruning is not None:
            variables.update(self.pruning.to_variables())
        if self.standardization is not None:
            variables.update(
                (name, xr.Variable(*parts))
                for name, parts in self.standardization.to_variables().items()
            )
        if self.score_quantiles is not None:
            variables.update(self.score_quantiles.to_variables())
        return add_checksums(xr.Dataset(variables, coords=coords, attrs=attrs))

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> FitResult:
        """Rebuild a result from :meth:`to_dataset` output, checking what it reads.

        Every attribute and variable is checked for type, shape and domain
        (:mod:`bayesgmm.fitting.saved_values`), then against the checksums it was saved
        with (:mod:`bayesgmm.fitting.checksum`); a damaged or altered Dataset raises
        :class:`~bayesgmm.exceptions.SavedFitError` naming what is wrong.
        """
        attrs = ds.attrs
        if attrs.get("format") != FORMAT_NAME:
            raise SavedFitError(
                f"not a bayesgmm result: attribute 'format' is {attrs.get('format')!r}, "
                f"expected {FORMAT_NAME!r}"
            )
        version = saved.attr(attrs, "format_version", int)
        if version > FORMAT_VERSION:
            raise SavedFitError(
                f"the file was written by a newer bayesgmm (format {version}); upgrade bayesgmm"
            )
        covariance_type = saved.attr(attrs, "covariance_type", str)
        engine_name = saved.attr(attrs, "engine", str)
        if covariance_type not in family_names() or engine_name not in ENGINES:
            raise SavedFitError(
                f"unknown covariance_type {covariance_type!r} or engine {engine_name!r} in the file"
            )
        spec_fields = {name: saved.attr(attrs, name, kind) for name, kind in _SPEC_ATTRS.items()}
        spec_fields.update(
            (name, saved.flag(attrs, name) if kind is bool else saved.attr(attrs, name, kind))
            for name, kind in _OPTIONAL_SPEC_ATTRS.items()
            if name in attrs
        )
        spec_fields["warm_start"] = saved.flag(attrs, "warm_start")
        if "random_state" in attrs:
            spec_fields["random_state"] = saved.attr(attrs, "random_state", int)
        if "prune" in attrs:
            spec_fields["prune"] = saved.attr(attrs, "prune", float)
        try:
            spec = ModelSpec(**spec_fields)
        except (TypeError, ValueError) as exc:  # ModelSpec's own checks name the attribute
            raise SavedFitError(f"the file's model attributes are invalid: {exc}") from None
        K, D = spec.n_components, saved.attr(attrs, "n_features", int)
        if D < 1:
            raise SavedFitError(f"attribute 'n_features' must be >= 1, found {D}")
        family = spec.family
        expected = {
            "weights": (K,),
            "means": (K, D),
            "covariances": family.covariance_shape(K, D),
            "precisions_cholesky": family.covariance_shape(K, D),
        }
        arrays = {name: saved.variable(ds, name, shape) for name, shape in expected.items()}
        noise = None
        if spec.noise:
            noise = _saved_noise(ds, spec)
            saved.check_parameter_values(family, arrays, noise.weight)
        else:
            saved.check_parameter_values(family, arrays)
        trace = saved.variable(ds, "objective_trace", (saved.attr(attrs, "n_iter", int),))
        saved.check_fit_numbers(attrs, trace)
        engine_variables = saved.engine_variables(
            ds, spec, D, MixtureParameters(**arrays, noise=noise)
        )
        standardization = None
        if any(name in ds.variables for name in _STANDARDIZATION_VARIABLES):
            standardization = Standardization.from_variables(
                *(saved.variable(ds, name, (D,)) for name in _STANDARDIZATION_VARIABLES)
            )
        names = None
        if saved.flag(attrs, "has_feature_names"):
            names = np.asarray([str(v) for v in ds["feature"].values], dtype=object)
        pruning_history = PruningHistory.from_dataset(ds, K)
        score_quantiles = ScoreQuantiles.from_dataset(ds)  # its domain, before the checksums
        verify_checksums(ds)
        return cls(
            spec=spec,
            parameters=MixtureParameters(**arrays, noise=noise),
            engine_variables=engine_variables,
            trace=trace,
            converged=saved.flag(attrs, "converged"),
            lower_bound=saved.attr(attrs, "lower_bound", float),
            objective=saved.attr(attrs, "objective", float),
            log_likelihood=saved.attr(attrs, "log_likelihood", float),
            n_samples=saved.attr(attrs, "n_samples", int),
            total_weight=saved.attr(attrs, "total_weight", float),
            feature_names=names,
            pruning=pruning_history,
            standardization=standardization,
            score_quantiles=score_quantiles,
        )


def _saved_noise(ds: xr.Dataset, spec: ModelSpec) -> NoiseComponent:
    """The noise component of a saved ``noise=True`` fit: its weight and the spec's volume."""
    if spec.noise_volume is None:
        raise SavedFitError(
            "the file's model has noise=1 but no attribute 'noise_volume'; the file is damaged"
        )
    weight = float(saved.variable(ds, NOISE_WEIGHT_VARIABLE, ()))
    if not 0.0 <= weight <= 1.0:
        raise SavedFitError(
            f"variable {NOISE_WEIGHT_VARIABLE!r} must lie in [0, 1], found {weight}; "
            "the file is damaged"
        )
    return NoiseComponent(weight, float(np.log(spec.noise_volume)))


_VARIABLE_DOCS = {
    "weights": {"long_name": "mixture weights"},
    "means": {"long_name": "component means"},
    "covariances": {"long_name": "component covariances (shape per covariance_type)"},
    "precisions_cholesky": {"long_name": "upper Cholesky factors U of the precisions, P = U U^T"},
    "objective_trace": {"long_name": "per-sample objective before each iteration's update"},
    NOISE_WEIGHT_VARIABLE: {"long_name": "weight of the uniform noise component"},
}


def finish_fit(
    engine: Engine,
    data: DataSource,
    state: Any,
    trace: list[float],
    converged: bool,
    feature_names: np.ndarray | None = None,
    pruning: PruningHistory | None = None,
    score_quantiles: bool = True,
) -> FitResult:
    """The result of a finished loop: a final pass gives the objective at ``state``, and
    (``score_quantiles``) one more the training rows' log-density quantiles."""
    terms = engine.terms(state)
    final = data.accumulate(terms)
    scores = data.row_scores(terms) if score_quantiles else None
    parameters = engine.parameters(state)
    point = final if engine.terms_are_point_estimate else None
    if point is None:  # the engine's terms are not the point estimate's (VB)
        point = data.accumulate(mixture_terms(engine.family, parameters))
    entropy = point.classification_entropy
    return FitResult.from_fit(
        spec=engine.spec,
        engine=engine,
        state=state,
        trace=np.asarray(trace, dtype=np.float64),
        converged=converged,
        lower_bound=trace[-1] if len(trace) else -np.inf,
        objective=final.loglik + engine.penalty(state),
        log_likelihood=point.loglik,
        n_samples=data.n_samples,
        total_weight=final.total_weight,
        feature_names=feature_names,
        pruning=pruning,
        score_quantiles=None if scores is None else ScoreQuantiles.of(scores),
        classification_entropy=float(entropy) if np.isfinite(entropy) else None,
    )
