"""``BayesianGaussianMixture``: scikit-learn's constructor over ``engine="vb"``.

Code written for :class:`sklearn.mixture.BayesianGaussianMixture` runs
unchanged after ``from bayesgmm import BayesianGaussianMixture``: the same
parameters, the same fitted attributes and the same update equations (checked
against scikit-learn to 1e-8 in ``tests/test_vb.py``) and the same stopping
rule: ``tol`` bounds the change of the *summed* ELBO, so ``n_iter_`` and
``converged_`` follow scikit-learn's.  One deliberate difference, shared with
:class:`bayesgmm.GaussianMixture`: ``lower_bound_`` is the exact ELBO per
sample (scikit-learn reports the summed ELBO without its constant terms).
"""

from __future__ import annotations

from .engines.priors import VBPrior
from .estimator import GaussianMixture
from .fitting.result import FitResult
from .spec import ModelSpec


class BayesianGaussianMixture(GaussianMixture):
    """Variational Bayesian Gaussian mixture with scikit-learn's parameters.

    A thin face over ``GaussianMixture(engine="vb", prior=VBPrior(...))``.

    Parameters
    ----------
    n_components, covariance_type, tol, reg_covar, max_iter, n_init, init_params, \
random_state, warm_start, verbose, verbose_interval
        As :class:`bayesgmm.GaussianMixture`.
    weight_concentration_prior_type : {"dirichlet_process", "dirichlet_distribution"}
        Truncated stick-breaking or a symmetric Dirichlet prior on the weights.
    weight_concentration_prior : float, default 1 / n_components
    mean_precision_prior : float, default 1
    mean_prior : (n_features,) array, default the data mean
    degrees_of_freedom_prior : float, default n_features
    covariance_prior : float or array, default from the data
        See :class:`bayesgmm.VBPrior` for their meaning and shapes.
    responsibilities_init : array-like, optional
        A start as labels (n_samples,) or responsibilities (n_samples, n_components),
        as :class:`bayesgmm.GaussianMixture`'s (not a scikit-learn parameter).
    missing : {"error", "marginalize"}, default "error"
        NaN in ``X``, as :class:`bayesgmm.GaussianMixture`'s (not a scikit-learn parameter).

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_
        As scikit-learn: ``covariances_`` is the inverse of the posterior mean precision.
    weight_concentration_, mean_precision_, degrees_of_freedom_
        The posterior hyperparameters.
    weight_concentration_prior_, mean_precision_prior_, mean_prior_,
    degrees_of_freedom_prior_, covariance_prior_
        The prior's values as used (defaults filled in).
    converged_, n_iter_, lower_bound_, lower_bounds_, n_features_in_, feature_names_in_, result_
        As :class:`bayesgmm.GaussianMixture`.
    """

    def __init__(
        self,
        *,
        n_components: int = 1,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weight_concentration_prior_type: str = "dirichlet_process",
        weight_concentration_prior=None,
        mean_precision_prior=None,
        mean_prior=None,
        degrees_of_freedom_prior=None,
        covariance_prior=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        responsibilities_init=None,
        missing: str = "error",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.responsibilities_init = responsibilities_init
        self.missing = missing

    # scikit-learn's BayesianGaussianMixture returns float64 parameters for float32 data
    _keeps_input_dtype = False

    def _spec(self) -> ModelSpec:
        self._check_verbosity()
        prior = VBPrior(
            weight_prior=self.weight_concentration_prior_type,
            weight_concentration=self.weight_concentration_prior,
            mean_precision=self.mean_precision_prior,
            mean=self.mean_prior,
            degrees_of_freedom=self.degrees_of_freedom_prior,
            covariance=self.covariance_prior,
        )
        return ModelSpec(
            n_components=self.n_components,
            covariance_type=self.covariance_type,
            engine="vb",
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            init_params=self.init_params,
            responsibilities_init=self.responsibilities_init,
            random_state=self.random_state,
            warm_start=self.warm_start,
            prior=prior,
            missing=self.missing,
        )

    @classmethod
    def from_result(cls, result: FitResult) -> BayesianGaussianMixture:
        """A fitted estimator from a VB :class:`~bayesgmm.FitResult` (e.g. loaded from disk)."""
        spec = result.spec
        if spec.engine != "vb":
            raise ValueError(
                f"a BayesianGaussianMixture needs a fit by engine='vb', not {spec.engine!r}; "
                "use bayesgmm.GaussianMixture.from_result"
            )
        gm = GaussianMixture.from_result(result)
        prior: VBPrior = gm.prior_
        estimator = cls(
            n_components=spec.n_components,
            covariance_type=spec.covariance_type,
            tol=spec.tol,
            reg_covar=spec.reg_covar,
            max_iter=spec.max_iter,
            n_init=spec.n_init,
            init_params=spec.init_params,
            weight_concentration_prior_type=prior.weight_prior,
            weight_concentration_prior=prior.weight_concentration,
            mean_precision_prior=prior.mean_precision,
            mean_prior=prior.mean,
            degrees_of_freedom_prior=prior.degrees_of_freedom,
            covariance_prior=prior.covariance,
            random_state=spec.random_state,
            warm_start=spec.warm_start,
            missing=spec.missing,
        )
        estimator._set_result(result)
        return estimator
