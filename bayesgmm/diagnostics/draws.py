"""Posterior draws of a fit, through the engine protocol, and their pointwise log-likelihood.

Where the draws come from is the engine's business
(:meth:`~bayesgmm.engines.base.Engine.posterior_draws`): VB's ``q(theta)``,
MAP's conjugate posterior given the responsibilities, EM's point estimate as
one draw.  This module restores the fitted engine and its state, supplies the
statistics of the fitting data to an engine whose draws need them
(``draws_need_data``), and seeds the draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.init import recordable_seed
from ..densities import log_rho, logsumexp_rows
from ..engines import Engine, engine_class, restore
from ..engines.base import PosteriorDraws, mixture_terms
from ..engines.map_posterior import ConjugatePosterior
from ..families import CovarianceFamily
from ..stats import GaussianTerms, SuffStats, accumulate
from .checks import DEFAULT_DRAWS, _check_draws, _fitting_data
from .fitted import as_result

if TYPE_CHECKING:  # annotations only: the diagnostics sit below the fitting layer
    from ..fitting.result import FitResult


def fitted_engine(result: FitResult) -> tuple[Engine, Any]:
    """The engine of a fit and its state, rebuilt from the saved parameters and engine variables."""
    return restore(result.spec, result.n_features, result.parameters, result.engine_variables)


def _fitting_statistics(engine: Engine, result: FitResult, X) -> SuffStats:
    """One E-step over the fitting data under the fitted point estimate."""
    return accumulate(_fitting_data(result, X), mixture_terms(engine.family, result.parameters))


def map_posterior(result: FitResult, X) -> ConjugatePosterior:
    """The conjugate posterior of a MAP fit given its responsibilities on ``X``.

    ``X`` must be the fitting data: one kernel pass under the fitted parameters
    gives the responsibilities, hence ``n_k``, ``xbar_k`` and ``W_k``.  See
    :class:`~bayesgmm.engines.map_posterior.ConjugatePosterior` for the distributions.
    """
    result = as_result(result)
    if not hasattr(engine_class(result.spec.engine), "conjugate_posterior"):
        raise ValueError(
            "map_posterior needs an engine='map' fit (an engine with a conjugate posterior given "
            f"responsibilities), got engine={result.spec.engine!r}"
        )
    engine, state = fitted_engine(result)
    return engine.conjugate_posterior(state, _fitting_statistics(engine, result, X))


def weight_posterior(result: FitResult, X=None) -> np.ndarray | None:
    """Dirichlet concentration of the weights' posterior (K,), or None (see Engine.weight_posterior)."""
    result = as_result(result)
    engine, state = fitted_engine(result)
    stats = None
    if engine.draws_need_data:
        if X is None:
            return None
        stats = _fitting_statistics(engine, result, X)
    return engine.weight_posterior(state, stats)


def posterior_draws(
    result: FitResult, X=None, *, draws: int | None = None, random_state: Any = None
) -> PosteriorDraws:
    """Independent draws of the parameters of a fit (see the engine's ``posterior_draws``).

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
    engine, state = fitted_engine(result)
    if not engine.has_posterior:
        return engine.posterior_draws(state, None, 1, None)
    n_draws = _check_draws(DEFAULT_DRAWS if draws is None else draws, minimum=1)
    rng = np.random.default_rng(recordable_seed(random_state))
    stats = None
    if engine.draws_need_data:
        if X is None:
            raise ValueError(
                f"engine={engine.name!r} draws its posterior given the responsibilities "
                "on the fitting data: pass X"
            )
        stats = _fitting_statistics(engine, result, X)
    return engine.posterior_draws(state, stats, n_draws, rng)


# ------------------------------------------------------------ log-likelihood
def pointwise_log_likelihood(
    family: CovarianceFamily, draws: PosteriorDraws, X: np.ndarray
) -> np.ndarray:
    """``log p(x_n | theta_s)``, shape (draws, rows), through the E-step kernels."""
    out = np.empty((draws.n_draws, X.shape[0]))
    for s in range(draws.n_draws):  # a kernel call per draw; rows are the kernel's business
        p = draws.parameters(s)
        with np.errstate(divide="ignore"):  # a drawn weight can underflow to 0
            log_weights = np.log(p.weights)
        terms = GaussianTerms.gaussian(family, log_weights, p.means, p.precisions_cholesky)
        out[s] = logsumexp_rows(log_rho(X, terms))
    return out


def replicate_rows(
    family: CovarianceFamily, draws: PosteriorDraws, n_rows: int, rng: np.random.Generator
) -> np.ndarray:
    """``n_rows`` rows drawn from each draw's mixture, shape (draws, rows, features)."""
    S, (K, D) = draws.n_draws, draws.means.shape[1:]
    out = np.empty((S, n_rows, D))
    for s in range(S):
        labels = rng.choice(K, size=n_rows, p=draws.weights[s] / draws.weights[s].sum())
        noise = rng.standard_normal((n_rows, D))
        for k in range(K):
            rows = labels == k
            root = np.linalg.cholesky(family.dense_covariance(draws.covariances[s], k, D))
            out[s, rows] = draws.means[s, k] + noise[rows] @ root.T
    return out
