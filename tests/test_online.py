"""Mini-batch EM and partial_fit: the stochastic approximation reaches batch EM's optimum."""

import numpy as np
import pytest
from conftest import ASCENT_ENGINES, make_mixture

from bayesgmm import GaussianMixture, ModelSpec
from bayesgmm.fitting.online import RunningStatistics
from bayesgmm.fitting.result import FitResult
from bayesgmm.stats import GaussianTerms, accumulate

pytestmark = pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")  # tol=0 runs


@pytest.fixture(scope="module")
def separated():
    """A well-separated mixture, far from the origin."""
    return make_mixture(6000, 3, 4, separation=10.0, seed=11) + 1e4


@pytest.fixture(scope="module")
def batch_fit(separated):
    return GaussianMixture(4, n_init=3, random_state=0, tol=1e-8).fit(separated)


def test_recentred_statistics_equal_statistics_taken_about_the_new_centre():
    X = np.random.default_rng(0).normal(size=(500, 3)) * [1.0, 2.0, 0.5] + 1e6
    one = np.eye(3)[None]

    def about(center):  # one component: every responsibility is 1, whatever the centre
        return accumulate(X, GaussianTerms(center[None], one, np.zeros(1), "full"))

    old, new = X.mean(axis=0) + 3.0, X.mean(axis=0) - 2.0
    recentred, direct = about(old).recentered(new[None]), about(new)
    np.testing.assert_allclose(recentred.sx, direct.sx, rtol=1e-9, atol=1e-9 * len(X))
    np.testing.assert_allclose(recentred.sxx, direct.sxx, rtol=1e-12)
    np.testing.assert_array_equal(recentred.center, direct.center)


def test_step_sizes_follow_the_schedule():
    running = RunningStatistics()
    assert running.step_size(0.7, 10.0) == 1.0  # the first batch replaces the start
    running = RunningStatistics(average=object(), n_updates=4)
    assert running.step_size(0.7, 10.0) == pytest.approx(15.0**-0.7, rel=1e-15)


@pytest.mark.parametrize("engine", ASCENT_ENGINES)
def test_minibatch_em_reaches_batch_em_log_likelihood(engine, separated, batch_fit):
    online = GaussianMixture(
        4,
        engine=engine,
        learning_method="online",
        batch_size=600,
        max_iter=20,
        tol=0,
        random_state=0,
    ).fit(separated)
    assert online.n_iter_ == 20
    # the reference is the same engine's batch fit: a prior moves MAP's and VB's optimum
    reference = (
        batch_fit
        if engine == "em"
        else GaussianMixture(4, engine=engine, n_init=3, random_state=0, tol=1e-8).fit(separated)
    )
    batch = reference.result_.log_likelihood
    assert abs(online.result_.log_likelihood - batch) <= 0.01 * abs(batch)
    order = np.argsort(online.means_[:, 0])
    np.testing.assert_allclose(
        online.means_[order], reference.means_[np.argsort(reference.means_[:, 0])], atol=0.05
    )


@pytest.mark.parametrize("engine", ASCENT_ENGINES)
def test_partial_fit_fed_the_same_batches_equals_the_minibatch_fit(engine, separated, batch_fit):
    start = dict(
        weights_init=batch_fit.weights_,
        means_init=batch_fit.means_ + 0.5,
        precisions_init=batch_fit.precisions_,
    )
    settings = dict(
        engine=engine,
        batch_size=500,
        learning_decay=0.6,
        learning_offset=2.0,
        random_state=7,
        **start,
    )
    online = GaussianMixture(4, learning_method="online", max_iter=3, tol=0, **settings).fit(
        separated
    )
    # partial_fit takes data-dependent prior defaults from its first chunk: fix the prior
    prior = getattr(online, "prior_", None)
    chunked = GaussianMixture(4, total_samples=len(separated), prior=prior, **settings)
    rng = np.random.default_rng(7)  # the fit's generator: the user-given start draws nothing
    for _ in range(3):
        order = rng.permutation(len(separated))
        for begin in range(0, len(separated), 500):
            chunked.partial_fit(separated[np.sort(order[begin : begin + 500])])
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(chunked, name), getattr(online, name), rtol=1e-12)
    assert chunked.n_iter_ == 36 and len(chunked.lower_bounds_) == 36


def test_partial_fit_learns_chunk_by_chunk_from_its_first_chunk(separated, batch_fit):
    gm = GaussianMixture(4, random_state=0)
    rng = np.random.default_rng(0)
    chunks = np.array_split(separated, 12)
    sizes = []
    for _ in range(10):
        for index in rng.permutation(len(chunks)):
            gm.partial_fit(chunks[index])
            sizes.append(len(chunks[index]))
    assert gm.n_iter_ == 120 and gm.result_.n_samples == 10 * len(separated)
    assert gm.score(separated) == pytest.approx(batch_fit.score(separated), rel=0.01)
    # the prequential log-likelihood: each chunk scored before the model learnt from it
    # (EM adds no penalty, so each lower bound is the chunk's log-likelihood per row)
    assert gm.result_.log_likelihood == pytest.approx(np.dot(gm.lower_bounds_, sizes), rel=1e-12)
    gm.fit(separated)  # a full fit ends the running statistics
    assert gm.n_iter_ < 120


def test_partial_fit_rejects_a_chunk_of_other_width_and_keeps_its_state(separated):
    gm = GaussianMixture(4, random_state=0).partial_fit(separated[:1000])
    means = gm.means_.copy()
    with pytest.raises(
        ValueError, match=r"X has 2 features, but GaussianMixture is expecting 3 features"
    ):
        gm.partial_fit(separated[1000:2000, :2])
    np.testing.assert_array_equal(gm.means_, means)
    assert gm.n_iter_ == 1


def test_first_partial_fit_chunk_needs_a_row_per_component(separated):
    gm = GaussianMixture(4)
    with pytest.raises(ValueError, match="first partial_fit chunk has 3 rows but n_components=4"):
        gm.partial_fit(separated[:3])
    assert not hasattr(gm, "result_")


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(learning_method="sgd"), "learning_method='sgd' is not one of"),
        (dict(learning_decay=0.5), r"learning_decay must lie in \(0.5, 1\]"),
        (dict(learning_decay=1.5), r"learning_decay must lie in \(0.5, 1\]"),
        (dict(learning_offset=-1.0), "learning_offset must be a finite number >= 0"),
        (dict(batch_size=0), "batch_size must be >= 1"),
        (dict(total_samples=0.0), "total_samples must be positive"),
    ],
)
def test_invalid_learning_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        ModelSpec(**params)


def test_learning_settings_survive_the_dataset_round_trip(separated):
    gm = GaussianMixture(
        2,
        learning_method="online",
        batch_size=700,
        learning_decay=0.8,
        learning_offset=3.0,
        max_iter=2,
        random_state=0,
    ).fit(separated[:2000])
    spec = FitResult.from_dataset(gm.to_dataset()).spec
    assert (spec.learning_method, spec.batch_size, spec.learning_decay, spec.learning_offset) == (
        "online",
        700,
        0.8,
        3.0,
    )
