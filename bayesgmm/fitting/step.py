"""One pass of the loop: the statistics of a state and the objective they give.

Shared by the plain loop (:mod:`bayesgmm.fitting.loop`) and the accelerated one
(:mod:`bayesgmm.fitting.acceleration`), so both read the data, form the objective and
refuse an overflow the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.sources import DataSource
from ..engines import Engine
from ..stats import SuffStats


def objective_pass(
    engine: Engine, data: DataSource, state: Any, iteration: int
) -> tuple[SuffStats, float]:
    """The E-step statistics at ``state`` and the per-sample objective (before the update).

    ``objective = (log-likelihood + engine.penalty(state)) / total weight``; a non-finite
    one (rows too far from every component for float64) raises ``FloatingPointError``
    naming ``iteration``.
    """
    stats = data.accumulate(engine.terms(state))
    objective = (stats.loglik + engine.penalty(state)) / data.total_weight
    if not np.isfinite(objective):
        raise FloatingPointError(
            f"the objective became {objective} at iteration {iteration}: some rows are too "
            "far from every component for float64 (their squared distances overflow). "
            "Standardise X, or increase reg_covar"
        )
    return stats, objective
