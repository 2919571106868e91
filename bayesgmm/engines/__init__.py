"""Engines: the update equations of EM, MAP-EM and variational Bayes.

Each engine is found by name in :data:`ENGINES`; all share the E-step kernels.
"""

from .base import Engine, MixtureParameters
from .em import EMEngine

ENGINES: dict[str, type[Engine]] = {engine.name: engine for engine in (EMEngine,)}

__all__ = ["ENGINES", "Engine", "EMEngine", "MixtureParameters"]
