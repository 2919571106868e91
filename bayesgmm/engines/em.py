"""Classic EM: maximum likelihood, objective = log-likelihood."""

from __future__ import annotations

from ..stats import GaussianTerms, SuffStats
from .base import (
    EMPTY_COMPONENT_GUARD,
    Engine,
    MixtureParameters,
    merge_initial_parameters,
    mixture_terms,
)


class EMEngine(Engine):
    """Maximum-likelihood M-step with ``reg_covar`` added to every variance."""

    name = "em"
    objective_name = "log-likelihood"
    posterior_kind = "point_estimate"
    posterior_description = (
        "maximum-likelihood point estimate stored as a single draw; EM has no posterior, "
        "so PSIS-LOO does not apply"
    )
    supports_loo = False

    def mstep(self, stats: SuffStats, previous: MixtureParameters | None = None):
        counts = stats.nk + EMPTY_COMPONENT_GUARD
        means, scatter = stats.weighted_means(counts)
        covariances = self.family.covariance_from_scatter(
            scatter,
            counts,
            self.reg_covar,
            start=None if previous is None else previous.covariances,
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

    def with_initial_parameters(self, state, weights, means, precisions, *, estep=None):
        return merge_initial_parameters(self.family, state, weights, means, precisions)

    def state_from_saved(self, parameters, variables):
        return parameters
