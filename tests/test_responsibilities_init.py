"""A start given by the user (``responsibilities_init``): labels or mclust's ``z``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import COVARIANCE_TYPES, make_mixture

from bayesgmm import BayesianGaussianMixture, GaussianMixture, select

X = make_mixture(240, 3, 3, seed=21)
LABELS = np.random.default_rng(3).integers(0, 3, 240)


def by_hand(X, resp, covariance_type, reg_covar=1e-6):
    """weights_init, means_init, precisions_init of the M-step of ``resp`` (EM)."""
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    covs = np.stack(
        [(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / nk[k] for k in range(3)]
    )
    D = X.shape[1]
    if covariance_type == "full":
        precisions = np.linalg.inv(covs + reg_covar * np.eye(D))
    elif covariance_type == "tied":
        tied = np.einsum("k,kij->ij", nk, covs) / nk.sum()
        precisions = np.linalg.inv(tied + reg_covar * np.eye(D))
    elif covariance_type == "diag":
        precisions = 1 / (np.diagonal(covs, axis1=1, axis2=2) + reg_covar)
    else:
        precisions = 1 / (np.diagonal(covs, axis1=1, axis2=2).mean(axis=1) + reg_covar)
    return nk / nk.sum(), means, precisions


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_fit_from_labels_is_the_fit_from_their_partition_by_hand(covariance_type):
    resp = np.eye(3)[LABELS]
    weights, means, precisions = by_hand(X, resp, covariance_type)
    given = GaussianMixture(3, covariance_type=covariance_type, responsibilities_init=LABELS)
    hand = GaussianMixture(
        3,
        covariance_type=covariance_type,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
    )
    given.fit(X)
    hand.fit(X)
    assert given.n_iter_ == hand.n_iter_
    np.testing.assert_allclose(given.means_, hand.means_, rtol=1e-9)
    np.testing.assert_allclose(given.covariances_, hand.covariances_, rtol=1e-8)
    assert given.lower_bound_ == pytest.approx(hand.lower_bound_, rel=1e-12)


def test_soft_responsibilities_start_as_their_m_step():
    resp = np.random.default_rng(4).dirichlet(np.ones(3), size=240)
    weights, means, precisions = by_hand(X, resp, "full")
    given = GaussianMixture(3, responsibilities_init=resp, max_iter=0).fit(X)
    np.testing.assert_allclose(given.weights_, weights, rtol=1e-12)
    np.testing.assert_allclose(given.means_, means, rtol=1e-10)
    np.testing.assert_allclose(given.precisions_, precisions, rtol=1e-8)
    one_hot = GaussianMixture(3, responsibilities_init=np.eye(3)[LABELS]).fit(X)
    labels = GaussianMixture(3, responsibilities_init=LABELS).fit(X)
    np.testing.assert_allclose(one_hot.means_, labels.means_, rtol=1e-12)  # two code paths


def test_labels_as_whole_floats_and_lists_are_accepted():
    a = GaussianMixture(3, responsibilities_init=LABELS.astype(float)).fit(X)
    b = GaussianMixture(3, responsibilities_init=list(LABELS)).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)


def test_sample_weights_enter_the_start():
    weights = np.random.default_rng(5).uniform(0.1, 3.0, 240)
    fit = GaussianMixture(3, responsibilities_init=LABELS, max_iter=0).fit(X, sample_weight=weights)
    for k in range(3):
        rows = LABELS == k
        np.testing.assert_allclose(
            fit.means_[k], np.average(X[rows], axis=0, weights=weights[rows]), rtol=1e-12
        )


@pytest.mark.parametrize("engine", ["map", "vb"])
def test_every_engine_takes_it(engine):
    fit = GaussianMixture(3, engine=engine, responsibilities_init=LABELS).fit(X)
    assert np.isfinite(fit.lower_bound_)
    bayesian = BayesianGaussianMixture(n_components=3, responsibilities_init=LABELS).fit(X)
    assert np.isfinite(bayesian.lower_bound_)
    assert "responsibilities_init" in bayesian.get_params()


def test_n_init_warns_and_runs_once():
    with pytest.warns(
        RuntimeWarning, match="performing only one initialisation instead of n_init=4"
    ):
        many = GaussianMixture(3, responsibilities_init=LABELS, n_init=4).fit(X)
    once = GaussianMixture(3, responsibilities_init=LABELS).fit(X)
    assert many.n_iter_ == once.n_iter_
    np.testing.assert_array_equal(many.means_, once.means_)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            np.ones((240, 4)) / 4,
            ValueError,
            r"has shape \(240, 4\); with n_components=3 it needs 3",
        ),
        (np.zeros((240, 3, 1)), ValueError, "has 3 dimensions"),
        (
            np.r_[LABELS[:-1], 3],
            ValueError,
            r"labels from 0 to 3, but with n_components=3 they must lie in 0..2",
        ),
        (np.r_[-1, LABELS[1:]], ValueError, r"must lie in 0..2: 1 row \(first: 0\)"),
        (np.r_[LABELS[:-1], 0.5], ValueError, "hold fractions"),
        (np.r_[np.nan, LABELS[1:]], ValueError, r"NaN or infinite labels in 1 row \(first: 0\)"),
        (np.eye(3)[LABELS] * 1.5 - 0.25, ValueError, "negative entries in 240 rows"),
        (
            np.eye(3)[LABELS] * 0.9,
            ValueError,
            r"must sum to 1, but 240 do not \(first: row 0 sums to 0.9\)",
        ),
        (
            np.where(np.arange(240)[:, None] == 7, np.nan, np.eye(3)[LABELS]),
            ValueError,
            r"NaN or infinite values in 1 row \(first: 7\)",
        ),
        (np.ones(240, dtype=bool), TypeError, "has dtype bool"),
        (np.array(["a"] * 240), TypeError, "has dtype <U1"),
        (np.zeros(0, dtype=int), ValueError, "is empty"),
    ],
)
def test_bad_starts_are_refused_with_the_reason(value, error, message):
    model = GaussianMixture(3, responsibilities_init=value)
    with pytest.raises(error, match=message):
        model.fit(X)
    assert not hasattr(model, "result_") and not hasattr(model, "means_")


def test_the_number_of_rows_is_checked_at_fit_time():
    fitted = GaussianMixture(3, responsibilities_init=LABELS).fit(X)
    before = fitted.result_
    with pytest.raises(ValueError, match="has 240 rows but X has 200 samples"):
        fitted.fit(X[:200])
    assert fitted.result_ is before  # nothing changed
    with pytest.raises(ValueError, match="has 240 rows but X has 100 samples"):
        GaussianMixture(3, responsibilities_init=LABELS).partial_fit(X[:100])


def test_a_start_fixed_twice_is_refused():
    weights, means, precisions = by_hand(X, np.eye(3)[LABELS], "full")
    model = GaussianMixture(
        3,
        responsibilities_init=LABELS,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
    )
    with pytest.raises(ValueError, match="each fix the whole start"):
        model.fit(X)
    # one of the arrays alongside is fine: it overrides that part of the start
    fit = GaussianMixture(3, responsibilities_init=LABELS, means_init=means, max_iter=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(fit.fit(X).means_, means)


def test_an_unused_label_starts_an_empty_component_that_is_reseeded():
    labels = np.where(LABELS == 2, 1, LABELS)
    with pytest.warns(UserWarning):
        fit = GaussianMixture(3, responsibilities_init=labels).fit(X)
    assert fit.weights_.min() > 0


def test_select_refuses_it_and_pruning_drops_it():
    with pytest.raises(ValueError, match="responsibilities_init cannot be used in a sweep"):
        select(X, [2, 3], responsibilities_init=LABELS, progress=False)
    # the refit after pruning has fewer components: the (N,) labels are spent
    two_clusters = make_mixture(240, 3, 2, separation=8.0, seed=22)
    labels = np.r_[np.zeros(120, dtype=int), np.ones(118, dtype=int), [2, 2]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pruned = GaussianMixture(3, responsibilities_init=labels, prune=0.05).fit(two_clusters)
    assert pruned.result_.pruning is not None


def test_dask_data_start_as_in_memory():
    da = pytest.importorskip("dask.array")
    weights = np.random.default_rng(6).uniform(0.0, 2.0, 240)
    resp = np.random.default_rng(7).dirichlet(np.ones(3), size=240)
    for given in (LABELS, resp):
        memory = GaussianMixture(3, responsibilities_init=given, max_iter=3, tol=0)
        chunked = GaussianMixture(3, responsibilities_init=given, max_iter=3, tol=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            memory.fit(X, sample_weight=weights)
            chunked.fit(da.from_array(X, chunks=(50, 3)), sample_weight=weights)
        np.testing.assert_allclose(chunked.means_, memory.means_, rtol=1e-12)
