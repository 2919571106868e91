"""The k-means initialisation kernel against SciPy's kmeans2 and plain NumPy."""

import warnings

import numba
import numpy as np
import pytest
from scipy.cluster import vq

from bayesgmm.data.init import (
    initial_labels_or_responsibilities,
    kmeans_plus_plus_seeds,
    nearest_centroid_labels,
    statistics_from_assignment,
)


def blobs(n, d, centres, rng, dtype=np.float64):
    labels = rng.integers(centres, size=n)
    offsets = rng.normal(scale=4.0, size=(centres, d))
    return (offsets[labels] + rng.normal(size=(n, d))).astype(dtype)


def scipy_labels(X, K, seed, rounds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kmeans2's empty-cluster warning
        return vq.kmeans2(
            X, K, iter=rounds, minit="++", missing="warn", rng=np.random.default_rng(seed)
        )[1]


DATASETS = {
    "2 features": (3000, 2, 4, np.float64),
    "4 features, float32": (3000, 4, 5, np.float32),
    # scipy's vq switches to a BLAS formula from 5 features on; the labels still agree
    "7 features": (3000, 7, 3, np.float64),
    "1 feature": (500, 1, 2, np.float64),
    "several row blocks": (20000, 3, 6, np.float64),
}


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("K", [1, 2, 5, 9])
def test_kmeans_labels_are_scipy_kmeans2s(name, K):
    n, d, centres, dtype = DATASETS[name]
    X = blobs(n, d, centres, np.random.default_rng(len(name)), dtype)
    for seed in range(3):
        labels, resp = initial_labels_or_responsibilities(
            X, K, "kmeans", np.random.default_rng(seed)
        )
        assert resp is None
        np.testing.assert_array_equal(labels, scipy_labels(X, K, seed, 20))


def test_k_means_plus_plus_labels_are_one_round_of_kmeans2():
    X = blobs(2000, 3, 4, np.random.default_rng(3))
    labels, _ = initial_labels_or_responsibilities(X, 6, "k-means++", np.random.default_rng(5))
    np.testing.assert_array_equal(labels, scipy_labels(X, 6, 5, 1))


def test_lloyd_stops_once_no_label_changes_with_the_labels_of_every_round():
    X = blobs(3000, 2, 3, np.random.default_rng(4))
    seeds = kmeans_plus_plus_seeds(X, 3, np.random.default_rng(0))
    untouched = seeds.copy()
    settled = nearest_centroid_labels(X, seeds, 20)
    np.testing.assert_array_equal(seeds, untouched)  # the caller's seeds are not moved
    for rounds in (50, 500):
        np.testing.assert_array_equal(nearest_centroid_labels(X, seeds, rounds), settled)
    # and each row sits with its nearest final centroid
    centroids = np.array([X[settled == k].mean(axis=0) for k in range(3)])
    nearest = ((X[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(settled, nearest)


def test_kmeans_labels_do_not_depend_on_the_thread_count():
    X = blobs(200_000, 3, 8, np.random.default_rng(6))  # above the serial threshold
    seeds = kmeans_plus_plus_seeds(X, 8, np.random.default_rng(1))
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = nearest_centroid_labels(X, seeds, 20)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(nearest_centroid_labels(X, seeds, 20), one)


def test_fewer_distinct_rows_than_components_still_give_labels():
    X = np.repeat(np.array([[0.0, 1.0], [3.0, 3.0]]), 50, axis=0)
    with np.errstate(all="raise"):  # the 0 / 0 of the seeding is handled, not warned about
        labels, _ = initial_labels_or_responsibilities(X, 4, "kmeans", np.random.default_rng(0))
    assert labels.shape == (100,)
    assert set(labels[:50]).isdisjoint(labels[50:])  # the two distinct rows are told apart


@pytest.mark.parametrize("diagonal", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_statistics_of_hard_labels_match_numpy(diagonal, weighted):
    rng = np.random.default_rng(8)
    X = blobs(9000, 3, 3, rng) + 1e6  # offset: moments are taken about each label's mean
    K = 4
    labels = rng.integers(3, size=X.shape[0])  # label 3 stays empty
    weights = rng.uniform(0, 2, size=X.shape[0]) if weighted else None
    stats = statistics_from_assignment(X, K, diagonal, labels=labels, sample_weight=weights)
    w = np.ones(X.shape[0]) if weights is None else weights
    overall = X.mean(axis=0)  # a component without rows is put at the mean of all rows
    for k in range(K):
        rows = labels == k
        nk = w[rows].sum()
        assert stats.nk[k] == pytest.approx(nk, rel=1e-12)
        centre = (w[rows] @ X[rows]) / nk if nk > 0 else overall
        np.testing.assert_allclose(stats.center[k], centre, rtol=1e-14)
        deviation = X[rows] - centre
        scatter = (w[rows, None] * deviation).T @ deviation
        want = np.diag(scatter) if diagonal else scatter
        np.testing.assert_allclose(stats.sxx[k], want, rtol=1e-9, atol=1e-9 * max(nk, 1))
        np.testing.assert_allclose(stats.sx[k], 0.0, atol=1e-6 * max(nk, 1))
    assert stats.total_weight == pytest.approx(w.sum())
    assert np.isnan(stats.loglik)


def test_float32_data_start_where_their_float64_values_start():
    # distances and centroids are float64 arithmetic on the float32 values, even far from 0
    rng = np.random.default_rng(10)
    X32 = (blobs(5000, 5, 3, rng) + 1e4).astype(np.float32)
    for K in (2, 3, 6):
        got, _ = initial_labels_or_responsibilities(X32, K, "kmeans", np.random.default_rng(K))
        want, _ = initial_labels_or_responsibilities(
            X32.astype(np.float64), K, "kmeans", np.random.default_rng(K)
        )
        np.testing.assert_array_equal(got, want)
