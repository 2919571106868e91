"""The ``bayesgmm`` command: fit, select, predict, score and show mixtures from files."""

from .main import build_parser, main, read_table

__all__ = ["build_parser", "main", "read_table"]
