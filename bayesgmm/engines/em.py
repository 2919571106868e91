"""Classic EM: maximum likelihood, objective = log-likelihood."""

from __future__ import annotations

import numpy as np

from ..stats import GaussianTerms, SuffStats
from .base import EMPTY_COMPONENT_GUARD, Engine, MixtureParameters, mixture_terms


class EMEngine(Engine):
    """Maximum-likelihood M-step with ``reg_covar`` added to every variance."""

    name = "em"

    def mstep(self, stats: SuffStats) -> MixtureParameters:
        counts = stats.nk + EMPTY_COMPONENT_GUARD
        means, scatter = stats.weighted_means(counts)
        pooled, pooled_counts = self.family.pool(scatter, counts)
        covariances = self.family.add_to_diagonal(
            self.family.divide(pooled, pooled_counts), self.spec.reg_covar
        )
        return MixtureParameters(
            weights=counts / counts.sum(),
            means=means,
            covariances=covariances,
            precisions_cholesky=self.family.precision_cholesky(covariances),
        )

    def terms(self, state: MixtureParameters) -> GaussianTerms:
        return mixture_terms(self.family, state)

    def penalty(self, state: MixtureParameters) -> float:
        return 0.0

    def parameters(self, state: MixtureParameters) -> MixtureParameters:
        return state

    def with_initial_parameters(self, state, weights, means, precisions):
        if state is None:
            state = MixtureParameters(weights, means, None, None)
        precisions_cholesky = state.precisions_cholesky
        covariances = state.covariances
        if precisions is not None:
            precisions_cholesky = self.family.precision_cholesky_from_precisions(precisions)
            covariances = self.family.covariances(precisions_cholesky)
        return MixtureParameters(
            weights=state.weights if weights is None else np.array(weights, dtype=np.float64),
            means=state.means if means is None else np.array(means, dtype=np.float64),
            covariances=covariances,
            precisions_cholesky=precisions_cholesky,
        )

    def state_from_saved(self, parameters, variables):
        return parameters
