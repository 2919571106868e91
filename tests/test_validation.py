"""Parameters and data are checked before anything changes, with errors that say what to do."""

import numpy as np
import pandas as pd
import pytest

from bayesgmm import GaussianMixture, ModelSpec


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(n_components=0), ValueError, "n_components must be >= 1"),
        (dict(n_components=2.5), TypeError, "n_components must be an integer"),
        (dict(tol=-1.0), ValueError, "tol must be a finite number >= 0"),
        (dict(reg_covar=-1e-6), ValueError, "reg_covar must be a finite number >= 0"),
        (dict(max_iter=-1), ValueError, "max_iter must be >= 0"),
        (dict(n_init=0), ValueError, "n_init must be >= 1"),
        (dict(covariance_type="ful"), ValueError, "'full', 'tied', 'diag', 'spherical'"),
        (
            dict(init_params="kmeans++"),
            ValueError,
            "'kmeans', 'k-means\\+\\+', 'random', 'random_from_data'",
        ),
        (dict(engine="hmc"), ValueError, "engine='hmc' is not one of"),
        (dict(warm_start="yes"), TypeError, "warm_start must be True or False"),
        (dict(weights_init=[0.5, np.nan]), ValueError, "weights_init contains NaN"),
    ],
)
def test_invalid_parameters(params, error, message):
    with pytest.raises(error, match=message):
        ModelSpec(**params)
    with pytest.raises(error, match=message):
        GaussianMixture(**params).fit(np.random.default_rng(0).normal(size=(20, 2)))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(weights_init=[0.5, 0.6]), "must sum to 1"),
        (dict(weights_init=[1.0]), r"weights_init has shape \(1,\); expected \(2,\)"),
        (dict(means_init=np.zeros((2, 3))), r"means_init has shape \(2, 3\); expected \(2, 2\)"),
        (
            dict(precisions_init=np.stack([np.eye(2), -np.eye(2)])),
            "precisions_init\\[1\\] is not positive definite",
        ),
        (dict(precisions_init=np.stack([np.eye(2), [[1, 2], [0, 1]]])), "is not symmetric"),
        (dict(covariance_type="diag", precisions_init=[[1, 1], [1, -1]]), "must be positive"),
        (dict(covariance_type="spherical", precisions_init=np.ones((2, 2))), r"needs shape \(2,\)"),
    ],
)
def test_invalid_initial_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, **params).fit(np.random.default_rng(0).normal(size=(20, 2)))


@pytest.mark.parametrize(
    "X, error, message",
    [
        (
            np.array([[1.0, np.nan], [2, 3], [np.inf, 1], [4, 5]]),
            ValueError,
            "NaN or infinite values in 2 rows \\(first: 0\\)",
        ),
        (np.arange(5.0), ValueError, "must be 2-D.*Reshape your data"),
        (np.zeros((3, 2, 2)), ValueError, "must be 2-D.*got 3-D"),
        (
            np.zeros((0, 2)),
            ValueError,
            r"0 sample\(s\) \(shape=\(0, 2\)\) while a minimum of 1 is required",
        ),
        (
            np.zeros((5, 0)),
            ValueError,
            r"0 feature\(s\) \(shape=\(5, 0\)\) while a minimum of 1 is required",
        ),
        (np.ones((4, 2), dtype=complex), ValueError, "Complex data not supported"),
        (np.ones((4, 2), dtype=bool), TypeError, "boolean"),
        (np.array([["a", "b"], ["c", "d"]]), TypeError, "non-numeric"),
        (
            pd.DataFrame({"x": [1.0, 2.0, 3.0], "kind": ["a", "b", "c"]}),
            TypeError,
            r"non-numeric columns \['kind'\]",
        ),
    ],
)
def test_invalid_data(X, error, message):
    with pytest.raises(error, match=message):
        GaussianMixture(1).fit(X)


def test_fewer_samples_than_components():
    with pytest.raises(ValueError, match="3 samples but n_components=4"):
        GaussianMixture(4).fit(np.random.default_rng(0).normal(size=(3, 2)))


def test_integer_fortran_and_strided_inputs_just_work():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    reference = GaussianMixture(2, random_state=0).fit(X)
    fortran = GaussianMixture(2, random_state=0).fit(np.asfortranarray(X))
    strided = GaussianMixture(2, random_state=0).fit(np.repeat(X, 2, axis=1)[:, ::2])
    np.testing.assert_array_equal(fortran.means_, reference.means_)
    np.testing.assert_array_equal(strided.means_, reference.means_)
    integers = (X * 100).astype(np.int64)
    fitted = GaussianMixture(2, random_state=0).fit(integers)
    assert fitted.means_.dtype == np.float64
    np.testing.assert_array_equal(integers, (X * 100).astype(np.int64))  # untouched


def test_invalid_sample_weight():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="10 samples; give one per row"):
        GaussianMixture(1).fit(X, sample_weight=np.ones(9))
    with pytest.raises(ValueError, match="non-negative"):
        GaussianMixture(1).fit(X, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="sums to zero"):
        GaussianMixture(1).fit(X, sample_weight=np.zeros(10))


def test_spec_is_frozen():
    spec = ModelSpec(n_components=2)
    with pytest.raises(AttributeError):
        spec.n_components = 3


def test_finite_values_whose_sum_overflows_are_not_mistaken_for_infinities():
    # the finiteness check sums the array first; a finite sum clears it, an overflowing one
    # must fall back to the exact row check
    from bayesgmm.data.validation import as_feature_matrix

    X = np.full((5, 2), 1.5e308)
    array, _ = as_feature_matrix(X)
    np.testing.assert_array_equal(array, X)
    X[3, 1] = np.inf
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values in 2 rows \(first: 1\)"):
        as_feature_matrix(X)
