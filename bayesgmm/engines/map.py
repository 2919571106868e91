"""MAP-EM: the posterior mode under conjugate priors (Fraley & Raftery 2007, mclust).

Objective = log-likelihood + log prior density, the log posterior up to the
evidence; EM's M-step becomes the maximiser of the expected complete-data log
posterior, so the objective never decreases.

One update in matrix form serves every covariance family.  With ``n_k``, the
moments of the E-step and the prior (``alpha``, ``mu_P``, ``kappa``, ``nu``,
``Lambda_P``)::

    mu_k  = (n_k xbar_k + kappa mu_P) / (n_k + kappa)
    B_k   = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T + kappa (mu_k - mu_P)(mu_k - mu_P)^T
          = W_k + kappa n_k / (n_k + kappa) (xbar_k - mu_P)(xbar_k - mu_P)^T
    Sigma = pool(B_k + Lambda_P / c) / pool(n_k + 1 + (nu + p + 1) / c)
    pi_k  = (n_k + alpha_k - 1) / (n + sum(alpha) - G)

where ``p`` is the dimension of the family's inverse-Wishart blocks (D for
full/tied, 1 for the inverse-gamma variances of diag/spherical), ``c`` how
many kernel-form entries share one free covariance parameter (tied: G,
spherical: D, else 1; :func:`~.conjugate.kernel_copies`) and ``pool`` the
family's projection.  Spelled out this is the issue's / mclust's M-step:
full ``(Lambda_P + B_k) / (nu + n_k + d + 2)``, tied
``(Lambda_P + sum_k B_k) / (nu + n + d + 1 + G)``, diag per coordinate
``(Lambda_P,jj + B_k,jj) / (nu + n_k + 3)``, spherical
``(Lambda_P + tr B_k) / (nu + n_k d + d + 2)``.  The same bookkeeping gives the
log prior density in :meth:`MAPEngine.penalty`.

``reg_covar`` is not used: the prior's scale keeps every covariance positive
definite, even for a component with fewer points than features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy

from ..families import CovarianceFamily
from ..stats import LOG_2PI, GaussianTerms, SuffStats
from .base import (
    EMPTY_COMPONENT_GUARD,
    Engine,
    MixtureParameters,
    PosteriorDraws,
    merge_initial_parameters,
    mixture_terms,
)
from .conjugate import (
    in_kernel_form,
    kernel_copies,
    log_det,
    multigammaln,
    outer,
    precisions,
    quadratic,
    trace_product,
)
from .map_posterior import conjugate_draws, conjugate_posterior
from .priors import MAPPrior


@dataclass(frozen=True)
class MAPState:
    """A posterior mode and the (resolved) prior it is the mode of."""

    parameters: MixtureParameters
    prior: MAPPrior


class MAPEngine(Engine):
    """Posterior-mode M-step under a :class:`~bayesgmm.MAPPrior`."""

    name = "map"
    objective_name = "log-posterior"
    prior_class = MAPPrior
    uses_data_moments = True
    posterior_kind = "conjugate_given_responsibilities"
    posterior_description = (
        "independent draws from the conjugate posterior (Dirichlet, Normal-inverse-Wishart / "
        "inverse-gamma) given the responsibilities of the fitted MAP model; its mode is the MAP "
        "M-step"
    )
    has_posterior = True
    supports_loo = True
    draws_need_data = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prior = self.prior_given if self.prior_given is not None else MAPPrior()
        moments, n_features = self.moments, self.n_features
        # Without data (an engine rebuilt for a loaded result) a data-dependent
        # prior cannot be resolved; the saved state carries the prior instead.
        self.prior = (
            prior.resolved(moments, self.n_components, n_features, self.family)
            if moments is not None or prior.is_explicit
            else None
        )

    def _resolved_prior(self) -> MAPPrior:
        if self.prior is None:
            raise ValueError("this MAP engine has no data to resolve its prior's defaults from")
        return self.prior

    @property
    def _inverse_wishart_dimension(self) -> int:
        return self.family.inverse_wishart_dimension(self.n_features)

    def mstep(self, stats: SuffStats, previous: MAPState | None = None) -> MAPState:
        prior = self._resolved_prior()
        family, kernel = self.family, self.family.kernel
        K, D = self.n_components, self.n_features
        kappa, nk = prior.shrinkage, stats.nk
        # posterior-mode means as an offset from the centre the moments are taken
        # about: no division by n_k, so an empty component simply sits at mu_P
        shift = (stats.sx + kappa * (prior.mean - stats.center)) / (nk + kappa)[:, None]
        means = stats.center + shift
        spread = stats.shifted_scatter(shift) + kappa * outer(kernel, means - prior.mean)
        copies = kernel_copies(family, K, D)
        p = self._inverse_wishart_dimension
        covariances = family.covariance_from_scatter(
            spread + in_kernel_form(family, prior.scale, D) / copies,
            nk + 1.0 + (prior.degrees_of_freedom + p + 1.0) / copies,
            start=None if previous is None else previous.parameters.covariances,
        )
        counts = nk + EMPTY_COMPONENT_GUARD
        alpha = prior.weight_concentration
        weights = (counts + alpha - 1.0) / (counts.sum() + alpha.sum() - K)
        parameters = MixtureParameters(
            weights=weights,
            means=means,
            covariances=covariances,
            precisions_cholesky=family.precision_cholesky(covariances),
        )
        return MAPState(parameters, prior)

    def terms(self, state: MAPState) -> GaussianTerms:
        return mixture_terms(self.family, state.parameters)

    def penalty(self, state: MAPState) -> float:
        """Log prior density of the parameters (normalising constants included)."""
        return log_prior_density(self.family, state.prior, state.parameters)

    def parameters(self, state: MAPState) -> MixtureParameters:
        return state.parameters

    def with_initial_parameters(self, state, weights, means, precisions, *, estep=None):
        point = merge_initial_parameters(
            self.family, None if state is None else state.parameters, weights, means, precisions
        )
        return MAPState(point, self._resolved_prior())

    def state_variables(self, state: MAPState):
        return state.prior.variables(self.family)

    def state_from_saved(self, parameters, variables):
        prior = self.prior
        if prior is None:
            prior = MAPPrior.from_variables(
                variables, self.n_components, self.n_features, self.family
            )
        return MAPState(parameters, prior)

    def fitted_attributes(self, state: MAPState):
        return {"prior_": state.prior}

    # ------------------------------------------------------------ posterior draws
    def conjugate_posterior(self, state: MAPState, stats: SuffStats):
        """The conjugate posterior given the responsibilities behind ``stats`` (see map_posterior)."""
        return conjugate_posterior(self.family, state.prior, stats)

    def posterior_draws(
        self, state: MAPState, stats, S: int, rng: np.random.Generator
    ) -> PosteriorDraws:
        """Draws of the conjugate posterior given the responsibilities of the fit on its data."""
        if stats is None:
            raise ValueError(
                "engine='map' draws its posterior given the responsibilities on the "
                "fitting data: pass X"
            )
        return conjugate_draws(
            self.family, self.posterior_kind, self.conjugate_posterior(state, stats), S, rng
        )

    def weight_posterior(self, state: MAPState, stats=None):
        """Dirichlet(``alpha + n_k``): with ``stats``, the counts of the responsibilities; without,
        the fitted weights' pseudo-counts ``n pi_k`` are not known, so None."""
        if stats is None:
            return None
        return state.prior.weight_concentration + stats.nk


def log_prior_density(family: CovarianceFamily, prior: MAPPrior, point: MixtureParameters) -> float:
    """Log density of :class:`~bayesgmm.MAPPrior` at ``point`` (normalising constants included).

    MAP-EM adds it to the log-likelihood to form its objective; the Gibbs
    sampler (:mod:`.gibbs`) samples the posterior it is the prior of.
    """
    kernel = family.kernel
    K, D = point.means.shape
    factor = family.kernel_factor(point.precisions_cholesky, K, D)
    log_det_u = family.log_det_precision_cholesky(point.precisions_cholesky, K, D)

    alpha = prior.weight_concentration
    log_dirichlet = (
        gammaln(alpha.sum()) - gammaln(alpha).sum() + xlogy(alpha - 1.0, point.weights).sum()
    )

    # mu_k | Sigma_k ~ N(mu_P, Sigma_k / kappa)
    kappa = prior.shrinkage
    mahalanobis = quadratic(kernel, point.means - prior.mean, factor)
    log_normal = (
        -0.5 * D * LOG_2PI + 0.5 * D * np.log(kappa) + log_det_u - 0.5 * kappa * mahalanobis
    ).sum()

    # Inverse-Wishart_p(nu, Lambda) on each p x p block, evaluated on the kernel
    # form and divided by the number of kernel copies of each free parameter
    nu, p = prior.degrees_of_freedom, family.inverse_wishart_dimension(D)
    scale = in_kernel_form(family, prior.scale, D)
    per_component = (
        (D // p) * (-0.5 * nu * p * np.log(2.0) - multigammaln(0.5 * nu, p))
        + 0.5 * nu * log_det(kernel, scale)
        + (nu + p + 1.0) * log_det_u  # -(nu + p + 1)/2 log|Sigma|
        - 0.5 * trace_product(scale, precisions(kernel, factor))
    )
    log_inverse_wishart = per_component.sum() / kernel_copies(family, K, D)
    return float(log_dirichlet + log_normal + log_inverse_wishart)
