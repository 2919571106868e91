"""Engines: the update equations of EM, MAP-EM and variational Bayes.

Each engine is found by name in :data:`ENGINES`; all share the E-step kernels.
"""

from .base import Engine, MixtureParameters
from .em import EMEngine
from .map import MAPEngine
from .vb import VBEngine

ENGINES: dict[str, type[Engine]] = {engine.name: engine for engine in (EMEngine, MAPEngine, VBEngine)}

__all__ = ["ENGINES", "Engine", "EMEngine", "MAPEngine", "MixtureParameters", "VBEngine"]
