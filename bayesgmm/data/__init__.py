"""The data layer: everything that reads or checks the rows before an engine sees statistics.

* :mod:`~bayesgmm.data.validation`: turning arrays, DataFrames and DataArrays into a
  C-contiguous float matrix with feature names, and sample weights into a vector.
* :mod:`~bayesgmm.data.sources`: the :class:`DataSource` protocol the fitting loop reads
  rows through, and :class:`InMemoryData`; :mod:`~bayesgmm.data.distributed` holds
  :class:`~bayesgmm.data.distributed.DaskData` (imports Dask only when used).
* :mod:`~bayesgmm.data.init`: data-driven starts (k-means, k-means++, random).
* :mod:`~bayesgmm.data.standardize`: the centre and scale of standardised features.
"""

from .sources import DataSource, InMemoryData, as_data_source

__all__ = ["DataSource", "InMemoryData", "as_data_source"]
