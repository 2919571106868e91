"""Information criteria: BIC, AIC and ICL, with scikit-learn's and mclust's signs.

Sign convention
---------------
bayesgmm follows scikit-learn: **lower is better**,

* ``BIC = -2 log L + p log n``
* ``AIC = -2 log L + 2 p``
* ``ICL = BIC + 2 E``, where ``E = -sum_n w_n log z[n, map(n)]`` is the entropy
  of the hard classification: ``z`` are the responsibilities and ``map(n)`` the
  most probable component of row ``n``.  ICL penalises models whose components
  overlap, so it prefers well-separated clusters.

``log L`` is the log-likelihood of the point estimate (for MAP the MAP
estimate, for VB the posterior-mean parameters), ``p`` the number of free
parameters as scikit-learn's ``_n_parameters`` and ``n`` the number of rows
(with sample weights: their sum).

R's mclust reports BIC and ICL with the opposite sign, **higher is better**:
``BIC_mclust = 2 log L - p log n = -BIC`` and mclust's ``icl`` is
``BIC_mclust + 2 sum_n log z[n, map(n)] = -ICL``.  Pass ``convention="mclust"``
to get those numbers.  AIC has one sign only: R's ``AIC()`` is lower-is-better
as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._lazy import xr
from ..data.validation import as_feature_matrix, as_sample_weight
from ..densities import has_nan, log_responsibilities, log_rho, logsumexp_rows
from ..engines.base import MixtureParameters, mixture_terms
from ..families import CovarianceFamily
from ..stats import accumulate
from .fitted import as_result

CONVENTIONS = ("sklearn", "mclust")

# rows per block when responsibilities are needed: bounds memory at
# _BLOCK_ROWS x K doubles instead of N x K
_BLOCK_ROWS = 65536


def check_convention(convention: str) -> str:
    """Validate a sign convention name and return it."""
    if not isinstance(convention, str) or convention not in CONVENTIONS:
        raise ValueError(
            f"convention={convention!r} is not one of {CONVENTIONS}: 'sklearn' reports "
            "criteria where lower is better, 'mclust' the negative (higher is better)"
        )
    return convention


def bic(
    log_likelihood: float, n_parameters: int, n_samples: float, convention: str = "sklearn"
) -> float:
    """Bayesian information criterion ``-2 log L + p log n`` (``"mclust"``: its negative)."""
    value = float(-2.0 * log_likelihood + n_parameters * np.log(n_samples))
    return -value if check_convention(convention) == "mclust" else value


def aic(log_likelihood: float, n_parameters: int) -> float:
    """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
    return float(-2.0 * log_likelihood + 2.0 * n_parameters)


def icl(
    log_likelihood: float,
    n_parameters: int,
    n_samples: float,
    classification_entropy: float,
    convention: str = "sklearn",
) -> float:
    """Integrated completed likelihood as mclust's ``icl``: ``BIC + 2 E`` (``"mclust"``: negative).

    ``classification_entropy`` is ``E = -sum_n w_n log z[n, map(n)]`` from
    :func:`data_fit`.
    """
    value = bic(log_likelihood, n_parameters, n_samples) + 2.0 * float(classification_entropy)
    return -value if check_convention(convention) == "mclust" else value


def log_likelihood(
    X: np.ndarray,
    family: CovarianceFamily,
    parameters: MixtureParameters,
    sample_weight: np.ndarray | None = None,
) -> tuple[float, float]:
    """``sum_n w_n log p(x_n)`` and the total weight: :func:`data_fit` without the entropy.

    One pass of the fused E-step kernel, which stores no N x K matrix; BIC and
    AIC need no more.  Rows too far from every component for float64 (the
    kernel's sum is then not finite) go through :func:`data_fit` instead.
    """
    if has_nan(X):  # missing values: the observed-data log-likelihood
        value = data_fit(X, family, parameters, sample_weight)[0]
    else:
        value = accumulate(X, mixture_terms(family, parameters), sample_weight).loglik
    if not np.isfinite(value):
        value, _, _ = data_fit(X, family, parameters, sample_weight)
    n_samples = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
    return float(value), n_samples


def data_fit(
    X: np.ndarray,
    family: CovarianceFamily,
    parameters: MixtureParameters,
    sample_weight: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """Log-likelihood, classification entropy and total weight of ``X`` under a point estimate.

    Returns
    -------
    log_likelihood : float
        ``sum_n w_n log p(x_n)``.
    classification_entropy : float
        ``-sum_n w_n log z[n, map(n)]`` (zero when every row is assigned with certainty).
    n_samples : float
        Rows, or the sum of the sample weights.
    """
    terms = mixture_terms(family, parameters)
    log_likelihood = 0.0
    entropy = 0.0
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        if has_nan(X[rows]):  # missing values: marginal densities of the observed coordinates
            norm, log_resp = log_responsibilities(X[rows], terms)
            top = norm + log_resp.max(axis=1)
        else:
            norm, top = logsumexp_rows(log_rho(X[rows], terms), return_max=True)
        # log z[n, map(n)] = max_k log rho[n, k] - log p(x_n); NaN for a row beyond
        # float64's reach of every component (-inf - -inf), whose log p(x_n) is -inf
        with np.errstate(invalid="ignore"):
            log_top = top - norm
        w = None if sample_weight is None else sample_weight[rows]
        log_likelihood += float(norm.sum() if w is None else w @ norm)
        entropy -= float(log_top.sum() if w is None else w @ log_top)
    n_samples = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
    return log_likelihood, entropy, n_samples


def effective_n_components(weights: np.ndarray) -> float:
    """``exp`` of the entropy of the weights: K for equal weights, 1 for one component.

    A smooth count of the components that carry mass (the perplexity of the
    weights): components with negligible weight add almost nothing.
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w[w > 0] / w.sum()
    return float(np.exp(-(w @ np.log(w))))


CONVENTION_NOTE = (
    "bic, aic and icl: lower is better (scikit-learn's sign); mclust reports BIC and ICL "
    "with the opposite sign (higher is better): mclust's BIC = -bic, mclust's ICL = -icl"
)


def result_criteria(
    result,
    X: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    fitting_data: bool = False,
) -> dict[str, float]:
    """``bic``, ``aic``, ``icl`` and ``log_likelihood`` of a FitResult on its fitting data.

    BIC and AIC are the result's own (from the fit's final pass); ICL adds
    twice the classification entropy, which needs the responsibilities of ``X``.
    ``fitting_data=True`` says ``X`` and ``sample_weight`` are exactly the rows the result
    was fitted to: the entropy its final pass computed is used instead of another pass.
    """
    entropy = result.classification_entropy if fitting_data else None
    if entropy is None:
        _, entropy, _ = data_fit(X, result.spec.family, result.parameters, sample_weight)
    bic_value = result.bic()
    return {
        "bic": bic_value,
        "aic": result.aic(),
        "icl": bic_value + 2.0 * entropy,
        "log_likelihood": float(result.log_likelihood),
    }


# the information criteria every table and sweep reports, in this order
CRITERIA = ("bic", "aic", "icl")


def _data_and_weights(X, sample_weight, allow_nan: bool = False):
    data, _ = as_feature_matrix(X, allow_nan=allow_nan)
    return data, as_sample_weight(sample_weight, data.shape[0])


def criteria_table(models: Mapping[str, Any], X, sample_weight=None) -> xr.Dataset:
    """BIC, AIC and ICL of several fitted models on the same data, one row per model.

    Parameters
    ----------
    models : mapping of label -> fitted GaussianMixture or FitResult
    X : array-like
        The data all models were fitted to.
    sample_weight : array-like, optional

    Returns
    -------
    xarray.Dataset
        Dim ``model`` (the labels, in the given order) with ``bic``, ``aic``,
        ``icl``, ``log_likelihood``, ``objective``, ``n_parameters``,
        ``n_components``, ``engine``, ``covariance_type`` and ``converged``.
    """
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty mapping of label -> fitted model")
    data, weights = _data_and_weights(X, sample_weight)
    rows: dict[str, list[Any]] = {
        name: []
        for name in (
            *CRITERIA,
            "log_likelihood",
            "objective",
            "n_parameters",
            "n_components",
            "engine",
            "covariance_type",
            "converged",
        )
    }
    for label, model in models.items():
        result = as_result(model)
        if result.n_features != data.shape[1]:
            raise ValueError(
                f"model {label!r} was fitted on {result.n_features} features, X has {data.shape[1]}"
            )
        for name, value in result_criteria(result, data, weights).items():
            rows[name].append(value)
        rows["objective"].append(result.objective)
        rows["n_parameters"].append(result.n_parameters)
        rows["n_components"].append(result.n_components)
        rows["engine"].append(result.spec.engine)
        rows["covariance_type"].append(result.spec.covariance_type)
        rows["converged"].append(result.converged)
    return xr.Dataset(
        {name: ("model", np.asarray(values)) for name, values in rows.items()},
        coords={"model": [str(label) for label in models]},
        attrs={"convention": CONVENTION_NOTE},
    )
