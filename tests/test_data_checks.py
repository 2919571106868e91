"""Data are checked once, in the data layer, with the same errors and warnings at every door.

``fit``, ``partial_fit``, ``select``, ``FitResult.prune`` /
``GaussianMixture.prune_components`` and ``prune_path`` all check their data
through :mod:`bayesgmm.data.checks`; in-memory and Dask input get the same
errors.  And the data moments (MAP's and VB's prior defaults) are computed
once per data source, once for a whole sweep.
"""

import dataclasses
import warnings

import dask
import dask.array as da
import numpy as np
import pytest
from conftest import make_mixture

import bayesgmm
import bayesgmm.data.sources
from bayesgmm import GaussianMixture
from bayesgmm.data.checks import checked_data_source
from bayesgmm.exceptions import DataScaleWarning


@pytest.fixture(scope="module")
def blobs():
    return make_mixture(120, 2, 2, separation=6.0, seed=3)


@pytest.fixture(scope="module")
def model(blobs):
    return GaussianMixture(2, random_state=0).fit(blobs)


def narrow(X):
    """X with a second feature whose variance reg_covar=1e-6 dominates."""
    return np.column_stack([X[:, 0], X[:, 1] * 1e-6])


def scale_warnings(call) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if issubclass(w.category, DataScaleWarning)]


def the_error(call) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        call()
    return type(info.value), str(info.value)


def test_every_entry_point_warns_as_fit_about_a_dominating_reg_covar(blobs, model):
    X = narrow(blobs)
    expected = scale_warnings(lambda: GaussianMixture(2, random_state=0).fit(X))
    assert len(expected) == 1 and "reg_covar=1e-06 is" in expected[0]
    narrow_model = GaussianMixture(2, random_state=0, reg_covar=1e-30).fit(X)
    calls = {
        "select": lambda: bayesgmm.select(X, n_components=[2], progress=False),
        "partial_fit": lambda: GaussianMixture(2, random_state=0).partial_fit(X),
        # the refits of pruning use the fit's reg_covar: a fit with the default one
        "FitResult.prune": lambda: _refit_default(narrow_model).result_.prune(0.5, X),
        "prune_components": lambda: _refit_default(narrow_model).prune_components(0.5, X),
        "prune_path": lambda: bayesgmm.prune_path(_refit_default(narrow_model), X),
    }
    for name, call in calls.items():
        assert scale_warnings(call) == expected, name


def _refit_default(model):
    """``model`` as an estimator whose spec has the default reg_covar (no fit, no warning)."""
    result = model.result_
    return GaussianMixture.from_result(
        dataclasses.replace(result, spec=dataclasses.replace(result.spec, reg_covar=1e-6))
    )


@pytest.mark.parametrize("spread", [1e120, 1e-120])
def test_every_entry_point_refuses_data_beyond_float64_as_fit(spread, blobs, model):
    X = blobs * spread
    expected = the_error(lambda: GaussianMixture(2).fit(X))
    assert expected[0] is ValueError and "feature 0 of X spans" in expected[1]
    calls = {
        "select": lambda: bayesgmm.select(X, n_components=[2], progress=False),
        "partial_fit": lambda: GaussianMixture(2).partial_fit(X),
        "FitResult.prune": lambda: model.result_.prune(0.5, X),
        "prune_components": lambda: GaussianMixture.from_result(model.result_).prune_components(
            0.5, X
        ),
        "prune_path": lambda: bayesgmm.prune_path(model, X),
    }
    for name, call in calls.items():
        assert the_error(call) == expected, name


def test_too_few_weighted_rows_are_refused_by_partial_fit_as_by_fit(blobs):
    weights = np.zeros(len(blobs))
    weights[0] = 1.0
    expected = the_error(lambda: GaussianMixture(2).fit(blobs, sample_weight=weights))
    assert expected[0] is ValueError and "positive for only 1 rows" in expected[1]
    assert (
        the_error(lambda: GaussianMixture(2).partial_fit(blobs, sample_weight=weights)) == expected
    )


def test_dask_input_is_checked_as_in_memory_input(blobs):
    X = narrow(blobs)
    with dask.config.set(scheduler="threads"):
        lazy = da.from_array(X, chunks=50)
        expected = scale_warnings(lambda: GaussianMixture(2, random_state=0).fit(X))
        assert scale_warnings(lambda: GaussianMixture(2, random_state=0).fit(lazy)) == expected
        wide = blobs * 1e120
        assert the_error(
            lambda: GaussianMixture(2).fit(da.from_array(wide, chunks=50))
        ) == the_error(lambda: GaussianMixture(2).fit(wide))


def test_complex_input_is_the_same_error_in_memory_and_on_dask():
    X = np.ones((10, 2), dtype=complex)
    expected = the_error(lambda: GaussianMixture(2).fit(X))
    assert expected[0] is ValueError
    with dask.config.set(scheduler="threads"):
        assert the_error(lambda: GaussianMixture(2).fit(da.from_array(X, chunks=5))) == expected


def test_a_sweep_computes_the_data_moments_once(blobs, monkeypatch):
    calls = []
    original = bayesgmm.data.sources.data_moments

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(bayesgmm.data.sources, "data_moments", counted)
    sweep = bayesgmm.select(
        blobs,
        n_components=[1, 2],
        engine=["map", "vb"],
        covariance_type=["full", "diag"],
        progress=False,
    )
    assert (sweep.fit_error.values == "").all()
    assert len(calls) == 1


def test_a_source_computes_its_moments_once(blobs, monkeypatch):
    source, _ = checked_data_source(blobs, reg_covar=1e-6)
    first = source.moments()
    monkeypatch.setattr(bayesgmm.data.sources, "data_moments", None)  # a second pass would fail
    assert source.moments() is first


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_feature_variances_match_numpy_across_blocks(dtype, monkeypatch):
    """The scale check's variances: NumPy's, weighted or not, in blocks, far from the origin."""
    from bayesgmm.data import moments

    monkeypatch.setattr(moments, "VARIANCE_BLOCK_ROWS", 7)  # several blocks and a ragged last one
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(50, 3)) * [1.0, 10.0, 1e-2] + [0.0, 1e4, -5.0]).astype(dtype)
    weights = rng.uniform(size=50)
    exact = X.astype(np.float64)
    np.testing.assert_allclose(moments.feature_variances(X), exact.var(axis=0), rtol=1e-12)
    mean = np.average(exact, axis=0, weights=weights)
    expected = np.average((exact - mean) ** 2, axis=0, weights=weights)
    np.testing.assert_allclose(moments.feature_variances(X, weights), expected, rtol=1e-12)
