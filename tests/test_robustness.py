"""Bad input, degenerate data and numerical traps: a correct fit or an error naming the fix.

Every failing case must also leave nothing behind: a fresh estimator stays unfitted, a
fitted one keeps its previous fit, and no array the caller passed is modified.
Engine-dependent cases run for every engine in ``bayesgmm.engines.ENGINES`` that iterates to
an optimum (``conftest.ASCENT_ENGINES``; the Gibbs sampler's cases are in test_gibbs.py).
"""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import ASCENT_ENGINES, COVARIANCE_TYPES, make_mixture
from scipy import sparse

import bayesgmm
from bayesgmm import (
    ConvergenceWarning,
    GaussianMixture,
    NotFittedError,
    SingularCovarianceError,
)
from bayesgmm.data.init import statistics_from_assignment
from bayesgmm.engines import ENGINES
from bayesgmm.exceptions import DataScaleWarning, EmptyComponentWarning
from bayesgmm.families import FAMILIES
from bayesgmm.fitting.safeguards import split_component

ENGINE_NAMES = ASCENT_ENGINES
FITTED_ATTRIBUTES = (
    "weights_",
    "means_",
    "covariances_",
    "precisions_",
    "precisions_cholesky_",
    "converged_",
    "n_iter_",
    "lower_bound_",
    "lower_bounds_",
    "n_features_in_",
    "result_",
)


def assert_unfitted(gm):
    present = [name for name in FITTED_ATTRIBUTES if hasattr(gm, name)]
    assert not present, f"a failed fit left {present} behind"


def snapshot(values):
    """Deep copies of every array-like argument, to prove none was modified."""
    return {
        key: (
            value.copy(deep=True)
            if hasattr(value, "copy") and isinstance(value, pd.DataFrame)
            else np.array(value, copy=True)
            if isinstance(value, np.ndarray)
            else value
        )
        for key, value in values.items()
    }


def assert_unchanged(before, after):
    for key, value in before.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(after[key], value)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value, err_msg=f"{key} was modified")


@pytest.fixture(scope="module")
def blobs():
    return make_mixture(120, 2, 2, separation=6.0, seed=3)


# near the two clusters of ``blobs``, so that fits from this start do not swap labels
BLOB_MEANS = np.array([[2.0, -3.0], [12.0, -15.0]])


def blob_start(covariance_type, n_features=2, scale=1.0, offset=0.0, **settings):
    """A full starting point near ``blobs``' clusters: no random initialisation involved."""
    means = np.zeros((2, n_features))
    means[:, :2] = BLOB_MEANS * scale + offset
    precisions = {
        "full": np.stack([np.eye(n_features)] * 2),
        "tied": np.eye(n_features),
        "diag": np.ones((2, n_features)),
        "spherical": np.ones(2),
    }[covariance_type]
    return dict(
        means_init=means,
        weights_init=[0.5, 0.5],
        precisions_init=precisions / scale**2,
        covariance_type=covariance_type,
        **settings,
    )


# ----------------------------------------------------------------------------- bad input
RNG = np.random.default_rng(0)
X20 = RNG.normal(size=(20, 2))


def with_nan(rows, value=np.nan):
    X = X20.copy()
    X[rows, 1] = value
    return X


BAD_DATA = [
    (
        with_nan([3, 7]),
        ValueError,
        r"NaN or infinite values in 2 rows \(first: 3\); drop or impute",
    ),
    (with_nan([5], np.inf), ValueError, r"in 1 row \(first: 5\)"),
    (with_nan([0], -np.inf), ValueError, r"in 1 row \(first: 0\)"),
    (X20[:, 0], ValueError, r"must be 2-D .* got 1-D; Reshape your data with X.reshape\(-1, 1\)"),
    (X20.reshape(5, 4, 2), ValueError, "got 3-D"),
    (np.zeros((0, 2)), ValueError, r"0 sample\(s\)"),
    (np.zeros((20, 0)), ValueError, r"0 feature\(s\)"),
    (X20 + 1j, ValueError, "Complex data not supported; split it into real and imaginary"),
    (X20 > 0, TypeError, "boolean.*X.astype\\(float\\)"),
    (X20.astype(str).astype(object) + "kg", TypeError, "non-numeric values"),
    (np.array([[1.0, 2.0], [3.0]], dtype=object), TypeError, "non-numeric values"),
    (np.zeros((20, 2), dtype="datetime64[s]"), TypeError, "unsupported dtype datetime64"),
    (sparse.csr_matrix(X20), TypeError, "sparse input is not supported.*toarray"),
    (sparse.csr_array(X20), TypeError, "sparse input is not supported"),
    (
        pd.DataFrame({"x": X20[:, 0], "kind": ["a", "b"] * 10}),
        TypeError,
        r"non-numeric columns \['kind'\] \(dtypes \['",
    ),
    (
        pd.DataFrame({"x": X20[:, 0], "flag": X20[:, 1] > 0}),
        TypeError,
        r"non-numeric columns \['flag'\]",
    ),
    (
        pd.DataFrame({"x": X20[:, 0], "s": pd.array(["a"] * 20, dtype="string")}),
        TypeError,
        r"non-numeric columns \['s'\]",
    ),
    (
        pd.DataFrame(
            {"x": pd.array([1.0, 2.0, None] + [3.0] * 17, dtype="Float64"), "y": X20[:, 1]}
        ),
        ValueError,
        r"NaN or infinite values in 1 row \(first: 2\)",
    ),
    (
        np.array([[1.0, None]] + [[2.0, 3.0]] * 19, dtype=object),
        ValueError,
        r"in 1 row \(first: 0\)",
    ),
]


@pytest.mark.parametrize("X, error, message", BAD_DATA)
def test_bad_data_is_refused_with_the_reason(X, error, message, blobs):
    before = snapshot({"X": X}) if not sparse.issparse(X) else {}
    fresh = GaussianMixture(2, random_state=0)
    with pytest.raises(error, match=message):
        fresh.fit(X)
    assert_unfitted(fresh)
    fitted = GaussianMixture(2, random_state=0).fit(blobs)
    kept = fitted.result_
    with pytest.raises(error, match=message):
        fitted.fit(X)
    assert fitted.result_ is kept
    assert_unchanged(before, {"X": X})


BAD_PARAMETERS = [
    (dict(n_components=0), ValueError, "n_components must be >= 1"),
    (dict(n_components=True), TypeError, "n_components must be an integer"),
    (dict(n_components=2.0), TypeError, "n_components must be an integer"),
    (dict(tol=-1e-3), ValueError, "tol must be a finite number >= 0"),
    (dict(tol=np.nan), ValueError, "tol must be a finite number"),
    (dict(tol=np.inf), ValueError, "tol must be a finite number"),
    (dict(reg_covar=-1e-6), ValueError, "reg_covar must be a finite number >= 0"),
    (dict(reg_covar=np.nan), ValueError, "reg_covar must be a finite number"),
    (dict(reg_covar="1e-6"), TypeError, "reg_covar must be a real number"),
    (dict(max_iter=-1), ValueError, "max_iter must be >= 0"),
    (dict(n_init=0), ValueError, "n_init must be >= 1"),
    (
        dict(covariance_type="ful"),
        ValueError,
        "covariance_type='ful' is not one of the valid choices: 'full', 'tied', 'diag', 'spherical'",
    ),
    (dict(engine="hmc"), ValueError, "engine='hmc' is not one of the valid choices: 'em'"),
    (
        dict(init_params="kmeans++"),
        ValueError,
        "init_params='kmeans\\+\\+' is not one of the valid choices: 'kmeans', 'k-means\\+\\+'",
    ),
    (dict(warm_start=1), TypeError, "warm_start must be True or False"),
    (dict(verbose=-1), ValueError, "verbose must be a non-negative integer"),
    (dict(random_state="abc"), TypeError, "random_state='abc' is not a valid seed"),
    (dict(random_state=-1), ValueError, "random_state=-1 is not a valid seed"),
    (dict(random_state=1.5), TypeError, "random_state=1.5 is not a valid seed"),
    (dict(weights_init=[0.5, np.nan]), ValueError, "weights_init contains NaN or infinite values"),
    (
        dict(weights_init=[0.5, 0.5, 0.0]),
        ValueError,
        r"weights_init has shape \(3,\); expected \(2,\)",
    ),
    (dict(weights_init=[1.5, -0.5]), ValueError, r"weights_init must lie in \[0, 1\]"),
    (
        dict(weights_init=[0.3, 0.3]),
        ValueError,
        "must sum to 1, but sums to 0.6; divide by its sum",
    ),
    (dict(weights_init=["a", "b"]), TypeError, "weights_init must be an array of real numbers"),
    (
        dict(means_init=[[0.0, np.inf], [1.0, 1.0]]),
        ValueError,
        "means_init contains NaN or infinite",
    ),
    (
        dict(means_init=np.zeros((2, 3))),
        ValueError,
        r"means_init has shape \(2, 3\); expected \(2, 2\)",
    ),
    (dict(precisions_init=np.full((2, 2, 2), np.nan)), ValueError, "precisions_init contains NaN"),
    (
        dict(precisions_init=np.stack([np.eye(2), -np.eye(2)])),
        ValueError,
        r"precisions_init\[1\] is not positive definite",
    ),
    (
        dict(precisions_init=np.stack([np.eye(2), [[1.0, 0.5], [0.0, 1.0]]])),
        ValueError,
        "not symmetric",
    ),
    (
        dict(precisions_init=np.eye(2)),
        ValueError,
        r"'full' model with 2 components and 2 features needs shape \(2, 2, 2\)",
    ),
    (
        dict(covariance_type="tied", precisions_init=[[1.0, 2.0], [2.0, 1.0]]),
        ValueError,
        "not positive definite",
    ),
    (
        dict(covariance_type="diag", precisions_init=[[1.0, 0.0], [1.0, 1.0]]),
        ValueError,
        "must be positive",
    ),
    (
        dict(covariance_type="spherical", precisions_init=[1.0, -1.0]),
        ValueError,
        "must be positive",
    ),
]


@pytest.mark.parametrize("params, error, message", BAD_PARAMETERS)
def test_bad_parameters_are_refused_before_anything_changes(params, error, message, blobs):
    arrays = {key: value for key, value in params.items() if isinstance(value, np.ndarray)}
    before = snapshot(arrays)
    fresh = GaussianMixture(**{"n_components": 2, **params})
    with pytest.raises(error, match=message):
        fresh.fit(blobs)
    assert_unfitted(fresh)
    fitted = GaussianMixture(2, random_state=0).fit(blobs)
    means = fitted.means_
    with pytest.raises(error, match=message):
        fitted.set_params(**params).fit(blobs)
    assert fitted.means_ is means
    assert_unchanged(before, arrays)


@pytest.mark.parametrize(
    "sample_weight, error, message",
    [
        (np.ones(119), ValueError, "119 entries for 120 samples; give one per row"),
        (-np.ones(120), ValueError, "finite and non-negative"),
        (np.r_[np.nan, np.ones(119)], ValueError, "finite and non-negative"),
        (np.zeros(120), ValueError, "sums to zero"),
        (np.full(120, 1e307), ValueError, "sums to inf .*divide the weights by a common factor"),
        (["heavy"] * 120, TypeError, "sample_weight must be real numbers"),
        (np.ones(120) + 1j, TypeError, "sample_weight must be real numbers"),
        (np.r_[1.0, np.zeros(119)], ValueError, "positive for only 1 rows but n_components=2"),
    ],
)
def test_bad_sample_weight(sample_weight, error, message, blobs):
    gm = GaussianMixture(2, random_state=0)
    with pytest.raises(error, match=message):
        gm.fit(blobs, sample_weight=sample_weight)
    assert_unfitted(gm)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(n_components=3), r"n_components=3 \(previous fit: 2\)"),
        (dict(covariance_type="diag"), r"covariance_type='diag' \(previous fit: 'full'\)"),
    ],
)
def test_warm_start_refuses_a_different_model(change, message, blobs):
    gm = GaussianMixture(2, warm_start=True, random_state=0).fit(blobs)
    kept = gm.result_
    with pytest.raises(ValueError, match=message + ".*warm_start=False to start afresh"):
        gm.set_params(**change).fit(blobs)
    assert gm.result_ is kept
    gm.set_params(warm_start=False).fit(blobs)  # starting afresh works
    assert gm.weights_.shape[0] == gm.n_components


def test_prediction_input_is_checked_and_changes_nothing(blobs):
    frame = pd.DataFrame(blobs, columns=["a", "b"])
    gm = GaussianMixture(2, random_state=0).fit(frame)
    state = dict(gm.__dict__)
    cases = [
        (
            blobs[:, :1],
            ValueError,
            "X has 1 features, but GaussianMixture is expecting 2 features as input",
        ),
        (frame[["b", "a"]], ValueError, r"feature names \['b', 'a'\].*fitted with \['a', 'b'\]"),
        (
            np.r_[blobs[:3], [[np.nan, 0.0]]],
            ValueError,
            r"NaN or infinite values in 1 row \(first: 3\)",
        ),
        (blobs[0], ValueError, "Reshape your data"),
        (blobs + 0j, ValueError, "Complex data not supported"),
        (sparse.csr_matrix(blobs), TypeError, "sparse"),
        (np.zeros((0, 2)), ValueError, r"0 sample\(s\)"),
    ]
    for method in ("predict", "predict_proba", "score_samples", "score", "bic", "aic"):
        for X, error, message in cases:
            with pytest.raises(error, match=message):
                getattr(gm, method)(X)
    assert gm.__dict__.keys() == state.keys()
    assert all(gm.__dict__[key] is value for key, value in state.items())


def test_unfitted_estimator_raises_not_fitted_for_every_method(blobs):
    gm = GaussianMixture(2)
    for method in ("predict", "predict_proba", "score_samples", "score", "bic", "aic"):
        with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit'"):
            getattr(gm, method)(blobs)
    with pytest.raises(NotFittedError):
        gm.sample(3)
    with pytest.raises(NotFittedError):
        gm.to_dataset()
    with pytest.raises(TypeError, match="cannot save a GaussianMixture; give a fitted"):
        bayesgmm.save(gm, "never-written.nc")
    assert not os.path.exists("never-written.nc")


def test_not_fitted_error_is_also_scikit_learns():
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    with pytest.raises(SklearnNotFittedError):
        GaussianMixture(2).predict(np.zeros((3, 2)))
    with pytest.raises(NotFittedError):  # and still bayesgmm's own
        GaussianMixture(2).predict(np.zeros((3, 2)))


# ------------------------------------------------------------------ inputs that just work
def equivalent_inputs(X, tmp_path):
    memmap_path = tmp_path / "X.dat"
    stored = np.memmap(memmap_path, dtype=np.float64, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    read_only = X.copy()
    read_only.setflags(write=False)
    return {
        "fortran": np.asfortranarray(X),
        "strided": np.repeat(X, 2, axis=1)[:, ::2],
        "reversed_view": X[::-1][::-1],
        "read_only": read_only,
        "memmap_read_only": np.memmap(memmap_path, dtype=np.float64, mode="r", shape=X.shape),
        "list": X.tolist(),
        "dataframe": pd.DataFrame(X),
        "dataarray": xr.DataArray(X, dims=("row", "col")),
    }


def test_non_contiguous_fortran_read_only_and_memmapped_inputs_give_the_same_fit(blobs, tmp_path):
    reference = GaussianMixture(2, random_state=0).fit(blobs)
    for name, X in equivalent_inputs(blobs, tmp_path).items():
        before = snapshot({"X": X}) if isinstance(X, (np.ndarray, pd.DataFrame)) else {}
        gm = GaussianMixture(2, random_state=0).fit(X)
        np.testing.assert_array_equal(gm.means_, reference.means_, err_msg=name)
        np.testing.assert_array_equal(gm.covariances_, reference.covariances_, err_msg=name)
        np.testing.assert_array_equal(
            gm.predict_proba(X), reference.predict_proba(blobs), err_msg=name
        )
        np.testing.assert_array_equal(
            gm.score_samples(X), reference.score_samples(blobs), err_msg=name
        )
        assert_unchanged(before, {"X": X})


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, np.float16])
def test_integer_and_half_precision_input_is_converted(dtype):
    X = np.round(make_mixture(100, 2, 2, separation=5.0, seed=1) * 10 + 50).astype(dtype)
    before = X.copy()
    gm = GaussianMixture(2, random_state=0).fit(X)
    reference = GaussianMixture(2, random_state=0).fit(X.astype(np.float64))
    assert gm.means_.dtype == np.float64
    np.testing.assert_array_equal(gm.means_, reference.means_)
    np.testing.assert_array_equal(gm.predict(X), reference.predict(X.astype(np.float64)))
    np.testing.assert_array_equal(X, before)
    assert X.dtype == dtype


def test_read_only_sample_weight_and_initial_parameters_are_neither_kept_nor_modified(blobs):
    weights = np.linspace(0.5, 2.0, len(blobs))
    means = np.array([[0.0, 0.0], [5.0, 5.0]])
    precisions = np.stack([np.eye(2), np.eye(2)])
    for array in (weights, means, precisions):
        array.setflags(write=False)
    before = snapshot({"w": weights, "m": means, "p": precisions})
    gm = GaussianMixture(2, means_init=means, precisions_init=precisions, random_state=0)
    gm.fit(blobs, sample_weight=weights)
    assert_unchanged(before, {"w": weights, "m": means, "p": precisions})
    assert gm.means_init is means  # the parameter is stored as given (scikit-learn's contract)
    assert not np.shares_memory(gm.means_, means)


# ------------------------------------------------------------------------ degenerate data
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_duplicated_rows_give_the_same_fit_as_the_originals(covariance_type, blobs):
    start = blob_start(covariance_type, tol=0, max_iter=25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once = GaussianMixture(2, **start).fit(blobs)
        thrice = GaussianMixture(2, **start).fit(np.repeat(blobs, 3, axis=0))
    np.testing.assert_allclose(thrice.means_, once.means_, rtol=1e-10)
    np.testing.assert_allclose(thrice.covariances_, once.covariances_, rtol=1e-9)
    np.testing.assert_allclose(thrice.weights_, once.weights_, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_constant_feature_gets_variance_reg_covar_and_leaves_the_rest_alone(
    covariance_type, blobs
):
    X = np.column_stack([blobs, np.full(len(blobs), 7.25)])
    settings = dict(reg_covar=1e-4, tol=0, max_iter=20)
    start3 = blob_start(covariance_type, 3, **settings)
    start3["means_init"][:, 2] = 7.25
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        without = GaussianMixture(2, **blob_start(covariance_type, **settings)).fit(blobs)
        with_constant = GaussianMixture(2, **start3).fit(X)
    np.testing.assert_allclose(with_constant.means_[:, 2], 7.25, rtol=1e-14)
    if covariance_type == "spherical":
        return  # one variance for all features: the constant feature pulls it down, by design
    # a constant feature is independent of the others and adds the same density to every
    # component: the responsibilities, hence the other parameters, do not change
    np.testing.assert_allclose(with_constant.means_[:, :2], without.means_, rtol=1e-9)
    np.testing.assert_allclose(with_constant.weights_, without.weights_, rtol=1e-9)
    if covariance_type in ("full", "diag"):
        covariances = with_constant.covariances_
        variance = covariances[:, 2, 2] if covariance_type == "full" else covariances[:, 2]
        np.testing.assert_allclose(variance, 1e-4, rtol=1e-9)
        rest = covariances[:, :2, :2] if covariance_type == "full" else covariances[:, :2]
        np.testing.assert_allclose(rest, without.covariances_, rtol=1e-8)
    if covariance_type in ("full", "tied"):
        with pytest.raises(SingularCovarianceError, match="component|all components"):
            GaussianMixture(2, covariance_type=covariance_type, reg_covar=0).fit(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_perfectly_collinear_features(covariance_type, blobs):
    X = np.column_stack([blobs, 2 * blobs[:, 0] - blobs[:, 1]])
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    assert np.all(np.isfinite(gm.score_samples(X)))
    np.testing.assert_allclose(gm.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)
    if covariance_type in ("full", "tied"):
        # the third feature adds no information: the covariance is singular without reg_covar
        with pytest.raises(SingularCovarianceError, match="lower-dimensional subspace.*reg_covar"):
            GaussianMixture(2, covariance_type=covariance_type, reg_covar=0, random_state=0).fit(X)
    else:  # a diagonal model does not see the collinearity
        GaussianMixture(2, covariance_type=covariance_type, reg_covar=0, random_state=0).fit(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_all_rows_identical(covariance_type):
    X = np.tile([3.0, -1.0, 2.0], (25, 1))
    gm = GaussianMixture(1, covariance_type=covariance_type).fit(X)
    np.testing.assert_array_equal(gm.means_, [[3.0, -1.0, 2.0]])
    variances = {
        "full": lambda c: np.diagonal(c[0]),
        "tied": np.diagonal,
        "diag": lambda c: c[0],
        "spherical": lambda c: c,
    }[covariance_type](gm.covariances_)
    np.testing.assert_allclose(variances, 1e-6, rtol=1e-9)
    assert np.all(np.isfinite(gm.score_samples(X)))
    with pytest.raises(SingularCovarianceError, match="component 0|all components"):
        GaussianMixture(1, covariance_type=covariance_type, reg_covar=0).fit(X)
    # three components on one distinct row: nothing can be split, two stay empty, and we say so
    with pytest.warns(
        EmptyComponentWarning, match="could not be re-seeded.*fewer distinct clusters"
    ) as record:
        gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    events = record[0].message.events
    assert {event.component for event in events} == {1, 2} and all(e.split is None for e in events)
    assert gm.weights_[0] == pytest.approx(1.0) and np.all(gm.weights_[1:] < 1e-12)
    np.testing.assert_allclose(gm.predict_proba(X), [[1.0, 0.0, 0.0]] * 25, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_row_per_component(covariance_type):
    X = np.array([[0.0, 0.0], [5.0, 1.0], [-3.0, 4.0]])
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    np.testing.assert_allclose(gm.weights_, 1 / 3, rtol=1e-9)
    np.testing.assert_allclose(np.sort(gm.means_, axis=0), np.sort(X, axis=0), atol=1e-9)
    assert sorted(gm.predict(X)) == [0, 1, 2]
    with pytest.raises(SingularCovarianceError, match="reg_covar.*fewer components"):
        GaussianMixture(3, covariance_type=covariance_type, reg_covar=0, random_state=0).fit(X)
    with pytest.raises(ValueError, match="3 samples but n_components=4"):
        GaussianMixture(4, covariance_type=covariance_type).fit(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_component_is_the_sample_mean_and_covariance(covariance_type, blobs):
    gm = GaussianMixture(1, covariance_type=covariance_type, reg_covar=0).fit(blobs)
    assert gm.converged_ and gm.n_iter_ <= 2
    np.testing.assert_allclose(gm.means_[0], blobs.mean(axis=0), rtol=1e-12)
    covariance = np.cov(blobs.T, bias=True)
    expected = {
        "full": covariance[None],
        "tied": covariance,
        "diag": np.diag(covariance)[None],
        "spherical": np.array([np.diag(covariance).mean()]),
    }[covariance_type]
    np.testing.assert_allclose(gm.covariances_, expected, rtol=1e-10)


def test_one_feature_every_family_agrees(blobs):
    X = blobs[:, :1]
    start = dict(
        means_init=BLOB_MEANS[:, :1],
        weights_init=[0.5, 0.5],
        tol=1e-10,
        max_iter=500,
        random_state=0,
    )
    fits = {ct: GaussianMixture(2, covariance_type=ct, **start).fit(X) for ct in COVARIANCE_TYPES}
    # with one feature full, diag and spherical are the same model
    for ct in ("diag", "spherical"):
        np.testing.assert_allclose(fits[ct].means_, fits["full"].means_, rtol=1e-8)
        np.testing.assert_allclose(
            fits[ct].covariances_.reshape(-1), fits["full"].covariances_.reshape(-1), rtol=1e-8
        )
    assert fits["tied"].covariances_.shape == (1, 1)
    bics = [GaussianMixture(1, covariance_type=ct).fit(X).bic(X) for ct in COVARIANCE_TYPES]
    np.testing.assert_allclose(bics, bics[0], rtol=1e-12)


# ------------------------------------------------------------------------ empty components
@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_component_that_loses_all_its_points_is_reseeded(engine, covariance_type):
    X = make_mixture(300, 2, 3, separation=10.0, seed=5)
    labels = GaussianMixture(3, n_init=3, random_state=0).fit(X).predict(X)
    centers = np.array([X[labels == k].mean(axis=0) for k in range(3)])
    means_init = np.vstack([centers[:2], [[1e3, 1e3]]])  # the third starts where no data are
    gm = GaussianMixture(
        3,
        covariance_type=covariance_type,
        engine=engine,
        means_init=means_init,
        max_iter=300,
        random_state=0,
    )
    if not ENGINES[engine].reseeds_empty_components:
        pytest.skip(f"engine {engine!r} leaves empty components alone by design")
    with pytest.warns(
        EmptyComponentWarning, match="omponent 2 lost all its points at iteration 1"
    ) as record:
        gm.fit(X)
    (event,) = record[0].message.events
    assert event.iteration == 1 and event.component == 2 and event.split is not None
    # the re-seeded component found the third cluster
    assert np.all(gm.weights_ > 0.2)
    assert sorted(
        np.argmin(np.linalg.norm(gm.means_[:, None] - centers[None], axis=2), axis=1)
    ) == [0, 1, 2]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_an_empty_initial_cluster_is_reseeded_before_the_first_update(engine, monkeypatch):
    """k-means can end with an empty cluster; with reg_covar=0 it used to be reported as singular."""
    import bayesgmm.data.sources

    X = make_mixture(200, 2, 2, separation=10.0, seed=6)
    true_labels = GaussianMixture(2, random_state=0).fit(X).predict(X)

    def kmeans_with_an_empty_cluster(X_, n_components, method, rng):
        return true_labels.copy(), None  # cluster 2 of 3 gets no rows

    # in-memory data sources draw their first labels through this name
    monkeypatch.setattr(
        bayesgmm.data.sources, "initial_labels_or_responsibilities", kmeans_with_an_empty_cluster
    )
    if not ENGINES[engine].reseeds_empty_components:
        pytest.skip(f"engine {engine!r} leaves empty components alone by design")
    with pytest.warns(
        EmptyComponentWarning, match="omponent 2 lost all its points at initialisation"
    ):
        gm = GaussianMixture(3, engine=engine, reg_covar=0, max_iter=0).fit(X)
    assert np.all(gm.weights_ > 0.1)
    assert np.all(np.isfinite(gm.covariances_))


@pytest.mark.parametrize("diagonal", [False, True])
def test_splitting_keeps_the_pooled_moments_exactly(diagonal):
    rng = np.random.default_rng(2)
    X = (
        rng.normal(size=(150, 3)) @ np.array([[2.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.5]])
        + 10
    )
    labels = (X[:, 0] > 10).astype(int)
    labels[:5] = 2
    stats = statistics_from_assignment(X, 3, diagonal, labels=labels)
    stats = type(stats)(
        **{
            **stats.__dict__,
            "nk": np.r_[stats.nk[:2], 0.0],
            "sx": np.r_[stats.sx[:2], np.zeros((1, 3))],
            "sxx": np.concatenate([stats.sxx[:2], np.zeros((1,) + stats.sxx.shape[1:])]),
        }
    )
    split = split_component(stats, 1, 2)
    means, scatter = stats.weighted_means(np.where(stats.nk > 0, stats.nk, 1.0))
    child_means, child_scatter = split.weighted_means(split.nk)
    assert split.nk[1] == split.nk[2] == stats.nk[1] / 2 and split.nk[0] == stats.nk[0]
    pooled_mean = (split.nk[1:, None] * child_means[1:]).sum(axis=0) / stats.nk[1]
    np.testing.assert_allclose(pooled_mean, means[1], rtol=1e-13)
    deviations = child_means[1:] - means[1]
    spread = deviations**2 if diagonal else deviations[:, :, None] * deviations[:, None, :]
    pooled_scatter = child_scatter[1:].sum(axis=0) + (
        split.nk[1:].reshape((-1,) + (1,) * (spread.ndim - 1)) * spread
    ).sum(axis=0)
    np.testing.assert_allclose(
        pooled_scatter, scatter[1], rtol=1e-12, atol=1e-12 * np.abs(scatter[1]).max()
    )
    # the halves sit on either side of the parent along its principal axis
    assert np.linalg.norm(child_means[1] - child_means[2]) > 0.5
    # a tied covariance (the pooled scatter of all components) does not change at all
    tied = FAMILIES["tied"] if not diagonal else None
    if tied is not None:
        before = tied.pool(scatter, stats.nk)[0]
        after = tied.pool(
            child_scatter
            + np.r_[[np.zeros((3, 3))], [spread[0] * split.nk[1], spread[1] * split.nk[2]]],
            split.nk,
        )[0]
        np.testing.assert_allclose(after - before, 0, atol=1e-10 * np.abs(before).max())


def test_reseeding_gives_up_when_nothing_can_be_split():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 20, axis=0)  # two distinct rows for four components
    with pytest.warns(
        EmptyComponentWarning, match="no component has any spread left to split"
    ) as record:
        gm = GaussianMixture(4, random_state=0).fit(X)
    assert len(record) == 1  # one warning per fit, not one per iteration
    assert sorted(np.round(gm.weights_, 6))[-2:] == [0.5, 0.5]
    np.testing.assert_allclose(gm.predict_proba(X).sum(axis=1), 1.0)


def test_a_zero_initial_weight_is_a_component_to_reseed(blobs):
    with pytest.warns(EmptyComponentWarning, match="omponent 1 lost all its points at iteration 1"):
        gm = GaussianMixture(2, weights_init=[1.0, 0.0], random_state=0).fit(blobs)
    np.testing.assert_allclose(
        np.sort(gm.weights_),
        np.sort(GaussianMixture(2, random_state=0).fit(blobs).weights_),
        rtol=1e-3,
    )


# -------------------------------------------------------------------- scale and offset
def scaled_fit(X, scale, covariance_type, reg_covar):
    start = blob_start(covariance_type, scale=scale, reg_covar=reg_covar, tol=0, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(2, **start).fit(X * scale)


@pytest.mark.parametrize("scale", [1e12, 1e-12])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_scaled_data_with_reg_covar_in_the_same_units_gives_the_scaled_fit(
    scale, covariance_type, blobs
):
    reference = scaled_fit(blobs, 1.0, covariance_type, 1e-6)
    gm = scaled_fit(blobs, scale, covariance_type, 1e-6 * scale**2)
    np.testing.assert_allclose(gm.means_, reference.means_ * scale, rtol=1e-9)
    np.testing.assert_allclose(gm.covariances_, reference.covariances_ * scale**2, rtol=1e-9)
    np.testing.assert_allclose(gm.weights_, reference.weights_, rtol=1e-9)
    # densities scale by 1 / scale^D, so the per-sample log-likelihood shifts by -D log(scale)
    assert gm.score(blobs * scale) == pytest.approx(
        reference.score(blobs) - 2 * np.log(scale), rel=1e-10
    )


def test_reg_covar_is_absolute_and_a_dominating_one_is_warned_about(blobs):
    small = blobs * 1e-12
    with pytest.warns(
        DataScaleWarning,
        match=r"reg_covar=1e-06 is .* times the variance of feature .*Standardise X",
    ):
        GaussianMixture(2, random_state=0).fit(small)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataScaleWarning)
        GaussianMixture(2, reg_covar=1e-30, random_state=0).fit(small)  # in the data's units: fine
        GaussianMixture(2, random_state=0).fit(blobs * 1e12)  # negligible: no warning
        GaussianMixture(2, random_state=0).fit(
            np.column_stack([blobs, np.zeros(len(blobs))])
        )  # constant


@pytest.mark.parametrize("spread, message", [(1e120, "overflow"), (1e-120, "underflow")])
def test_data_beyond_float64s_range_of_squares_is_refused(spread, message, blobs):
    gm = GaussianMixture(2)
    with pytest.raises(ValueError, match=f"feature 0 of X spans .*{message} float64. Rescale X"):
        gm.fit(blobs * spread)
    assert_unfitted(gm)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_data_offset_1e8_lose_nothing_beyond_their_representation(covariance_type, blobs):
    offset = 1e8
    shifted = blobs + offset
    represented = shifted - offset  # the values float64 actually holds, moved back exactly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        near = GaussianMixture(2, **blob_start(covariance_type, tol=0, max_iter=30)).fit(
            represented
        )
        far = GaussianMixture(
            2, **blob_start(covariance_type, offset=offset, tol=0, max_iter=30)
        ).fit(shifted)
    np.testing.assert_allclose(far.means_ - offset, near.means_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(far.covariances_, near.covariances_, rtol=1e-7)
    np.testing.assert_allclose(far.weights_, near.weights_, rtol=1e-8)


def test_float32_data_with_a_large_offset_lose_nothing_beyond_float32(blobs):
    # computed in float32, about float64 means split into float32 hi + lo: the
    # spread survives the offset (the fit's float64 parameters, before the estimator casts
    # them to the data's float32) (measured: covariances within 1.1e-7, means 2e-8 sd)
    X32 = (blobs + 1e4).astype(np.float32)
    X64 = X32.astype(np.float64)
    start = blob_start("full", offset=1e4, tol=0, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm32 = GaussianMixture(2, **start).fit(X32)
        gm64 = GaussianMixture(2, **start).fit(X64)
        centred = GaussianMixture(2, **blob_start("full", tol=0, max_iter=30)).fit(X64 - 1e4)
    sd = np.sqrt(np.diagonal(gm64.covariances_, axis1=1, axis2=2)).max()
    np.testing.assert_allclose(gm32.result_.parameters.covariances, gm64.covariances_, rtol=1e-6)
    np.testing.assert_allclose(gm32.result_.parameters.means, gm64.means_, rtol=0, atol=1e-6 * sd)
    np.testing.assert_allclose(gm32.result_.parameters.covariances, centred.covariances_, rtol=1e-6)
    np.testing.assert_allclose(gm32.score_samples(X32), gm64.score_samples(X64), rtol=1e-6)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_float32_standard_normal_data_offset_1e4_fit_in_float32_like_float64(covariance_type):
    # 1e4 + N(0, I): float32 resolves steps of 1e-3 there, the data keep their unit
    # spread (compared on the fit's float64 parameters, before the cast to float32); 16 features exercise the kernel's 4 x 4 blocks
    rng = np.random.default_rng(8)
    D = 16
    centres = np.zeros((2, D))
    centres[1, :4] = 6.0
    X64 = 1e4 + rng.normal(size=(20_000, D)) + centres[rng.integers(0, 2, size=20_000)]
    X32 = X64.astype(np.float32)
    X64 = X32.astype(np.float64)  # the same values
    precisions = np.eye(D) if covariance_type == "tied" else np.stack([np.eye(D)] * 2)
    start = dict(
        means_init=1e4 + centres + 0.5,
        weights_init=[0.5, 0.5],
        precisions_init=precisions,
        covariance_type=covariance_type,
        tol=0,
        max_iter=20,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm32 = GaussianMixture(2, **start).fit(X32)
        gm64 = GaussianMixture(2, **start).fit(X64)
    np.testing.assert_allclose(
        gm32.result_.parameters.means, gm64.means_, rtol=0, atol=1e-6
    )  # sd is 1
    np.testing.assert_allclose(
        gm32.result_.parameters.covariances, gm64.covariances_, rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(gm32.result_.parameters.weights, gm64.weights_, rtol=1e-6)
    assert gm32.lower_bound_ == pytest.approx(gm64.lower_bound_, rel=1e-6)
    # and the fit is right: unit covariances, the two centres
    np.testing.assert_allclose(gm32.result_.parameters.means - 1e4, centres, atol=0.05)
    cov = (
        gm32.result_.parameters.covariances
        if covariance_type == "tied"
        else gm32.result_.parameters.covariances[0]
    )
    np.testing.assert_allclose(cov, np.eye(D), atol=0.05)


# ------------------------------------------------------------------ far rows and overflow
def test_far_away_and_overflowing_rows_get_valid_responsibilities(blobs):
    gm = GaussianMixture(2, covariance_type="full", random_state=0).fit(blobs)
    sd = np.sqrt(np.diagonal(gm.covariances_, axis1=1, axis2=2)).max()
    far = np.array(
        [
            [1e6 * sd, 0.0],
            [0.0, -1e6 * sd],
            [1e160, 1e160],
            [1.7e308, -1.7e308],
            [-1.7e308, 0.0],
            [1e154, 1e-300],
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning either
        proba = gm.predict_proba(far)
        scores = gm.score_samples(far)
        labels = gm.predict(far)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert not np.any(np.isnan(scores))
    assert np.all(scores[:2] > -np.inf) and np.all(scores[2:5] == -np.inf)  # below -1.8e308
    np.testing.assert_array_equal(labels, proba.argmax(axis=1))


def test_a_far_outlier_in_the_training_data(blobs):
    sd = blobs.std()
    X = np.vstack([blobs, [[1e6 * sd, -1e6 * sd]]])
    gm = GaussianMixture(2, random_state=0).fit(X)
    assert np.all(np.isfinite(gm.covariances_)) and np.all(np.isfinite(gm.score_samples(X)))
    np.testing.assert_allclose(gm.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)


def test_an_objective_that_overflows_raises_instead_of_returning_nan(blobs):
    gm = GaussianMixture(
        2,
        reg_covar=0,
        means_init=[[1e10, 0.0], [-1e10, 0.0]],
        weights_init=[0.5, 0.5],
        precisions_init=np.stack([np.eye(2) * 1e300] * 2),
    )
    # every squared distance overflows: the kernels' log-sum-exp is -inf (NaN before the SIMD exp)
    with pytest.raises(
        FloatingPointError, match="objective became (nan|-inf) at iteration 1.*Standardise X"
    ):
        gm.fit(blobs)
    assert_unfitted(gm)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_singular_covariance_names_the_component_in_every_path(init_params):
    # five identical rows make a cluster with no spread: reached at initialisation or in the loop
    X = np.vstack([np.zeros((5, 2)), make_mixture(40, 2, 1, seed=8) + 20])
    with pytest.raises(
        SingularCovarianceError,
        match=r"covariance of (component \d|all components).*reg_covar.*engine='map'.*fewer components",
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for seed in range(20):  # at least one seed's start separates the identical rows
                GaussianMixture(
                    2, reg_covar=0, init_params=init_params, random_state=seed, max_iter=200
                ).fit(X)


# ------------------------------------------------------------------------------- files
@pytest.fixture(scope="module")
def fitted_by_engine():
    X = make_mixture(150, 3, 2, seed=9)
    return {
        (engine, ct): GaussianMixture(2, covariance_type=ct, engine=engine, random_state=0).fit(X)
        for engine in ENGINE_NAMES
        for ct in COVARIANCE_TYPES
    }, X


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_save_load_is_bit_identical_for_every_engine(
    engine, covariance_type, fitted_by_engine, tmp_path
):
    fits, X = fitted_by_engine
    gm = fits[(engine, covariance_type)]
    loaded = bayesgmm.load(bayesgmm.save(gm, tmp_path / "fit.nc"))
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(gm, name))
    assert loaded.engine == engine and loaded.covariance_type == covariance_type
    for name, (dims, values) in gm.result_.engine_variables.items():
        assert loaded.result_.engine_variables[name][0] == dims
        np.testing.assert_array_equal(loaded.result_.engine_variables[name][1], values)
    np.testing.assert_array_equal(loaded.predict_proba(X), gm.predict_proba(X))
    np.testing.assert_array_equal(loaded.score_samples(X), gm.score_samples(X))


def damage(variable, how):
    def edit(ds):
        values = ds[variable].values.copy()
        how(values)
        return ds.assign({variable: (ds[variable].dims, values)})

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (damage("weights", lambda w: w.__setitem__(0, np.nan)), "'weights' holds NaN or infinite"),
        (damage("means", lambda m: m.__setitem__((0, 0), np.inf)), "'means' holds NaN or infinite"),
        (
            damage("weights", lambda w: w.__setitem__(slice(None), [1.5, -0.5])),
            "non-negative and sum to 1",
        ),
        (damage("weights", lambda w: w.__imul__(0.5)), "sum to 1, found sum 0.5"),
        (
            damage("precisions_cholesky", lambda u: u.__setitem__((0, 1, 1), -1.0)),
            "positive diagonal",
        ),
        (
            damage("precisions_cholesky", lambda u: u.__setitem__((0, 1, 0), 0.3)),
            "upper-triangular",
        ),
        (
            damage("covariances", lambda c: c.__imul__(2.0)),
            "'covariances' and 'precisions_cholesky' disagree",
        ),
        (lambda ds: ds.drop_vars("objective_trace"), "lacks the variable 'objective_trace'"),
        (lambda ds: ds.assign(weights=ds.weights.astype(np.int64)), "expected floats of shape"),
        (
            lambda ds: ds.assign(means=(("component", "feature"), ds.means.values.astype(str))),
            "expected floats",
        ),
        (lambda ds: ds.assign_attrs(n_components=-2), "n_components must be >= 1"),
        (
            lambda ds: ds.assign_attrs(n_components=10**12),
            r"expected floats of shape \(1000000000000,\)",
        ),
        (lambda ds: ds.assign_attrs(n_components=[2, 3]), "attribute 'n_components' should be int"),
        (lambda ds: ds.assign_attrs(tol=-1.0), "tol must be a finite number >= 0"),
        (
            lambda ds: ds.assign_attrs(engine="os.system('echo hacked')"),
            "unknown covariance_type .* or engine",
        ),
        (lambda ds: ds.assign_attrs(format_version=99), "written by a newer bayesgmm"),
        (
            lambda ds: (
                ds.drop_attrs(deep=False)
                if hasattr(ds, "drop_attrs")
                else ds.assign_attrs(format=1)
            ),
            "not a bayesgmm result",
        ),
        (lambda ds: ds.assign_attrs(n_iter=3.5), "attribute 'n_iter' should be int"),
    ],
)
def test_crafted_or_damaged_files_get_clear_errors(edit, message, fitted_by_engine, tmp_path):
    fits, _ = fitted_by_engine
    dataset = edit(fits[("em", "full")].to_dataset())
    path = tmp_path / "crafted.nc"
    dataset.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ValueError, match=message):
        bayesgmm.load(path)


def test_truncated_and_missing_files(fitted_by_engine, tmp_path):
    fits, _ = fitted_by_engine
    path = bayesgmm.save(fits[("em", "full")], tmp_path / "fit.nc")
    data = path.read_bytes()
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable netCDF file"):
        bayesgmm.load(truncated)
    with pytest.raises(FileNotFoundError):
        bayesgmm.load(tmp_path / "absent.nc")


def test_save_never_replaces_a_directory_or_leaves_temporaries(fitted_by_engine, tmp_path):
    fits, _ = fitted_by_engine
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        bayesgmm.save(fits[("em", "full")], target)
    with pytest.raises(OSError):
        bayesgmm.save(fits[("em", "full")], target, overwrite=True)
    assert target.is_dir() and sorted(os.listdir(tmp_path)) == ["taken"]
