"""The model specification: a frozen, validated description of one mixture fit.

A :class:`ModelSpec` holds everything that decides *what* is fitted and *how*,
and nothing that depends on data.  The estimator builds one from its
scikit-learn-style parameters at ``fit`` time (scikit-learn estimators do not
validate in ``__init__``), so a bad parameter is reported before any state
changes.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data.responsibilities import check_responsibilities, check_responsibilities_rows
from .engines import ENGINES, ITERATE_SAMPLING
from .families import ONE_DIMENSIONAL_MODELS, family_named, family_names

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data", "hc")
LEARNING_METHODS = ("batch", "online")
STOPPING_RULES = ("change", "aitken", "relative")
MISSING_VALUES = ("error", "marginalize")


def _choice(name: str, value: Any, valid: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in valid:
        raise ValueError(
            f"{name}={value!r} is not one of the valid choices: "
            + ", ".join(repr(v) for v in valid)
        )
    return value


def _integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _real(name: str, value: Any, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not np.isfinite(float(value)) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {value}")
    return float(value)


def _optional_array(name: str, value: Any) -> np.ndarray | None:
    if value is None:
        return None
    try:
        array = np.array(
            value, dtype=np.float64
        )  # a private copy: the caller's array is never kept
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers: {exc}") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; give finite numbers")
    array.setflags(write=False)
    return array


def prune_threshold(value: Any, name: str = "prune") -> float:
    """Validate a pruning weight threshold: a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not 0.0 < value < 1.0:  # also refuses NaN
        raise ValueError(
            f"{name}={value} is not a weight threshold: give a number between 0 and 1 "
            "(1e-2 is the usual choice), or None to switch pruning off"
        )
    return value


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """What to fit: the mixture, the engine and the optimisation settings.

    Parameters mirror :class:`sklearn.mixture.GaussianMixture`; see
    :class:`bayesgmm.GaussianMixture` for their meaning.  Construction
    validates every field and raises ``ValueError``/``TypeError`` naming the
    bad parameter and the valid range.
    """

    n_components: int = 1
    covariance_type: str = "full"
    engine: str = "em"
    tol: float = 1e-3
    reg_covar: float = 1e-6
    max_iter: int = 100
    n_init: int = 1
    init_params: str = "kmeans"
    weights_init: np.ndarray | None = None
    means_init: np.ndarray | None = None
    precisions_init: np.ndarray | None = None
    # a start given as labels (N,) or responsibilities (N, K): data/responsibilities.py
    responsibilities_init: np.ndarray | None = None
    random_state: Any = None
    warm_start: bool = False
    prior: Any = None  # the engine's prior (MAPPrior, VBPrior); None: its defaults
    prune: float | None = None  # weight threshold below which components are removed (None: off)
    # mini-batch EM (bayesgmm.fitting.online): step sizes (t + learning_offset) ** -learning_decay
    learning_method: str = "batch"
    batch_size: int = 1024
    learning_decay: float = 0.7
    learning_offset: float = 10.0
    total_samples: float | None = None  # partial_fit's data-set weight (None: the weight seen)
    # SQUAREM-accelerated EM with a monotone safeguard (bayesgmm.fitting.acceleration)
    accelerate: bool = False
    # the stopping rule: "change" (scikit-learn's), "aitken" or "relative" (mclust's);
    # bayesgmm.fitting.stopping
    stopping: str = "change"
    # NaN in X: "error" refuses them, "marginalize" fits the observed values (bayesgmm.data.incomplete)
    missing: str = "error"
    # mclust's noise component (bayesgmm.engines.noise): a uniform background of density
    # 1 / noise_volume (None: mclust's hypvol of the data, set when the fit starts), started
    # from the rows flagged in noise_init (None: Byers & Raftery's nearest-neighbour guess)
    noise: bool = False
    noise_volume: float | None = None
    noise_init: np.ndarray | None = None
    # the Gibbs sampler's chains (bayesgmm.fitting.sampling): n_warmup discarded sweeps, then
    # n_draws kept draws every thin-th sweep, in each of n_chains chains
    n_chains: int = 4
    n_draws: int = 1000
    n_warmup: int = 500
    thin: int = 1

    def __post_init__(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)
        set_("n_components", _integer("n_components", self.n_components, 1))
        set_("covariance_type", _choice("covariance_type", self.covariance_type, family_names()))
        set_("engine", _choice("engine", self.engine, tuple(ENGINES)))
        ENGINES[self.engine].check_family(self.family)
        ENGINES[self.engine].check_prior(self.prior)
        set_("tol", _real("tol", self.tol))
        set_("reg_covar", _real("reg_covar", self.reg_covar))
        set_("max_iter", _integer("max_iter", self.max_iter, 0))
        set_("n_init", _integer("n_init", self.n_init, 1))
        set_("init_params", _choice("init_params", self.init_params, INIT_METHODS))
        for name in ("weights_init", "means_init", "precisions_init"):
            set_(name, _optional_array(name, getattr(self, name)))
        given = all(
            getattr(self, n) is not None for n in ("weights_init", "means_init", "precisions_init")
        )
        resp = check_responsibilities(self.responsibilities_init, self.n_components, given)
        set_("responsibilities_init", resp)
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False, got {self.warm_start!r}")
        set_("warm_start", bool(self.warm_start))
        if not isinstance(self.accelerate, (bool, np.bool_)):
            raise TypeError(f"accelerate must be True or False, got {self.accelerate!r}")
        set_("accelerate", bool(self.accelerate))
        set_("stopping", _choice("stopping", self.stopping, STOPPING_RULES))
        set_("missing", _choice("missing", self.missing, MISSING_VALUES))
        if self.prune is not None:
            set_("prune", prune_threshold(self.prune))
        if ENGINES[self.engine].iteration == ITERATE_SAMPLING:
            for name, value, plain in (
                ("learning_method", self.learning_method, "batch"),
                ("accelerate", self.accelerate, False),
                ("stopping", self.stopping, "change"),
            ):
                if value != plain:
                    raise ValueError(
                        f"{name}={value!r} changes how an optimiser iterates, but "
                        f"engine={self.engine!r} samples: its chains run n_warmup + n_draws * "
                        f"thin sweeps over all the data. Leave {name} at {plain!r}"
                    )
            for name, value, plain in (
                ("missing", self.missing, "error"),
                ("noise", self.noise, False),
            ):
                if value != plain:
                    raise ValueError(
                        f"{name}={value!r} is not available with engine={self.engine!r}: the "
                        "sampler draws each row's component from its complete values, with no "
                        "missing coordinates and no background component. Use engine='map' "
                        f"(the same posterior's mode), or leave {name} at {plain!r}"
                    )
        set_("n_chains", _integer("n_chains", self.n_chains, 1))
        set_("n_draws", _integer("n_draws", self.n_draws, 1))
        set_("n_warmup", _integer("n_warmup", self.n_warmup, 0))
        set_("thin", _integer("thin", self.thin, 1))
        set_("learning_method", _choice("learning_method", self.learning_method, LEARNING_METHODS))
        set_("batch_size", _integer("batch_size", self.batch_size, 1))
        set_("learning_offset", _real("learning_offset", self.learning_offset))
        decay = _real("learning_decay", self.learning_decay)
        if not 0.5 < decay <= 1.0:
            raise ValueError(
                f"learning_decay must lie in (0.5, 1] so that the step sizes sum to infinity "
                f"while their squares converge, got {decay}"
            )
        set_("learning_decay", decay)
        self._check_noise()
        if self.total_samples is not None:
            total = _real("total_samples", self.total_samples)
            if total <= 0:
                raise ValueError(f"total_samples must be positive, got {total}")
            set_("total_samples", total)

    def _check_noise(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)
        if not isinstance(self.noise, (bool, np.bool_)):
            raise TypeError(f"noise must be True or False, got {self.noise!r}")
        set_("noise", bool(self.noise))
        for name in ("noise_volume", "noise_init"):
            if getattr(self, name) is not None and not self.noise:
                raise ValueError(
                    f"{name} is given but noise=False: set noise=True to fit a noise "
                    f"component, or leave {name} at None"
                )
        if self.noise_volume is not None:
            volume = _real("noise_volume", self.noise_volume)
            if volume <= 0:
                raise ValueError(
                    f"noise_volume must be positive (the volume of the data's region), got {volume}"
                )
            set_("noise_volume", volume)
        if self.noise_init is not None:
            mask = np.array(self.noise_init)  # a private copy
            if mask.ndim != 1 or mask.dtype != np.bool_:
                raise TypeError(
                    "noise_init must be a one-dimensional boolean array, True for the rows that "
                    f"start in the noise component; got {mask.dtype} of shape {mask.shape}"
                )
            mask.setflags(write=False)
            set_("noise_init", mask)
        if not self.noise:
            return
        if self.learning_method != "batch":
            raise ValueError(
                "noise=True needs learning_method='batch': the noise component's volume and "
                "start come from the whole data set"
            )
        if self.responsibilities_init is not None:
            raise ValueError(
                "noise=True starts from noise_init (or its nearest-neighbour guess) and the "
                "init_params guess on the other rows; responsibilities_init is not used with "
                "it: give noise_init instead"
            )
        if self.missing != "error":
            raise ValueError(
                f"noise=True with missing={self.missing!r} is not supported: the uniform "
                "background's density over a row's observed coordinates would need a volume "
                "for every missingness pattern. Fit the noise model on the complete rows, or "
                "fill the missing values first (GaussianMixture(missing='marginalize').impute)"
            )

    @property
    def family(self):
        """The covariance family object named by ``covariance_type``."""
        return family_named(self.covariance_type)

    def check_initial_parameters(self, n_features: int, n_samples: int | None = None) -> None:
        """Validate user-given initial parameters against the data's width (and length)."""
        K, D = self.n_components, n_features
        if self.covariance_type in ONE_DIMENSIONAL_MODELS and D != 1:
            raise ValueError(
                f"covariance_type={self.covariance_type!r} is mclust's name of a model of "
                f"one-dimensional data, but X has {D} features; use "
                f"{'EII' if self.covariance_type == 'E' else 'VII'} (or another of mclust's "
                "multivariate models) for several features"
            )
        check_responsibilities_rows(self.responsibilities_init, n_samples)
        if self.noise_init is not None and n_samples is not None:
            if self.noise_init.shape[0] != n_samples:
                raise ValueError(
                    f"noise_init flags {self.noise_init.shape[0]} rows but X has {n_samples}; "
                    "give one True/False per row"
                )
            if self.noise_init.sum() > n_samples - K:
                raise ValueError(
                    f"noise_init flags {int(self.noise_init.sum())} of {n_samples} rows as noise, "
                    f"leaving fewer than n_components={K} to start the Gaussians from"
                )
        if self.weights_init is not None:
            w = self.weights_init
            if w.shape != (K,):
                raise ValueError(
                    f"The parameter 'weights' should have the shape of ({K},), but got {w.shape}: "
                    f"weights_init has shape {w.shape}; expected ({K},), one weight per component"
                )
            if np.any(w < 0) or np.any(w > 1):
                # scikit-learn's wording, verbatim (it prints the minimum as "max value" and
                # the maximum as "min value"; code matching on it expects that), then ours
                raise ValueError(
                    "The parameter 'weights' should be in the range [0, 1], but got max value "
                    f"{w.min():.5f}, min value {w.max():.5f}: weights_init must lie in [0, 1] "
                    f"(its smallest is {w.min():.5g}, its largest {w.max():.5g})"
                )
            if not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
                raise ValueError(
                    "The parameter 'weights' should be normalized, but got sum(weights) = "
                    f"{w.sum():.5f}: weights_init must sum to 1, but sums to {w.sum():.8g}; "
                    "divide by its sum"
                )
        if self.means_init is not None and self.means_init.shape != (K, D):
            raise ValueError(
                f"The parameter 'means' should have the shape of ({K}, {D}), but got "
                f"{self.means_init.shape}: "
                f"means_init has shape {self.means_init.shape}; expected ({K}, {D}) "
                "(n_components, n_features)"
            )
        if self.precisions_init is not None:
            self.family.check_precisions(self.precisions_init, K, D)


def check_warm_start(spec: Any, previous: Any) -> None:
    """A warm start continues ``previous``: it must be the same kind of model."""
    # a pruned fit has fewer components than asked for and continues with the survivors
    pruned_from_this = previous.pruning is not None and previous.n_components < spec.n_components
    compared = (
        ("covariance_type", "engine", "noise")
        if pruned_from_this
        else ("n_components", "covariance_type", "engine", "noise")
    )
    changed = [
        f"{name}={getattr(spec, name)!r} (previous fit: {getattr(previous.spec, name)!r})"
        for name in compared
        if getattr(spec, name) != getattr(previous.spec, name)
    ]
    if changed:
        raise ValueError(
            "warm_start=True continues the previous fit, but this fit asks for "
            + ", ".join(changed)
            + ". Set warm_start=False to start afresh, or restore those parameters"
        )
