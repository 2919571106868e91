"""A saved file is checked whole: each impossible value gets one SavedFitError naming it.

Files are crafted as a user would, by editing a saved fit's Dataset and writing it back;
most are read back in memory (``FitResult.from_dataset``, what ``load`` does once it has
read a file), a few through files.  An edited file still carries the checksums of the
original, and the domain checks come first: the error names the variable and what is
wrong with it.  ``keep_checksums=False`` crafts the file as one written before the
checksums (bayesgmm 0.1.0) would be, to show that the domain checks hold on their own.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr
from conftest import make_mixture

import bayesgmm
from bayesgmm import FitResult, GaussianMixture, MAPPrior, SavedFitError, VBPrior
from bayesgmm.fitting.checksum import CHECKSUMS

X = make_mixture(300, 3, 3, seed=1)


@pytest.fixture(scope="module")
def fits():
    settings = {
        "vb-full": dict(engine="vb", covariance_type="full"),
        "vb-diag": dict(engine="vb", covariance_type="diag"),
        "vb-tied": dict(
            engine="vb", covariance_type="tied", prior=VBPrior("dirichlet_distribution")
        ),
        "map-full": dict(engine="map", covariance_type="full"),
        "map-spherical": dict(engine="map", covariance_type="spherical"),
        "em-full": dict(engine="em", covariance_type="full"),
        "em-diag": dict(engine="em", covariance_type="diag"),
        "em-EII": dict(engine="em", covariance_type="EII"),
        "em-EEI": dict(engine="em", covariance_type="EEI"),
        "em-pruned": dict(engine="em", covariance_type="full", n_components=6, prune=0.15),
    }
    return {
        name: GaussianMixture(**{"n_components": 3, "random_state": 0, **kw}).fit(X)
        for name, kw in settings.items()
    }


def edited(fits, name, edit, keep_checksums=True) -> xr.Dataset:
    """The Dataset of a saved fit, edited (what a file edited with xarray reads back as)."""
    ds = fits[name].to_dataset()
    edit(ds)
    if not keep_checksums:
        del ds.attrs[CHECKSUMS]
    return ds


def load(ds: xr.Dataset) -> GaussianMixture:
    """What bayesgmm.load does once it has read the file."""
    return GaussianMixture.from_result(FitResult.from_dataset(ds))


def written(ds: xr.Dataset, tmp_path) -> object:
    path = tmp_path / "edited.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def setting(variable, index, value):
    def edit(ds):
        values = ds[variable].values.copy()
        values[index] = value
        ds[variable] = (ds[variable].dims, values)

    return edit


def scaled(variable, factor, index=...):
    def edit(ds):
        values = ds[variable].values.copy()
        values[index] = values[index] * factor
        ds[variable] = (ds[variable].dims, values)

    return edit


# the issue's files: VB posteriors outside their domain loaded and predicted rows summing to 0
@pytest.mark.parametrize("keep_checksums", [True, False], ids=["saved", "without-checksums"])
@pytest.mark.parametrize("value", [np.nan, 0.0, -1.0], ids=["nan", "zero", "negative"])
@pytest.mark.parametrize(
    "name, variable, message",
    [
        ("vb-full", "mean_precision", "finite numbers > 0"),
        ("vb-full", "weight_concentration_a", "finite numbers > 0"),
        ("vb-full", "weight_concentration_b", "finite numbers > 0"),
        ("vb-tied", "weight_concentration", "finite numbers > 0"),
        ("vb-full", "degrees_of_freedom", "finite numbers > 2"),
        ("vb-diag", "degrees_of_freedom", "finite numbers > 2"),
    ],
)
def test_a_vb_posterior_outside_its_domain_is_refused(
    fits, name, variable, message, value, keep_checksums
):
    ds = edited(fits, name, setting(variable, 1, value), keep_checksums)
    with pytest.raises(SavedFitError, match=f"variable '{variable}' must hold {message}"):
        load(ds)


@pytest.mark.parametrize(
    "variable, value",
    [("mean_precision", np.nan), ("degrees_of_freedom", 0.0), ("weight_concentration_a", -1.0)],
)
def test_the_issues_vb_files_are_refused(fits, tmp_path, variable, value):
    # they loaded, and predict_proba gave rows that summed to 0
    path = written(edited(fits, "vb-full", setting(variable, 0, value)), tmp_path)
    with pytest.raises(SavedFitError, match=f"variable '{variable}' must hold finite numbers"):
        bayesgmm.load(path)


def test_a_tied_vb_fit_has_one_degrees_of_freedom_above_d_minus_1(fits):
    ds = edited(fits, "vb-tied", setting("degrees_of_freedom", (), 1.5), False)
    with pytest.raises(SavedFitError, match="'degrees_of_freedom' must hold finite numbers > 2"):
        load(ds)


@pytest.mark.parametrize("name", ["em-full", "vb-full", "em-diag", "map-spherical", "vb-tied"])
@pytest.mark.parametrize("factor", [1e200, 1e-200])
@pytest.mark.parametrize("keep_checksums", [True, False], ids=["saved", "without-checksums"])
def test_absurd_precision_factors_are_refused(fits, name, factor, keep_checksums):
    index = 0 if fits[name].covariance_type != "tied" else (0, 0)
    ds = edited(fits, name, scaled("precisions_cholesky", factor, index), keep_checksums)
    with pytest.raises(SavedFitError, match="precisions_cholesky"):
        load(ds)


def test_factors_and_covariances_scaled_alike_are_a_valid_model_but_not_the_saved_one(fits):
    def alike(ds):
        scaled("precisions_cholesky", 1e100)(ds)
        scaled("covariances", 1e-200)(ds)

    with pytest.raises(SavedFitError, match="variable 'covariances' is not what the fit was saved"):
        load(edited(fits, "em-full", alike))
    model = load(edited(fits, "em-full", alike, keep_checksums=False))
    probabilities = model.predict_proba(X)  # absurdly narrow, but a mixture all the same
    assert np.all(np.isfinite(probabilities)) and np.allclose(probabilities.sum(axis=1), 1)


@pytest.mark.parametrize(
    "name, edit, message",
    [
        ("map-full", setting("prior_degrees_of_freedom", (), 1.5), "'prior_degrees_of_freedom'.*must exceed 2"),
        ("map-full", setting("prior_weight_concentration", 0, 0.5), "'prior_weight_concentration'.*>= 1"),
        ("map-full", setting("prior_shrinkage", (), 0.0), "'prior_shrinkage'.*finite number > 0"),
        ("map-full", setting("prior_scale", (0, 0), -1.0), "'prior_scale'.*not positive definite"),
        ("map-full", setting("prior_mean", 0, np.inf), "'prior_mean'.*NaN or infinite"),
        ("map-spherical", setting("prior_scale", (), 0.0), "'prior_scale'.*must be positive"),
        ("vb-full", setting("prior_mean_precision", (), -1.0), "'prior_mean_precision'.*> 0"),
        ("vb-full", setting("prior_degrees_of_freedom", (), 2.0), "'prior_degrees_of_freedom'.*greater than 2"),
        ("vb-diag", setting("prior_covariance", 1, np.nan), "'prior_covariance'.*NaN"),
    ],
)  # fmt: skip
def test_a_prior_outside_the_domain_a_fit_accepts_is_refused(fits, name, edit, message):
    with pytest.raises(SavedFitError, match=message):
        load(edited(fits, name, edit, keep_checksums=False))


@pytest.mark.parametrize(
    "name, edit, message",
    [
        ("em-EII", setting("covariances", 1, 2.0), "one variance shared by every component"),
        ("em-EEI", scaled("covariances", 2.0, 1), "per-feature variances shared"),
        ("em-full", setting("weights", 0, 0.9), "sum to 1, found sum"),
        ("em-full", setting("weights", slice(None), [1.2, -0.1, -0.1]), "non-negative"),
        ("em-full", setting("means", (0, 0), np.nan), "'means' holds NaN"),
        ("em-full", setting("objective_trace", 0, np.nan), "'objective_trace' holds NaN"),
        ("em-full", setting("precisions_cholesky", (0, 1, 0), 0.5), "upper-triangular"),
        ("em-diag", scaled("covariances", -1.0), "precisions_cholesky' disagree"),
        ("vb-full", setting("weights", slice(None), [0.5, 0.25, 0.25]), "saved state gives"),
        ("em-full", lambda ds: ds.attrs.update(converged=2), "'converged' is a flag, 0 or 1"),
        ("em-full", lambda ds: ds.attrs.update(total_weight=0.0), "'total_weight'.*> 0"),
        ("em-full", lambda ds: ds.attrs.update(log_likelihood=np.nan), "'log_likelihood'.*finite"),
        ("em-full", lambda ds: ds.attrs.update(prune=1.5), "prune=1.5 is not a weight threshold"),
        ("em-pruned", setting("pruning_threshold", 0, 2.0), "threshold outside \\(0, 1\\)"),
        ("em-pruned", setting("pruning_removed_at_step", 0, 7), "a step that does not exist"),
        ("em-pruned", setting("pruning_component_origin", 0, 5), "components that survived"),
    ],
)  # fmt: skip
def test_impossible_values_are_refused_without_checksums(fits, name, edit, message):
    with pytest.raises(SavedFitError, match=message):
        load(edited(fits, name, edit, keep_checksums=False))


@pytest.mark.parametrize(
    "edit, changed",
    [
        (scaled("means", 1.001, (0, 0)), "variable 'means'"),
        (setting("weights", slice(None), [0.2, 0.3, 0.5]), "variable 'weights'"),
        (lambda ds: ds.attrs.update(reg_covar=0.5), "attribute 'reg_covar'"),
        (lambda ds: ds.attrs.update(converged=0), "attribute 'converged'"),
    ],
)
def test_a_possible_model_that_is_not_the_saved_one_fails_its_checksum(fits, edit, changed):
    with pytest.raises(SavedFitError, match=f"{changed} is not what the fit was saved with"):
        load(edited(fits, "em-full", edit))


def test_a_file_without_checksums_loads_as_before(fits, tmp_path):
    path = written(edited(fits, "vb-full", lambda ds: None, False), tmp_path)
    model = bayesgmm.load(path)
    np.testing.assert_array_equal(model.predict_proba(X), fits["vb-full"].predict_proba(X))


def test_notes_added_to_a_saved_file_are_ignored(fits):
    def notes(ds):
        ds["my_notes"] = ("component", np.array([1.0, 2.0, 3.0]))
        ds.attrs["analyst"] = "someone"

    model = load(edited(fits, "map-full", notes))
    np.testing.assert_array_equal(model.predict_proba(X), fits["map-full"].predict_proba(X))
    assert "my_notes" not in model.to_dataset() and "analyst" not in model.to_dataset().attrs


def test_damaged_checksums_are_refused(fits):
    def damage(ds):
        ds.attrs[CHECKSUMS] = ds.attrs[CHECKSUMS][:-9]

    with pytest.raises(SavedFitError, match="attribute 'checksums' is damaged"):
        load(edited(fits, "em-full", damage))


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_file_whose_metadata_is_damaged_is_one_clear_error(fits, tmp_path):
    data = bytes(bayesgmm.save(fits["em-full"], tmp_path / "fit.nc").read_bytes())
    # the file's signature, then object headers (each starts with "OHDR" and ends with a
    # checksum that HDF5 verifies): the root group's attributes and the variables'
    headers = [match.start() for match in re.finditer(b"OHDR", data)][:4]
    for offset in [0, *(at + 4 for at in headers)]:
        damaged = bytearray(data)
        damaged[offset : offset + 4] = bytes(b ^ 0xFF for b in damaged[offset : offset + 4])
        path = tmp_path / "damaged.nc"  # one path for all: a failed open must leave nothing open
        path.write_bytes(bytes(damaged))
        with pytest.raises(SavedFitError, match="damaged.nc is not a readable netCDF file: "):
            bayesgmm.load(path)
    path.write_bytes(data)
    bayesgmm.load(path)


def test_a_saved_model_that_is_possible_loads_for_every_engine_and_family(tmp_path):
    for engine, covariance_type in [("em", "VEV"), ("map", "EVI"), ("vb", "EII"), ("em", "EEE")]:
        model = GaussianMixture(
            3, engine=engine, covariance_type=covariance_type, random_state=0
        ).fit(X)
        loaded = bayesgmm.load(bayesgmm.save(model, tmp_path / f"{engine}-{covariance_type}.nc"))
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_checked_prior_is_the_saved_prior(tmp_path):
    prior = MAPPrior(shrinkage=0.5)
    model = GaussianMixture(3, engine="map", prior=prior, random_state=0).fit(X)
    loaded = bayesgmm.load(bayesgmm.save(model, tmp_path / "fit.nc"))
    assert loaded.prior_.shrinkage == 0.5
