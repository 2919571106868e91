"""The estimator's contract: scikit-learn's semantics and bayesgmm's guarantees."""

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import COVARIANCE_TYPES, make_mixture

import bayesgmm
from bayesgmm import (
    ConvergenceWarning,
    GaussianMixture,
    NotFittedError,
    SingularCovarianceError,
)
from bayesgmm.datasets import load_faithful


@pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")  # tol=0 runs to max_iter
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(covariance_type, mixture5d):
    gm = GaussianMixture(
        4,
        covariance_type=covariance_type,
        reg_covar=0,
        tol=0,
        max_iter=60,
        init_params="random",
        random_state=0,
    ).fit(mixture5d)
    trace = np.asarray(gm.lower_bounds_)
    assert np.all(np.diff(trace) >= -1e-12 * np.abs(trace[1:]))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_predict_predict_proba_score_consistency(covariance_type, mixture5d):
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=1)
    labels = gm.fit_predict(mixture5d)
    np.testing.assert_array_equal(labels, gm.predict(mixture5d))
    proba = gm.predict_proba(mixture5d)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(gm.predict(mixture5d), proba.argmax(axis=1))
    assert gm.score(mixture5d) == pytest.approx(gm.score_samples(mixture5d).mean(), rel=1e-14)
    assert gm.converged_ and 1 <= gm.n_iter_ <= gm.max_iter
    assert gm.result_.log_likelihood == pytest.approx(
        gm.score(mixture5d) * len(mixture5d), rel=1e-10
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_reproduces_the_fitted_moments(covariance_type, faithful):
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(faithful)
    X, labels = gm.sample(200_000)
    assert X.shape == (200_000, 2) and labels.shape == (200_000,)
    for k in range(2):
        rows = X[labels == k]
        assert len(rows) / len(X) == pytest.approx(gm.weights_[k], abs=5e-3)
        sd = np.sqrt(np.diag(np.cov(rows.T)))
        np.testing.assert_allclose(
            rows.mean(axis=0), gm.means_[k], atol=float(5 * sd.max() / np.sqrt(len(rows)))
        )
        expected = {
            "full": lambda: gm.covariances_[k],
            "tied": lambda: gm.covariances_,
            "diag": lambda: np.diag(gm.covariances_[k]),
            "spherical": lambda: np.eye(2) * gm.covariances_[k],
        }[covariance_type]()
        np.testing.assert_allclose(
            np.cov(rows.T), expected, rtol=0.05, atol=0.02 * np.abs(expected).max()
        )


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_seeded_fits_are_reproducible_bit_for_bit(init_params, mixture5d):
    fits = [
        GaussianMixture(3, init_params=init_params, n_init=2, random_state=123, max_iter=300).fit(
            mixture5d
        )
        for _ in range(2)
    ]
    for name in ("weights_", "means_", "covariances_", "lower_bounds_"):
        np.testing.assert_array_equal(getattr(fits[0], name), getattr(fits[1], name))


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random_from_data"])
def test_every_initialisation_finds_well_separated_clusters(init_params):
    X = make_mixture(900, 2, 3, separation=12.0, seed=2)
    gm = GaussianMixture(3, init_params=init_params, n_init=3, random_state=0).fit(X)
    reference = GaussianMixture(3, n_init=5, random_state=1).fit(X)
    assert gm.score(X) == pytest.approx(reference.score(X), rel=1e-4)


def test_n_init_keeps_the_best_run(mixture5d):
    single = [
        GaussianMixture(5, init_params="random", random_state=seed, max_iter=300)
        .fit(mixture5d)
        .lower_bound_
        for seed in range(3)
    ]
    best = GaussianMixture(5, init_params="random", n_init=6, random_state=0, max_iter=300).fit(
        mixture5d
    )
    assert best.lower_bound_ >= min(single)


def test_warm_start_continues_from_the_previous_fit(faithful):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = GaussianMixture(2, warm_start=True, max_iter=2, tol=0, random_state=0)
        warm.fit(faithful)
        first = warm.lower_bounds_
        warm.fit(faithful)
        second = warm.lower_bounds_
        cold = GaussianMixture(2, max_iter=4, tol=0, random_state=0).fit(faithful)
    np.testing.assert_allclose(first + second, cold.lower_bounds_, rtol=1e-13)
    np.testing.assert_allclose(warm.means_, cold.means_, rtol=1e-13)


def test_convergence_warning_when_max_iter_is_too_small(mixture5d):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        gm = GaussianMixture(3, max_iter=1, tol=0, random_state=0).fit(mixture5d)
    assert not gm.converged_ and gm.n_iter_ == 1


def test_max_iter_zero_keeps_the_initial_parameters(mixture5d):
    gm = GaussianMixture(3, max_iter=0, random_state=0).fit(mixture5d)
    assert gm.n_iter_ == 0 and gm.lower_bound_ == -np.inf
    assert gm.predict(mixture5d).shape == (len(mixture5d),)


def test_feature_names_are_carried_from_pandas_and_xarray(faithful):
    frame = pd.DataFrame(faithful, columns=["eruptions", "waiting"])
    from_pandas = GaussianMixture(2, random_state=0).fit(frame)
    from_xarray = GaussianMixture(2, random_state=0).fit(load_faithful())
    from_numpy = GaussianMixture(2, random_state=0).fit(faithful)
    assert list(from_pandas.feature_names_in_) == ["eruptions", "waiting"]
    assert list(from_xarray.feature_names_in_) == ["eruptions", "waiting"]
    assert not hasattr(from_numpy, "feature_names_in_")
    np.testing.assert_array_equal(from_pandas.means_, from_numpy.means_)
    assert list(from_xarray.to_dataset().feature.values) == ["eruptions", "waiting"]
    with pytest.raises(ValueError, match="feature names"):
        from_pandas.predict(frame[["waiting", "eruptions"]])
    with pytest.raises(ValueError, match="fitted on 2"):
        from_numpy.predict(faithful[:, :1])


def test_float32_input_stays_float32_and_fits_like_float64_to_1e6(faithful):
    # full covariances of float32 data are computed in float32 (docs/robustness.md):
    # measured 3e-8 (log-likelihood), 3e-8 sd (means), 1.4e-7 (covariances) here
    X32 = np.ascontiguousarray(faithful, dtype=np.float32)
    gm32 = GaussianMixture(2, random_state=0).fit(X32)
    gm64 = GaussianMixture(2, random_state=0).fit(X32.astype(np.float64))
    # the fit runs in float64 (float32 kernels where they pay); the estimator's face returns
    # float32 parameters for float32 data, as scikit-learn's GaussianMixture
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert getattr(gm32, name).dtype == np.float32, name
    sd = np.sqrt(np.diagonal(gm64.covariances_, axis1=1, axis2=2)).max()
    np.testing.assert_allclose(gm32.means_, gm64.means_, rtol=0, atol=1e-6 * sd)
    np.testing.assert_allclose(
        gm32.covariances_, gm64.covariances_, rtol=0, atol=1e-6 * np.abs(gm64.covariances_).max()
    )
    assert gm32.lower_bound_ == pytest.approx(gm64.lower_bound_, rel=1e-6)
    assert gm32.n_iter_ == gm64.n_iter_
    assert not np.array_equal(
        gm32.covariances_, gm64.covariances_
    )  # float32 arithmetic, as documented


@pytest.mark.parametrize("engine", ["em", "map", "vb"])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_float32_dtypes_are_scikit_learns(faithful, engine, covariance_type):
    from sklearn import mixture

    X32 = np.ascontiguousarray(faithful, dtype=np.float32)
    settings = dict(n_components=2, covariance_type=covariance_type, random_state=0)
    ours = GaussianMixture(engine=engine, **settings).fit(X32)
    theirs = mixture.GaussianMixture(**settings).fit(X32)
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert getattr(ours, name).dtype == getattr(theirs, name).dtype == np.float32, name
    for method in ("predict_proba", "score_samples"):
        assert getattr(ours, method)(X32).dtype == getattr(theirs, method)(X32).dtype
    assert ours.predict_proba(X32.astype(np.float64)).dtype == np.float64
    assert ours.sample(3)[0].dtype == theirs.sample(3)[0].dtype == np.float64
    # scikit-learn's BayesianGaussianMixture returns float64 for float32 data; so do we
    vb = bayesgmm.BayesianGaussianMixture(**settings).fit(X32)
    vb_theirs = mixture.BayesianGaussianMixture(**settings).fit(X32)
    assert vb.means_.dtype == vb_theirs.means_.dtype == np.float64
    assert vb.predict_proba(X32).dtype == vb_theirs.predict_proba(X32).dtype


@pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")  # tol=0 runs to max_iter
def test_sample_weight_two_equals_a_duplicated_row(faithful):
    weights = np.ones(len(faithful))
    weights[::3] = 2.0
    duplicated = np.vstack([faithful, faithful[::3]])
    start = dict(means_init=[[2.0, 55.0], [4.3, 80.0]], weights_init=[0.4, 0.6])
    weighted = GaussianMixture(2, tol=0, max_iter=30, **start).fit(faithful, sample_weight=weights)
    repeated = GaussianMixture(2, tol=0, max_iter=30, **start).fit(duplicated)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-10)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-10)
    np.testing.assert_allclose(weighted.weights_, repeated.weights_, rtol=1e-10)


def test_unfitted_estimator_says_so():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GaussianMixture(2).predict(np.zeros((3, 2)))


def test_singular_covariance_names_the_component_and_leaves_no_state():
    X = np.vstack([np.zeros((50, 2)), np.random.default_rng(0).normal(size=(50, 2)) + 10])
    gm = GaussianMixture(
        2,
        reg_covar=0,
        means_init=[[0, 0], [10, 10]],
        weights_init=[0.5, 0.5],
        precisions_init=np.stack([np.eye(2)] * 2),
        random_state=0,
    )
    with pytest.raises(SingularCovarianceError, match=r"component 0.*reg_covar.*engine='map'"):
        gm.fit(X)
    assert not hasattr(gm, "result_") and not hasattr(gm, "weights_")


def test_failed_refit_keeps_the_previous_fit(faithful):
    gm = GaussianMixture(2, random_state=0).fit(faithful)
    means = gm.means_.copy()
    with pytest.raises(ValueError):
        gm.set_params(n_components=0).fit(faithful)
    np.testing.assert_array_equal(gm.means_, means)


def test_get_and_set_params_round_trip():
    gm = GaussianMixture(3, covariance_type="diag", tol=1e-4)
    params = gm.get_params()
    assert params["n_components"] == 3 and params["covariance_type"] == "diag"
    clone = GaussianMixture(**params)
    assert clone.get_params() == params
    assert "covariance_type='diag'" in repr(gm)
    with pytest.raises(ValueError, match="invalid parameter 'n_clusters'"):
        gm.set_params(n_clusters=2)


def test_xarray_dataarray_input_and_caller_array_untouched(faithful):
    X = faithful.copy()
    X.setflags(write=False)
    da = xr.DataArray(X, dims=("row", "col"))
    GaussianMixture(2, random_state=0).fit(da)
    np.testing.assert_array_equal(X, faithful)


def test_importing_bayesgmm_does_not_import_xarray_or_pandas():
    # a fit needs neither; they cost 0.4 s of a cold start (bayesgmm._lazy)
    import subprocess
    import sys

    code = (
        "import sys, bayesgmm; heavy = [m for m in ('xarray', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
