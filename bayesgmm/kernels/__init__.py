"""Numba kernels: the only code that reads the data row by row.

Every kernel is a plain function on arrays (no Python objects), compiled with
``cache=True``.  Two kernel forms serve the four covariance families:

* ``full``: a per-component upper-triangular precision factor ``U`` (K, D, D);
* ``diag``: a per-component, per-feature precision square root (K, D).

A kernel evaluates ``log rho[n, k] = log_offset[k] - 0.5 * ||(x_n - m_k) U_k||^2``,
the Gaussian log-density with a per-component offset that every engine
(EM, MAP, VB) can express, so one kernel serves all engines.

:mod:`.kmeans` serves the initialisation: Lloyd's rounds, k-means++ distances
and the moments of hard-labelled rows.
"""

import numpy as np

from .estep import estep_stats_diag, estep_stats_full
from .estep32 import estep_stats_full32
from .logprob import log_rho_diag, log_rho_full

__all__ = [
    "estep_stats_diag",
    "estep_stats_full",
    "estep_stats_full32",
    "log_rho_diag",
    "log_rho_full",
    "read_only",
]


def read_only(array: np.ndarray) -> np.ndarray:
    """``array`` as a read-only view (no copy), as every kernel receives its data.

    Numba compiles a kernel separately for read-only and writeable arrays, and users'
    data arrive as both (a memory map, a pandas copy-on-write column, a netCDF variable
    are read-only).  Handing the kernels the data read-only, always, compiles each kernel
    once instead of twice (up to 30 s each, cold) and never copies the data.
    """
    if not array.flags.writeable:
        return array
    view = array.view()
    view.flags.writeable = False
    return view
