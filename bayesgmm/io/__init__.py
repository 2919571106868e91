"""Reading and writing: fits to and from netCDF files (:mod:`~bayesgmm.io.netcdf`), tables of
rows from CSV, Parquet, netCDF and Zarr files (:mod:`~bayesgmm.io.tables`)."""

from .netcdf import load, load_result, save

__all__ = ["load", "load_result", "save"]
