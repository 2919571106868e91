"""A fit as an ArviZ DataTree, and ArviZ's PSIS-LOO of it.

The draws of VB and MAP are independent (one chain), not MCMC: ArviZ's ``ess`` and
``rhat`` measure the autocorrelation and mixing of Markov chains and mean nothing
there, and PSIS-LOO is run with a relative efficiency ``reff = 1``.  A sampling
engine (``engine="gibbs"``) stores Markov chains: the DataTree holds them as they
are (dims ``chain, draw``, relabelled), with the log posterior density of each
draw in ``sample_stats`` (``lp``); R-hat, ESS and trace plots apply, and PSIS-LOO
estimates its relative efficiency from the chains.  ArviZ is imported only when one of these functions
runs, so ``import bayesgmm`` stays fast.  An engine without a posterior (EM)
stores its point estimate as one draw; PSIS-LOO then does not apply
(``Engine.supports_loo``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .._lazy import xr
from .._version import __version__
from ..data.init import recordable_seed
from ..engines import ITERATE_SAMPLING, engine_class
from .checks import (
    _CHAINS_NOTE,
    _INDEPENDENT_NOTE,
    DEFAULT_DRAWS,
    MIN_LOO_DRAWS,
    OBSERVATION_DIM,
    OBSERVED_NAME,
    _check_draws,
    _feature_coordinate,
    _fitting_data,
    _refuse_weighted,
)
from .draws import pointwise_log_likelihood, posterior_draws, replicate_rows
from .fitted import as_result

if TYPE_CHECKING:  # annotations only: the diagnostics sit below the fitting layer
    from ..fitting.result import FitResult


# ---------------------------------------------------------------- DataTree
def to_arviz(
    model,
    X,
    *,
    draws: int | None = None,
    random_state: Any = None,
    posterior_predictive: bool = False,
) -> xr.DataTree:
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
    posterior_predictive : bool, default False
        Also a ``posterior_predictive`` group: ``x`` on ``chain, draw, obs_id,
        feature``, one replicate of the data's rows drawn from each draw's mixture
        (seeded by ``random_state`` too).  Memory: ``draws x n_samples x
        n_features`` doubles.

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
        ``"point_estimate"`` (EM).  ``engine="gibbs"``: the fit's chains (dims
        ``chain, draw``; ``draws`` is ignored), a ``sample_stats`` group with
        ``lp``, the log posterior density of each draw, ``attrs["posterior_kind"]
        == "mcmc"`` and ``attrs["label_switching"]`` naming the relabelling.

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
    engine_type = engine_class(engine)
    chains = engine_type.iteration == ITERATE_SAMPLING
    if chains:
        # a sampler's draws are its chains, stored with the fit: nothing to draw here
        # (posterior_predictive replicates still need a seed, set below)
        if draws is not None:
            warnings.warn(
                f"engine={engine!r} stores its Markov chains: the DataTree holds them as they are "
                f"and draws={draws} is ignored; set n_draws (and n_chains) when fitting",
                UserWarning,
                stacklevel=2,
            )
        seed = None
        sample = posterior_draws(result)
    elif not engine_type.has_posterior:
        if draws is not None and draws != 1:
            warnings.warn(
                f"engine={engine!r} has no posterior: its DataTree holds the point estimate as one "
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
    C = sample.n_chains

    def by_chain(values):  # (draws, ...) chain after chain -> (chain, draw, ...)
        return values.reshape(C, values.shape[0] // C, *values.shape[1:])

    posterior = {
        "weights": by_chain(sample.weights),
        "means": by_chain(sample.means),
        "covariances": by_chain(sample.covariances),
    }
    dims = {
        "weights": ["component"],
        "means": ["component", "feature"],
        "covariances": list(family.covariance_dims),
        "stick_fractions": ["component"],
        OBSERVED_NAME: [OBSERVATION_DIM, "feature"],
    }
    if sample.stick_fractions is not None:
        posterior["stick_fractions"] = by_chain(sample.stick_fractions)
    kind = sample.kind
    note = _CHAINS_NOTE if chains else _INDEPENDENT_NOTE
    attrs = {
        "posterior_kind": kind,
        "posterior_description": engine_type.posterior_description,
        "draws_are_independent": int(not chains),
        "note": note,
        "engine": engine,
        "covariance_type": family.name,
        "n_components": result.n_components,
        "bayesgmm_version": __version__,
    }
    if engine_type.label_switching is not None:
        attrs["label_switching"] = engine_type.label_switching
    groups = {
        "posterior": posterior,
        "log_likelihood": {OBSERVED_NAME: by_chain(log_likelihood)},
        "observed_data": {OBSERVED_NAME: data},
    }
    if posterior_predictive:
        if seed is None:
            seed = recordable_seed(random_state)
        # a stream of its own: the draws of MAP and VB used default_rng(seed)
        stream = np.random.default_rng([seed, 1])
        replicates = replicate_rows(family, sample, data.shape[0], stream)
        groups["posterior_predictive"] = {OBSERVED_NAME: by_chain(replicates)}
    if seed is not None:
        attrs["random_state"] = seed
    if sample.log_posterior is not None:
        # ArviZ's name for the log posterior density of each draw
        groups["sample_stats"] = {"lp": by_chain(sample.log_posterior)}
    tree = az.from_dict(
        groups,
        dims=dims,
        coords={
            "component": np.arange(result.n_components),
            "feature": features,
            "feature2": features.copy(),
            OBSERVATION_DIM: np.arange(data.shape[0]),
        },
        attrs={"/": attrs, "posterior": {"posterior_kind": kind, "note": note}},
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
    if not engine_class(result.spec.engine).supports_loo:
        raise ValueError(_no_loo_reason(result))
    tree = to_arviz(result, X, draws=draws, random_state=random_state)
    # independent draws: reff = 1; Markov chains: ArviZ estimates it from their ESS
    chains = engine_class(result.spec.engine).iteration == ITERATE_SAMPLING
    return az.loo(tree, pointwise=True, var_name=OBSERVED_NAME, reff=None if chains else 1.0)


def _no_loo_reason(result: FitResult) -> str:
    return (
        f"engine={result.spec.engine!r} gives a point estimate, not a posterior: PSIS-LOO "
        "reweights posterior draws, and with one draw it would return the training "
        "log-likelihood, not a leave-one-out estimate. Fit engine='map' or 'vb', or compare by "
        "BIC/AIC/ICL"
    )
