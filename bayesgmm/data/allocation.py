"""The Gibbs sampler's pass over in-memory rows: sampled allocations folded into statistics.

:func:`allocate` is to the sampler what :func:`bayesgmm.stats.accumulate` is to the
optimisers: one pass of a compiled kernel (:mod:`bayesgmm.kernels.sampling`) that
returns additive :class:`~bayesgmm.stats.SuffStats`, here of a hard allocation drawn
from the responsibilities.
"""

from __future__ import annotations

import numpy as np

from ..stats import GaussianTerms, SuffStats, float64_row_chunks, pass_work, run_kernel

_NO_WEIGHTS = np.empty(0, dtype=np.float64)
_NO_LABELS = np.empty(0, dtype=np.int64)


def allocate(
    X: np.ndarray,
    terms: GaussianTerms,
    uniforms: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    pivot: np.ndarray | None = None,
    allocation: np.ndarray | None = None,
) -> tuple[SuffStats, np.ndarray]:
    """One Gibbs pass over ``X``: a sampled allocation folded into hard-allocation statistics.

    Each row draws its component from its responsibilities at ``terms`` with
    ``uniforms[n]`` (:mod:`bayesgmm.kernels.sampling`).  Returns the statistics
    (``loglik`` is the marginal log-likelihood at ``terms``) and the (K, K)
    weight of rows drawn into k whose ``pivot`` label is j (zeros without a
    pivot).  ``allocation`` (N,) int64, if given, receives each row's component.
    float32 rows are passed to the float64 kernel in float64 chunks.
    """
    kernel = terms.kernel.allocate_stats
    if kernel is None:
        raise ValueError(f"the {terms.kernel.name!r} kernel form has no sampling kernel")
    weights = _NO_WEIGHTS if sample_weight is None else sample_weight
    total = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
    K, D = terms.means.shape
    nk, sx, agreement, loglik = np.zeros(K), np.zeros((K, D)), np.zeros((K, K)), 0.0
    sxx = np.zeros((K, D) if terms.kernel.is_diagonal else (K, D, D))
    for rows, chunk in float64_row_chunks(X):
        part = run_kernel(
            kernel,
            pass_work(chunk.shape[0], terms),
            chunk,
            weights[rows] if weights.shape[0] else weights,
            uniforms[rows],
            terms.means,
            terms.factor,
            terms.log_offset,
            _NO_LABELS if pivot is None else pivot[rows],
            _NO_LABELS if allocation is None else allocation[rows],
        )
        nk, sx, sxx = nk + part[0], sx + part[1], sxx + part[2]
        loglik, agreement = loglik + part[3], agreement + part[4]
    return SuffStats(nk, sx, sxx, float(loglik), terms.means, total), agreement
