"""What the diagnostics accept as a fit: a fitted estimator or its result.

The diagnostics sit below the fitting loop and the estimator (they evaluate a
fitted state; they do not fit), so they know a result by what it holds, not by
its class.
"""

from __future__ import annotations

from typing import Any


def as_result(model: Any) -> Any:
    """The :class:`~bayesgmm.FitResult` of a fitted estimator, or ``model`` itself when it is one."""
    result = getattr(model, "result_", model)
    if all(hasattr(result, name) for name in ("spec", "parameters", "engine_variables", "trace")):
        return result
    raise TypeError(
        f"expected a fitted GaussianMixture or a FitResult, got {type(model).__name__}; "
        "fit the model first"
    )
