"""``GaussianMixture``: scikit-learn's interface over the spec, the loop and the engines."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from ._lazy import xr
from .data.checks import checked_data_source
from .diagnostics import to_arviz
from .engines import restore
from .fitting import restarts
from .fitting.online import OnlineProgress, online_update
from .fitting.predict import FittedMixtureMethods
from .fitting.result import FitResult
from .spec import ModelSpec, check_warm_start


@functools.cache
def _constructor_parameters(cls: type) -> tuple[str, ...]:
    """The names of ``cls.__init__``'s parameters, read once per class (``inspect.signature``
    took 0.46 ms, 7% of a default fit on 2000 rows, on every fit)."""
    return tuple(inspect.signature(cls).parameters)  # a class's signature omits self


class ScikitLearnParameters:
    """scikit-learn's parameter protocol (``get_params``, ``set_params``) and a repr that
    shows the parameters changed from their defaults, for estimators whose constructor
    stores each parameter under its own name (scikit-learn is not a dependency)."""

    @classmethod
    def _param_names(cls) -> list[str]:
        return list(_constructor_parameters(cls))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, as scikit-learn's ``get_params``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor parameters, as scikit-learn's ``set_params``; returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters: {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()
        }
        shown = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not _same(value, defaults.get(name))
        ]
        return f"{type(self).__name__}({', '.join(shown)})"


class GaussianMixture(ScikitLearnParameters, FittedMixtureMethods):
    """A Gaussian mixture fitted by EM, MAP-EM or variational Bayes, with scikit-learn's names.

    Parameters
    ----------
    n_components : int, default 1
        Number of mixture components K.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
        Each component's own full covariance; one full covariance shared by all;
        a diagonal covariance each; a single variance each.
    tol : float, default 1e-3
        Stop when the objective changes by less than this between iterations: the
        per-sample objective for EM and MAP (as scikit-learn's GaussianMixture), the
        summed ELBO for VB (as scikit-learn's BayesianGaussianMixture).
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance to keep it positive definite
        (EM), or to every component's scatter as scikit-learn's
        BayesianGaussianMixture does (VB).  MAP does not use it: its prior keeps
        the covariances positive definite.
    max_iter : int, default 100
        Iterations per initialisation.
    n_init : int, default 1
        Initialisations; the best final objective is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data", "hc"}, default "kmeans"
        How the first responsibilities are chosen (:mod:`bayesgmm.data.init`; "hc": mclust's).
    weights_init, means_init, precisions_init : array-like, optional
        User-given starting parameters, in scikit-learn's shapes.
    responsibilities_init : array-like, optional
        A start as labels (n_samples,) or responsibilities (n_samples, n_components), mclust's
        ``z``: replaces ``init_params`` (:mod:`bayesgmm.data.responsibilities`).
    random_state : None, int, numpy Generator or RandomState
        Seed; a seeded fit is reproducible bit for bit.
    warm_start : bool, default False
        Continue from the previous fit's parameters on the next ``fit`` call.
    verbose : int, default 0
        1 prints each initialisation's outcome; 2 also every ``verbose_interval`` iterations.
    verbose_interval : int, default 10
    engine : {"em", "map", "vb", "gibbs"}, default "em"
        The update equations: maximum-likelihood EM; MAP-EM, the posterior mode
        under conjugate priors (mclust's Bayesian regularisation);
        variational Bayes (scikit-learn's BayesianGaussianMixture); or the Gibbs
        sampler of the posterior whose mode MAP-EM finds.  See ``docs/engines.md``.
    prior : MAPPrior or VBPrior, optional
        The prior of ``engine="map"`` and ``"gibbs"`` (:class:`bayesgmm.MAPPrior`) or
        ``engine="vb"`` (:class:`bayesgmm.VBPrior`); None takes its defaults
        from the data.  EM takes no prior.
    prune : float or None, default None
        Weight threshold: after fitting, components whose weight falls below it
        are removed and the survivors refitted, until none falls below
        (see :mod:`bayesgmm.fitting.pruning`).  None switches pruning off; ``1e-2`` is
        the usual choice.  ``n_components`` stays as given; the fitted model
        has ``n_components_fitted`` components and ``result_.pruning`` records
        what was removed.
    learning_method : {"batch", "online"}, default "batch"
        "batch": every iteration is an E-step over all rows.  "online": mini-batch EM
        (:mod:`bayesgmm.fitting.online`); every iteration is one pass over the rows in shuffled
        batches, each followed by an update.  Also what :meth:`partial_fit` does.
    batch_size : int, default 1024
        Rows per mini-batch for in-memory data; a Dask array's row chunks are its batches.
    learning_decay, learning_offset : float, default 0.7 and 10.0
        Step size ``(t + learning_offset) ** -learning_decay`` of the t-th mini-batch
        update; ``learning_decay`` lies in (0.5, 1].
    total_samples : float, optional
        Weight of the whole data set that :meth:`partial_fit` chunks come from (the M-step
        treats the running average as statistics of this much data); default: the weight
        seen so far.
    accelerate : bool, default False
        SQUAREM-accelerated EM (Varadhan & Roland 2008) with a monotone safeguard
        (:mod:`bayesgmm.fitting.acceleration`): every extrapolation that would lower the
        objective falls back to the plain step, so the objective still never decreases.
        Serves EM, MAP and VB (VB extrapolates its ``q(theta)``);
        ``learning_method="online"`` runs unaccelerated.  ``n_iter_`` then counts passes
        over the data (E-steps), as it does for plain EM.  See ``docs/engines.md``.
    stopping : {"change", "aitken", "relative"}, default "change"
        "change": stop when the per-sample objective changes by less than ``tol`` in one
        iteration (scikit-learn's rule).  "aitken": stop when Aitken's estimate of the
        limiting objective is within ``tol`` of the current one (Böhning 1994), which does
        not stop early where EM crawls (scikit-learn's issue #10122).  "relative": stop when
        the summed objective changes by at most ``tol`` times ``1 + |objective|`` (R
        mclust's rule; ``tol=1e-5`` is mclust's default).  See ``docs/engines.md``.
    missing : {"error", "marginalize"}, default "error"
        NaN in ``X``: "error" refuses them; "marginalize" fits each row on its observed
        values (missing at random assumed) and lets the predictions, :meth:`impute` and
        :meth:`sample_missing` take rows with NaN.  In-memory data only.  See ``docs/missing.md``.
    noise, noise_volume, noise_init : bool, float, boolean array (n_samples,), optional
        mclust's noise component: a uniform density ``1 / noise_volume`` (default:
        mclust's ``hypvol`` of the data) that absorbs outliers, starting with the rows
        flagged in ``noise_init`` (default: Byers & Raftery's nearest-neighbour guess).
        ``predict`` labels its rows -1, ``predict_proba`` has its probability last,
        ``weights_`` sum to ``1 - noise_weight_``.  See ``docs/robustness.md``.
    n_chains, n_draws, n_warmup, thin : int, default 4, 1000, 500 and 1
        ``engine="gibbs"`` only: the sampler runs ``n_chains`` chains, each from its own
        start (``init_params``), of ``n_warmup`` discarded sweeps and then ``n_draws`` kept
        draws, one every ``thin`` sweeps (:mod:`bayesgmm.fitting.sampling`).  The fitted
        parameters are the posterior mean of the relabelled draws; ``to_arviz`` returns the
        chains.  ``n_init``, ``tol`` and ``max_iter`` do not apply to it.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_
        The fitted parameters, shapes as scikit-learn's.
    converged_, n_iter_, lower_bound_, lower_bounds_
        Convergence of the best initialisation; the bounds are per-sample objectives
        (log-likelihood, log posterior or ELBO, by engine).
    prior_
        MAP and VB: the prior used, every hyperparameter explicit.
    noise_weight_, noise_log_volume_
        ``noise=True``: the noise component's weight and log volume.
    weight_concentration_, mean_precision_, degrees_of_freedom_, ...
        VB: the posterior hyperparameters and the prior's values, as scikit-learn's
        BayesianGaussianMixture names them.
    n_features_in_, feature_names_in_
        Width of the training data, and its column names when it had string names.
    result_ : FitResult
        Everything the fit produced; ``to_dataset()`` labels it as an xarray Dataset.
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        responsibilities_init=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        engine: str = "em",
        prior=None,
        prune: float | None = None,
        learning_method: str = "batch",
        batch_size: int = 1024,
        learning_decay: float = 0.7,
        learning_offset: float = 10.0,
        total_samples: float | None = None,
        accelerate: bool = False,
        stopping: str = "change",
        missing: str = "error",
        noise: bool = False,
        noise_volume: float | None = None,
        noise_init=None,
        n_chains: int = 4,
        n_draws: int = 1000,
        n_warmup: int = 500,
        thin: int = 1,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.responsibilities_init = responsibilities_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.engine = engine
        self.prior = prior
        self.prune = prune
        self.learning_method = learning_method
        self.batch_size = batch_size
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.total_samples = total_samples
        self.accelerate = accelerate
        self.stopping = stopping
        self.missing = missing
        self.noise = noise
        self.noise_volume = noise_volume
        self.noise_init = noise_init
        self.n_chains, self.n_draws, self.n_warmup, self.thin = n_chains, n_draws, n_warmup, thin

    # ------------------------------------------------------------ parameters
    def _check_verbosity(self) -> None:
        for name in ("verbose", "verbose_interval"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or value < (0 if name == "verbose" else 1)
            ):
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")

    def _spec(self) -> ModelSpec:
        self._check_verbosity()
        return ModelSpec(
            **{
                name: getattr(self, name)
                for name in self._param_names()
                if name not in ("verbose", "verbose_interval")
            }
        )

    # ------------------------------------------------------------------- fit
    def fit(self, X, y=None, sample_weight=None) -> GaussianMixture:
        """Fit the mixture to ``X`` (n_samples, n_features); returns ``self``.

        ``X`` may be a Dask array or a Dask-backed DataArray: the fit then runs
        chunk by chunk on the active Dask scheduler and never gathers the rows
        (see :mod:`bayesgmm.data.distributed`; pass a
        :class:`~bayesgmm.data.distributed.DaskData` to choose its settings).
        ``sample_weight`` (one non-negative number per row) scales each row's
        contribution: a weight of 2 counts the row twice, a weight of 0 drops
        it.  Nothing on the estimator changes unless the fit succeeds.
        """
        spec = self._spec()
        data, names = checked_data_source(
            X,
            sample_weight,
            reg_covar=spec.reg_covar,
            n_components=spec.n_components,
            missing=spec.missing,
        )
        previous = None
        if spec.warm_start and hasattr(self, "result_"):
            self._check_same_features(data, names)
            check_warm_start(spec, self.result_)
            previous = self.result_
        result = restarts.fit(spec, data, None, names, previous, self._progress_printer())
        self._set_result(result, data.dtype)
        self._online: OnlineProgress | None = None  # a later partial_fit starts afresh
        return self

    def partial_fit(self, X, y=None, sample_weight=None) -> GaussianMixture:
        """One mini-batch EM update on the rows ``X``; returns ``self``.

        For data that arrive, or only fit in memory, chunk by chunk
        (:mod:`bayesgmm.fitting.online`).  The first call starts from the current fit
        if there is one, else initialises on ``X`` (``init_params`` or the
        ``*_init`` arrays); the model's parameters are fixed by that call.
        Each call runs the E-step on ``X`` at the current parameters, folds
        its statistics into the running average with step size
        ``(t + learning_offset) ** -learning_decay`` and updates the
        parameters, treating the average as statistics of ``total_samples``
        units of weight (default: the weight seen so far).

        MAP and VB take their data-dependent prior defaults (data mean and
        covariance) from the first chunk, the only data seen then; pass an
        explicit ``prior=`` (e.g. a full fit's ``prior_``) to fix them.

        ``n_iter_`` counts the calls and ``lower_bounds_`` holds each chunk's
        per-sample objective at the parameters before its update;
        ``result_.log_likelihood`` sums the chunks' log-likelihoods likewise,
        each scored by a model that had not yet learnt from it.
        """
        spec = self._spec()
        progress = getattr(self, "_online", None)
        # a first call that initialises needs a weighted row per component, as fit does
        starts = progress is None and not hasattr(self, "result_")
        data, names = checked_data_source(
            X,
            sample_weight,
            reg_covar=spec.reg_covar,
            n_components=spec.n_components if starts else None,
            missing=spec.missing,
        )
        if progress is not None or hasattr(self, "result_"):
            self._check_same_features(data, names)
        previous = getattr(self, "result_", None) if progress is None else None
        result, progress = online_update(spec, data, names, progress, previous)
        self._set_result(result, data.dtype if starts else None)
        self._online = progress
        return self

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit, then return the most probable component of each row."""
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _progress_printer(self):
        if not self.verbose:
            return None

        def report(run: int, iteration: int, objective: float) -> None:
            if self.verbose >= 2 and iteration % self.verbose_interval == 0:
                print(f"  init {run}: iteration {iteration}, objective per sample {objective:.6f}")

        return report

    # scikit-learn's GaussianMixture keeps float32 input's dtype in its fitted parameters and
    # predictions; its BayesianGaussianMixture returns float64 (measured, scikit-learn 1.9)
    _keeps_input_dtype = True

    def _set_result(self, result: FitResult, input_dtype: np.dtype | None = None) -> None:
        """Set the fitted attributes from ``result``.

        ``input_dtype`` is the training data's dtype (None: keep the current fit's): the
        fit runs in float64, and the parameters are cast to float32 for float32 data, as
        scikit-learn's GaussianMixture returns them.
        """
        # Build everything first, assign after: a failure leaves the old state whole.
        engine, state = restore(
            result.spec, result.n_features, result.parameters, result.engine_variables
        )
        terms = engine.terms(state)
        engine_attributes = engine.fitted_attributes(state)
        p = result.parameters
        family = result.spec.family
        if input_dtype is None:
            dtype = getattr(self, "_parameter_dtype", np.dtype(np.float64))
        elif self._keeps_input_dtype:
            dtype = np.dtype(input_dtype)
        else:
            dtype = np.dtype(np.float64)
        fitted = {
            "weights_": p.weights.astype(dtype, copy=False),
            "means_": p.means.astype(dtype, copy=False),
            "covariances_": p.covariances.astype(dtype, copy=False),
            "precisions_cholesky_": p.precisions_cholesky.astype(dtype, copy=False),
            "precisions_": family.precisions(p.precisions_cholesky).astype(dtype, copy=False),
            "_parameter_dtype": dtype,
            "converged_": result.converged,
            "n_iter_": result.n_iter,
            "lower_bound_": result.lower_bound,
            "lower_bounds_": list(result.trace),
            "n_features_in_": result.n_features,
            "result_": result,
            "_terms": terms,
        }
        if self.verbose:
            print(
                f"fit done: {result.n_iter} iterations, converged={result.converged}, "
                f"objective per sample {result.lower_bound:.6f}"
            )
        for name in getattr(self, "_engine_attribute_names", ()):
            if hasattr(self, name):  # left by a fit with another engine
                delattr(self, name)
        fitted.update(engine_attributes, _engine_attribute_names=tuple(engine_attributes))
        for name, value in fitted.items():
            setattr(self, name, value)
        if result.feature_names is not None:
            self.feature_names_in_ = result.feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    @classmethod
    def from_result(cls, result: FitResult) -> GaussianMixture:
        """A fitted estimator from a :class:`FitResult` (e.g. one loaded from disk).

        Its ``prior`` is the prior the fit used, every hyperparameter explicit,
        so refitting it on the same data reproduces the fit.
        """
        spec = result.spec
        # every setting the spec records, but the per-fit starting points (spent by the fit)
        spent = {"weights_init", "means_init", "precisions_init", "responsibilities_init"}
        spent.add("noise_init")
        names = [n for n in cls._param_names() if hasattr(spec, n) and n not in spent]
        settings = {name: getattr(spec, name) for name in names}
        if result.pruning is not None:
            settings["n_components"] = result.pruning.initial_n_components
        estimator = cls(**settings)
        estimator._set_result(result)
        estimator.prior = getattr(estimator, "prior_", spec.prior)
        return estimator

    # --------------------------------------------------------------- predict
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "result_")

    def __sklearn_tags__(self):
        """scikit-learn's estimator tags: a density estimator on dense, finite 2-D data.

        Only scikit-learn calls this, so importing it here adds no runtime
        dependency: bayesgmm itself never imports scikit-learn.
        """
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="density_estimator",
            target_tags=TargetTags(required=False),
            input_tags=InputTags(
                two_d_array=True, sparse=False, allow_nan=self.missing == "marginalize"
            ),
        )

    def prune_components(self, threshold: float, X, sample_weight=None) -> GaussianMixture:
        """Remove components whose weight is below ``threshold`` and refit the survivors.

        Repeats until no weight is below the threshold (``1e-2`` is the usual
        choice); ``X`` and ``sample_weight`` must be the fitting data.  The
        fitted attributes change only if the refit succeeds; ``result_.pruning``
        records every step.  Returns ``self``.  (``FitResult.prune`` does the
        same on a result; here the name ``prune`` is the constructor parameter.)
        """
        self._check_fitted()
        self._set_result(self.result_.prune(threshold, X, sample_weight))
        return self

    def to_dataset(self) -> xr.Dataset:
        """The fit as a labelled :class:`xarray.Dataset` (see :meth:`FitResult.to_dataset`)."""
        self._check_fitted()
        return self.result_.to_dataset()

    def to_arviz(self, X, *, draws=None, random_state=None, posterior_predictive=False):
        """Posterior draws and pointwise log-likelihood as an ArviZ :class:`xarray.DataTree`.

        VB draws from its variational posterior, MAP from the conjugate posterior given the
        responsibilities on ``X``, Gibbs returns its chains, EM stores its point estimate as
        one draw.  ``X`` must be the fitting data.  See :func:`bayesgmm.diagnostics.to_arviz`.
        """
        self._check_fitted()
        options = dict(draws=draws, random_state=random_state)
        return to_arviz(self.result_, X, posterior_predictive=posterior_predictive, **options)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False
