"""Variational Bayes (Bishop, PRML section 10.2), as scikit-learn's BayesianGaussianMixture.

The posterior is approximated by ``q(z) q(pi) prod_k q(mu_k, Lambda_k)``:
``q(pi)`` a Dirichlet (or, for the truncated Dirichlet process, a Beta per
stick), ``q(mu_k, Lambda_k)`` Normal-Wishart with ``beta_k``, ``m_k``, ``nu_k``,
``W_k``.  The M-step is the optimal ``q(theta)`` for the responsibilities of
the E-step, written once in matrix form on per-component kernel-form scatter::

    beta_k = beta_0 + n_k
    m_k    = (beta_0 m_0 + n_k xbar_k) / beta_k
    A_k    = sum_n r_nk (x_n - m_k)(x_n - m_k)^T + beta_0 (m_k - m_0)(m_k - m_0)^T + n_k reg_covar I
           = n_k (S_k + reg_covar I) + beta_0 n_k / beta_k (xbar_k - m_0)(xbar_k - m_0)^T
    W^-1   = W_0^-1 + pool(A_k) / copies,      nu = nu_0 + pool(n_k) / copies

where ``pool`` is the covariance family's projection and ``copies`` how many
components share one Wishart (tied: all G, so ``nu = nu_0 + n / G``; else 1).
This reproduces scikit-learn exactly, including its conventions: ``reg_covar``
is added to ``S_k``; ``tied`` is the optimum over G per-component precisions
constrained to share one ``q`` (hence ``n / G`` and G times the KL term);
``diag``/``spherical`` are Wisharts whose scale is constrained to be
diagonal/isotropic, with ``E[ln|Lambda|]`` of the D-dimensional Wishart.  With
these readings each update is the exact coordinate-ascent step of the ELBO.

The E-step is the shared kernel with precision ``nu_k W_k`` and offset
``E[ln pi_k] + 1/2 E[ln|Lambda_k|] - D/2 ln 2 pi - D / (2 beta_k)``; the
objective is its summed log-sum-exp plus ``-KL(q(theta) || p(theta))``.  With
``q(z)`` optimal for ``q(theta)`` (which is what the log-sum-exp is), that sum
is the exact ELBO of ``q(theta)``, so it never decreases (with ``reg_covar=0``;
``reg_covar > 0`` perturbs the M-step by ``n_k reg_covar``, as in scikit-learn).

Stored like scikit-learn: ``covariances`` is ``W_k^-1 / nu_k`` (the inverse of
the posterior mean precision) and ``precisions_cholesky`` the Cholesky factor
of ``nu_k W_k``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ..families import CONJUGATE_FAMILY_NAMES
from ..stats import GaussianTerms, SuffStats
from .base import (
    EMPTY_COMPONENT_GUARD,
    TOL_SUMMED,
    Engine,
    MixtureParameters,
    PosteriorDraws,
    finite_covariances,
    merge_initial_parameters,
)
from .conjugate import (
    add_to_diagonal,
    in_kernel_form,
    log_det,
    multigammaln,
    outer,
    precisions,
    quadratic,
    trace_product,
)
from .draws import complete_draws, wishart
from .priors import VBPrior
from .saved import check_above, saved_array


@dataclass(frozen=True)
class VBState:
    """The variational posterior ``q(theta)`` and the (resolved) prior it belongs to.

    ``weight_concentration`` is (K,) for a Dirichlet distribution and a pair of
    (K,) arrays (the Beta parameters of each stick) for a Dirichlet process,
    as scikit-learn's ``weight_concentration_``.  ``degrees_of_freedom`` is
    (K,), or a 0-d array for ``tied``.
    """

    weight_concentration: np.ndarray | tuple[np.ndarray, np.ndarray]
    mean_precision: np.ndarray
    means: np.ndarray
    degrees_of_freedom: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    prior: VBPrior

    @property
    def is_process(self) -> bool:
        return self.prior.weight_prior == "dirichlet_process"


class VBEngine(Engine):
    """Coordinate-ascent variational Bayes under a :class:`~bayesgmm.VBPrior`."""

    name = "vb"
    objective_name = "ELBO"
    prior_class = VBPrior
    posterior_kind = "variational"
    posterior_description = (
        "independent draws from the variational posterior q(theta) of the VB fit"
    )
    has_posterior = True
    supports_loo = True
    uses_data_moments = True
    terms_are_point_estimate = False
    # VB empties surplus components on purpose (that is how it chooses K); re-seeding them
    # would undo it and break the ELBO's monotone ascent
    reseeds_empty_components = False
    # scikit-learn's BayesianGaussianMixture applies tol to its summed lower bound
    tol_applies_to = TOL_SUMMED

    @classmethod
    def check_family(cls, family) -> None:
        if not family.has_pooled_form:
            raise ValueError(
                f"engine='vb' has no closed-form variational posterior for covariance_type="
                f"{family.name!r} (its covariances are constrained products of volume, shape and "
                f"orientation); VB fits {', '.join(CONJUGATE_FAMILY_NAMES)} (mclust's VVV, EEE, "
                f"VVI, VII, EII, EEI); for {family.name!r} use engine='map' (the posterior mode "
                "under mclust's conjugate prior) or engine='em'"
            )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prior = self.prior_given if self.prior_given is not None else VBPrior()
        moments, n_features = self.moments, self.n_features
        self.prior = (
            prior.resolved(moments, self.n_components, n_features, self.family)
            if moments is not None or prior.is_explicit
            else None
        )

    def _resolved_prior(self) -> VBPrior:
        if self.prior is None:
            raise ValueError("this VB engine has no data to resolve its prior's defaults from")
        return self.prior

    # ------------------------------------------------------------ M-step
    def mstep(self, stats: SuffStats, previous: VBState | None = None) -> VBState:
        prior = self._resolved_prior()
        family, kernel = self.family, self.family.kernel
        K = self.n_components
        counts = stats.nk + EMPTY_COMPONENT_GUARD  # as scikit-learn's nk
        beta0, m0 = prior.mean_precision, prior.mean
        beta = beta0 + counts
        shift = (stats.sx + beta0 * (m0 - stats.center)) / beta[:, None]
        means = stats.center + shift
        spread = stats.shifted_scatter(shift) + beta0 * outer(kernel, means - m0)
        spread = add_to_diagonal(kernel, spread, counts * self.reg_covar)
        pooled, pooled_counts = family.pool(spread, counts)
        _, copies = family.pool(spread, np.ones(K))
        inverse_scale = prior.covariance + family.divide(pooled, copies)
        dof = prior.degrees_of_freedom + pooled_counts / copies
        covariances = family.divide(inverse_scale, dof)
        if prior.weight_prior == "dirichlet_process":
            remaining = np.hstack((np.cumsum(counts[::-1])[-2::-1], 0.0))
            concentration: Any = (1.0 + counts, prior.weight_concentration + remaining)
        else:
            concentration = prior.weight_concentration + counts
        return VBState(
            weight_concentration=concentration,
            mean_precision=beta,
            means=means,
            degrees_of_freedom=np.asarray(dof, dtype=np.float64),
            covariances=covariances,
            precisions_cholesky=family.precision_cholesky(covariances),
            prior=prior,
        )

    # ------------------------------------------------------------ E-step
    def expected_log_weights(self, state: VBState) -> np.ndarray:
        """``E[ln pi_k]`` under ``q(pi)``."""
        if state.is_process:
            a, b = state.weight_concentration
            digamma_sum = digamma(a + b)
            log_rest = digamma(b) - digamma_sum
            return digamma(a) - digamma_sum + np.hstack((0.0, np.cumsum(log_rest)[:-1]))
        alpha = state.weight_concentration
        return digamma(alpha) - digamma(alpha.sum())

    def _dof(self, state: VBState) -> np.ndarray:
        return np.broadcast_to(state.degrees_of_freedom, (self.n_components,))

    def _wishart_digamma(self, nu: np.ndarray) -> np.ndarray:
        """``sum_j digamma((nu - j) / 2) + D ln 2``: ``E[ln|Lambda|] - ln|W|``."""
        D = self.n_features
        return digamma(0.5 * (nu[:, None] - np.arange(D))).sum(axis=1) + D * np.log(2.0)

    def terms(self, state: VBState) -> GaussianTerms:
        D = self.n_features
        nu = self._dof(state)
        # GaussianTerms adds log det U = 1/2 ln|nu W|; the offset keeps 1/2 ln|W| of it
        extra = -0.5 * D * np.log(nu) + 0.5 * (self._wishart_digamma(nu) - D / state.mean_precision)
        return GaussianTerms.gaussian(
            self.family,
            self.expected_log_weights(state),
            state.means,
            state.precisions_cholesky,
            extra,
        )

    # ------------------------------------------------------------ -KL
    def penalty(self, state: VBState) -> float:
        """``-KL(q(theta) || p(theta))`` in closed form."""
        prior = state.prior
        family, kernel = self.family, self.family.kernel
        K, D = self.n_components, self.n_features
        factor = family.kernel_factor(state.precisions_cholesky, K, D)
        precision = precisions(kernel, factor)  # E[Lambda_k] = nu_k W_k
        nu, nu0 = self._dof(state), prior.degrees_of_freedom
        log_det_w = 2.0 * family.log_det_precision_cholesky(
            state.precisions_cholesky, K, D
        ) - D * np.log(nu)
        inverse_scale0 = in_kernel_form(family, prior.covariance, D)
        # log B(W, nu) of the Wishart normalisers (Bishop B.79); the prior's W_0 = inverse_scale0^-1
        log_norm = -0.5 * nu * log_det_w - 0.5 * nu * D * np.log(2.0) - multigammaln(0.5 * nu, D)
        log_norm0 = (
            0.5 * nu0 * log_det(kernel, inverse_scale0)
            - 0.5 * nu0 * D * np.log(2.0)
            - multigammaln(0.5 * nu0, D)
        )
        expected_log_det = self._wishart_digamma(nu) + log_det_w
        kl_wishart = (
            log_norm
            - log_norm0
            + 0.5 * (nu - nu0) * expected_log_det
            - 0.5 * nu * D
            + 0.5 * trace_product(inverse_scale0, precision)
        )
        ratio = prior.mean_precision / state.mean_precision
        kl_normal = 0.5 * (
            D * (ratio - 1.0 - np.log(ratio))
            + prior.mean_precision * quadratic(kernel, state.means - prior.mean, factor)
        )
        return -float(self._kl_weights(state) + kl_normal.sum() + kl_wishart.sum())

    def _kl_weights(self, state: VBState) -> float:
        gamma = state.prior.weight_concentration
        if state.is_process:
            a, b = state.weight_concentration
            kl = (
                betaln(1.0, gamma)
                - betaln(a, b)
                + (a - 1.0) * digamma(a)
                + (b - gamma) * digamma(b)
                + (1.0 + gamma - a - b) * digamma(a + b)
            )
            return float(kl.sum())
        alpha, K = state.weight_concentration, self.n_components
        return float(
            gammaln(alpha.sum())
            - gammaln(alpha).sum()
            - gammaln(K * gamma)
            + K * gammaln(gamma)
            + ((alpha - gamma) * (digamma(alpha) - digamma(alpha.sum()))).sum()
        )

    # ------------------------------------------------------------ views
    def parameters(self, state: VBState) -> MixtureParameters:
        """scikit-learn's point estimate: E[pi] (normalised for a process), m_k, (nu_k W_k)^-1."""
        if state.is_process:
            a, b = state.weight_concentration
            weights = a / (a + b) * np.hstack((1.0, np.cumprod(b / (a + b))[:-1]))
            weights = weights / weights.sum()
        else:
            weights = state.weight_concentration / state.weight_concentration.sum()
        return MixtureParameters(weights, state.means, state.covariances, state.precisions_cholesky)

    def with_initial_parameters(self, state, weights, means, precisions, *, estep=None):
        """Start from the responsibilities that the given mixture assigns to the data.

        A variational posterior is not determined by a point estimate, so the
        given ``weights``/``means``/``precisions`` (completed from ``state``'s
        point estimate where None) define a plain mixture; one E-step under it
        and this engine's M-step give the starting posterior.
        """
        if estep is None:
            raise ValueError(
                "engine='vb' starts from user-given parameters through one E-step over the data; "
                "call it with estep="
            )
        point = merge_initial_parameters(
            self.family,
            None if state is None else self.parameters(state),
            weights,
            means,
            precisions,
        )
        return self.mstep(estep(point))

    def state_variables(self, state: VBState):
        variables: dict[str, tuple[tuple[str, ...], Any]] = state.prior.variables(self.family)
        if state.is_process:
            a, b = state.weight_concentration
            variables["weight_concentration_a"] = (("component",), a)
            variables["weight_concentration_b"] = (("component",), b)
        else:
            variables["weight_concentration"] = (("component",), state.weight_concentration)
        variables["mean_precision"] = (("component",), state.mean_precision)
        dof = state.degrees_of_freedom
        variables["degrees_of_freedom"] = (("component",) if dof.ndim else (), dof)
        return variables

    def state_from_saved(self, parameters: MixtureParameters, variables: dict) -> VBState:
        """The state of saved variables, each checked for its shape and its domain."""
        K, D = self.n_components, self.n_features
        weight_prior = (
            "dirichlet_process"
            if "weight_concentration_a" in variables
            else "dirichlet_distribution"
        )
        prior = (
            self.prior
            if self.prior is not None
            else VBPrior.from_variables(variables, K, D, self.family, weight_prior=weight_prior)
        )
        if prior.weight_prior != weight_prior:
            raise ValueError(
                f"the previous fit used weight_prior={weight_prior!r}, which a warm start cannot "
                f"switch to {prior.weight_prior!r}; fit with warm_start=False"
            )

        def positive(name: str, shape: tuple[int, ...], bound: float, what: str) -> np.ndarray:
            return check_above(name, saved_array(variables, name, shape), bound, what)

        concentration: Any
        if weight_prior == "dirichlet_process":
            concentration = tuple(
                positive(f"weight_concentration_{part}", (K,), 0.0, "a Beta parameter of a stick")
                for part in "ab"
            )
        else:
            concentration = positive(
                "weight_concentration", (K,), 0.0, "the Dirichlet concentration of q(pi)"
            )
        # a Wishart on D features needs nu > D - 1; VBPrior requires it of the prior's nu_0
        # for every covariance type (as scikit-learn), and the posterior's nu = nu_0 + counts
        dof_shape = (K,) if "component" in self.family.covariance_dims else ()
        return VBState(
            weight_concentration=concentration,
            mean_precision=positive(
                "mean_precision", (K,), 0.0, "beta_k, the precision scale of each mean"
            ),
            means=parameters.means,
            degrees_of_freedom=positive(
                "degrees_of_freedom", dof_shape, D - 1.0, "a Wishart's nu on D features"
            ),
            covariances=parameters.covariances,
            precisions_cholesky=parameters.precisions_cholesky,
            prior=prior,
        )

    def check_relabelling(self, state: VBState) -> None:
        if state.is_process:
            raise ValueError(
                "a Dirichlet-process VB fit cannot be relabelled: its stick-breaking prior "
                "orders the components (pi_k = v_k prod_{j<k} (1 - v_j)), so its q(v) in another "
                "order is another posterior, with other expected weights and predictions. Align "
                "tables and figures instead (bayesgmm.align_components gives the order), or fit "
                "with VBPrior(weight_prior='dirichlet_distribution'), whose components are "
                "exchangeable"
            )

    # ------------------------------------------------------------ accelerated EM
    def to_vector(self, state: VBState) -> np.ndarray:
        """``q(theta)`` in unconstrained coordinates for SQUAREM (fitting/acceleration.py).

        Logs of the concentrations (both Beta parameters of a process) and of ``beta_k``,
        the means ``m_k``, ``log(nu_k - D + 1)`` (a Wishart needs ``nu > D - 1``) and the
        log-Cholesky factors of ``nu_k W_k``.  Any real vector is a valid ``q(theta)``; the
        ELBO with the optimal ``q(z)`` (what the E-step sums) is exact for every one, so the
        monotone safeguard compares true objectives.
        """
        concentration = state.weight_concentration
        parts = list(concentration) if state.is_process else [concentration]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.concatenate(
                [
                    *(np.log(np.asarray(part, dtype=np.float64)).ravel() for part in parts),
                    np.log(state.mean_precision).ravel(),
                    state.means.ravel(),
                    np.log(state.degrees_of_freedom - self.n_features + 1.0).ravel(),
                    self.family.factor_to_vector(state.precisions_cholesky),
                ]
            )

    def from_vector(self, vector: np.ndarray, like: VBState) -> VBState | None:
        if not np.all(np.isfinite(vector)):
            return None
        K, D = self.n_components, self.n_features
        sizes = [K] * (2 if like.is_process else 1) + [K, K * D, like.degrees_of_freedom.size]
        pieces = np.split(vector, np.cumsum(sizes))
        with np.errstate(over="ignore"):
            concentrations = [np.exp(piece) for piece in pieces[: len(sizes) - 3]]
            mean_precision = np.exp(pieces[-4])
            dof = (np.exp(pieces[-2]) + D - 1.0).reshape(like.degrees_of_freedom.shape)
        factor = self.family.factor_from_vector(pieces[-1], like.precisions_cholesky)
        values = [*concentrations, mean_precision, dof, factor]
        if not all(np.all(np.isfinite(v)) and np.all(v != 0.0) for v in values[:-1]) or not (
            np.all(np.isfinite(factor)) and np.all(dof > D - 1.0)  # exp() may underflow to 0
        ):
            return None
        covariances = finite_covariances(self.family, factor)
        if covariances is None:
            return None
        return VBState(
            weight_concentration=(
                (concentrations[0], concentrations[1]) if like.is_process else concentrations[0]
            ),
            mean_precision=mean_precision,
            means=pieces[-3].reshape(K, D),
            degrees_of_freedom=dof,
            covariances=covariances,
            precisions_cholesky=factor,
            prior=like.prior,
        )

    def fitted_attributes(self, state: VBState):
        prior = state.prior
        dof = state.degrees_of_freedom
        return {
            "weight_concentration_": state.weight_concentration,
            "mean_precision_": state.mean_precision,
            "degrees_of_freedom_": dof if dof.ndim else np.float64(dof),
            "weight_concentration_prior_": prior.weight_concentration,
            "mean_precision_prior_": prior.mean_precision,
            "mean_prior_": prior.mean,
            "degrees_of_freedom_prior_": prior.degrees_of_freedom,
            "covariance_prior_": prior.covariance
            if prior.covariance.ndim
            else float(prior.covariance),
            "prior_": prior,
        }

    # ------------------------------------------------------------ posterior draws
    def weight_posterior(self, state: VBState, stats=None):
        """``q(pi)``'s Dirichlet concentration; None for a Dirichlet process (Beta sticks)."""
        return None if state.is_process else np.asarray(state.weight_concentration)

    def posterior_draws(
        self, state: VBState, stats, S: int, rng: np.random.Generator
    ) -> PosteriorDraws:
        """Independent draws from ``q(theta)``.

        Weights from ``q(pi)`` (a Dirichlet, or for the truncated Dirichlet process
        the Beta sticks ``v_k`` turned into ``pi_k = v_k prod_{j<k} (1 - v_j)`` and
        normalised, as ``weights_`` is); precisions from the Wishart ``(nu_k, W_k)``
        (full, tied) or, for diag and spherical, from the Gamma(``nu_k / 2``, scale
        ``2 w_k``) marginals of scikit-learn's Wishart with a diagonal / isotropic
        scale (its diagonal entries are exactly these independent Gammas); means
        from ``N(m_k, (beta_k Lambda_k)^-1)``.
        """
        family = self.family
        K, D = self.n_components, self.n_features
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
        if not family.kernel.is_diagonal:
            # W = U U^T / nu: any square root of the scale serves Bartlett's construction
            root = factor / np.sqrt(nu)[..., None, None]
            precisions = wishart(rng, nu, root, S)
        else:
            # Gamma(nu / 2, scale 2 w) with w = E[lambda] / nu: mean E[lambda], as the Wishart's diagonal
            dof = family.per_component(nu, factor)
            precisions = rng.gamma(0.5 * dof, 2.0 * factor**2 / dof, size=(S, *factor.shape))
        return complete_draws(
            family,
            self.posterior_kind,
            weights,
            state.means,
            state.mean_precision,
            precisions,
            K,
            D,
            rng,
            sticks,
        )
