"""Classification with Gaussian mixtures: R mclust's MclustDA and EDDA.

:class:`GaussianMixtureClassifier` (:mod:`.classifier`) models each class by a mixture
(:mod:`.models`); :mod:`.summary` prints mclust's summary and cross-validates the error;
:mod:`.saving` turns a fit into an :class:`xarray.DataTree` and back.
"""

from .classifier import GaussianMixtureClassifier
from .summary import cross_validated_error

__all__ = ["GaussianMixtureClassifier", "cross_validated_error"]
