"""bayesgmm: Gaussian mixture models with interchangeable EM, MAP-EM and VB engines."""

import os as _os

# Numba's OpenMP threads otherwise spin for a while after every parallel
# kernel, fighting OpenBLAS's threads for the cores during the M-step's small
# linear algebra: measured 142 ms per Old Faithful fit with spinning, 8 ms
# passive.  Must be set before the OpenMP runtime loads; a user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._version import __version__
from .bayesian import BayesianGaussianMixture
from .classification import GaussianMixtureClassifier, cross_validated_error
from .diagnostics import align_components, compare
from .engines.priors import MAPPrior, VBPrior
from .estimator import GaussianMixture
from .exceptions import (
    ConvergenceWarning,
    NotFittedError,
    SavedFitError,
    SingularCovarianceError,
)
from .fitting.result import FitResult
from .io import load, load_result, save
from .model_selection import (
    best_model,
    combine_fits,
    criteria_table,
    permute_components,
    select,
)
from .model_selection.pruning import PrunePath, prune_path
from .spec import ModelSpec

__all__ = [
    "BayesianGaussianMixture",
    "ConvergenceWarning",
    "FitResult",
    "GaussianMixture",
    "GaussianMixtureClassifier",
    "MAPPrior",
    "ModelSpec",
    "NotFittedError",
    "PrunePath",
    "SavedFitError",
    "SingularCovarianceError",
    "VBPrior",
    "__version__",
    "align_components",
    "best_model",
    "combine_fits",
    "compare",
    "criteria_table",
    "cross_validated_error",
    "load",
    "load_result",
    "permute_components",
    "prune_path",
    "save",
    "select",
]
