"""The data layer: everything that reads or checks the rows before an engine sees statistics.

* :mod:`~bayesgmm.data.validation`: turning arrays, DataFrames and DataArrays into a
  C-contiguous float matrix with feature names, and sample weights into a vector.
* :mod:`~bayesgmm.data.sources`: the :class:`DataSource` protocol the fitting loop reads
  rows through, and :class:`InMemoryData`; :mod:`~bayesgmm.data.distributed` holds
  :class:`~bayesgmm.data.distributed.DaskData` (imports Dask only when used).
* :mod:`~bayesgmm.data.checks`: the checks every entry point makes, through one door
  (:func:`~bayesgmm.data.checks.checked_data_source`): the same errors and warnings for
  ``fit``, ``partial_fit``, ``select``, pruning and Dask input.
* :mod:`~bayesgmm.data.moments`: the data's mean and covariance (MAP's and VB's prior
  defaults) and per-feature variances, one pass each, kept by the source.
* :mod:`~bayesgmm.data.dask_workers`: the environment of the Dask workers.
* :mod:`~bayesgmm.data.init`: data-driven starts (k-means, k-means++, random).
* :mod:`~bayesgmm.data.standardize`: the centre and scale of standardised features.
"""

from .sources import DataSource, InMemoryData, as_data_source

__all__ = ["DataSource", "InMemoryData", "as_data_source"]
