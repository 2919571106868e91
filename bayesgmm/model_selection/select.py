"""Model selection: fit a grid of models and compare them by information criteria.

:func:`select` fits every combination of engine, covariance type and number
of components and returns an :class:`xarray.Dataset` over those three dims;
:func:`best_model` refits the winner of a criterion, :func:`criteria_table`
tabulates any collection of fitted models.  Criteria are lower-is-better
(scikit-learn's sign; mclust's BIC and ICL are their negatives, see
:mod:`bayesgmm.diagnostics.criteria`).

As mclust does, a fit that fails (a covariance collapses, too few rows for
the components, ...) is recorded as missing, with the reason, and the sweep
goes on.
"""

from __future__ import annotations

import numbers
import time
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._lazy import xr
from ..data.checks import check_data
from ..data.incomplete import in_memory_source
from ..data.init import recordable_seed
from ..data.validation import as_feature_matrix, as_sample_weight
from ..diagnostics import criteria
from ..diagnostics.criteria import CRITERIA, _data_and_weights
from ..engines import ENGINES
from ..exceptions import ConvergenceWarning, convergence_warning
from ..families import ALL_MODELS, all_models, family_named, family_names
from ..fitting import restarts
from ..spec import ModelSpec
from .model_size import size_variables, warn_overparameterized

# estimator parameters a sweep passes on to every fit; the others either vary
# over the grid, are set by select itself, or only make sense for one K
SWEEP_PARAMETERS = (
    "n_chains",
    "n_draws",
    "n_warmup",
    "thin",
    "tol",
    "reg_covar",
    "max_iter",
    "init_params",
    "prior",
    "prune",
    "accelerate",
    "stopping",
    "missing",
    "noise",
    "noise_volume",
    "noise_init",
)
# settings every sweep stores; sweeps saved before "accelerate"/"stopping" existed lack them and
# get the estimator's defaults back (accelerate is stored as 0/1: netCDF has no booleans)
_LATER_PARAMETERS = {"accelerate": bool, "stopping": str, "missing": str}
_STORED_PARAMETERS = ("tol", "reg_covar", "max_iter", "init_params")
_PER_K_PARAMETERS = (
    "weights_init",
    "means_init",
    "precisions_init",
    "responsibilities_init",
    "warm_start",
)

_DOCS = {
    "bic": "Bayesian information criterion -2 log L + p log n (lower is better)",
    "aic": "Akaike information criterion -2 log L + 2 p (lower is better)",
    "icl": "mclust's ICL: bic + 2 x entropy of the hard classification (lower is better)",
    "log_likelihood": "log-likelihood of the fitting data at the point estimate",
    "objective": "the engine's objective: log-likelihood (em), log-posterior (map), ELBO (vb)",
    "n_parameters": "free parameters (scikit-learn's count)",
    "n_iter": "iterations of the best initialisation (including refits after pruning)",
    "converged": "the best initialisation converged (False for failed fits)",
    "n_components_fitted": "components of the fitted model (fewer than n_components if pruned)",
    "effective_n_components": "exp(entropy of the weights): K for equal weights, 1 for one component",
    "n_components_used": "components with weight >= the weight_threshold attribute",
    "fit_time": "wall-clock seconds of the fit",
    "fit_error": "why the fit failed ('' if it succeeded)",
}


def _choices(name: str, value: Any, valid: Iterable[str]) -> list[str]:
    valid = tuple(valid)
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise ValueError(f"{name} is empty; give at least one of {valid}")
    for item in values:
        if item not in valid:
            raise ValueError(f"{name} contains {item!r}, which is not one of {valid}")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} lists a value twice: {values}")
    return values


def _component_counts(n_components: Any) -> list[int]:
    values = [n_components] if isinstance(n_components, numbers.Integral) else list(n_components)
    if not values:
        raise ValueError("n_components is empty; give e.g. range(1, 10)")
    for k in values:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"n_components must hold positive integers, got {k!r}")
    return sorted({int(k) for k in values})


def _check_estimator_params(params: dict[str, Any]) -> None:
    for name in params:
        if name in _PER_K_PARAMETERS:
            raise ValueError(
                f"{name} cannot be used in a sweep: it fixes one number of components. "
                "Fit that model with GaussianMixture instead"
            )
        if name not in SWEEP_PARAMETERS:
            raise TypeError(
                f"select() got an unexpected parameter {name!r}; estimator parameters it "
                f"accepts: {', '.join(SWEEP_PARAMETERS)}"
            )


def select(
    X,
    n_components: int | Iterable[int] = range(1, 10),
    covariance_type: str | Iterable[str] = ("full", "tied", "diag", "spherical"),
    engine: str | Iterable[str] = ("em",),
    *,
    n_init: int = 1,
    random_state: Any = None,
    sample_weight=None,
    weight_threshold: float = 1e-2,
    progress: bool = True,
    **estimator_params,
) -> xr.Dataset:
    """Fit every (engine, covariance_type, n_components) and tabulate the criteria.

    Parameters
    ----------
    X : array-like (n_samples, n_features)
    n_components : int or iterable of int, default range(1, 10)
    covariance_type : str or iterable of str, default scikit-learn's four families
        Names of :data:`bayesgmm.families.FAMILIES` or their aliases (mclust's
        names, e.g. ``"VEV"``), or ``"all"``: mclust's 14 models (``E`` and ``V``
        for one feature).  A cell an engine cannot fit (``engine="vb"`` with a
        constrained family) holds NaN and the reason in ``fit_error``.
    engine : str or iterable of str, default ("em",)
        Names from :data:`bayesgmm.engines.ENGINES`.
    n_init : int, default 1
        Initialisations per fit; the best objective is kept.
    random_state : None, int, numpy Generator or RandomState
        Every fit uses the same integer seed drawn from this (stored in the
        ``random_state`` attribute), so :func:`best_model` reproduces any cell.
    sample_weight : array-like (n_samples,), optional
    weight_threshold : float, default 1e-2
        Weight from which a component counts in ``n_components_used``.
    progress : bool, default True
        Show a tqdm progress bar (it appears only if the sweep takes more than a second).
    **estimator_params
        ``tol``, ``reg_covar``, ``max_iter``, ``init_params``, ``prior``,
        ``prune``, ``accelerate``, ``stopping``: as
        :class:`~bayesgmm.GaussianMixture`'s, for every fit.
        Information criteria compare models reliably only when the fits have
        converged tightly: consider ``tol=1e-6`` (the default ``1e-3`` per
        sample can stop EM several BIC units short on raw-scale data).

    Returns
    -------
    xarray.Dataset
        Dims ``engine``, ``covariance_type``, ``n_components``, with variables
        ``bic``, ``aic``, ``icl``, ``log_likelihood``, ``objective``,
        ``n_parameters``, ``n_iter``, ``converged``, ``n_components_fitted``,
        ``effective_n_components`` (exp of the weights' entropy),
        ``n_components_used`` (weights >= ``weight_threshold``), ``fit_time``,
        ``fit_error``, ``rows_per_parameter`` (rows of positive weight per free
        parameter) and ``overparameterized`` (fewer than 5 of them; such models
        are also listed in one :class:`~bayesgmm.exceptions.OverparameterizedWarning`,
        see :mod:`bayesgmm.model_selection.model_size`).  Failed fits hold NaN and the reason in
        ``fit_error``.  On dim ``criterion`` (bic, aic, icl): ``best_engine``,
        ``best_covariance_type``, ``best_n_components`` and ``best_value``
        name each criterion's winner.  Attributes record the settings.

    Raises
    ------
    ValueError, TypeError
        For bad data or parameters, before any fit starts.
    """
    marginalize = estimator_params.get("missing") == "marginalize"
    data, names = as_feature_matrix(X, allow_nan=marginalize)
    weights = as_sample_weight(sample_weight, data.shape[0])
    ks = _component_counts(n_components)
    if isinstance(covariance_type, str) and covariance_type == ALL_MODELS:
        covariance_type = all_models(data.shape[1])
    families = _choices("covariance_type", covariance_type, family_names())
    engines = _choices("engine", engine, ENGINES)
    # an engine that cannot fit a family (VB and mclust's constrained families) leaves
    # those cells empty with the reason, as mclust's NA, instead of stopping the sweep
    unfittable = {}
    for e in engines:
        for c in families:
            try:
                ENGINES[e].check_family(family_named(c))
            except ValueError as exc:
                unfittable[e, c] = f"{type(exc).__name__}: {exc}"
    _check_estimator_params(estimator_params)
    if not (isinstance(weight_threshold, numbers.Real) and 0 <= weight_threshold < 1):
        raise ValueError(f"weight_threshold must be a number in [0, 1), got {weight_threshold!r}")
    seed = recordable_seed(random_state)
    # every spec is built (and so validated) before the first fit
    specs = {
        (e, c, k): ModelSpec(
            n_components=k,
            covariance_type=c,
            engine=e,
            n_init=n_init,
            random_state=seed,
            **estimator_params,
        )
        for e in engines
        for c in families
        for k in ks
        if (e, c) not in unfittable
    }
    if not specs:
        raise ValueError(
            "no engine can fit any of the covariance types: " + "; ".join(unfittable.values())
        )
    # one source for the whole sweep: checked once, as fit checks, its data moments
    # (MAP's and VB's prior defaults) computed once for every fit, and each K's
    # k-means start computed once for every covariance type and engine (every fit
    # draws from the same seed, so they start from the same partition anyway)
    source = in_memory_source(data, weights, reuse_starts=True)
    check_data(source, next(iter(specs.values())).reg_covar)
    shape = (len(engines), len(families), len(ks))
    numbers_ = {
        name: np.full(shape, np.nan)
        for name in (
            *CRITERIA,
            "log_likelihood",
            "objective",
            "n_parameters",
            "n_iter",
            "n_components_fitted",
            "effective_n_components",
            "n_components_used",
            "fit_time",
        )
    }
    converged = np.zeros(shape, dtype=bool)
    errors = np.full(shape, "", dtype=object)
    not_converged = 0
    with tqdm(
        total=len(specs), desc="bayesgmm.select", unit="fit", delay=1.0, disable=not progress
    ) as bar:
        for index in np.ndindex(shape):
            key = (engines[index[0]], families[index[1]], ks[index[2]])
            if key[:2] in unfittable:
                errors[index] = unfittable[key[:2]]
                bar.update()
                continue
            bar.set_postfix_str(f"{key[0]} {key[1]} K={key[2]}", refresh=False)
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    # recorded in `converged`, summarised once below
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    result = restarts.fit(specs[key], source, None, names, score_quantiles=False)
                row = criteria.result_criteria(result, data, weights, fitting_data=True)
            except ValueError as exc:  # includes SingularCovarianceError and LinAlgError
                errors[index] = f"{type(exc).__name__}: {exc}"
            else:
                row.update(
                    objective=result.objective,
                    n_parameters=result.n_parameters,
                    n_iter=result.n_iter,
                    n_components_fitted=result.n_components,
                    effective_n_components=criteria.effective_n_components(
                        result.parameters.weights
                    ),
                    n_components_used=int((result.parameters.weights >= weight_threshold).sum()),
                )
                for name, value in row.items():
                    numbers_[name][index] = value
                converged[index] = result.converged
                not_converged += not result.converged
            numbers_["fit_time"][index] = time.perf_counter() - start
            bar.update()
    if not_converged:
        warnings.warn(
            f"{not_converged} of {len(specs)} fits did not converge (see the 'converged' "
            "variable); their criteria may be off. Increase max_iter or tol.",
            convergence_warning(),
            stacklevel=2,
        )
    dims = ("engine", "covariance_type", "n_components")
    variables = {
        name: xr.Variable(dims, values, attrs={"long_name": _DOCS[name]})
        for name, values in numbers_.items()
    }
    variables["converged"] = xr.Variable(dims, converged, attrs={"long_name": _DOCS["converged"]})
    variables["fit_error"] = xr.Variable(
        dims, errors.astype(str), attrs={"long_name": _DOCS["fit_error"]}
    )
    n_rows = data.shape[0] if weights is None else int(np.count_nonzero(weights))
    variables.update(size_variables(numbers_["n_parameters"], n_rows, dims))
    ds = xr.Dataset(
        variables,
        coords={"engine": engines, "covariance_type": families, "n_components": ks},
    )
    ds = ds.merge(_winners(ds))
    ds.attrs.update(
        _settings(
            specs[next(iter(specs))], data, weights, names, seed, weight_threshold, estimator_params
        )
    )
    warn_overparameterized(ds, n_rows, stacklevel=2)
    return ds


def _winners(ds: xr.Dataset) -> xr.Dataset:
    """Per criterion: the engine, covariance type and K with the lowest value."""
    rows = []
    for name in CRITERIA:
        values = ds[name].values
        if np.isnan(values).all():  # every fit failed: no winner
            rows.append(("", "", 0, np.nan))
            continue
        e, c, k = np.unravel_index(np.nanargmin(values), values.shape)
        rows.append(
            (
                str(ds.engine.values[e]),
                str(ds.covariance_type.values[c]),
                int(ds.n_components.values[k]),
                float(values[e, c, k]),
            )
        )
    engine, covariance_type, n_components, value = (np.asarray(column) for column in zip(*rows))
    return xr.Dataset(
        {
            "best_engine": ("criterion", engine),
            "best_covariance_type": ("criterion", covariance_type),
            "best_n_components": ("criterion", n_components.astype(np.int64)),
            "best_value": ("criterion", value.astype(np.float64)),
        },
        coords={"criterion": list(CRITERIA)},
    )


def _settings(spec, data, weights, names, seed, weight_threshold, estimator_params) -> dict:
    attrs = {name: getattr(spec, name) for name in _STORED_PARAMETERS}
    attrs.update(accelerate=int(spec.accelerate), stopping=spec.stopping, missing=spec.missing)
    attrs.update(
        n_init=spec.n_init,
        random_state=seed,
        weight_threshold=float(weight_threshold),
        n_samples=int(data.shape[0]),
        n_features=int(data.shape[1]),
        total_weight=float(data.shape[0] if weights is None else weights.sum()),
        sample_weighted=int(weights is not None),
        convention=criteria.CONVENTION_NOTE,
    )
    if spec.prune is not None:
        attrs["prune"] = spec.prune
    if spec.noise:  # netCDF has no booleans: the flag is stored as 1
        attrs["noise"] = 1
        if spec.noise_volume is not None:
            attrs["noise_volume"] = spec.noise_volume
    if names is not None:
        attrs["feature_names"] = [str(n) for n in names]
    unstored = [name for name in ("prior", "noise_init") if estimator_params.get(name) is not None]
    if unstored:
        attrs["unstored_parameters"] = unstored
    return attrs


def best(sweep: xr.Dataset, criterion: str = "bic") -> dict[str, Any]:
    """The winner of ``criterion`` in a :func:`select` Dataset as a dict.

    Keys ``engine``, ``covariance_type``, ``n_components`` and ``value``.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion={criterion!r} is not one of {CRITERIA}")
    if "best_value" not in sweep:
        raise ValueError("not a bayesgmm.select() Dataset: it lacks 'best_value'")
    row = sweep[["best_engine", "best_covariance_type", "best_n_components", "best_value"]].sel(
        criterion=criterion
    )
    if np.isnan(row.best_value.item()):
        raise ValueError(f"every fit of the sweep failed; there is no best model by {criterion}")
    return {
        "engine": str(row.best_engine.item()),
        "covariance_type": str(row.best_covariance_type.item()),
        "n_components": int(row.best_n_components.item()),
        "value": float(row.best_value.item()),
    }


def best_model(
    sweep: xr.Dataset, X, criterion: str = "bic", sample_weight=None, **estimator_params
):
    """Refit and return the model that ``criterion`` prefers in a :func:`select` Dataset.

    The refit uses the sweep's settings and seed, so it reproduces the sweep's
    fit exactly when given the same data.  Parameters the Dataset cannot
    store (``prior``) must be passed again; any ``estimator_params`` given
    override the stored ones.

    Returns
    -------
    GaussianMixture
        Fitted.
    """
    winner = best(sweep, criterion)
    if sweep.attrs.get("sample_weighted") and sample_weight is None:
        raise ValueError("the sweep was fitted with sample weights; pass the same sample_weight")
    model = sweep_model(
        sweep,
        winner["engine"],
        winner["covariance_type"],
        winner["n_components"],
        **estimator_params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the sweep recorded it already
        model.fit(X, sample_weight=sample_weight)
    data_and_weights = _data_and_weights(X, sample_weight, model.missing == "marginalize")
    refitted = criteria.result_criteria(model.result_, *data_and_weights, fitting_data=True)[
        criterion
    ]
    if not np.isclose(refitted, winner["value"], rtol=1e-9, atol=1e-9):
        warnings.warn(
            f"the refitted model's {criterion} is {refitted:.6f}, the sweep's {winner['value']:.6f}: "
            "was the sweep run on other data or with other settings?",
            UserWarning,
            stacklevel=2,
        )
    return model


def sweep_model(
    sweep: xr.Dataset, engine: str, covariance_type: str, n_components: int, **estimator_params
):
    """The unfitted estimator of one cell of a :func:`select` Dataset, with the sweep's settings.

    Fitted to the sweep's data it reproduces that cell's fit exactly (same
    settings, same seed).  Parameters the Dataset cannot store (``prior``)
    must be passed again; any ``estimator_params`` given override the stored ones.
    """
    from ..estimator import GaussianMixture

    attrs = sweep.attrs
    missing = [
        name for name in attrs.get("unstored_parameters", []) if name not in estimator_params
    ]
    if missing:
        raise ValueError(
            f"the sweep used {missing}, which a Dataset cannot store; pass the same value again, "
            f"e.g. best_model(sweep, X, {missing[0]}=...)"
        )
    params = {name: attrs[name] for name in _STORED_PARAMETERS}
    params.update(
        (name, kind(attrs[name])) for name, kind in _LATER_PARAMETERS.items() if name in attrs
    )
    if "prune" in attrs:
        params["prune"] = attrs["prune"]
    if "noise" in attrs:
        params["noise"] = bool(attrs["noise"])
    if "noise_volume" in attrs:
        params["noise_volume"] = float(attrs["noise_volume"])
    params.update(estimator_params)
    return GaussianMixture(
        int(n_components),
        covariance_type=str(covariance_type),
        engine=str(engine),
        n_init=int(attrs["n_init"]),
        random_state=int(attrs["random_state"]),
        **params,
    )


def sweep_table(sweep: xr.Dataset) -> xr.Dataset:
    """A :func:`select` Dataset as one row per successful fit, dim ``model`` ("em tied K=3")."""
    size = [name for name in ("rows_per_parameter", "overparameterized") if name in sweep]
    columns = [*CRITERIA, "log_likelihood", "objective", "n_parameters", "converged", *size]
    stacked = sweep[columns].stack(model=("engine", "covariance_type", "n_components"))
    ok = ~np.isnan(stacked.bic.values)
    stacked = stacked.isel(model=np.flatnonzero(ok))
    labels = [f"{e} {c} K={k}" for e, c, k in stacked.model.values]
    table = stacked.reset_index("model").rename_vars(n_components="n_components")
    return table.assign_coords(model=labels)
