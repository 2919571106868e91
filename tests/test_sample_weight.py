"""sample_weight scales each row's statistics, for every engine: 2 is a duplicated row, 0 a dropped one."""

import numpy as np
import pytest
from conftest import ASCENT_ENGINES, COVARIANCE_TYPES, make_mixture

from bayesgmm import GaussianMixture

pytestmark = pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")  # tol=0 runs

FITTED = ("weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_")


def assert_same_fit(a, b, rtol=1e-10):
    for name in FITTED:
        expected = np.asarray(getattr(b, name))
        np.testing.assert_allclose(
            getattr(a, name), expected, rtol=rtol, atol=rtol * np.abs(expected).max(), err_msg=name
        )
    assert a.result_.log_likelihood == pytest.approx(b.result_.log_likelihood, rel=rtol)
    assert a.result_.total_weight == pytest.approx(b.result_.total_weight, rel=1e-15)


def start(X, covariance_type, K=3):
    """Initial parameters both fits share (the k-means start, before any EM iteration)."""
    init = GaussianMixture(K, covariance_type=covariance_type, max_iter=0, random_state=0).fit(X)
    return dict(
        weights_init=init.weights_, means_init=init.means_, precisions_init=init.precisions_
    )


@pytest.mark.parametrize("engine", ASCENT_ENGINES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_weights_equal_duplicated_rows(engine, covariance_type):
    X = make_mixture(240, 3, 3, seed=4) + 50.0
    counts = np.random.default_rng(1).integers(1, 4, size=len(X))
    settings = dict(
        covariance_type=covariance_type,
        engine=engine,
        tol=0,
        max_iter=25,
        **start(X, covariance_type),
    )
    weighted = GaussianMixture(3, **settings).fit(X, sample_weight=counts.astype(float))
    duplicated = GaussianMixture(3, **settings).fit(np.repeat(X, counts, axis=0))
    assert_same_fit(weighted, duplicated)
    assert weighted.result_.bic() == pytest.approx(duplicated.result_.bic(), rel=1e-10)


@pytest.mark.parametrize("engine", ASCENT_ENGINES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_zero_weight_equals_dropping_the_row_from_the_initialisation_on(engine, covariance_type):
    X = make_mixture(240, 3, 3, seed=5)
    weights = np.ones(len(X))
    weights[::4] = 0.0
    X[::4] += 1e3  # far-off rows that would wreck the fit if they counted at all
    settings = dict(
        covariance_type=covariance_type, engine=engine, tol=0, max_iter=25, random_state=0
    )
    weighted = GaussianMixture(3, **settings).fit(X, sample_weight=weights)
    dropped = GaussianMixture(3, **settings).fit(X[weights > 0])
    assert_same_fit(weighted, dropped)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_initialisation_ignores_zero_weight_rows(init_params):
    X = make_mixture(200, 2, 2, separation=10.0, seed=6)
    weights = np.r_[np.ones(200), np.zeros(50)]
    X = np.vstack([X, np.full((50, 2), 1e4)])
    gm = GaussianMixture(2, init_params=init_params, max_iter=0, random_state=0).fit(
        X, sample_weight=weights
    )
    assert np.abs(gm.means_).max() < 100


def test_too_few_weighted_rows_for_the_components_is_an_error():
    X = np.random.default_rng(0).normal(size=(20, 2))
    weights = np.zeros(20)
    weights[:2] = 1.0
    gm = GaussianMixture(3, random_state=0)
    with pytest.raises(ValueError, match="positive for only 2 rows but n_components=3"):
        gm.fit(X, sample_weight=weights)
    assert not hasattr(gm, "result_")


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(5), "5 entries for 20 samples"),
        (-np.ones(20), "finite and non-negative"),
        (np.full(20, np.nan), "finite and non-negative"),
        (np.zeros(20), "sums to zero"),
    ],
)
def test_invalid_sample_weight(weights, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2).fit(np.random.default_rng(0).normal(size=(20, 2)), sample_weight=weights)
