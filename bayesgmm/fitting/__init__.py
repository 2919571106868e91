"""The fitting layer: the one loop, its restarts and safeguards, and what a fit returns.

* :mod:`~bayesgmm.fitting.loop`: data -> statistics -> engine update, until converged.
* :mod:`~bayesgmm.fitting.restarts`: :func:`fit`, ``n_init`` starts of the loop, the best kept.
* :mod:`~bayesgmm.fitting.online`: the mini-batch (stochastic) variant of the loop.
* :mod:`~bayesgmm.fitting.safeguards`: re-seeding components that lose all their rows.
* :mod:`~bayesgmm.fitting.pruning`: removing components below a weight and refitting the rest.
* :mod:`~bayesgmm.fitting.result`: :class:`FitResult`, a fit as a labelled xarray Dataset.
"""

from .restarts import fit
from .result import FitResult

__all__ = ["FitResult", "fit"]
