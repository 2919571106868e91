"""MAP-EM's posterior for draws: the conjugate posterior of the parameters given responsibilities.

A MAP fit is a point estimate, but its conjugate prior gives a posterior in
closed form once the responsibilities are fixed: Dirichlet(``alpha + n_k``)
and Normal-inverse-Wishart (inverse-gamma per variance for diag, per
component for spherical, one pooled inverse-Wishart for tied).  Its mode is
one more MAP M-step, i.e. the MAP estimate of a converged fit.  The
covariance family supplies the posterior's form
(:meth:`~bayesgmm.families.CovarianceFamily.conjugate_posterior`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..families import CovarianceFamily, family_named
from ..stats import SuffStats
from .base import EMPTY_COMPONENT_GUARD, MixtureParameters, PosteriorDraws
from .draws import complete_draws, wishart
from .priors import MAPPrior


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
    def family(self) -> CovarianceFamily:
        return family_named(self.covariance_type)

    def mode(self) -> MixtureParameters:
        """The joint posterior mode: the MAP M-step for these responsibilities.

        ``precisions_cholesky`` is left None: compare the other fields.
        """
        alpha = self.weight_concentration
        K, D = self.mean.shape
        return MixtureParameters(
            weights=(alpha - 1.0) / (alpha.sum() - K),
            means=self.mean,
            covariances=self.family.conjugate_mode(self.scale, self.degrees_of_freedom, K, D),
            precisions_cholesky=None,
        )

    def expected_precisions(self) -> np.ndarray:
        """``E[Sigma^-1]`` (full, tied) or ``E[1 / sigma2]`` (diag, spherical), family shape."""
        return self.family.conjugate_expected_precisions(self.scale, self.degrees_of_freedom)


def conjugate_posterior(
    family: CovarianceFamily, prior: MAPPrior, stats: SuffStats
) -> ConjugatePosterior:
    """The conjugate posterior given the statistics of the responsibilities under the fit."""
    D = stats.sx.shape[1]
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
    spread = scatter + family.per_component(weight, scatter) * family.kernel.outer(offset)
    nu, scale_p = prior.degrees_of_freedom, np.asarray(prior.scale, dtype=np.float64)
    dof, scale = family.conjugate_posterior(nu, scale_p, nk, spread, D)
    return ConjugatePosterior(
        covariance_type=family.name,
        weight_concentration=prior.weight_concentration + nk,
        mean=mean,
        mean_precision=mean_precision,
        degrees_of_freedom=np.asarray(dof, dtype=np.float64),
        scale=np.asarray(scale, dtype=np.float64),
    )


def conjugate_draws(
    family: CovarianceFamily,
    kind: str,
    posterior: ConjugatePosterior,
    S: int,
    rng: np.random.Generator,
) -> PosteriorDraws:
    """S independent draws of a :class:`ConjugatePosterior`."""
    K, D = posterior.mean.shape
    weights = rng.dirichlet(posterior.weight_concentration, size=S)
    if not family.kernel.is_diagonal:
        # Sigma ~ IW(nu, Psi)  <=>  Sigma^-1 ~ Wishart(nu, Psi^-1); with Psi = C C^T,
        # C^-T is a square root of Psi^-1
        root = np.swapaxes(np.linalg.inv(np.linalg.cholesky(posterior.scale)), -1, -2)
        precisions = wishart(rng, posterior.degrees_of_freedom, root, S)
    else:
        # sigma2 ~ inverse-gamma(a, b)  <=>  1 / sigma2 ~ Gamma(a, scale 1 / b)
        shape = family.per_component(posterior.degrees_of_freedom, posterior.scale)
        precisions = rng.gamma(shape, 1.0 / posterior.scale, size=(S, *posterior.scale.shape))
    return complete_draws(
        family, kind, weights, posterior.mean, posterior.mean_precision, precisions, K, D, rng
    )
