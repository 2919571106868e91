"""The ``bayesgmm`` command: fit, select, predict, score and show mixtures from files."""

from ..io.tables import read_table
from .main import build_parser, main

__all__ = ["build_parser", "main", "read_table"]
