"""A fit made on standardised features keeps its centre and scale through save and load."""

import dataclasses

import numpy as np
import pytest

import bayesgmm
from bayesgmm.data.standardize import Standardization
from bayesgmm.datasets import load_faithful
from bayesgmm.fitting.result import FitResult


@pytest.fixture(scope="module")
def standardised():
    X = load_faithful()
    scaling = Standardization.of(X)
    Z = scaling.transform(X)
    model = bayesgmm.GaussianMixture(3, covariance_type="tied", random_state=0).fit(Z)
    result = dataclasses.replace(model.result_, standardization=scaling)
    return X, Z, scaling, result


def test_of_and_transform_match_numpy():
    X = load_faithful()
    scaling = Standardization.of(X)
    np.testing.assert_allclose(scaling.center, X.values.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(scaling.scale, X.values.std(axis=0, ddof=1), rtol=1e-14)
    Z = scaling.transform(X)
    assert Z.dims == X.dims and list(Z.feature.values) == ["eruptions", "waiting"]
    np.testing.assert_allclose(Z.mean("sample"), 0, atol=1e-12)
    np.testing.assert_allclose(scaling.inverse_transform(Z.values), X.values, rtol=1e-12)
    assert scaling.log_jacobian == pytest.approx(-np.log(scaling.scale).sum())


def test_constant_column_and_wrong_width_are_refused():
    with pytest.raises(ValueError, match="column 1 is constant"):
        Standardization.of(np.column_stack([np.arange(5.0), np.ones(5)]))
    with pytest.raises(ValueError, match="standardisation is of 2 features"):
        Standardization.of(load_faithful()).transform(np.ones((3, 3)))


def test_save_load_round_trip_and_load_warns(standardised, tmp_path):
    X, Z, scaling, result = standardised
    bayesgmm.save(result, tmp_path / "z.nc")
    with pytest.warns(UserWarning, match="fitted on standardised features"):
        model = bayesgmm.load(tmp_path / "z.nc")
    loaded = model.result_.standardization
    np.testing.assert_array_equal(loaded.center, scaling.center)
    np.testing.assert_array_equal(loaded.scale, scaling.scale)
    assert "standardization_center" not in model.result_.engine_variables
    np.testing.assert_array_equal(model.predict(loaded.transform(X)), result_predict(result, Z))
    summary = model.result_.summary()
    assert "fitted on standardised features" in summary and "(x units)" in summary


def result_predict(result, Z):
    return bayesgmm.GaussianMixture.from_result(result).predict(Z)


def test_unstandardised_files_load_without_warning(tmp_path, recwarn):
    model = bayesgmm.GaussianMixture(2, random_state=0).fit(load_faithful())
    bayesgmm.save(model, tmp_path / "raw.nc")
    assert bayesgmm.load(tmp_path / "raw.nc").result_.standardization is None
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize(
    "scale, message", [(-1.0, "positive, finite scales"), (np.nan, "positive")]
)
def test_damaged_standardisation_is_refused(standardised, scale, message):
    _, _, _, result = standardised
    ds = result.to_dataset()
    ds["standardization_scale"].values[1] = scale
    with pytest.raises(ValueError, match="standardization_\\* variables are damaged.*" + message):
        FitResult.from_dataset(ds)
    ds = result.to_dataset()
    ds = ds.assign(standardization_center=ds.standardization_center.astype(str))
    with pytest.raises(ValueError, match="standardization_center"):
        FitResult.from_dataset(ds)


def test_pruning_keeps_the_standardisation(standardised):
    _, Z, scaling, result = standardised
    pruned = result.prune(0.4, Z)
    assert pruned.n_components < result.n_components
    assert pruned.standardization is scaling
