"""The Gibbs sampler: draws of the posterior whose mode MAP-EM finds.

Data augmentation (Diebolt & Robert 1994) under the conjugate prior of
``engine="map"`` (:class:`~bayesgmm.MAPPrior`, mclust's ``priorControl``
defaults).  One sweep alternates two exact conditional draws:

1. every row's allocation ``z_n`` from its responsibilities at the current
   parameters (the E-step's log densities plus one uniform per row, in Numba:
   :mod:`bayesgmm.kernels.sampling`), folded into the hard-allocation statistics
   (the same additive :class:`~bayesgmm.stats.SuffStats`, sample weights included);
2. the parameters from their conjugate posterior given those statistics:
   ``pi ~ Dirichlet(alpha + n)``, then per component (or pooled, for ``tied``)
   the inverse-Wishart / inverse-gamma covariance and the Normal mean given it,
   exactly the posterior :mod:`.map_posterior` writes for MAP's draws, here given
   a sampled allocation instead of fixed responsibilities.

The engine's :meth:`~GibbsEngine.mstep` is step 2 (a random draw with the
generator the loop hands it); the loop of :mod:`bayesgmm.fitting.sampling` runs
the chains, relabels the draws and stores them in the state.  The objective,
``log-likelihood + log prior`` as MAP's, is the log posterior density of each
sweep's parameters up to the evidence: a trace, not a bound.

Families: those with a conjugate conditional (``has_pooled_form``: full, tied,
diag, spherical, EII, EEI and their mclust names); the constrained
volume/shape/orientation families have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import SavedFitError
from ..families import CONJUGATE_FAMILY_NAMES, CovarianceFamily
from ..stats import GaussianTerms, SuffStats
from .base import (
    ITERATE_SAMPLING,
    Engine,
    MixtureParameters,
    PosteriorDraws,
    merge_initial_parameters,
    mixture_terms,
)
from .draws import ChainDraws
from .map import log_prior_density
from .map_posterior import conjugate_draws, conjugate_posterior
from .priors import MAPPrior
from .saved import saved_array

LABEL_SWITCHING = (
    "ECR (equivalence classes representatives, Papastamoulis & Iliopoulos 2010): each draw's "
    "components permuted to maximise the weight of rows whose sampled allocation agrees with a "
    "pivot allocation (scipy's linear_sum_assignment); pivot: the allocation drawn at the "
    "highest log-posterior sweep of every chain's warmup"
)

# names of the stored draws in the result Dataset, and their leading dims
DRAW_DIMS = ("chain", "draw")


@dataclass(frozen=True)
class GibbsState:
    """Parameters (the current sweep's while sampling; the posterior mean after), the resolved
    prior and, once the chains have run, their draws."""

    parameters: MixtureParameters
    prior: MAPPrior
    draws: ChainDraws | None = None


class GibbsEngine(Engine):
    """Data-augmentation Gibbs sampler under a :class:`~bayesgmm.MAPPrior`."""

    name = "gibbs"
    objective_name = "log-posterior"
    prior_class = MAPPrior
    uses_data_moments = True
    iteration = ITERATE_SAMPLING
    objective_is_monotone = False
    posterior_kind = "mcmc"
    posterior_description = (
        "Markov chains of the data-augmentation Gibbs sampler (allocations, then weights, "
        "means and covariances from their conjugate conditionals) under the MAP engine's prior: "
        "the posterior whose mode engine='map' finds, allocation uncertainty included"
    )
    has_posterior = True
    supports_loo = True
    label_switching = LABEL_SWITCHING
    # an empty component is a legitimate state of the chain: its parameters are drawn
    # from the prior, and the next sweep may give it rows again
    reseeds_empty_components = False

    @classmethod
    def check_family(cls, family: CovarianceFamily) -> None:
        if not family.has_pooled_form:
            raise ValueError(
                f"engine='gibbs' has no conjugate conditional posterior for covariance_type="
                f"{family.name!r} (its covariances are constrained products of volume, shape and "
                f"orientation); Gibbs samples {', '.join(CONJUGATE_FAMILY_NAMES)} (mclust's VVV, "
                f"EEE, VVI, VII, EII, EEI); for {family.name!r} use engine='map' (the posterior "
                "mode) or engine='em'"
            )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prior = self.prior_given if self.prior_given is not None else MAPPrior()
        self.prior = (
            prior.resolved(self.moments, self.n_components, self.n_features, self.family)
            if self.moments is not None or prior.is_explicit
            else None
        )
        # the generator of the conditional draws; the sampling loop hands each chain its own
        self.generator = np.random.default_rng()

    @classmethod
    def from_spec(cls, spec, n_features, moments=None):
        engine = super().from_spec(spec, n_features, moments)
        seed = spec.random_state
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            engine.generator = np.random.default_rng(int(seed))
        return engine

    def _resolved_prior(self) -> MAPPrior:
        if self.prior is None:
            raise ValueError("this Gibbs engine has no data to resolve its prior's defaults from")
        return self.prior

    def mstep(self, stats: SuffStats, previous: Any = None) -> GibbsState:
        """One draw of the parameters from their conjugate posterior given a hard allocation
        (``previous`` unused: the conditional draw does not depend on the last parameters)."""
        prior = self._resolved_prior()
        posterior = conjugate_posterior(self.family, prior, stats)
        draw = conjugate_draws(self.family, self.posterior_kind, posterior, 1, self.generator)
        return GibbsState(draw.parameters(0), prior)

    def terms(self, state: GibbsState) -> GaussianTerms:
        return mixture_terms(self.family, state.parameters)

    def penalty(self, state: GibbsState) -> float:
        """Log prior density (MAP's), so the objective is the log posterior up to the evidence."""
        return log_prior_density(self.family, state.prior, state.parameters)

    def parameters(self, state: GibbsState) -> MixtureParameters:
        return state.parameters

    def with_initial_parameters(self, state, weights, means, precisions, *, estep=None):
        point = merge_initial_parameters(
            self.family, None if state is None else state.parameters, weights, means, precisions
        )
        return GibbsState(point, self._resolved_prior())

    def with_draws(self, state: GibbsState, draws: ChainDraws) -> GibbsState:
        """The state after sampling: the draws and their posterior mean as the point estimate."""
        return GibbsState(draws.posterior_mean(self.family), state.prior, draws)

    def fitted_attributes(self, state: GibbsState):
        return {"prior_": state.prior}

    # ------------------------------------------------------------ saved state
    def state_variables(self, state: GibbsState):
        variables = state.prior.variables(self.family)
        draws = state.draws
        if draws is not None:
            variables.update(
                draw_weights=((*DRAW_DIMS, "component"), draws.weights),
                draw_means=((*DRAW_DIMS, "component", "feature"), draws.means),
                draw_covariances=((*DRAW_DIMS, *self.family.covariance_dims), draws.covariances),
                draw_log_posterior=(DRAW_DIMS, draws.log_posterior),
                draw_log_likelihood=(DRAW_DIMS, draws.log_likelihood),
            )
        return variables

    def state_from_saved(self, parameters, variables):
        prior = self.prior
        if prior is None:
            prior = MAPPrior.from_variables(
                variables, self.n_components, self.n_features, self.family
            )
        draws = None
        if "draw_weights" in variables:
            draws = self._saved_draws(variables)
        return GibbsState(parameters, prior, draws)

    def _saved_draws(self, variables) -> ChainDraws:
        K, D = self.n_components, self.n_features
        weights = saved_array(variables, "draw_weights")
        if weights.ndim != 3 or weights.shape[2] != K or weights.shape[1] < 1:
            raise SavedFitError(
                f"variable 'draw_weights' has shape {weights.shape}; expected (chain, draw, {K})"
            )
        C, S = weights.shape[:2]
        if not (np.all(weights >= 0) and np.allclose(weights.sum(axis=2), 1.0, atol=1e-8)):
            raise SavedFitError("variable 'draw_weights' holds draws that are not mixture weights")
        means = saved_array(variables, "draw_means", (C, S, K, D))
        covariances = saved_array(
            variables, "draw_covariances", (C, S, *self.family.covariance_shape(K, D))
        )
        log_posterior = saved_array(variables, "draw_log_posterior", (C, S))
        log_likelihood = saved_array(variables, "draw_log_likelihood", (C, S))
        for name, values in (("draw_means", means), ("draw_covariances", covariances)):
            if not np.all(np.isfinite(values)):
                raise SavedFitError(f"variable {name!r} holds non-finite values")
        return ChainDraws(weights, means, covariances, log_posterior, log_likelihood)

    # ------------------------------------------------------------ posterior draws
    def posterior_draws(self, state: GibbsState, stats, S, rng) -> PosteriorDraws:
        """The stored chains, chain after chain (``S`` and ``rng`` unused: the draws are the
        sampler's own)."""
        draws = state.draws
        if draws is None:
            raise ValueError(
                "this engine='gibbs' state holds no draws: the chains have not run (fit first)"
            )
        C, S_kept = draws.n_chains, draws.n_draws
        flat = lambda a: a.reshape(C * S_kept, *a.shape[2:])
        covariances = flat(draws.covariances)
        factors = np.stack([self.family.precision_cholesky(c) for c in covariances])
        return PosteriorDraws(
            self.posterior_kind,
            flat(draws.weights),
            flat(draws.means),
            covariances,
            factors,
            n_chains=C,
            log_posterior=flat(draws.log_posterior),
        )

    def weight_posterior(self, state: GibbsState, stats=None):
        """None: the weights' posterior is the mixture of Dirichlets the draws sample, not one
        Dirichlet."""
        return None
