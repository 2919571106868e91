"""Posterior draws as an ArviZ DataTree, PSIS-LOO and the comparison of fits.

:func:`to_arviz` turns a fit into an :class:`xarray.DataTree` with ArviZ's
groups ``posterior`` (draws of the weights, means and covariances),
``log_likelihood`` (``log p(x_n | theta_s)`` per observation and draw) and
``observed_data`` (the data).  :func:`loo` runs ArviZ's PSIS-LOO on it and
:func:`compare` tabulates BIC, AIC and ICL of several fits next to their
PSIS-LOO estimates, ranked.  :func:`align_components` matches the components
of several fits (:mod:`.alignment`).

The modules: :mod:`.criteria` (BIC, AIC, ICL, ``criteria_table``), :mod:`.draws`
(posterior draws through the engine protocol), :mod:`.arviz` (the DataTree and
PSIS-LOO), :mod:`.compare` (the ranked table), :mod:`.checks` (what they accept).
Where the draws come from depends on the engine (each engine's ``posterior_draws``):

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

from ..engines.base import PosteriorDraws
from ..engines.map_posterior import ConjugatePosterior
from .alignment import align_components, component_distances
from .arviz import loo, to_arviz
from .checks import DEFAULT_DRAWS, MIN_LOO_DRAWS
from .compare import COMPARE_CRITERIA, compare, compare_frame
from .draws import map_posterior, pointwise_log_likelihood, posterior_draws

__all__ = [
    "COMPARE_CRITERIA",
    "DEFAULT_DRAWS",
    "MIN_LOO_DRAWS",
    "ConjugatePosterior",
    "PosteriorDraws",
    "align_components",
    "compare",
    "compare_frame",
    "component_distances",
    "loo",
    "map_posterior",
    "pointwise_log_likelihood",
    "posterior_draws",
    "to_arviz",
]
