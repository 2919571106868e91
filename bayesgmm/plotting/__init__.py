"""Figures of fitted mixtures and model comparisons (matplotlib, a dependency of bayesgmm).

Every function draws into the ``ax`` it is given, or into a new figure when
``ax`` is None, and returns the Axes (an array of Axes for the faceted
:func:`plot_criteria`); ``ax.figure`` is the Figure.  Nothing here calls
``plt.show()``, so the functions are safe on headless machines and in
scripts that save figures (``ax.figure.savefig("fit.png")``).

Models are fitted :class:`~bayesgmm.GaussianMixture` estimators or
:class:`~bayesgmm.FitResult` objects (e.g. from :func:`bayesgmm.load_result`).
"""

from .common import component_colors
from .criteria import plot_compare, plot_criteria, plot_criteria_table
from .mixture import plot_density, plot_mixture
from .posterior import plot_trace, plot_weights, weight_intervals
from .uncertainty import plot_uncertainty

__all__ = [
    "component_colors",
    "plot_compare",
    "plot_criteria",
    "plot_criteria_table",
    "plot_density",
    "plot_mixture",
    "plot_trace",
    "plot_uncertainty",
    "plot_weights",
    "weight_intervals",
]
