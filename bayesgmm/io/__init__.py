"""Reading and writing: fits to and from netCDF files (:mod:`~bayesgmm.io.netcdf`), tables of
rows from CSV, TSV, Parquet, netCDF and Zarr files (:mod:`~bayesgmm.io.tables`)."""

from .netcdf import is_classifier_file, load, load_classifier, load_result, save
from .tables import DataFileError, Rows, read_rows, read_table

__all__ = [
    "DataFileError",
    "Rows",
    "is_classifier_file",
    "load",
    "load_classifier",
    "load_result",
    "read_rows",
    "read_table",
    "save",
]
