"""The shipped data sets load with the documented shapes, names, labels and values."""

import numpy as np
import pytest

from bayesgmm import datasets


@pytest.mark.parametrize(
    "loader, shape, features, label, counts",
    [
        (datasets.load_faithful, (272, 2), ["eruptions", "waiting"], None, None),
        (
            datasets.load_iris,
            (150, 4),
            ["Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width"],
            "Species",
            {"setosa": 50, "versicolor": 50, "virginica": 50},
        ),
        (
            datasets.load_diabetes,
            (145, 3),
            ["glucose", "insulin", "sspg"],
            "class",
            {"Normal": 76, "Chemical": 36, "Overt": 33},
        ),
        (
            datasets.load_thyroid,
            (215, 5),
            ["RT3U", "T4", "T3", "TSH", "DTSH"],
            "Diagnosis",
            {"Normal": 150, "Hyper": 35, "Hypo": 30},
        ),
        (datasets.load_galaxies, (82, 1), ["velocity"], None, None),
    ],
)
def test_loader(loader, shape, features, label, counts):
    X = loader()
    assert X.shape == shape and X.dims == ("sample", "feature")
    assert list(X.feature.values) == features
    assert X.dtype == np.float64 and np.isfinite(X.values).all()
    assert "source" in X.attrs
    if label is not None:
        values, n = np.unique(X[label].values, return_counts=True)
        assert dict(zip(values.tolist(), n.tolist())) == counts


def test_known_values():
    np.testing.assert_allclose(
        datasets.load_faithful().mean("sample"), [3.487783, 70.897059], atol=1e-6
    )
    assert datasets.load_galaxies().values[0, 0] == 9172
    sklearn = pytest.importorskip("sklearn.datasets")
    np.testing.assert_allclose(datasets.load_iris().values, sklearn.load_iris().data)
