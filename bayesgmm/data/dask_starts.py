"""Starts of a Dask fit that need more than a k-means sample: ``hc`` and ``responsibilities_init``.

Both return statistics in the form :meth:`DataSource.initial_statistics` does;
:class:`bayesgmm.data.distributed.DaskData` delegates to them.
"""

from __future__ import annotations

import numpy as np

from ..stats import SuffStats
from .dask_chunks import SPLIT_EVERY, _chunk_given_statistics, _packed_length
from .hierarchical import HC_SUBSET, hierarchical_tree
from .init import statistics_from_assignment
from .sources import _generator_key


def given_statistics(source, responsibilities: np.ndarray, n_components: int, diagonal: bool):
    """Statistics of user-given labels (N,) or responsibilities (N, K), in one pass.

    The array is split along the rows as the Dask array is, so each task gets
    its chunk's labels or responsibilities; moments are taken about the first row.
    """
    import dask.array as da

    K, D = n_components, source.n_features
    center = np.asarray(source.X[0].compute(), dtype=np.float64)
    row_chunks = source.X.chunks[0]
    if responsibilities.ndim == 1:
        given, index = da.from_array(responsibilities, chunks=(row_chunks,)), "i"
    else:
        given, index = da.from_array(responsibilities, chunks=(row_chunks, K)), "ik"
    arguments = [source.X, "ij", given, index]
    if source.weights is not None:
        arguments += [source.weights, "i"]
    parts = da.blockwise(
        _chunk_given_statistics,
        "ij",
        *arguments,
        adjust_chunks={"i": 1, "j": _packed_length(K, D, diagonal)},
        concatenate=True,
        dtype=np.float64,
        meta=np.empty((0, 0), dtype=np.float64),
        center=center,
        n_components=K,
        diagonal=diagonal,
    )
    vector = parts.sum(axis=0, split_every=SPLIT_EVERY).compute()
    stats = source._statistics(vector, np.repeat(center[None], K, 0), diagonal)
    return SuffStats(stats.nk, stats.sx, stats.sxx, float("nan"), stats.center, stats.total_weight)


def hierarchical_statistics(source, K: int, diagonal: bool, rng: np.random.Generator):
    """``init_params="hc"``: mclust's tree on a sample of at most 2000 rows.

    The sample is drawn in proportion to the weights (as every Dask start's),
    so its partition's statistics are unweighted, unless it holds every row of
    positive weight: then they are weighted, and the start is the in-memory
    one.  They are scaled to the data's total weight, and the loop's first
    E-step then reads every row (mclust's M-step on its subset, E-step on all
    data).  The sample and its tree are remembered on the source per
    generator state, as :class:`~bayesgmm.data.sources.InMemoryData`
    remembers its trees.
    """
    key = _generator_key(rng)
    trees = source.__dict__.setdefault("_trees", {})
    if key in trees:
        sample, weights, tree, state_after = trees[key]
        rng.bit_generator.state = state_after
    else:
        rows, sample = source.sample_rows(min(source.init_sample_size, HC_SUBSET), rng)
        if not np.isfinite(sample).all():
            source._raise_if_nonfinite()
        weights = None
        if source.weights is not None and sample.shape[0] == source.weighted_rows():
            weights = np.asarray(source.weights[rows].compute(), dtype=np.float64)
        tree = hierarchical_tree(sample) if sample.shape[0] >= K else None
        trees[key] = (sample, weights, tree, rng.bit_generator.state)
    if tree is None:
        raise ValueError(
            f"only {sample.shape[0]} rows have a positive sample_weight but "
            f"n_components={K}; a mixture needs at least one weighted row per component"
        )
    stats = statistics_from_assignment(sample, K, diagonal, tree.labels(K), None, weights)
    return stats.scaled(source.total_weight / stats.total_weight)
