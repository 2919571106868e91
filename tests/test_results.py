"""Results as xarray, and netCDF files: exact round trips, no pickle, atomic writes."""

import os

import h5py
import numpy as np
import pytest
import xarray as xr
from conftest import COVARIANCE_TYPES

import bayesgmm
from bayesgmm import GaussianMixture
from bayesgmm.datasets import load_faithful


@pytest.fixture(scope="module")
def fits():
    X = load_faithful()  # carries feature names, which must survive the round trip
    return {ct: GaussianMixture(2, covariance_type=ct, random_state=0).fit(X) for ct in COVARIANCE_TYPES}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_dataset_layout(fits, covariance_type, faithful):
    gm = fits[covariance_type]
    ds = gm.to_dataset()
    assert ds.sizes["component"] == 2 and ds.sizes["feature"] == 2
    assert ds.covariances.dims == gm.result_.spec.family.covariance_dims
    np.testing.assert_array_equal(ds.covariances.values, gm.covariances_)
    np.testing.assert_array_equal(ds.objective_trace.values, gm.lower_bounds_)
    assert ds.attrs["covariance_type"] == covariance_type and ds.attrs["engine"] == "em"
    assert ds.attrs["n_iter"] == gm.n_iter_ and ds.attrs["converged"] == 1
    assert ds.attrs["bic"] == pytest.approx(gm.bic(faithful), rel=1e-12)
    assert ds.attrs["n_parameters"] == {"full": 11, "tied": 8, "diag": 9, "spherical": 7}[covariance_type]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_save_load_round_trip_is_exact(fits, covariance_type, faithful, tmp_path):
    gm = fits[covariance_type]
    path = bayesgmm.save(gm, tmp_path / "fit.nc")
    loaded = bayesgmm.load(path)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_", "lower_bounds_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(gm, name))
    assert loaded.converged_ == gm.converged_ and loaded.n_iter_ == gm.n_iter_
    assert list(loaded.feature_names_in_) == list(gm.feature_names_in_)
    np.testing.assert_array_equal(loaded.predict_proba(faithful), gm.predict_proba(faithful))
    np.testing.assert_array_equal(loaded.score_samples(faithful), gm.score_samples(faithful))
    xr.testing.assert_identical(loaded.to_dataset(), gm.to_dataset())


def test_save_refuses_to_overwrite_unless_asked(fits, tmp_path):
    path = tmp_path / "fit.nc"
    bayesgmm.save(fits["full"], path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        bayesgmm.save(fits["diag"], path)
    assert path.read_bytes() == before
    bayesgmm.save(fits["diag"], path, overwrite=True)
    assert bayesgmm.load(path).covariance_type == "diag"
    assert os.listdir(tmp_path) == ["fit.nc"]  # no temporary left behind


def test_interrupted_save_leaves_the_old_file_intact(fits, tmp_path, monkeypatch):
    path = tmp_path / "fit.nc"
    bayesgmm.save(fits["full"], path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", fail)
    with pytest.raises(KeyboardInterrupt):
        bayesgmm.save(fits["tied"], path, overwrite=True)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["fit.nc"]


def crafted(fits, tmp_path, edit):
    ds = fits["full"].to_dataset()
    ds = edit(ds)
    path = tmp_path / "crafted.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda ds: ds.drop_vars("means"), "lacks the variable 'means'"),
        (lambda ds: ds.isel(component=[0]), r"shape \(1,\).*expected floats of shape \(2,\)"),
        (lambda ds: ds.assign_attrs(covariance_type="__import__('os')"), "unknown covariance_type"),
        (lambda ds: ds.assign_attrs(format="something else"), "not a bayesgmm result"),
        (lambda ds: ds.assign_attrs(n_iter="3; rm -rf /"), "attribute 'n_iter' should be int"),
        (lambda ds: ds.drop_attrs() if hasattr(ds, "drop_attrs") else ds.assign_attrs(format=None), "not a bayesgmm result"),
    ],
)
def test_crafted_files_get_clear_errors(fits, tmp_path, edit, message):
    path = crafted(fits, tmp_path, edit)
    with pytest.raises(ValueError, match=message):
        bayesgmm.load(path)


def test_file_that_is_not_netcdf(tmp_path):
    path = tmp_path / "junk.nc"
    path.write_bytes(b"\x80\x04 not a netcdf file")
    with pytest.raises(ValueError, match="not a readable netCDF file"):
        bayesgmm.load(path)


def test_saved_file_holds_no_pickled_objects(fits, tmp_path):
    path = bayesgmm.save(fits["full"], tmp_path / "fit.nc")
    with h5py.File(path, "r") as handle:
        kinds = {handle[name].dtype.kind for name in handle if isinstance(handle[name], h5py.Dataset)}
    assert kinds <= {"f", "i", "u", "S", "O"}  # O: variable-length strings (feature names)
    assert b"pickle" not in path.read_bytes() and b"\x80\x04\x95" not in path.read_bytes()
