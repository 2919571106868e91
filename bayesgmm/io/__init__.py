"""Reading and writing: fits to and from netCDF files."""

from .netcdf import load, load_result, save

__all__ = ["load", "load_result", "save"]
