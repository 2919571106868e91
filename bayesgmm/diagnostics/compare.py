"""One ranked table of several fits: BIC, AIC, ICL and PSIS-LOO where the engine has a posterior."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .._lazy import xr
from ..data.init import recordable_seed
from ..data.validation import as_feature_matrix, as_sample_weight
from ..engines import ITERATE_SAMPLING, engine_class
from .alignment import alignment_variables
from .arviz import loo
from .checks import (
    DEFAULT_DRAWS,
    MIN_LOO_DRAWS,
    _check_data,
    _check_draws,
    _check_same_features,
    _is_weighted,
)
from .criteria import criteria_table
from .draws import posterior_draws
from .fitted import as_result
from .mixing import draws_mixing

if TYPE_CHECKING:  # annotations only: the diagnostics sit below the fitting layer
    from ..fitting.result import FitResult


# --------------------------------------------------------------- compare
COMPARE_CRITERIA = ("loo", "bic", "aic", "icl")
_LOO_VARIABLES = {
    "elpd_loo": "PSIS-LOO expected log pointwise predictive density (higher is better)",
    "se": "standard error of elpd_loo",
    "p_loo": "effective number of parameters: training log predictive density minus elpd_loo",
    "elpd_diff": "elpd_loo minus the best model's (0 for the best, negative otherwise)",
    "dse": "standard error of elpd_diff (paired over observations)",
    "p_worse": "normal-approximation probability that the model predicts worse than the best",
    "loo_weight": "stacking weight of the model's predictive distribution (az.compare)",
    "good_k": "Pareto k threshold min(1 - 1/log10(draws), 0.7)",
}


def compare(
    models: Mapping[str, Any],
    X,
    *,
    draws: int | None = None,
    random_state: Any = None,
    criterion: str = "loo",
    sample_weight=None,
) -> xr.Dataset:
    """One table of several fits: BIC, AIC, ICL and, where draws exist, PSIS-LOO; ranked.

    Parameters
    ----------
    models : mapping of label -> fitted GaussianMixture or FitResult
        All fitted to ``X`` (the same rows and features).  The first is the
        reference whose components the others' are aligned to.
    X : array-like
    draws : int, default :data:`DEFAULT_DRAWS` (1000)
        Posterior draws per VB or MAP fit (at least :data:`MIN_LOO_DRAWS`); a Gibbs
        fit's stored chains are its draws.
    random_state : None, int or numpy Generator
        One seed; each model's own seed is derived from it and stored in the
        ``random_state`` variable, so ``model.to_arviz(X, draws=...,
        random_state=...)`` rebuilds the DataTree behind any row.
    criterion : {"loo", "bic", "aic", "icl"}, default "loo"
        Ranks the models.  "loo": by ``elpd_loo``, highest first (ArviZ's
        order); models without PSIS-LOO (EM fits, sample-weighted data) follow,
        ordered by BIC.  "bic", "aic", "icl": lowest first, for every model.
    sample_weight : array-like, optional
        Weights of the rows for BIC, AIC and ICL.  PSIS-LOO leaves out one row at
        a time and cannot honour weights, so weighted comparisons have no LOO
        columns (NaN, with the reason in ``loo_note``).

    Returns
    -------
    xarray.Dataset
        Dim ``model`` in rank order.  The variables of
        :func:`bayesgmm.criteria_table` (``bic``, ``aic``, ``icl``,
        ``log_likelihood``, ``objective``, ``n_parameters``, ``n_components``,
        ``engine``, ``covariance_type``, ``converged``) and from
        ``az.compare(..., round_to="none")``: ``elpd_loo``, ``se``, ``p_loo``,
        ``elpd_diff``, ``dse``, ``p_worse``, ``loo_weight``, ``diag_elpd``,
        ``diag_diff``; from each model's PSIS: ``warning`` (some Pareto k above
        ``good_k``: that model's elpd_loo is unreliable), ``n_high_pareto_k``
        and ``good_k``; ``posterior_kind``, ``draws``, ``random_state``,
        ``loo_note`` (why a model has no LOO) and ``rank`` (0 is the best by
        ``criterion``, recorded in the ``ranked_by`` attribute).  Along
        ``model`` and ``component``, which clusters the models share
        (:func:`bayesgmm.align_components`, the first model the reference,
        named in the ``aligned_to`` attribute): ``source_component``, each
        model's component matched to the reference's component ``i`` (beyond
        the reference's K: its unmatched ones, heaviest first; -1: none), and
        ``alignment_distance``, the Bhattacharyya distance of that match (0:
        the same Gaussian, NaN: unmatched).

    Warns
    -----
    UserWarning
        Once, naming the models with Pareto k above ``good_k``.
    """
    import arviz as az

    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty mapping of label -> fitted model")
    if not isinstance(criterion, str) or criterion not in COMPARE_CRITERIA:
        raise ValueError(f"criterion={criterion!r} is not one of {COMPARE_CRITERIA}")
    results = {str(label): as_result(model) for label, model in models.items()}
    if len(results) != len(models):
        raise ValueError(f"model labels must differ as strings, got {list(models)}")
    _check_same_features(results)
    data, names = as_feature_matrix(X)
    weights = as_sample_weight(sample_weight, data.shape[0])
    n_draws = _check_draws(DEFAULT_DRAWS if draws is None else draws, minimum=MIN_LOO_DRAWS)
    for label, result in results.items():
        _check_data(result, data, names, f"model {label!r}")
    table = criteria_table(results, X, sample_weight=sample_weight)

    labels = list(results)
    seeds = np.random.default_rng(recordable_seed(random_state)).integers(2**31, size=len(labels))
    notes, elpd_data = {}, {}
    with warnings.catch_warnings():
        # ArviZ warns per model about Pareto k; one summary follows instead
        warnings.filterwarnings("ignore", message=".*[Pp]areto.*", category=UserWarning)
        for label, seed in zip(labels, seeds):
            result = results[label]
            if not engine_class(result.spec.engine).supports_loo:
                notes[label] = (
                    f"point estimate (engine={result.spec.engine!r}): no posterior "
                    "draws, PSIS-LOO does not apply"
                )
            elif result.parameters.noise is not None:
                notes[label] = (
                    "noise component: its draws would leave the uniform background out, "
                    "PSIS-LOO does not apply"
                )
            elif weights is not None or _is_weighted(result):
                notes[label] = "sample-weighted: PSIS-LOO leaves out one unweighted row at a time"
            else:
                # a sampler's stored chains are its draws
                own = None if _is_sampler(result) else n_draws
                elpd_data[label] = loo(result, data, draws=own, random_state=int(seed))
        frame = None
        if len(elpd_data) >= 2:
            frame = az.compare(elpd_data, round_to="none")
    table = table.merge(_loo_columns(labels, results, elpd_data, frame, notes, seeds, n_draws))
    table = table.merge(alignment_variables(results, "model"))
    order = _ranking(table, criterion)
    table = table.isel(model=order)
    table["rank"] = ("model", np.arange(len(labels)))
    table.attrs.update(
        ranked_by=criterion,
        loo_method=(
            f"PSIS-LOO (arviz {az.__version__}): reff=1 for independent draws (MAP, VB: one "
            "chain, ESS and R-hat do not apply); a sampler's chains (engine='gibbs') as they "
            "are, reff from their ESS, R-hat and ESS in the rhat and ess_bulk columns"
        ),
        draws=n_draws,
        aligned_to=labels[0],
    )
    unreliable = []
    for label in table.model.values:
        if bool(table.warning.sel(model=label)):
            count = int(table.n_high_pareto_k.sel(model=label))
            unreliable.append(f"{label} ({count} observation{'' if count == 1 else 's'})")
    if unreliable:
        warnings.warn(
            "PSIS-LOO: Pareto k above good_k for " + ", ".join(unreliable) + "; their elpd_loo "
            "may be biased (observations that move the posterior strongly, e.g. points a "
            "component is fitted to almost alone). More draws make the estimate of k less noisy "
            "but do not lower k itself; prefer models without the warning, or check them by "
            "K-fold cross-validation",
            UserWarning,
            stacklevel=2,
        )
    return table


def _loo_columns(labels, results, elpd_data, frame, notes, seeds, n_draws) -> xr.Dataset:
    M = len(labels)
    numbers_ = {name: np.full(M, np.nan) for name in _LOO_VARIABLES}
    warning = np.zeros(M, dtype=bool)
    n_high = np.zeros(M, dtype=np.int64)
    diag_elpd = np.full(M, "", dtype=object)
    diag_diff = np.full(M, "", dtype=object)
    for i, label in enumerate(labels):
        if label not in elpd_data:
            continue
        elpd = elpd_data[label]
        numbers_["elpd_loo"][i], numbers_["se"][i], numbers_["p_loo"][i] = (
            elpd.elpd,
            elpd.se,
            elpd.p,
        )
        numbers_["good_k"][i] = elpd.good_k
        warning[i] = bool(elpd.warning)
        n_high[i] = int((np.asarray(elpd.pareto_k) > elpd.good_k).sum())
        if frame is None:  # the only model with LOO is its own reference
            numbers_["elpd_diff"][i], numbers_["dse"][i] = 0.0, 0.0
            numbers_["p_worse"][i], numbers_["loo_weight"][i] = np.nan, 1.0
        else:
            row = frame.loc[label]
            numbers_["elpd_diff"][i], numbers_["dse"][i] = row["elpd_diff"], row["dse"]
            numbers_["p_worse"][i], numbers_["loo_weight"][i] = row["p_worse"], row["weight"]
            diag_elpd[i], diag_diff[i] = str(row["diag_elpd"]), str(row["diag_diff"])
    variables = {
        name: xr.Variable("model", values, attrs={"long_name": _LOO_VARIABLES[name]})
        for name, values in numbers_.items()
    }
    variables.update(
        warning=xr.Variable(
            "model",
            warning,
            attrs={
                "long_name": "some Pareto k above good_k: the model's elpd_loo may be unreliable"
            },
        ),
        n_high_pareto_k=xr.Variable(
            "model", n_high, attrs={"long_name": "observations with Pareto k above good_k"}
        ),
        diag_elpd=xr.Variable("model", diag_elpd.astype(str)),
        diag_diff=xr.Variable("model", diag_diff.astype(str)),
        posterior_kind=xr.Variable(
            "model",
            np.array([engine_class(results[label].spec.engine).posterior_kind for label in labels]),
        ),
        draws=xr.Variable(
            "model",
            np.array([_draws_of(results[label], n_draws) for label in labels]),
        ),
        random_state=xr.Variable(
            "model",
            np.array(
                [
                    int(seed) if _has_posterior(results[label]) else -1
                    for label, seed in zip(labels, seeds)
                ],
                dtype=np.int64,
            ),
            attrs={
                "long_name": "seed of the model's posterior draws, for "
                "to_arviz(random_state=...); -1: no draws (EM)"
            },
        ),
        loo_note=xr.Variable("model", np.array([notes.get(label, "") for label in labels])),
    )
    variables.update(_mixing_columns(labels, results))
    return xr.Dataset(variables, coords={"model": labels})


def _mixing_columns(labels, results) -> dict:
    """R-hat and bulk ESS of each sampler's chains (weights and means); NaN for the others."""
    rhat, ess = np.full(len(labels), np.nan), np.full(len(labels), np.nan)
    for i, label in enumerate(labels):
        result = results[label]
        if _is_sampler(result):
            check = draws_mixing(result.spec.engine, posterior_draws(result))
            if check is not None:
                rhat[i], ess[i] = check.max_rhat, check.min_ess_bulk
    return {
        "rhat": xr.Variable(
            "model",
            rhat,
            attrs={
                "long_name": "largest rank-normalised split R-hat of the weights and means of a "
                "sampler's chains (NaN: independent draws or a point estimate)"
            },
        ),
        "ess_bulk": xr.Variable(
            "model",
            ess,
            attrs={"long_name": "smallest bulk effective sample size of the weights and means"},
        ),
    }


def _is_sampler(result: FitResult) -> bool:
    return engine_class(result.spec.engine).iteration == ITERATE_SAMPLING


def _draws_of(result: FitResult, n_draws: int) -> int:
    """The draws behind a model's row: a sampler's stored chains, ``n_draws`` or 1 (EM)."""
    if _is_sampler(result):
        return result.spec.n_chains * result.spec.n_draws
    return n_draws if _has_posterior(result) else 1


def _has_posterior(result: FitResult) -> bool:
    return engine_class(result.spec.engine).has_posterior


def _ranking(table: xr.Dataset, criterion: str) -> np.ndarray:
    bic = table.bic.values
    if criterion == "loo":
        elpd = table.elpd_loo.values
        # lexsort: last key first; NaN elpd (no LOO) after every model with one, then by BIC
        return np.lexsort(
            (
                np.where(np.isnan(bic), np.inf, bic),
                -np.nan_to_num(elpd, nan=-np.inf),
                np.isnan(elpd),
            )
        )
    values = table[criterion].values
    return np.lexsort((np.where(np.isnan(values), np.inf, values), np.isnan(values)))


def compare_frame(table: xr.Dataset):
    """The PSIS-LOO rows of a :func:`compare` table as ``az.compare`` returns them.

    A pandas DataFrame indexed by model, best elpd first, with ArviZ's column
    names (``rank``, ``elpd_diff``, ``dse``, ``p_worse``, ``diag_diff``,
    ``diag_elpd``, ``p``, ``elpd``, ``se``, ``weight``), so that ArviZ's own
    ``az.plot_compare(compare_frame(table))`` draws it.  Models without LOO are left out.
    """
    import pandas as pd

    if "elpd_loo" not in table:
        raise ValueError("not a bayesgmm.compare() table: it lacks 'elpd_loo'")
    rows = table.isel(model=np.flatnonzero(np.isfinite(table.elpd_loo.values)))
    if rows.sizes["model"] == 0:
        raise ValueError("no model in the table has PSIS-LOO (EM fits and weighted data have none)")
    rows = rows.isel(model=np.argsort(-rows.elpd_loo.values, kind="stable"))
    return pd.DataFrame(
        {
            "rank": np.arange(rows.sizes["model"]),
            "elpd_diff": rows.elpd_diff.values,
            "dse": rows.dse.values,
            "p_worse": rows.p_worse.values,
            "diag_diff": rows.diag_diff.values,
            "diag_elpd": rows.diag_elpd.values,
            "p": rows.p_loo.values,
            "elpd": rows.elpd_loo.values,
            "se": rows.se.values,
            "weight": rows.loo_weight.values,
        },
        index=pd.Index([str(m) for m in rows.model.values], name="model"),
    )
