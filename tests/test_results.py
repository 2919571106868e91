"""Results as xarray, and netCDF files: exact round trips, no pickle, atomic writes."""

import os

import h5py
import numpy as np
import pytest
import xarray as xr
from conftest import COVARIANCE_TYPES

import bayesgmm
from bayesgmm import BayesianGaussianMixture, GaussianMixture, MAPPrior, VBPrior
from bayesgmm.datasets import load_faithful

ENGINE_CASES = {
    "map": dict(engine="map"),
    "map-given-prior": dict(
        engine="map", prior=MAPPrior(weight_concentration=[2.0, 3.0], shrinkage=0.5)
    ),
    "vb-process": dict(engine="vb"),
    "vb-distribution": dict(
        engine="vb", prior=VBPrior("dirichlet_distribution", weight_concentration=0.01)
    ),
}


@pytest.fixture(scope="module")
def fits():
    X = load_faithful()  # carries feature names, which must survive the round trip
    return {
        ct: GaussianMixture(2, covariance_type=ct, random_state=0).fit(X) for ct in COVARIANCE_TYPES
    }


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
    assert (
        ds.attrs["n_parameters"]
        == {"full": 11, "tied": 8, "diag": 9, "spherical": 7}[covariance_type]
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_save_load_round_trip_is_exact(fits, covariance_type, faithful, tmp_path):
    gm = fits[covariance_type]
    path = bayesgmm.save(gm, tmp_path / "fit.nc")
    loaded = bayesgmm.load(path)
    for name in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_cholesky_",
        "precisions_",
        "lower_bounds_",
    ):
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
        (
            lambda ds: (
                ds.drop_attrs() if hasattr(ds, "drop_attrs") else ds.assign_attrs(format=None)
            ),
            "not a bayesgmm result",
        ),
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
        kinds = {
            handle[name].dtype.kind for name in handle if isinstance(handle[name], h5py.Dataset)
        }
    assert kinds <= {"f", "i", "u", "S", "O"}  # O: variable-length strings (feature names)
    assert b"pickle" not in path.read_bytes() and b"\x80\x04\x95" not in path.read_bytes()


@pytest.fixture(scope="module")
def engine_fits():
    X = load_faithful()
    return {
        (case, ct): GaussianMixture(2, covariance_type=ct, random_state=0, **params).fit(X)
        for case, params in ENGINE_CASES.items()
        for ct in COVARIANCE_TYPES
    }


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("case", list(ENGINE_CASES))
def test_every_engine_round_trips_exactly(engine_fits, case, covariance_type, faithful, tmp_path):
    gm = engine_fits[case, covariance_type]
    loaded = bayesgmm.load(bayesgmm.save(gm, tmp_path / "fit.nc"))
    assert loaded.engine == gm.engine
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(gm, name))
    # the posterior hyperparameters and the prior used
    for name in gm._engine_attribute_names:
        if name == "prior_":
            continue
        ours, theirs = getattr(loaded, name), getattr(gm, name)
        if isinstance(theirs, tuple):
            assert isinstance(ours, tuple)
            for a, b in zip(ours, theirs):
                np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_array_equal(ours, theirs)
            assert type(ours) is type(theirs) or np.ndim(ours) > 0, name
    for field in ("mean", "degrees_of_freedom", "scale" if gm.engine == "map" else "covariance"):
        np.testing.assert_array_equal(getattr(loaded.prior_, field), getattr(gm.prior_, field))
    # predictions rest on the engine's own E-step terms: identical bits
    np.testing.assert_array_equal(loaded.predict_proba(faithful), gm.predict_proba(faithful))
    np.testing.assert_array_equal(loaded.score_samples(faithful), gm.score_samples(faithful))
    xr.testing.assert_identical(loaded.to_dataset(), gm.to_dataset())
    # the loaded estimator records the prior explicitly: refitting reproduces the fit
    refit = bayesgmm.load(tmp_path / "fit.nc").fit(faithful)
    np.testing.assert_allclose(refit.means_, gm.means_, rtol=1e-12)


def test_vb_dataset_holds_the_posterior_and_the_prior(engine_fits):
    ds = engine_fits["vb-process", "full"].to_dataset()
    assert ds.weight_concentration_a.dims == ("component",) and "weight_concentration" not in ds
    assert ds.degrees_of_freedom.dims == ("component",) and ds.prior_covariance.dims == (
        "feature",
        "feature2",
    )
    assert ds.prior_weight_concentration.item() == 0.5  # 1 / n_components
    tied = engine_fits["vb-distribution", "tied"].to_dataset()
    assert tied.degrees_of_freedom.dims == () and tied.weight_concentration.dims == ("component",)
    spherical = engine_fits["map", "spherical"].to_dataset()
    assert spherical.prior_scale.dims == () and spherical.prior_weight_concentration.dims == (
        "component",
    )


def test_bayesian_face_round_trips(faithful, tmp_path):
    bgm = BayesianGaussianMixture(
        n_components=2, weight_concentration_prior_type="dirichlet_distribution", random_state=0
    ).fit(faithful)
    result = bayesgmm.load_result(bayesgmm.save(bgm, tmp_path / "bgm.nc"))
    again = BayesianGaussianMixture.from_result(result)
    assert again.weight_concentration_prior_type == "dirichlet_distribution"
    assert again.weight_concentration_prior == 0.5
    np.testing.assert_array_equal(again.weight_concentration_, bgm.weight_concentration_)
    np.testing.assert_array_equal(again.predict_proba(faithful), bgm.predict_proba(faithful))
    with pytest.raises(ValueError, match="needs a fit by engine='vb'"):
        BayesianGaussianMixture.from_result(
            GaussianMixture(2, random_state=0).fit(faithful).result_
        )


def test_missing_posterior_variable_gets_a_clear_error(engine_fits, tmp_path):
    ds = engine_fits["vb-process", "diag"].to_dataset().drop_vars("mean_precision")
    ds.to_netcdf(tmp_path / "cut.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="lacks the variable 'mean_precision'"):
        bayesgmm.load(tmp_path / "cut.nc")


@pytest.mark.parametrize("case", ["em", "map", "vb-process"])
def test_load_keeps_only_the_engines_variables(engine_fits, faithful, case, tmp_path):
    gm = (
        GaussianMixture(2, random_state=0).fit(faithful)
        if case == "em"
        else engine_fits[case, "full"]
    )
    ds = gm.to_dataset()
    ds["notes"] = ("component", np.array([1.0, 2.0]))
    ds.to_netcdf(tmp_path / "extra.nc", engine="h5netcdf")
    loaded = bayesgmm.load_result(tmp_path / "extra.nc")
    assert "notes" not in loaded.engine_variables
    assert set(loaded.engine_variables) == set(gm.result_.engine_variables)
    xr.testing.assert_identical(loaded.to_dataset(), ds.drop_vars("notes"))


def test_an_engine_variable_with_other_dims_gets_a_clear_error(engine_fits, tmp_path):
    ds = engine_fits["vb-process", "full"].to_dataset()
    ds["mean_precision"] = ("other", ds.mean_precision.values)
    ds.to_netcdf(tmp_path / "altered.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="'mean_precision' has dims \\('other',\\)"):
        bayesgmm.load(tmp_path / "altered.nc")
