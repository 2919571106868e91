"""EM, MAP and VB fits of the same data side by side in one Dataset along ``engine``."""

import numpy as np
import pytest
import xarray as xr

import bayesgmm
from bayesgmm import GaussianMixture
from bayesgmm.datasets import load_faithful


@pytest.fixture(scope="module")
def three_fits():
    X = load_faithful()
    return {
        engine: GaussianMixture(2, engine=engine, random_state=0).fit(X)
        for engine in ("em", "map", "vb")
    }


def test_one_call_puts_the_engines_side_by_side(three_fits):
    combined = bayesgmm.combine_fits(three_fits)
    assert list(combined.engine.values) == ["em", "map", "vb"]
    assert combined.weights.dims == ("engine", "component")
    assert combined.covariances.dims == ("engine", "component", "feature", "feature2")
    assert list(combined.feature.values) == ["eruptions", "waiting"]
    for engine, gm in three_fits.items():
        one = combined.sel(engine=engine)
        # the components in the order of the first fit's clusters (tests/test_alignment.py)
        own = one.source_component.values
        np.testing.assert_array_equal(one.means.values, gm.means_[own])
        np.testing.assert_array_equal(one.covariances.values, gm.covariances_[own])
        assert one.log_likelihood.item() == gm.result_.log_likelihood
        assert one.objective.item() == gm.result_.objective
        assert one.n_iter.item() == gm.n_iter_ and one.engine_name.item() == engine
        trace = one.objective_trace.values
        np.testing.assert_array_equal(trace[: gm.n_iter_], gm.lower_bounds_)
        assert np.all(np.isnan(trace[gm.n_iter_ :]))  # shorter runs are padded
    # variables only some engines have are NaN for the others
    assert np.isnan(combined.prior_scale.sel(engine=["em", "vb"])).all()
    assert np.isfinite(combined.prior_scale.sel(engine="map")).all()
    assert np.isnan(combined.weight_concentration_a.sel(engine=["em", "map"])).all()
    assert np.isfinite(combined.mean_precision.sel(engine="vb")).all()
    # both Bayesian engines have a prior mean: the data mean, comparable across them
    np.testing.assert_allclose(
        combined.prior_mean.sel(engine="map"), combined.prior_mean.sel(engine="vb")
    )
    # attributes all fits share survive; the ones that differ become variables or go
    assert combined.attrs["covariance_type"] == "full" and "engine" not in combined.attrs
    assert "format" not in combined.attrs  # bayesgmm.load would otherwise take it for one fit


def test_a_list_is_labelled_by_engine_and_results_or_datasets_work_too(three_fits):
    fits = list(three_fits.values())
    by_list = bayesgmm.combine_fits([fits[0], fits[1].result_, fits[2].to_dataset()])
    xr.testing.assert_identical(by_list, bayesgmm.combine_fits(three_fits))


def test_other_dimension_name_and_labels(faithful):
    fits = {
        f"K={k}": GaussianMixture(k, engine="map", random_state=0).fit(faithful) for k in (1, 3)
    }
    combined = bayesgmm.combine_fits(fits, dim="model")
    assert combined.weights.dims == ("model", "component") and combined.sizes["component"] == 3
    assert np.isnan(combined.weights.sel(model="K=1", component=[1, 2])).all()
    assert list(combined.n_components.values) == [1, 3]


def test_combine_errors(three_fits, faithful):
    em = three_fits["em"]
    with pytest.raises(ValueError, match="repeat"):
        bayesgmm.combine_fits([em, GaussianMixture(3, random_state=0).fit(faithful)])
    with pytest.raises(ValueError, match="different covariance types"):
        bayesgmm.combine_fits(
            {"a": em, "b": GaussianMixture(2, covariance_type="diag").fit(faithful)}
        )
    with pytest.raises(ValueError, match="combine fits of the same data"):
        bayesgmm.combine_fits(
            {"a": em, "b": GaussianMixture(2).fit(faithful[:, :1].repeat(2, axis=1))}
        )
    with pytest.raises(ValueError, match="not fitted yet"):
        bayesgmm.combine_fits({"a": em, "b": GaussianMixture(2)})
    with pytest.raises(TypeError, match="cannot combine a ndarray"):
        bayesgmm.combine_fits({"a": em, "b": faithful})
    with pytest.raises(ValueError, match="empty"):
        bayesgmm.combine_fits({})
