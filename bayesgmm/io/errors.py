"""The error of a data file that cannot be read or used."""

from __future__ import annotations


class DataFileError(ValueError):
    """A data file that cannot be read or used: missing, unknown type, no usable rows.

    The message names the file, what is wrong and what to do; the ``bayesgmm``
    command prints it on one line and exits with code 2.
    """
