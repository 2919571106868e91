"""Cluster quality: uncertainty and entropy by their definitions, the silhouette as
scikit-learn's, separation as the Bhattacharyya distances of the fit."""

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples as sklearn_silhouette_samples
from sklearn.metrics import silhouette_score

from bayesgmm import GaussianMixture
from bayesgmm.diagnostics import component_distances
from bayesgmm.diagnostics.quality import (
    classification_entropy,
    cluster_quality,
    normalized_entropy,
    silhouette,
    silhouette_samples,
    uncertainty,
)

Z = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_uncertainty_and_entropies_on_hand_made_responsibilities():
    np.testing.assert_allclose(uncertainty(Z), [0.0, 0.5, 0.5, 2 / 3])
    by_hand = 0.0 + np.log(2) - (0.2 * np.log(0.2) + 0.3 * np.log(0.3) + 0.5 * np.log(0.5))
    by_hand += np.log(3)
    assert classification_entropy(Z) == pytest.approx(by_hand)
    assert normalized_entropy(Z) == pytest.approx(by_hand / (4 * np.log(3)))
    weights = np.array([1.0, 2.0, 0.0, 1.0])
    weighted = 2 * np.log(2) + np.log(3)
    assert classification_entropy(Z, weights) == pytest.approx(weighted)
    assert normalized_entropy(Z, weights) == pytest.approx(weighted / (4 * np.log(3)))
    assert normalized_entropy(np.eye(3)) == 0.0
    assert normalized_entropy(np.full((5, 4), 0.25)) == pytest.approx(1.0)
    assert normalized_entropy(np.ones((5, 1))) == 0.0


def test_silhouette_equals_scikit_learns():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (300, 3)), rng.normal(2, 1, (250, 3))])
    labels = np.r_[np.zeros(300, int), np.ones(250, int)]
    labels[:40] = 2
    labels[7] = 5  # a cluster of one row: silhouette 0 by convention
    np.testing.assert_allclose(
        silhouette_samples(X, labels), sklearn_silhouette_samples(X, labels), atol=1e-12
    )
    assert silhouette(X, labels) == pytest.approx(silhouette_score(X, labels), abs=1e-12)
    # above max_rows the rows are sampled, as scikit-learn's sample_size
    sampled = silhouette(X, labels, max_rows=200, random_state=3)
    chosen = np.random.default_rng(3).choice(550, size=200, replace=False)
    assert sampled == pytest.approx(silhouette_score(X[chosen], labels[chosen]), abs=1e-12)
    with pytest.raises(ValueError, match="needs 2 to n_samples - 1 clusters"):
        silhouette(X, np.zeros(550))


def test_cluster_quality_of_a_fit():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(6, 1, (80, 2))])
    model = GaussianMixture(2, random_state=0).fit(X)
    quality = cluster_quality(model, X)
    z = model.predict_proba(X)
    np.testing.assert_allclose(quality.uncertainty.values, 1 - z.max(axis=1), atol=1e-12)
    assert float(quality.entropy) == pytest.approx(classification_entropy(z), rel=1e-9)
    assert float(quality.silhouette) == pytest.approx(silhouette_score(X, z.argmax(axis=1)))
    distances = component_distances(model, model)
    np.testing.assert_allclose(quality.bhattacharyya.values, distances)
    assert float(quality.min_separation) == pytest.approx(distances[0, 1])
    assert float(quality.normalized_entropy) < 0.01
    single = cluster_quality(GaussianMixture(1).fit(X), X)
    assert np.isnan(float(single.silhouette)) and np.isnan(float(single.min_separation))


def test_quality_of_noise_and_missing_value_models_uses_their_own_responsibilities():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(6, 1, (150, 2))])
    X = np.vstack([X, rng.uniform(-10, 16, (30, 2))])
    noisy = GaussianMixture(2, noise=True, random_state=0).fit(X)
    quality = cluster_quality(noisy, X)
    proba = noisy.predict_proba(X)  # three columns, the background's last
    np.testing.assert_allclose(quality["uncertainty"].values, 1 - proba.max(axis=1))
    gaussian_rows = noisy.predict(X) >= 0
    expected = silhouette(X[gaussian_rows], proba.argmax(axis=1)[gaussian_rows])
    assert float(quality["silhouette"]) == pytest.approx(expected)
    assert quality.attrs["silhouette_rows"] == gaussian_rows.sum()

    holes = X[:300].copy()
    holes[rng.random(holes.shape) < 0.1] = np.nan
    model = GaussianMixture(2, missing="marginalize", random_state=0).fit(holes)
    quality = cluster_quality(model, holes)
    np.testing.assert_allclose(
        quality["uncertainty"].values, 1 - model.predict_proba(holes).max(axis=1)
    )
    complete = ~np.isnan(holes).any(axis=1)
    assert quality.attrs["silhouette_rows"] == complete.sum()
    assert np.isfinite(float(quality["silhouette"]))
