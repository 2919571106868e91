"""Data sources: where the statistics pass of the fitting loop reads its rows from.

The loop in :mod:`bayesgmm.fitting` never touches the data itself.  It asks a
:class:`DataSource` for the few things a fit needs:

* :meth:`~DataSource.accumulate` -- one E-step pass folded into additive
  :class:`~bayesgmm.stats.SuffStats`;
* :meth:`~DataSource.moments` -- the data's mean and covariance (for engines
  whose prior defaults depend on the data);
* :meth:`~DataSource.initial_statistics` -- the statistics of a first guess of
  the responsibilities;
* :meth:`~DataSource.batches` -- the data split into shuffled mini-batches,
  each a source again, for mini-batch EM.

:class:`InMemoryData` serves a NumPy array; :class:`bayesgmm.distributed.DaskData`
serves a Dask array chunk by chunk on a cluster.  Both honour sample weights:
a row's weight multiplies everything it contributes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np

from ..stats import DataMoments, GaussianTerms, SuffStats, accumulate, data_moments
from .init import initial_labels_or_responsibilities, statistics_from_assignment


class DataSource(ABC):
    """The protocol of a data source (see the module docstring).

    Attributes
    ----------
    n_samples : int
        Number of rows.
    n_features : int
        Number of columns.
    total_weight : float
        Number of rows, or the sum of their sample weights.
    """

    n_samples: int
    n_features: int
    total_weight: float

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_features)``, as an array's."""
        return self.n_samples, self.n_features

    @abstractmethod
    def accumulate(self, terms: GaussianTerms) -> SuffStats:
        """One pass over every row: the E-step at ``terms`` folded into statistics."""

    @abstractmethod
    def moments(self) -> DataMoments:
        """Weighted mean and covariance of the rows."""

    @abstractmethod
    def initial_statistics(
        self, n_components: int, method: str, diagonal: bool, rng: np.random.Generator
    ) -> SuffStats:
        """Statistics of the first responsibilities chosen by ``method`` (see :mod:`bayesgmm.init`)."""

    @abstractmethod
    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[DataSource]:
        """One pass over the rows in mini-batches, in an order drawn from ``rng``."""


class InMemoryData(DataSource):
    """Rows held in memory as one validated array.

    Parameters
    ----------
    X : (n_samples, n_features) C-contiguous float32 or float64 array, finite
    sample_weight : (n_samples,) float64 array of non-negative weights, or None
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray | None = None):
        self.X = X
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.total_weight = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())

    def accumulate(self, terms: GaussianTerms) -> SuffStats:
        return accumulate(self.X, terms, self.sample_weight)

    def moments(self) -> DataMoments:
        return data_moments(self.X, self.sample_weight)

    def initial_statistics(self, n_components, method, diagonal, rng):
        X, weights = self.X, self.sample_weight
        if weights is not None and not weights.all():
            # Rows of weight zero take no part: the start, and so the fit, is the
            # one the data without them would give.
            kept = np.flatnonzero(weights)
            X, weights = X[kept], weights[kept]
        if X.shape[0] < n_components:
            raise ValueError(
                f"only {X.shape[0]} rows have a positive sample_weight but n_components="
                f"{n_components}; a mixture needs at least one weighted row per component"
            )
        labels, resp = initial_labels_or_responsibilities(X, n_components, method, rng)
        return statistics_from_assignment(X, n_components, diagonal, labels, resp, weights)

    def batches(self, batch_size, rng):
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            rows = np.sort(order[start : start + batch_size])  # sorted: memory order reads faster
            weights = None if self.sample_weight is None else self.sample_weight[rows]
            if weights is not None and not weights.any():
                continue  # nothing to learn from a batch that carries no weight
            yield InMemoryData(self.X[rows], weights)


def as_data_source(X, sample_weight: np.ndarray | None = None) -> DataSource:
    """``X`` itself if it is a :class:`DataSource`, else validated in-memory data with its weights."""
    if isinstance(X, DataSource):
        if sample_weight is not None:
            raise TypeError("give sample weights to the DataSource itself, not alongside it")
        return X
    return InMemoryData(X, sample_weight)
