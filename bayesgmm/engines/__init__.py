"""Engines: the update equations of EM, MAP-EM, variational Bayes and the Gibbs sampler.

Each engine is found by name in :data:`ENGINES`; all share the E-step kernels.
A new engine is one module defining an :class:`Engine` subclass plus one
:func:`register_engine` call (docs/extending.md).  :func:`make_engine` is the
one factory and :func:`restore` the one way back from a saved fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.moments import DataMoments
from .base import (
    ITERATE_ASCENT,
    ITERATE_SAMPLING,
    Engine,
    MixtureParameters,
    PosteriorDraws,
)
from .em import EMEngine
from .gibbs import GibbsEngine
from .map import MAPEngine
from .noise import with_noise
from .vb import VBEngine

ENGINES: dict[str, type[Engine]] = {}
"""Registry of engines by ``engine=`` name."""


def register_engine(engine_class: type[Engine]) -> type[Engine]:
    """Make ``engine_class`` available as ``engine=engine_class.name``; returns it (a decorator)."""
    if not isinstance(engine_class, type) or not issubclass(engine_class, Engine):
        raise TypeError(f"register_engine needs an Engine subclass, got {engine_class!r}")
    if engine_class.iteration not in (ITERATE_ASCENT, ITERATE_SAMPLING):
        raise ValueError(
            f"{engine_class.__name__}.iteration must be {ITERATE_ASCENT!r} or "
            f"{ITERATE_SAMPLING!r}, got {engine_class.iteration!r}"
        )
    ENGINES[engine_class.name] = engine_class
    return engine_class


def unregister_engine(name: str) -> None:
    """Remove the engine registered under ``name`` (tests that register their own)."""
    ENGINES.pop(name, None)


def engine_class(name: str) -> type[Engine]:
    """The registered engine called ``name``, or a clear error."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"engine={name!r} is not registered; known: {sorted(ENGINES)}") from None


def make_engine(spec: Any, n_features: int, moments: DataMoments | None = None) -> Engine:
    """The one factory: the engine of ``spec`` for data with ``n_features`` (and its moments).

    ``moments`` resolve data-dependent prior defaults; without them (an engine
    rebuilt for a saved fit) the saved state carries the resolved prior.  A spec
    with ``noise=True`` gets the engine with mclust's noise component
    (:mod:`bayesgmm.engines.noise`).
    """
    chosen = engine_class(spec.engine)
    if getattr(spec, "noise", False):
        chosen = with_noise(chosen)
    return chosen.from_spec(spec, n_features, moments)


def restore(
    spec: Any,
    n_features: int,
    parameters: MixtureParameters,
    variables: dict[str, np.ndarray],
    moments: DataMoments | None = None,
) -> tuple[Engine, Any]:
    """The one way back from a saved fit: its engine and state from parameters + engine variables."""
    engine = make_engine(spec, n_features, moments)
    return engine, engine.state_from_saved(parameters, variables)


for _engine in (EMEngine, MAPEngine, VBEngine, GibbsEngine):
    register_engine(_engine)

__all__ = [
    "ENGINES",
    "ITERATE_ASCENT",
    "ITERATE_SAMPLING",
    "EMEngine",
    "Engine",
    "GibbsEngine",
    "MAPEngine",
    "MixtureParameters",
    "PosteriorDraws",
    "VBEngine",
    "engine_class",
    "make_engine",
    "register_engine",
    "restore",
    "unregister_engine",
]
