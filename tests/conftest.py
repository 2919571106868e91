import numpy as np
import pytest

from bayesgmm.datasets import load_faithful

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def make_mixture(n_samples=600, n_features=5, n_components=3, separation=4.0, seed=0):
    """Rows from a random Gaussian mixture with correlated components."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=separation, size=(n_components, n_features))
    sizes = rng.multinomial(n_samples, np.full(n_components, 1 / n_components))
    blocks = []
    for center, size in zip(centers, sizes):
        A = rng.normal(size=(n_features, n_features))
        cov = A @ A.T / n_features + 0.1 * np.eye(n_features)
        blocks.append(rng.multivariate_normal(center, cov, size=size))
    return rng.permutation(np.vstack(blocks))


@pytest.fixture(scope="session")
def faithful():
    return load_faithful().values


@pytest.fixture(scope="session")
def mixture5d():
    return make_mixture()
