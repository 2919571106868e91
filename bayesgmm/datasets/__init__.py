"""Small real data sets shipped with the package."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import xarray as xr


def load_faithful() -> xr.DataArray:
    """Old Faithful geyser eruptions: 272 rows, features ``eruptions`` and ``waiting``.

    ``eruptions`` is the eruption time and ``waiting`` the time to the next
    eruption, both in minutes (R's ``datasets::faithful``; Härdle 1991,
    Azzalini & Bowman 1990).

    Returns
    -------
    xarray.DataArray
        dims ``("sample", "feature")``, with the feature names as coordinates;
        pass it straight to ``GaussianMixture.fit``.
    """
    with resources.files(__name__).joinpath("faithful.csv").open() as handle:
        rows = list(csv.reader(handle))
    header, values = rows[0], np.asarray(rows[1:], dtype=np.float64)
    return xr.DataArray(
        values,
        dims=("sample", "feature"),
        coords={"sample": np.arange(values.shape[0]), "feature": header},
        name="faithful",
        attrs={
            "description": "Old Faithful geyser: eruption time and waiting time to the next eruption",
            "units": "minutes",
            "source": "R datasets::faithful (Härdle 1991; Azzalini and Bowman 1990)",
        },
    )


__all__ = ["load_faithful"]
