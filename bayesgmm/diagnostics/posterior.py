"""Posterior draws as an ArviZ DataTree, PSIS-LOO and the comparison of fits.

:func:`to_arviz` turns a fit into an :class:`xarray.DataTree` with ArviZ's
groups ``posterior`` (draws of the weights, means and covariances),
``log_likelihood`` (``log p(x_n | theta_s)`` per observation and draw) and
``observed_data`` (the data).  :func:`loo` runs ArviZ's PSIS-LOO on it and
:func:`compare` tabulates BIC, AIC and ICL of several fits next to their
PSIS-LOO estimates, ranked.

Where the draws come from depends on the engine:

* ``vb``: the variational posterior ``q(theta)`` the engine holds.  Weights
  from ``q(pi)`` (a Dirichlet, or for the truncated Dirichlet process the
  Beta sticks ``v_k`` turned into ``pi_k = v_k prod_{j<k} (1 - v_j)`` and
  normalised, as ``weights_`` is); precisions from the Wishart ``(nu_k, W_k)``
  (full, tied) or, for diag and spherical, from the Gamma(``nu_k / 2``, scale
  ``2 w_k``) marginals of scikit-learn's Wishart with a diagonal / isotropic
  scale (its diagonal entries are exactly these independent Gammas); means from
  ``N(m_k, (beta_k Lambda_k)^-1)``.
* ``map``: the conjugate posterior of the parameters given the responsibilities
  of the fitted model (:func:`map_posterior`): Dirichlet(``alpha + n_k``) and
  Normal-inverse-Wishart (inverse-gamma per variance for diag, per component for
  spherical, one pooled inverse-Wishart for tied).  Its mode is one more MAP
  M-step, i.e. the MAP estimate of a converged fit.
* ``em``: maximum likelihood has no posterior.  The point estimate is stored as
  a single draw with ``posterior_kind = "point_estimate"``: ArviZ's
  ``loo`` cannot run on one draw, and :func:`loo` and :func:`compare` say why
  (PSIS-LOO of a point estimate would return the training log-likelihood, not a
  cross-validated one).

The draws are independent (one chain), not MCMC: ArviZ's ``ess`` and ``rhat``
measure the autocorrelation and mixing of Markov chains and mean nothing here,
so nothing in this module reports them, and PSIS-LOO is run with a relative
efficiency ``reff = 1``.  ArviZ is imported only when one of these functions
runs, so ``import bayesgmm`` stays fast.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._lazy import xr
from .._version import __version__
from ..data.init import recordable_seed
from ..data.validation import as_feature_matrix, as_sample_weight, check_features
from ..engines import ENGINES
from ..engines.base import EMPTY_COMPONENT_GUARD, MixtureParameters, mixture_terms
from ..families import CovarianceFamily
from .criteria import criteria_table
from .fitted import as_result

if TYPE_CHECKING:  # annotations only: the diagnostics sit below the fitting layer
    from ..fitting.result import FitResult
from ..stats import GaussianTerms, accumulate, log_rho, logsumexp_rows

DEFAULT_DRAWS = 1000
"""Posterior draws when none are asked for: PSIS's Pareto k threshold is
``min(1 - 1 / log10(S), 0.7)`` for S draws, 0.67 at 1000 (0.57 at 200), and the
log-likelihood array costs ``8 S N`` bytes (2 MB for Old Faithful)."""

MIN_LOO_DRAWS = 25
"""ArviZ's PSIS fits a generalised Pareto to the largest ``floor(S / 5)``
importance ratios (``3 sqrt(S)`` beyond 225 draws) and needs at least 5 of them."""

OBSERVATION_DIM = "obs_id"
# ArviZ reserves "sample" for stacked (chain, draw) pairs (az.extract), so the rows of
# the data get ArviZ's usual observation dim instead of bayesgmm's "sample"
OBSERVED_NAME = "x"

POSTERIOR_KINDS = {
    "em": "point_estimate",
    "map": "conjugate_given_responsibilities",
    "vb": "variational",
}
_POSTERIOR_DESCRIPTIONS = {
    "point_estimate": (
        "maximum-likelihood point estimate stored as a single draw; EM has no posterior, "
        "so PSIS-LOO does not apply"
    ),
    "conjugate_given_responsibilities": (
        "independent draws from the conjugate posterior (Dirichlet, Normal-inverse-Wishart / "
        "inverse-gamma) given the responsibilities of the fitted MAP model; its mode is the MAP "
        "M-step"
    ),
    "variational": "independent draws from the variational posterior q(theta) of the VB fit",
}
_INDEPENDENT_NOTE = (
    "one chain of independent draws, not MCMC: effective sample size and R-hat do not apply"
)


# --------------------------------------------------------------------- draws
@dataclass(frozen=True)
class PosteriorDraws:
    """Draws of a mixture's parameters, leading axis ``draw``.

    Shapes follow the covariance family as in :meth:`FitResult.to_dataset`
    (full ``(S, K, D, D)``, tied ``(S, D, D)``, diag ``(S, K, D)``, spherical
    ``(S, K)``); ``precisions_cholesky`` is stored like scikit-learn's
    ``precisions_cholesky_``.  ``stick_fractions`` holds the Beta sticks of a
    Dirichlet-process VB fit (None otherwise).
    """

    kind: str
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    stick_fractions: np.ndarray | None = None

    @property
    def n_draws(self) -> int:
        return int(self.weights.shape[0])

    def parameters(self, draw: int) -> MixtureParameters:
        """The mixture of one draw."""
        return MixtureParameters(
            self.weights[draw], self.means[draw], self.covariances[draw],
            self.precisions_cholesky[draw],
        )


@dataclass(frozen=True)
class ConjugatePosterior:
    """The conjugate posterior of a MAP fit's parameters given fixed responsibilities.

    With ``n_k``, ``xbar_k`` and the scatter ``W_k`` of the responsibilities and
    the prior (``alpha``, ``mu_P``, ``kappa``, ``nu``, ``Lambda_P``), and
    ``B_k = W_k + kappa n_k / (kappa + n_k) (xbar_k - mu_P)(xbar_k - mu_P)^T``:

    * ``pi ~ Dirichlet(alpha + n)``;
    * ``mu_k | Sigma_k ~ N(mean_k, Sigma_k / mean_precision_k)`` with
      ``mean_precision_k = kappa + n_k`` and ``mean_k = (n_k xbar_k + kappa mu_P) / (kappa + n_k)``;
    * full: ``Sigma_k ~ inverse-Wishart(nu + n_k, Lambda_P + B_k)``;
      tied: ``Sigma ~ inverse-Wishart(nu + n, Lambda_P + sum_k B_k)``;
      diag: ``sigma2_kj ~ inverse-gamma((nu + n_k) / 2, (Lambda_P,j + B_k,jj) / 2)``;
      spherical: ``sigma2_k ~ inverse-gamma((nu + n_k D) / 2, (Lambda_P + tr B_k) / 2)``.

    ``degrees_of_freedom`` and ``scale`` are the inverse-Wishart's (full, tied)
    or the inverse-gamma's shape and scale (diag, spherical), in the family's
    shapes.
    """

    covariance_type: str
    weight_concentration: np.ndarray
    mean: np.ndarray
    mean_precision: np.ndarray
    degrees_of_freedom: np.ndarray
    scale: np.ndarray

    @property
    def _is_wishart(self) -> bool:
        return self.covariance_type in ("full", "tied")

    def mode(self) -> MixtureParameters:
        """The joint posterior mode: the MAP M-step for these responsibilities.

        ``precisions_cholesky`` is left None: compare the other fields.
        """
        alpha = self.weight_concentration
        K, D = self.mean.shape
        # beyond the inverse-Wishart's (nu + D + 1), each mean's conditional normal adds
        # |Sigma|^(-1/2) to the density: once per component for tied, D/2 for a spherical
        # variance, 1/2 for each diagonal variance
        if self.covariance_type == "full":
            covariances = self.scale / (self.degrees_of_freedom + D + 2.0)[:, None, None]
        elif self.covariance_type == "tied":
            covariances = self.scale / (self.degrees_of_freedom + D + 1.0 + K)
        elif self.covariance_type == "diag":
            covariances = self.scale / (self.degrees_of_freedom + 1.5)[:, None]
        else:
            covariances = self.scale / (self.degrees_of_freedom + 1.0 + 0.5 * D)
        return MixtureParameters(
            weights=(alpha - 1.0) / (alpha.sum() - K),
            means=self.mean,
            covariances=covariances,
            precisions_cholesky=None,
        )

    def expected_precisions(self) -> np.ndarray:
        """``E[Sigma^-1]`` (full, tied) or ``E[1 / sigma2]`` (diag, spherical), family shape."""
        if self._is_wishart:
            dof = np.asarray(self.degrees_of_freedom)
            return dof[..., None, None] * np.linalg.inv(self.scale)
        shape = self.degrees_of_freedom
        return (shape[:, None] if self.covariance_type == "diag" else shape) / self.scale


def map_posterior(result: FitResult, X) -> ConjugatePosterior:
    """The conjugate posterior of a MAP fit given its responsibilities on ``X``.

    ``X`` must be the fitting data: one kernel pass under the fitted parameters
    gives the responsibilities, hence ``n_k``, ``xbar_k`` and ``W_k``.  See
    :class:`ConjugatePosterior` for the distributions.
    """
    result = as_result(result)
    if result.spec.engine != "map":
        raise ValueError(
            f"map_posterior needs an engine='map' fit, got engine={result.spec.engine!r}"
        )
    data = _fitting_data(result, X)
    return _conjugate_posterior(result, data)


def _conjugate_posterior(result: FitResult, data: np.ndarray) -> ConjugatePosterior:
    family = result.spec.family
    engine = ENGINES["map"](result.spec, result.n_features)
    prior = engine.state_from_saved(result.parameters, result.engine_variables).prior
    stats = accumulate(data, mixture_terms(family, result.parameters))
    D = result.n_features
    nk = stats.nk
    # xbar_k needs n_k > 0; the guard only matters for a component without points,
    # whose sx is 0 too, so it then sits at its centre with no scatter
    shift = stats.sx / (nk + EMPTY_COMPONENT_GUARD)[:, None]
    xbar = stats.center + shift
    scatter = stats.shifted_scatter(shift)  # W_k, kernel form
    kappa, mu_p = prior.shrinkage, prior.mean
    mean_precision = kappa + nk
    mean = (nk[:, None] * xbar + kappa * mu_p) / mean_precision[:, None]
    offset = xbar - mu_p
    weight = kappa * nk / mean_precision
    if family.kernel == "full":
        spread = scatter + weight[:, None, None] * offset[:, :, None] * offset[:, None, :]
    else:
        spread = scatter + weight[:, None] * offset**2
    nu, scale_p = prior.degrees_of_freedom, np.asarray(prior.scale, dtype=np.float64)
    if family.name == "full":
        dof, scale = nu + nk, scale_p + spread
    elif family.name == "tied":
        dof, scale = np.asarray(nu + nk.sum()), scale_p + spread.sum(axis=0)
    elif family.name == "diag":
        dof, scale = 0.5 * (nu + nk), 0.5 * (scale_p + spread)
    else:
        dof, scale = 0.5 * (nu + D * nk), 0.5 * (scale_p + spread.sum(axis=1))
    return ConjugatePosterior(
        covariance_type=family.name,
        weight_concentration=prior.weight_concentration + nk,
        mean=mean,
        mean_precision=mean_precision,
        degrees_of_freedom=np.asarray(dof, dtype=np.float64),
        scale=np.asarray(scale, dtype=np.float64),
    )


def posterior_draws(result: FitResult, X=None, *, draws: int | None = None,
                    random_state: Any = None) -> PosteriorDraws:
    """Independent draws of the parameters of a fit (see the module notes per engine).

    Parameters
    ----------
    result : FitResult or fitted GaussianMixture
    X : array-like, optional
        The fitting data; needed for ``engine="map"`` (its posterior is given the
        responsibilities on it).
    draws : int, default :data:`DEFAULT_DRAWS`
        Ignored for ``engine="em"``, whose point estimate is one draw.
    random_state : None, int or numpy Generator
    """
    result = as_result(result)
    engine = result.spec.engine
    if engine == "em":
        p = result.parameters
        return PosteriorDraws(POSTERIOR_KINDS["em"], p.weights[None], p.means[None],
                              p.covariances[None], p.precisions_cholesky[None])
    n_draws = _check_draws(DEFAULT_DRAWS if draws is None else draws, minimum=1)
    rng = np.random.default_rng(recordable_seed(random_state))
    if engine == "vb":
        return _variational_draws(result, n_draws, rng)
    if engine == "map":
        if X is None:
            raise ValueError("engine='map' draws its posterior given the responsibilities on the "
                             "fitting data: pass X")
        posterior = _conjugate_posterior(result, _fitting_data(result, X))
        return _conjugate_draws(result.spec.family, posterior, n_draws, rng)
    raise ValueError(f"no posterior draws are defined for engine={engine!r}")


def _variational_draws(result: FitResult, S: int, rng: np.random.Generator) -> PosteriorDraws:
    family = result.spec.family
    engine = ENGINES["vb"](result.spec, result.n_features)
    state = engine.state_from_saved(result.parameters, result.engine_variables)
    K, D = result.n_components, result.n_features
    sticks = None
    if state.is_process:
        a, b = state.weight_concentration
        sticks = rng.beta(a, b, size=(S, K))
        # the mass beyond the truncation, prod_k (1 - v_k), is shared out in proportion,
        # as the point estimate weights_ normalises E[pi]
        rest = np.cumprod(1.0 - sticks, axis=1)
        weights = sticks * np.hstack((np.ones((S, 1)), rest[:, :-1]))
        weights = weights / weights.sum(axis=1, keepdims=True)
    else:
        weights = rng.dirichlet(state.weight_concentration, size=S)
    # E[Lambda_k] = nu_k W_k is the precision of the stored point estimate, U U^T
    factor = state.precisions_cholesky
    nu = np.asarray(state.degrees_of_freedom, dtype=np.float64)
    if family.kernel == "full":
        # W = U U^T / nu: any square root of the scale serves Bartlett's construction
        root = factor / np.sqrt(nu)[..., None, None]
        precisions = _wishart(rng, nu, root, S)
    else:
        # Gamma(nu / 2, scale 2 w) with w = E[lambda] / nu: mean E[lambda], as the Wishart's diagonal
        dof = nu[:, None] if family.name == "diag" else nu
        precisions = rng.gamma(0.5 * dof, 2.0 * factor**2 / dof, size=(S, *factor.shape))
    return _complete_draws(family, POSTERIOR_KINDS["vb"], weights, state.means,
                           state.mean_precision, precisions, K, D, rng, sticks)


def _conjugate_draws(family: CovarianceFamily, posterior: ConjugatePosterior, S: int,
                     rng: np.random.Generator) -> PosteriorDraws:
    K, D = posterior.mean.shape
    weights = rng.dirichlet(posterior.weight_concentration, size=S)
    if family.kernel == "full":
        # Sigma ~ IW(nu, Psi)  <=>  Sigma^-1 ~ Wishart(nu, Psi^-1); with Psi = C C^T,
        # C^-T is a square root of Psi^-1
        root = np.swapaxes(np.linalg.inv(np.linalg.cholesky(posterior.scale)), -1, -2)
        precisions = _wishart(rng, posterior.degrees_of_freedom, root, S)
    else:
        # sigma2 ~ inverse-gamma(a, b)  <=>  1 / sigma2 ~ Gamma(a, scale 1 / b)
        shape = (posterior.degrees_of_freedom[:, None] if family.name == "diag"
                 else posterior.degrees_of_freedom)
        precisions = rng.gamma(shape, 1.0 / posterior.scale, size=(S, *posterior.scale.shape))
    return _complete_draws(family, POSTERIOR_KINDS["map"], weights, posterior.mean,
                           posterior.mean_precision, precisions, K, D, rng)


def _wishart(rng: np.random.Generator, dof: np.ndarray, root: np.ndarray, S: int) -> np.ndarray:
    """S draws of Wishart(dof, root root^T) by Bartlett's decomposition, batched over leading axes."""
    D = root.shape[-1]
    batch = np.broadcast_shapes(np.shape(dof), root.shape[:-2])
    dof = np.broadcast_to(dof, batch)
    bartlett = np.zeros((S, *batch, D, D))
    diagonal = np.arange(D)
    bartlett[..., diagonal, diagonal] = np.sqrt(
        rng.chisquare(dof[..., None] - diagonal, size=(S, *batch, D))
    )
    below = np.tril_indices(D, -1)
    bartlett[..., below[0], below[1]] = rng.standard_normal((S, *batch, below[0].size))
    factor = root @ bartlett
    return factor @ np.swapaxes(factor, -1, -2)


def _complete_draws(family, kind, weights, mean, mean_precision, precisions, K, D, rng,
                    sticks=None) -> PosteriorDraws:
    """Means given the drawn precisions, and the family's stored forms of both."""
    S = weights.shape[0]
    noise = rng.standard_normal((S, K, D))
    scale = 1.0 / np.sqrt(mean_precision)[:, None]
    if family.kernel == "full":
        upper = _upper_cholesky(precisions)  # P = U U^T as scikit-learn stores it
        inverse = np.linalg.inv(upper)
        covariances = np.swapaxes(inverse, -1, -2) @ inverse  # (U U^T)^-1 = U^-T U^-1
        per_component = inverse if family.name == "full" else inverse[:, None]
        # U^-T z has covariance P^-1
        per_component = np.broadcast_to(per_component, (S, K, D, D))
        means = mean + scale * np.einsum("skji,skj->ski", per_component, noise)
        precisions_cholesky = upper
    else:
        per_feature = precisions if family.name == "diag" else precisions[..., None]
        means = mean + scale * noise / np.sqrt(per_feature)
        covariances = 1.0 / precisions
        precisions_cholesky = np.sqrt(precisions)
    return PosteriorDraws(kind, weights, means, covariances, precisions_cholesky, sticks)


def _upper_cholesky(precisions: np.ndarray) -> np.ndarray:
    """Upper-triangular U with U U^T = P, batched: the lower Cholesky of P with axes reversed."""
    flipped = precisions[..., ::-1, ::-1]
    return np.linalg.cholesky(flipped)[..., ::-1, ::-1]


# ------------------------------------------------------------ log-likelihood
def pointwise_log_likelihood(family: CovarianceFamily, draws: PosteriorDraws,
                             X: np.ndarray) -> np.ndarray:
    """``log p(x_n | theta_s)``, shape (draws, rows), through the E-step kernels."""
    out = np.empty((draws.n_draws, X.shape[0]))
    for s in range(draws.n_draws):  # a kernel call per draw; rows are the kernel's business
        p = draws.parameters(s)
        with np.errstate(divide="ignore"):  # a drawn weight can underflow to 0
            log_weights = np.log(p.weights)
        terms = GaussianTerms.gaussian(family, log_weights, p.means, p.precisions_cholesky)
        out[s] = logsumexp_rows(log_rho(X, terms))
    return out


# ---------------------------------------------------------------- DataTree
def to_arviz(model, X, *, draws: int | None = None, random_state: Any = None) -> xr.DataTree:
    """A fit as an ArviZ :class:`xarray.DataTree`: posterior draws and pointwise log-likelihood.

    Parameters
    ----------
    model : fitted GaussianMixture or FitResult
    X : array-like (n_samples, n_features)
        The data the model was fitted to (same rows, same features).
    draws : int, default :data:`DEFAULT_DRAWS` (1000)
        Independent posterior draws for ``engine="vb"`` and ``"map"``; at least
        :data:`MIN_LOO_DRAWS` (25), the fewest ArviZ's PSIS-LOO accepts.  An EM
        fit has one draw, its point estimate, whatever is asked.
    random_state : None, int or numpy Generator
        Seed of the draws.  The seed used is stored in the ``random_state``
        attribute, so passing it again reproduces the DataTree.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (``weights`` on ``component``; ``means`` on
        ``component, feature``; ``covariances`` in the covariance type's own
        dims as :meth:`FitResult.to_dataset`: full ``component, feature,
        feature2``, tied ``feature, feature2``, diag ``component, feature``,
        spherical ``component``; for a Dirichlet-process VB fit also
        ``stick_fractions``), ``log_likelihood`` (``x`` on ``chain, draw,
        obs_id``) and ``observed_data`` (``x`` on ``obs_id, feature``).  There
        is one chain: the draws are independent, so MCMC diagnostics (ESS,
        R-hat) do not apply.  ``attrs["posterior_kind"]`` is
        ``"variational"``, ``"conjugate_given_responsibilities"`` or
        ``"point_estimate"`` (EM).

    Raises
    ------
    ValueError
        If ``X`` does not match the fit (features, names or number of rows), the
        fit was sample-weighted, or ``draws`` is too small for PSIS-LOO.

    Notes
    -----
    Memory: the log-likelihood holds ``draws x n_samples`` doubles.  Pass
    ``az.loo(tree, reff=1.0)``: the draws are independent.  (ArviZ 1.3 also
    takes 1 for a single chain by default; with several chains it would estimate
    the relative efficiency from their ESS.)
    """
    import arviz as az  # ArviZ is imported only here: `import bayesgmm` stays fast

    result = as_result(model)
    data = _fitting_data(result, X)
    _refuse_weighted(result)
    engine = result.spec.engine
    if engine == "em":
        if draws is not None and draws != 1:
            warnings.warn(
                f"engine='em' has no posterior: its DataTree holds the point estimate as one "
                f"draw, draws={draws} is ignored. Fit engine='map' or 'vb' for posterior draws",
                UserWarning,
                stacklevel=2,
            )
        seed = None
        sample = posterior_draws(result)
    else:
        n_draws = _check_draws(DEFAULT_DRAWS if draws is None else draws, minimum=MIN_LOO_DRAWS)
        seed = recordable_seed(random_state)
        sample = posterior_draws(result, data, draws=n_draws, random_state=seed)
    family = result.spec.family
    log_likelihood = pointwise_log_likelihood(family, sample, data)

    features = _feature_coordinate(result)
    posterior = {
        "weights": sample.weights[None],
        "means": sample.means[None],
        "covariances": sample.covariances[None],
    }
    dims = {
        "weights": ["component"],
        "means": ["component", "feature"],
        "covariances": list(family.covariance_dims),
        "stick_fractions": ["component"],
        OBSERVED_NAME: [OBSERVATION_DIM, "feature"],
    }
    if sample.stick_fractions is not None:
        posterior["stick_fractions"] = sample.stick_fractions[None]
    kind = sample.kind
    attrs = {
        "posterior_kind": kind,
        "posterior_description": _POSTERIOR_DESCRIPTIONS[kind],
        "draws_are_independent": 1,
        "note": _INDEPENDENT_NOTE,
        "engine": engine,
        "covariance_type": family.name,
        "n_components": result.n_components,
        "bayesgmm_version": __version__,
    }
    if seed is not None:
        attrs["random_state"] = seed
    tree = az.from_dict(
        {
            "posterior": posterior,
            "log_likelihood": {OBSERVED_NAME: log_likelihood[None]},
            "observed_data": {OBSERVED_NAME: data},
        },
        dims=dims,
        coords={
            "component": np.arange(result.n_components),
            "feature": features,
            "feature2": features.copy(),
            OBSERVATION_DIM: np.arange(data.shape[0]),
        },
        attrs={"/": attrs, "posterior": {"posterior_kind": kind, "note": _INDEPENDENT_NOTE}},
    )
    return tree


def loo(model, X, *, draws: int | None = None, random_state: Any = None):
    """ArviZ's PSIS-LOO of a fit, with ``reff = 1`` for its independent draws.

    Returns ArviZ's ``ELPDData`` (``elpd``, ``se``, ``p``, pointwise ``elpd_i``
    and ``pareto_k``, ``warning``, ``good_k``).  Refuses an EM fit: a point
    estimate has no draws to leave one observation out of.
    """
    import arviz as az

    result = as_result(model)
    if result.spec.engine == "em":
        raise ValueError(_no_loo_reason(result))
    tree = to_arviz(result, X, draws=draws, random_state=random_state)
    return az.loo(tree, pointwise=True, var_name=OBSERVED_NAME, reff=1.0)


def _no_loo_reason(result: FitResult) -> str:
    return (
        f"engine={result.spec.engine!r} gives a point estimate, not a posterior: PSIS-LOO "
        "reweights posterior draws, and with one draw it would return the training "
        "log-likelihood, not a leave-one-out estimate. Fit engine='map' or 'vb', or compare by "
        "BIC/AIC/ICL"
    )


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


def compare(models: Mapping[str, Any], X, *, draws: int | None = None, random_state: Any = None,
            criterion: str = "loo", sample_weight=None) -> xr.Dataset:
    """One table of several fits: BIC, AIC, ICL and, where draws exist, PSIS-LOO; ranked.

    Parameters
    ----------
    models : mapping of label -> fitted GaussianMixture or FitResult
        All fitted to ``X`` (the same rows and features).
    X : array-like
    draws : int, default :data:`DEFAULT_DRAWS` (1000)
        Posterior draws per VB or MAP fit (at least :data:`MIN_LOO_DRAWS`).
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
        ``criterion``, recorded in the ``ranked_by`` attribute).

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
            if result.spec.engine == "em":
                notes[label] = ("point estimate (engine='em'): no posterior draws, PSIS-LOO "
                                "does not apply")
            elif weights is not None or _is_weighted(result):
                notes[label] = "sample-weighted: PSIS-LOO leaves out one unweighted row at a time"
            else:
                elpd_data[label] = loo(result, data, draws=n_draws, random_state=int(seed))
        frame = None
        if len(elpd_data) >= 2:
            frame = az.compare(elpd_data, round_to="none")
    table = table.merge(_loo_columns(labels, results, elpd_data, frame, notes, seeds, n_draws))
    order = _ranking(table, criterion)
    table = table.isel(model=order)
    table["rank"] = ("model", np.arange(len(labels)))
    table.attrs.update(
        ranked_by=criterion,
        loo_method=(f"PSIS-LOO (arviz {az.__version__}), reff=1: the draws are independent, one "
                    "chain; ESS and R-hat do not apply"),
        draws=n_draws,
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
        numbers_["elpd_loo"][i], numbers_["se"][i], numbers_["p_loo"][i] = elpd.elpd, elpd.se, elpd.p
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
    variables = {name: xr.Variable("model", values, attrs={"long_name": _LOO_VARIABLES[name]})
                 for name, values in numbers_.items()}
    variables.update(
        warning=xr.Variable("model", warning, attrs={
            "long_name": "some Pareto k above good_k: the model's elpd_loo may be unreliable"}),
        n_high_pareto_k=xr.Variable("model", n_high, attrs={
            "long_name": "observations with Pareto k above good_k"}),
        diag_elpd=xr.Variable("model", diag_elpd.astype(str)),
        diag_diff=xr.Variable("model", diag_diff.astype(str)),
        posterior_kind=xr.Variable("model", np.array(
            [POSTERIOR_KINDS.get(results[label].spec.engine, "") for label in labels])),
        draws=xr.Variable("model", np.array(
            [1 if results[label].spec.engine == "em" else n_draws for label in labels])),
        random_state=xr.Variable("model", np.array(
            [-1 if results[label].spec.engine == "em" else int(seed)
             for label, seed in zip(labels, seeds)], dtype=np.int64), attrs={"long_name": "seed of the model's posterior draws, for "
                                    "to_arviz(random_state=...); -1: no draws (EM)"}),
        loo_note=xr.Variable("model", np.array([notes.get(label, "") for label in labels])),
    )
    return xr.Dataset(variables, coords={"model": labels})


def _ranking(table: xr.Dataset, criterion: str) -> np.ndarray:
    bic = table.bic.values
    if criterion == "loo":
        elpd = table.elpd_loo.values
        # lexsort: last key first; NaN elpd (no LOO) after every model with one, then by BIC
        return np.lexsort((np.where(np.isnan(bic), np.inf, bic), -np.nan_to_num(elpd, nan=-np.inf),
                           np.isnan(elpd)))
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


# ------------------------------------------------------------------ checks
def _check_data(result: FitResult, data: np.ndarray, names, owner: str = "the model") -> None:
    check_features(data, names, result.n_features, result.feature_names, owner)
    if data.shape[0] != result.n_samples:
        raise ValueError(
            f"X has {data.shape[0]} rows, but {owner} was fitted on {result.n_samples}: posterior "
            "draws and leave-one-out need the data the model was fitted to"
        )


def _fitting_data(result: FitResult, X) -> np.ndarray:
    data, names = as_feature_matrix(X)
    _check_data(result, data, names)
    return data


def _is_weighted(result: FitResult) -> bool:
    return not np.isclose(result.total_weight, result.n_samples, rtol=1e-12, atol=0)


def _refuse_weighted(result: FitResult) -> None:
    if _is_weighted(result):
        raise ValueError(
            f"the model was fitted with sample weights (total weight {result.total_weight:g} for "
            f"{result.n_samples} rows). PSIS-LOO leaves out one row at a time and treats every "
            "row as one observation, which a weighted posterior does not; for integer "
            "(frequency) weights refit on np.repeat(X, weights, axis=0), or compare by BIC/AIC/ICL"
        )


def _check_same_features(results: Mapping[str, FitResult]) -> None:
    labels = list(results)
    first = results[labels[0]]
    for label in labels[1:]:
        other = results[label]
        if other.n_features != first.n_features:
            raise ValueError(
                f"model {label!r} was fitted on {other.n_features} features, model "
                f"{labels[0]!r} on {first.n_features}; compare models fitted to the same data"
            )
        if (first.feature_names is not None and other.feature_names is not None
                and list(first.feature_names) != list(other.feature_names)):
            raise ValueError(
                f"model {label!r} was fitted on features {list(other.feature_names)}, model "
                f"{labels[0]!r} on {list(first.feature_names)}; compare models fitted to the same data"
            )


def _check_draws(draws: Any, minimum: int) -> int:
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral):
        raise TypeError(f"draws must be an integer, got {draws!r}")
    if draws < minimum:
        if minimum == MIN_LOO_DRAWS:
            raise ValueError(
                f"draws={draws} is too few for PSIS-LOO: ArviZ fits a Pareto tail to the largest "
                f"fifth of the importance ratios and needs 5 of them, i.e. at least "
                f"{MIN_LOO_DRAWS} draws. Use the default {DEFAULT_DRAWS} (or more for a stabler "
                "Pareto k)"
            )
        raise ValueError(f"draws must be at least {minimum}, got {draws}")
    return int(draws)




def _feature_coordinate(result: FitResult) -> np.ndarray:
    if result.feature_names is not None:
        return np.asarray([str(name) for name in result.feature_names])
    return np.arange(result.n_features)


__all__ = [
    "COMPARE_CRITERIA",
    "ConjugatePosterior",
    "DEFAULT_DRAWS",
    "MIN_LOO_DRAWS",
    "PosteriorDraws",
    "compare",
    "compare_frame",
    "loo",
    "map_posterior",
    "pointwise_log_likelihood",
    "posterior_draws",
    "to_arviz",
]
