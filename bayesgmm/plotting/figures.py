"""The figures, by job: :mod:`.mixture`, :mod:`.criteria`, :mod:`.posterior` (this is the old import path)."""

from .common import component_colors
from .criteria import plot_compare, plot_criteria, plot_criteria_table
from .mixture import plot_density, plot_mixture
from .posterior import plot_trace, plot_weights, weight_intervals

__all__ = [
    "component_colors",
    "plot_compare",
    "plot_criteria",
    "plot_criteria_table",
    "plot_density",
    "plot_mixture",
    "plot_trace",
    "plot_weights",
    "weight_intervals",
]
