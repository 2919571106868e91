"""Small real data sets of the mixture-model literature, shipped with the package.

Each loader returns an :class:`xarray.DataArray` with dims ``("sample",
"feature")`` and the feature names as coordinates, ready for
``GaussianMixture.fit``; where the data come with known groups (species,
diagnosis, class) they are a ``sample`` coordinate, never a feature.
Sources and licences: ``SOURCES.md`` beside this file.
"""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import xarray as xr


def _load(filename: str, name: str, label: str | None = None, **attrs) -> xr.DataArray:
    with resources.files(__name__).joinpath(filename).open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    features = [column for column in header if column != label]
    columns = [header.index(column) for column in features]
    values = np.asarray([[row[i] for i in columns] for row in body], dtype=np.float64)
    coords = {"sample": np.arange(values.shape[0]), "feature": features}
    if label is not None:
        coords[label] = ("sample", np.asarray([row[header.index(label)] for row in body]))
    return xr.DataArray(values, dims=("sample", "feature"), coords=coords, name=name, attrs=attrs)


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
    return _load(
        "faithful.csv",
        "faithful",
        description="Old Faithful geyser: eruption time and waiting time to the next eruption",
        units="minutes",
        source="R datasets::faithful (Härdle 1991; Azzalini and Bowman 1990)",
    )


def load_iris() -> xr.DataArray:
    """Fisher's (Anderson's) iris: 150 flowers, 4 measurements in cm, coordinate ``Species``.

    Features ``Sepal.Length``, ``Sepal.Width``, ``Petal.Length``,
    ``Petal.Width``; 50 flowers of each of setosa, versicolor and virginica
    (R's ``datasets::iris``; the same numbers as scikit-learn's ``load_iris``).
    """
    return _load(
        "iris.csv",
        "iris",
        label="Species",
        description="Fisher's iris data: sepal and petal length and width of three species",
        units="cm",
        source="R datasets::iris (Anderson 1935; Fisher 1936)",
    )


def load_diabetes() -> xr.DataArray:
    """Reaven & Miller's diabetes data: 145 patients, 3 features, coordinate ``class``.

    ``glucose`` (area under the plasma glucose curve), ``insulin`` (area
    under the plasma insulin curve) and ``sspg`` (steady-state plasma
    glucose), from an oral glucose tolerance test; ``class`` is the clinical
    classification: 76 ``Normal``, 36 ``Chemical`` (chemical diabetes), 33
    ``Overt`` (overt diabetes).  As shipped with R's mclust (Reaven and
    Miller 1979).
    """
    return _load(
        "diabetes.csv",
        "diabetes",
        label="class",
        description="glucose tolerance test of 145 adults: glucose and insulin areas, sspg",
        source="Reaven and Miller (1979), Diabetologia 16, 17-24; as shipped with R's mclust",
    )


def load_thyroid() -> xr.DataArray:
    """UCI new-thyroid: 215 patients, 5 laboratory tests, coordinate ``Diagnosis``.

    ``RT3U`` (T3-resin uptake, %), ``T4`` (total serum thyroxine), ``T3``
    (total serum triiodothyronine), ``TSH`` (basal thyroid-stimulating
    hormone) and ``DTSH`` (its maximal absolute difference after injection
    of TRH); ``Diagnosis``: 150 ``Normal``, 35 ``Hyper``, 30 ``Hypo``.  As
    shipped with R's mclust (Coomans et al. 1983; UCI Machine Learning
    Repository, "Thyroid Disease", new-thyroid).
    """
    return _load(
        "thyroid.csv",
        "thyroid",
        label="Diagnosis",
        description="thyroid gland laboratory tests of 215 patients with their diagnosis",
        source="UCI new-thyroid (Coomans et al. 1983); as shipped with R's mclust",
    )


def load_galaxies() -> xr.DataArray:
    """Velocities of 82 galaxies of the Corona Borealis region, in km/s: one feature.

    The classic data set of one-dimensional mixture modelling (Roeder 1990,
    *JASA* 85, 617-624), from R's ``MASS::galaxies``.
    """
    return _load(
        "galaxies.csv",
        "galaxies",
        description="velocities of 82 galaxies (Corona Borealis region)",
        units="km/s",
        source="Roeder (1990); R MASS::galaxies",
    )


__all__ = ["load_diabetes", "load_faithful", "load_galaxies", "load_iris", "load_thyroid"]
