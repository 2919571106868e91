"""What the figures share: axes, the model behind an argument, component colours."""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import matplotlib
    from matplotlib.colors import to_rgb
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "bayesgmm.plotting needs matplotlib, which bayesgmm depends on: pip install matplotlib"
    ) from exc

from ..fitting.result import FitResult


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when a new figure is needed

    return plt.subplots(figsize=(6.4, 4.8), layout="constrained")[1]


def _result(model: Any) -> FitResult:
    if isinstance(model, FitResult):
        return model
    result = getattr(model, "result_", None)
    if isinstance(result, FitResult):
        return result
    raise TypeError(
        f"expected a fitted GaussianMixture or a FitResult, got {type(model).__name__}; fit it first"
    )


def _estimator(model: Any):
    from ..estimator import GaussianMixture

    if isinstance(model, GaussianMixture):
        model._check_fitted()
        return model
    return GaussianMixture.from_result(_result(model))


def component_colors(n_components: int) -> np.ndarray:
    """(K, 3) RGB colours, one per component: tab10, tab20 beyond 10, then a continuous map."""
    if n_components <= 10:
        cmap = matplotlib.colormaps["tab10"]
        return np.array([to_rgb(cmap(k)) for k in range(n_components)])
    if n_components <= 20:
        cmap = matplotlib.colormaps["tab20"]
        return np.array([to_rgb(cmap(k)) for k in range(n_components)])
    cmap = matplotlib.colormaps["turbo"]
    return np.array([to_rgb(cmap(x)) for x in np.linspace(0, 1, n_components)])


def component_slots(order, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each component is drawn: ``(slots, colors)``.

    ``slots`` is ``order`` checked (default ``range(K)``): entry ``i`` is the
    component drawn ``i``-th, in colour ``i``; ``-1`` leaves that place and
    colour empty (the output of :func:`bayesgmm.align_components` is such an
    order).  ``colors`` is (K, 3): each component's colour.
    """
    K = n_components
    slots = np.arange(K) if order is None else np.asarray(order)
    drawn = slots[slots >= 0] if slots.ndim == 1 and slots.dtype.kind in "iu" else None
    if drawn is None or not np.array_equal(np.sort(drawn), np.arange(K)):
        raise ValueError(
            f"order={order!r} must list each of the model's {K} components once "
            "(-1 for an empty place), e.g. from bayesgmm.align_components"
        )
    palette = component_colors(slots.size)
    colors = np.empty((K, 3))
    colors[drawn] = palette[slots >= 0]
    return slots.astype(np.intp), colors


def _feature_index(feature, names: list[str], D: int) -> int:
    if isinstance(feature, str):
        if feature not in names:
            raise ValueError(f"feature {feature!r} is not one of the model's features {names}")
        return names.index(feature)
    if (
        isinstance(feature, (int, np.integer))
        and not isinstance(feature, bool)
        and -D <= feature < D
    ):
        return int(feature) % D
    raise ValueError(f"feature {feature!r} is neither a feature name nor an index below {D}")
