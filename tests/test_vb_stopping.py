"""VB stops as scikit-learn's BayesianGaussianMixture does: ``tol`` bounds its summed ELBO.

scikit-learn's GaussianMixture applies ``tol`` to the per-sample log-likelihood, its
BayesianGaussianMixture to the summed lower bound; each bayesgmm engine says which
(``Engine.tol_applies_to``) and the loop reads it in one place.
"""

import numpy as np
import pytest
from sklearn import mixture
from threadpoolctl import threadpool_limits

import bayesgmm
from bayesgmm.datasets import load_faithful
from bayesgmm.engines import engine_class
from bayesgmm.engines.base import TOL_PER_SAMPLE, TOL_SUMMED


def test_each_engine_says_what_tol_bounds():
    assert engine_class("em").tol_applies_to == TOL_PER_SAMPLE
    assert engine_class("map").tol_applies_to == TOL_PER_SAMPLE
    assert engine_class("vb").tol_applies_to == TOL_SUMMED


@pytest.mark.parametrize("seed", range(5))
def test_bishop_figure_10_6_keeps_two_components(seed):
    # Bishop, PRML Fig. 10.6: standardised Old Faithful, K=6, a sparse Dirichlet prior
    X = load_faithful().values
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    gm = bayesgmm.BayesianGaussianMixture(
        n_components=6,
        weight_concentration_prior_type="dirichlet_distribution",
        weight_concentration_prior=1e-3,
        max_iter=2000,
        random_state=seed,
    ).fit(X)
    weights = np.sort(gm.weights_)[::-1]
    assert gm.converged_
    assert (weights > 1e-2).sum() == 2
    np.testing.assert_allclose(weights[:2], [0.643, 0.357], atol=0.01)


def _gallery_data():
    # scikit-learn's examples/mixture/plot_concentration_prior.py, its documented settings
    covars = np.array(
        [[[0.7, 0.0], [0.0, 0.1]], [[0.5, 0.0], [0.0, 0.1]], [[0.5, 0.0], [0.0, 0.1]]]
    )
    samples = np.array([200, 500, 200])
    means = np.array([[0.0, -0.70], [0.0, 0.0], [0.0, 0.70]])
    rng = np.random.RandomState(2)
    return np.vstack([rng.multivariate_normal(means[j], covars[j], samples[j]) for j in range(3)])


GALLERY = [
    ("dirichlet_distribution", 0.001),
    ("dirichlet_distribution", 1),
    ("dirichlet_distribution", 1000),
    ("dirichlet_process", 1),
    ("dirichlet_process", 1000),
    ("dirichlet_process", 100000),
]


@pytest.mark.parametrize(("prior_type", "concentration"), GALLERY)
def test_concentration_prior_gallery_gives_scikit_learns_components(prior_type, concentration):
    X = _gallery_data()
    settings = dict(
        weight_concentration_prior_type=prior_type,
        weight_concentration_prior=concentration,
        n_components=6,
        reg_covar=0,
        init_params="random",
        max_iter=1500,
        mean_precision_prior=0.8,
    )
    with threadpool_limits(1, user_api="blas"):  # many tiny BLAS calls: threads only contend
        theirs = mixture.BayesianGaussianMixture(random_state=2, **settings).fit(X)
    # the same random responsibilities as scikit-learn's RandomState(2) draws: a Generator
    # over the same Mersenne Twister stream (our seeds otherwise draw other numbers)
    same_stream = np.random.Generator(np.random.RandomState(2)._bit_generator)
    ours = bayesgmm.BayesianGaussianMixture(random_state=same_stream, **settings).fit(X)
    assert ours.converged_ and theirs.converged_
    assert (ours.weights_ > 1e-2).sum() == (theirs.weights_ > 1e-2).sum()
    np.testing.assert_allclose(ours.weights_, theirs.weights_, atol=1e-3)
    # measured: the same iteration counts (541-979) to within one
    assert abs(ours.n_iter_ - theirs.n_iter_) <= 1


@pytest.mark.parametrize("options", [{"accelerate": True}, {"stopping": "aitken"}])
def test_the_accelerated_loop_applies_the_same_rule(options):
    """SQUAREM's and Aitken's loop (fitting/acceleration.py) stops VB on the summed ELBO too:
    with the per-sample rule it stopped the Bishop fit early, with components left over."""
    X = load_faithful().values
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    prior = bayesgmm.VBPrior("dirichlet_distribution", weight_concentration=1e-3)
    gm = bayesgmm.GaussianMixture(
        6, engine="vb", prior=prior, max_iter=2000, random_state=0, **options
    ).fit(X)
    weights = np.sort(gm.weights_)[::-1]
    assert gm.converged_
    assert (weights > 1e-2).sum() == 2
    np.testing.assert_allclose(weights[:2], [0.643, 0.357], atol=0.01)
