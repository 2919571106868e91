"""Each training row's log-density at the fitted parameters: what anomaly thresholds come from.

A fit ends with one more pass over its data that scores every row as
``score_samples`` would, so that the fit can carry the quantiles of its own
training scores (:mod:`bayesgmm.fitting.score_quantiles`): a threshold taken
from them flags new rows by what the model saw, not by the batch it is given.

* In memory the rows are scored in chunks of :data:`CHUNK_ROWS`, so the pass holds
  O(chunk x K) numbers, not the (N, K) matrix ``score_samples`` builds.
* A Dask source scores its chunks where they live and gathers one float64 per row
  (with the weights); above :data:`MAX_GATHERED_ROWS` rows it scores a weighted
  sample of :data:`SAMPLE_ROWS` rows instead (drawn in proportion to the weights,
  from a generator of its own, so the fit's random stream is untouched).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..densities import log_density
from ..stats import GaussianTerms

CHUNK_ROWS = 65_536
MAX_GATHERED_ROWS = 10_000_000
SAMPLE_ROWS = 1_000_000
SAMPLE_SEED = 20_240_516


class RowScores(NamedTuple):
    """Log-densities of the rows a source scored, with their weights."""

    log_density: np.ndarray  # (n,) float64; -inf for rows too far for float64
    weights: np.ndarray | None  # (n,) or None: every row counts once
    sampled: bool  # True: a weighted sample of the source's rows, not all of them


def log_densities(X: np.ndarray, terms: GaussianTerms) -> np.ndarray:
    """``score_samples`` of the rows ``X`` at ``terms``, chunk by chunk (float64)."""
    out = np.empty(X.shape[0], dtype=np.float64)
    for start in range(0, X.shape[0], CHUNK_ROWS):
        rows = X[start : start + CHUNK_ROWS]
        out[start : start + rows.shape[0]] = log_density(rows, terms)
    return out
