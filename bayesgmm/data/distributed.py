"""Fits on Dask arrays: the statistics pass runs chunk by chunk where the data live.

Sufficient statistics are additive, so one iteration on a Dask array is

1. map the Numba statistics kernel over the row chunks (:func:`dask.array.blockwise`,
   each task returns its chunk's statistics packed into one short vector);
2. sum the vectors with Dask's tree reduction;
3. hand the sum to the engine's update on the client.

Only statistics of size O(K D^2) travel; the rows never leave the workers.
Everything here runs on whatever scheduler is active: the local threaded
scheduler, or a :class:`distributed.Client` (a ``LocalCluster`` or a scheduler
address).

Decisions
---------
* **Persist once, when it fits.** The rows are persisted on the workers before
  the first pass when they take at most half of the workers' memory limit
  (threaded scheduler: half the machine's available memory); otherwise every
  pass re-reads them from their source (Zarr, netCDF), which is what lets a
  fit handle data larger than the cluster's memory.
* **One Numba thread per task**, and worker processes that start no idle
  thread pools: see :mod:`bayesgmm.data.dask_workers`.
* **Validation is lazy.** Shape and dtype come from the array's metadata.
  Non-finite values are not searched for in a separate pass: they make the
  first pass's statistics non-finite, and only then does one extra pass count
  the offending rows for the error message.  Sample weights (one number per
  row) are checked eagerly, in one small pass.  The scale checks every fit
  makes (:mod:`bayesgmm.data.checks`) take one pass: each feature's range and
  variance in one ``dask.compute`` (:meth:`DaskData._scale_summary`), which is
  also the pass that finds non-finite rows.
* **Initialisation without gathering.** ``kmeans``, ``k-means++`` and
  ``random_from_data`` run on a sample of at most ``init_sample_size`` rows,
  drawn chunk by chunk (weighted reservoir sampling, Efraimidis & Spirakis
  2006, so rows are drawn in proportion to their weight and zero-weight rows
  never) and merged by a tree of small tasks.  One pass then assigns every row
  to its nearest centre and gathers the statistics of that assignment.
  ``random`` draws the responsibilities inside each task from a per-chunk seed.
  ``hc`` (mclust's hierarchical start) builds its tree on a sample of at most
  2000 rows drawn the same way, and starts from the statistics of the
  sample's partition (:mod:`bayesgmm.data.dask_starts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..kernels.forms import DIAG
from ..stats import GaussianTerms, SuffStats
from .dask_chunks import (
    SPLIT_EVERY,
    _chunk_assignment_statistics,
    _chunk_nonfinite_rows,
    _chunk_random_statistics,
    _chunk_statistics,
    _merge_candidates,
    _packed_length,
    _sample_candidates,
    _unpack,
)
from .dask_starts import given_statistics, hierarchical_statistics
from .dask_workers import (  # noqa: F401 (PERSIST_MEMORY_FRACTION: importable from here, as before)
    PERSIST_MEMORY_FRACTION,
    _fits_in_worker_memory,
    _set_worker_defaults,
    _single_numba_thread,
)
from .init import initial_labels_or_responsibilities
from .moments import DataMoments, moments_from_statistics, moments_terms
from .scores import MAX_GATHERED_ROWS, SAMPLE_ROWS, SAMPLE_SEED, RowScores, log_densities
from .sources import DataSource
from .validation import complex_data_error

DEFAULT_INIT_SAMPLE_SIZE = 20_000
"""Rows drawn for the k-means initialisation of a Dask fit."""

_SPLIT_EVERY = SPLIT_EVERY


# ------------------------------------------------------------------ validation
def as_dask_matrix(X: Any, *, name: str = "X"):
    """Validate a Dask array (or Dask-backed DataArray) as an (n_samples, n_features) matrix.

    Nothing is computed: checks use the array's metadata only.  Returns the
    array with all features in one chunk, as float32 (if it was float32) or
    float64, and the feature names (or None).
    """
    import dask.array as da

    feature_names = None
    if hasattr(X, "dims") and hasattr(X, "coords"):  # xarray.DataArray
        if len(X.dims) == 2 and X.dims[1] in X.coords:
            labels = list(X.coords[X.dims[1]].values)
            if labels and all(isinstance(label, str) for label in labels):
                feature_names = np.asarray(labels, dtype=object)
        X = X.data
    if not isinstance(X, da.Array):
        raise TypeError(f"{name} is a {type(X).__name__}; give a dask.array.Array or a DataArray")
    if X.dtype == bool:
        raise TypeError(
            f"{name} is boolean; a Gaussian mixture needs real-valued measurements. "
            "If the 0/1 values are meant, pass X.astype(float)"
        )
    if X.dtype.kind == "c":
        raise complex_data_error(name)  # the in-memory error: one error for one mistake
    if X.dtype.kind not in "fiu":
        raise TypeError(f"{name} has unsupported dtype {X.dtype}; convert it to real numbers first")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {X.ndim}-D")
    if any(np.isnan(size) for size in X.shape):
        raise ValueError(
            f"{name} has unknown chunk sizes (shape {X.shape}); call {name}.compute_chunk_sizes() "
            "first (e.g. after boolean indexing)"
        )
    n_samples, n_features = X.shape
    if n_samples == 0:
        raise ValueError(f"{name} has 0 samples (shape {X.shape}); at least one is required")
    if n_features == 0:
        raise ValueError(f"{name} has 0 features (shape {X.shape}); at least one is required")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # the kernel needs whole rows
    return X, feature_names


def _dask_sample_weight(sample_weight: Any, X):
    """Sample weights as a Dask array chunked like X's rows, checked in one small pass."""
    import dask
    import dask.array as da

    n_samples = X.shape[0]
    if isinstance(sample_weight, da.Array):
        weights = sample_weight.astype(np.float64).reshape(-1)
    else:
        weights = da.from_array(np.array(sample_weight, dtype=np.float64).reshape(-1))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has {weights.shape[0]} entries for {n_samples} samples; give one per row"
        )
    weights = weights.rechunk((X.chunks[0],))
    valid = (da.isfinite(weights) & (weights >= 0)).all()
    chunk_sums = weights.map_blocks(
        lambda w: np.array([w.sum()]),
        chunks=((1,) * weights.numblocks[0],),
        dtype=np.float64,
        meta=np.empty(0),
    )
    positive = (weights > 0).sum()
    valid, chunk_sums, positive = dask.compute(valid, chunk_sums, positive)
    if not valid:
        raise ValueError("sample_weight must be finite and non-negative")
    if chunk_sums.sum() <= 0:
        raise ValueError("sample_weight sums to zero; at least one row must carry weight")
    return weights, chunk_sums, int(positive)


class DaskData(DataSource):
    """Rows in a Dask array, processed chunk by chunk on the active Dask scheduler.

    Parameters
    ----------
    X : dask.array.Array or Dask-backed xarray.DataArray, (n_samples, n_features)
    sample_weight : array-like or dask array of shape (n_samples,), optional
    persist : {"auto", True, False}, default "auto"
        Keep the rows in the workers' memory for the whole fit.  "auto" does so
        when they take at most half of the workers' memory limit.
    init_sample_size : int
        Rows drawn for the k-means family of initialisations.
    """

    def __init__(
        self,
        X: Any,
        sample_weight: Any = None,
        *,
        persist: bool | str = "auto",
        init_sample_size: int = DEFAULT_INIT_SAMPLE_SIZE,
    ):
        import dask

        array, self.feature_names = as_dask_matrix(X)
        weights, chunk_weights, weighted_rows = None, None, None
        if sample_weight is not None:
            weights, chunk_weights, weighted_rows = _dask_sample_weight(sample_weight, array)
        if persist == "auto":
            persist = _fits_in_worker_memory(
                array.nbytes + (0 if weights is None else weights.nbytes)
            )
        elif not isinstance(persist, bool):
            raise ValueError(f"persist must be 'auto', True or False, got {persist!r}")
        if persist:
            array, weights = dask.persist(array, weights)
        self.persisted = persist
        self._setup(array, weights, chunk_weights, init_sample_size, verified=False)
        self._weighted_rows = weighted_rows

    def _setup(self, array, weights, chunk_weights, init_sample_size, verified) -> None:
        self.X = array
        self.weights = weights
        self.init_sample_size = int(init_sample_size)
        self.n_samples, self.n_features = (int(n) for n in array.shape)
        row_chunks = np.asarray(array.chunks[0], dtype=np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(row_chunks)[:-1]])
        self._chunk_weights = (
            row_chunks.astype(np.float64) if chunk_weights is None else chunk_weights
        )
        self.total_weight = float(self._chunk_weights.sum())
        self._verified = verified  # True once a pass has shown the data finite
        self._weighted_rows = None  # rows of positive weight, when counted

    @property
    def n_chunks(self) -> int:
        return len(self.X.chunks[0])

    def _row_numbers(self):
        """A lazy array of row indices chunked like X (each task makes its own)."""
        import dask.array as da

        return da.arange(self.n_samples, chunks=(self.X.chunks[0],))

    # ------------------------------------------------------------- passes
    def _pass(self, function: Callable, length: int, *extra, **kwargs) -> np.ndarray:
        """Sum over chunks of ``function(block, *extra_blocks, [weights], **kwargs)`` -> (length,)."""
        return self._lazy_pass(function, length, *extra, **kwargs).compute()

    def _lazy_pass(self, function: Callable, length: int, *extra, **kwargs):
        """:meth:`_pass`, not yet computed (to compute it along with other reductions)."""
        import dask.array as da

        arguments = [self.X, "ij"]
        for array in extra:
            arguments += [array, "i"]
        if self.weights is not None:
            arguments += [self.weights, "i"]
        parts = da.blockwise(
            function,
            "ij",
            *arguments,
            adjust_chunks={"i": 1, "j": length},
            dtype=np.float64,
            meta=np.empty((0, 0), dtype=np.float64),
            **kwargs,
        )
        return parts.sum(axis=0, split_every=_SPLIT_EVERY)

    def _statistics(self, vector: np.ndarray, center: np.ndarray, diagonal: bool) -> SuffStats:
        stats = _unpack(vector, center, diagonal)
        if not self._verified:
            finite = all(
                np.isfinite(a).all() for a in (stats.nk, stats.sx, stats.sxx, stats.loglik)
            )
            if not finite:
                self._raise_if_nonfinite()
            self._verified = finite
        return stats

    def _raise_if_nonfinite(self) -> None:
        import dask.array as da

        counts = da.blockwise(
            _chunk_nonfinite_rows,
            "ij",
            self.X,
            "ij",
            self._row_numbers(),
            "i",
            adjust_chunks={"i": 1, "j": 2},
            dtype=np.int64,
            meta=np.empty((0, 0), dtype=np.int64),
        ).compute()
        n_bad = int(counts[:, 0].sum())
        if n_bad:
            first = int(counts[counts[:, 0] > 0, 1][0])
            raise ValueError(
                f"X contains NaN or infinite values in {n_bad} row{'s' if n_bad != 1 else ''} "
                f"(first: {first}); drop or impute them"
            )
        self._verified = True  # the data are finite: non-finite statistics have another cause

    def accumulate(self, terms: GaussianTerms) -> SuffStats:
        K, D = terms.means.shape
        diagonal = terms.kernel.is_diagonal
        vector = self._pass(_chunk_statistics, _packed_length(K, D, diagonal), terms=terms)
        return self._statistics(vector, terms.means, diagonal)

    def _compute_moments(self) -> DataMoments:
        # One pass about a reference row, shifted exactly to the mean: a row of
        # the data keeps the moments as precise as moments about the mean.
        reference = np.asarray(self.X[:1].compute(), dtype=np.float64)[0]
        return moments_from_statistics(reference, self.accumulate(moments_terms(reference)))

    def weighted_rows(self) -> int | None:
        return self._weighted_rows

    def row_scores(self, terms: GaussianTerms) -> RowScores:
        """Every row's log-density, gathered (8 bytes a row); a weighted sample of
        ``SAMPLE_ROWS`` rows above ``MAX_GATHERED_ROWS`` (:mod:`bayesgmm.data.scores`)."""
        import dask

        if self.n_samples > MAX_GATHERED_ROWS:
            _, sample = self.sample_rows(SAMPLE_ROWS, np.random.default_rng(SAMPLE_SEED))
            return RowScores(log_densities(sample, terms), None, True)
        lazy = map_rows(log_densities, self.X, terms, None, np.float64)
        values, weights = dask.compute(lazy, self.weights)
        return RowScores(np.asarray(values, dtype=np.float64), weights, False)

    def feature_spread(self) -> np.ndarray:
        return self._scale_summary()[0]

    def feature_variances(self) -> np.ndarray:
        return self._scale_summary()[1]

    def _scale_summary(self) -> tuple[np.ndarray, np.ndarray]:
        """Each feature's range and variance, for the checks: one pass over the chunks.

        The variances are a diag E-step about a reference row (as :meth:`moments`);
        computed with the ranges in one ``dask.compute``, each chunk is read once.
        Non-finite rows are reported by that pass, with the error every pass gives.
        """
        if getattr(self, "_scale", None) is None:
            import dask

            reference = np.asarray(self.X[:1].compute(), dtype=np.float64)[0]
            terms = moments_terms(reference, DIAG)
            top, bottom, vector = dask.compute(
                self.X.max(axis=0),
                self.X.min(axis=0),
                self._lazy_pass(
                    _chunk_statistics, _packed_length(1, self.n_features, True), terms=terms
                ),
            )
            stats = self._statistics(vector, terms.means, True)
            spread = top.astype(np.float64) - bottom.astype(np.float64)
            variances = stats.shifted_scatter(stats.sx / stats.nk[:, None])[0] / stats.nk[0]
            self._scale = spread, variances
        return self._scale

    # ------------------------------------------------------ initialisation
    def sample_rows(self, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``size`` rows drawn without replacement, in proportion to their weights.

        Returns the row indices (ascending) and the rows (float64).  Only the
        sample travels to the client.
        """
        import dask

        seeds = rng.integers(0, 2**63 - 1, size=self.n_chunks)
        blocks = self.X.to_delayed().ravel()
        weight_blocks = (
            [None] * self.n_chunks if self.weights is None else self.weights.to_delayed().ravel()
        )
        sample = dask.delayed(_sample_candidates)
        merge = dask.delayed(_merge_candidates)
        parts = [
            sample(block, weights, int(seed), int(offset), size)
            for block, weights, seed, offset in zip(blocks, weight_blocks, seeds, self._offsets)
        ]
        while len(parts) > 1:  # a tree of merges: no task holds more than a few samples
            parts = [
                merge(*parts[i : i + _SPLIT_EVERY], size=size)
                for i in range(0, len(parts), _SPLIT_EVERY)
            ]
        _, rows, values = dask.compute(parts[0])[0]
        order = np.argsort(rows)
        return rows[order], values[order]

    def initial_statistics(self, n_components, method, diagonal, rng):
        K, D = n_components, self.n_features
        length = _packed_length(K, D, diagonal)
        if method == "random":
            center = np.asarray(self.X[0].compute(), dtype=np.float64)
            vector = self._pass(
                _chunk_random_statistics,
                length,
                self._row_numbers(),
                seed=int(rng.integers(0, 2**63 - 1)),
                center=center,
                n_components=K,
                diagonal=diagonal,
            )
            stats = self._statistics(vector, np.repeat(center[None], K, 0), diagonal)
        elif method == "hc":
            stats = hierarchical_statistics(self, K, diagonal, rng)
        else:
            _, sample = self.sample_rows(self.init_sample_size, rng)
            if sample.shape[0] < K:
                raise ValueError(
                    f"only {sample.shape[0]} rows have a positive sample_weight but "
                    f"n_components={K}; a mixture needs at least one weighted row per component"
                )
            if not np.isfinite(sample).all():
                self._raise_if_nonfinite()
            labels, _ = initial_labels_or_responsibilities(sample, K, method, rng)
            centers = _label_means(sample, labels, K)
            vector = self._pass(
                _chunk_assignment_statistics, length, centers=centers, diagonal=diagonal
            )
            stats = self._statistics(vector, centers, diagonal)
        return SuffStats(
            stats.nk, stats.sx, stats.sxx, float("nan"), stats.center, stats.total_weight
        )

    def given_statistics(self, responsibilities, n_components, diagonal):
        """Statistics of user-given labels or responsibilities, in one pass over the chunks."""
        return given_statistics(self, responsibilities, n_components, diagonal)

    # --------------------------------------------------------- mini-batches
    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[DataSource]:
        """The row chunks in random order, each one mini-batch (``batch_size`` is not used:
        rechunk the array to choose the batch size)."""
        for index in rng.permutation(self.n_chunks):
            if self._chunk_weights[index] <= 0:
                continue
            batch = DaskData.__new__(DaskData)
            batch.feature_names = self.feature_names
            batch.persisted = self.persisted
            batch._setup(
                self.X.blocks[index],
                None if self.weights is None else self.weights.blocks[index],
                self._chunk_weights[index : index + 1],
                self.init_sample_size,
                verified=self._verified,
            )
            yield batch


def _label_means(sample: np.ndarray, labels: np.ndarray, K: int) -> np.ndarray:
    """Centre of each label's rows; an empty label takes the sample mean."""
    counts = np.bincount(labels, minlength=K).astype(np.float64)
    sums = np.zeros((K, sample.shape[1]))
    np.add.at(sums, labels, sample)
    mean = sample.mean(axis=0)
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1.0)[:, None], mean)


# ------------------------------------------------------------------ prediction
def _rows_in_task(block, *, function, terms):
    return _single_numba_thread(function, np.ascontiguousarray(block), terms)


def map_rows(function: Callable, X, terms: GaussianTerms, n_columns: int | None, dtype) -> Any:
    """``function(rows, terms)`` on each row chunk, lazily: a Dask array of N values or (N, n_columns)."""
    if n_columns is None:
        return X.map_blocks(
            _rows_in_task,
            function=function,
            terms=terms,
            drop_axis=1,
            chunks=(X.chunks[0],),
            dtype=dtype,
            meta=np.empty(0, dtype=dtype),
        )
    return X.map_blocks(
        _rows_in_task,
        function=function,
        terms=terms,
        chunks=(X.chunks[0], (n_columns,)),
        dtype=dtype,
        meta=np.empty((0, 0), dtype=dtype),
    )


_set_worker_defaults()
