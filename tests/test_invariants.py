"""Invariants of every engine, property-tested with hypothesis.

* the objective (log-likelihood, log-posterior or ELBO) never decreases between iterations;
* permuting the rows gives the same fit; translating the data translates the means and
  leaves weights and covariances; scaling by c scales covariances by c^2 (with reg_covar in
  the data's squared units, as it is: see docs/robustness.md);
* responsibilities are finite, in [0, 1] and sum to 1, even 1e6 standard deviations away;
* score_samples never returns NaN for finite input, however extreme.

Data are drawn as random mixtures (seed, size, dimension, separation) rather than as raw
floats, so that each case is a plausible data set; the extreme floats go to prediction.
"""

import warnings

import numpy as np
import pytest
from conftest import ASCENT_ENGINES, COVARIANCE_TYPES, make_mixture
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bayesgmm import ConvergenceWarning, GaussianMixture, SingularCovarianceError
from bayesgmm.exceptions import EmptyComponentWarning

ENGINE_NAMES = ASCENT_ENGINES
INIT_METHODS = ["kmeans", "k-means++", "random", "random_from_data", "hc"]
FIT_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def mixture_problems(draw, max_components=3, max_features=3):
    """A data set and a complete starting point (so no random initialisation is involved)."""
    n_components = draw(st.integers(1, max_components))
    n_features = draw(st.integers(1, max_features))
    n_samples = draw(
        st.integers(10 * n_components * n_features + 10, 10 * n_components * n_features + 60)
    )
    separation = draw(st.floats(0.5, 10.0))
    seed = draw(st.integers(0, 2**31 - 1))
    X = make_mixture(n_samples, n_features, n_components, separation, seed)
    rng = np.random.default_rng(seed)
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    variance = X.var(axis=0).mean()
    K, D = n_components, n_features
    precisions = {
        "full": np.stack([np.eye(D)] * K),
        "tied": np.eye(D),
        "diag": np.ones((K, D)),
        "spherical": np.ones(K),
    }[covariance_type] / variance
    start = dict(
        means_init=X[rng.choice(n_samples, K, replace=False)],
        weights_init=np.full(K, 1.0 / K),
        precisions_init=precisions,
    )
    return X, covariance_type, start, variance


def fit_quietly(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", EmptyComponentWarning)
        return GaussianMixture(**params).fit(X)


def reseed_iterations(record):
    return {
        e.iteration
        for w in record
        if isinstance(w.message, EmptyComponentWarning)
        for e in w.message.events
        if e.split is not None
    }


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@FIT_SETTINGS
@given(
    problem=mixture_problems(),
    init_params=st.sampled_from(INIT_METHODS),
    seed=st.integers(0, 2**16),
)
def test_the_objective_never_decreases(engine, problem, init_params, seed):
    X, covariance_type, _, _ = problem
    K = max(1, min(3, X.shape[0] // 30))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            gm = GaussianMixture(
                K,
                covariance_type=covariance_type,
                engine=engine,
                reg_covar=0,
                tol=0,
                max_iter=25,
                init_params=init_params,
                random_state=seed,
            ).fit(X)
        except SingularCovarianceError:
            # without reg_covar a component may collapse onto a few rows: the likelihood then
            # grows without bound, which is reported, never returned as a fit
            event("collapsed onto a singular covariance")
            return
    trace = np.asarray(gm.lower_bounds_)
    assert np.all(np.isfinite(trace))
    allowed = reseed_iterations(record)  # a re-seeded component restarts part of the model
    for t, (before, after) in enumerate(zip(trace[:-1], trace[1:]), start=1):
        if t not in allowed:
            assert after >= before - 1e-10 * max(1.0, abs(before)), (
                f"decreased at iteration {t + 1}"
            )


def same_start_fit(X, covariance_type, start, engine, **changes):
    params = dict(
        n_components=len(start["weights_init"]),
        covariance_type=covariance_type,
        engine=engine,
        tol=0,
        max_iter=15,
        **start,
    )
    params.update(changes)
    return fit_quietly(X, **params)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@FIT_SETTINGS
@given(problem=mixture_problems(), seed=st.integers(0, 2**16))
def test_permuting_the_rows_gives_the_same_fit(engine, problem, seed):
    X, covariance_type, start, variance = problem
    order = np.random.default_rng(seed).permutation(len(X))
    reg = 1e-6 * variance
    original = same_start_fit(X, covariance_type, start, engine, reg_covar=reg)
    permuted = same_start_fit(X[order], covariance_type, start, engine, reg_covar=reg)
    scale = np.sqrt(variance)
    np.testing.assert_allclose(permuted.weights_, original.weights_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(permuted.means_, original.means_, rtol=1e-6, atol=1e-7 * scale)
    np.testing.assert_allclose(
        permuted.covariances_, original.covariances_, rtol=1e-6, atol=1e-7 * variance
    )
    np.testing.assert_allclose(
        permuted.predict_proba(X[order]), original.predict_proba(X)[order], atol=1e-6
    )


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@FIT_SETTINGS
@given(problem=mixture_problems(), shift=st.floats(-1e6, 1e6), direction_seed=st.integers(0, 2**16))
def test_translating_the_data_translates_the_means(engine, problem, shift, direction_seed):
    X, covariance_type, start, variance = problem
    translation = shift * np.random.default_rng(direction_seed).uniform(0.5, 1.0, X.shape[1])
    reg = 1e-6 * variance
    original = same_start_fit(X, covariance_type, start, engine, reg_covar=reg)
    moved = same_start_fit(
        X + translation,
        covariance_type,
        dict(start, means_init=start["means_init"] + translation),
        engine,
        reg_covar=reg,
    )
    # X + t rounds each value by up to |t| eps: the tolerance follows that representation error
    lost = max(1.0, np.abs(translation).max() / np.sqrt(variance)) * 1e-9
    np.testing.assert_allclose(moved.weights_, original.weights_, rtol=1e-5, atol=lost)
    np.testing.assert_allclose(
        moved.means_ - translation,
        original.means_,
        rtol=0,
        atol=lost * np.sqrt(variance) * 1e2 + 1e-12 * np.abs(translation).max(),
    )
    np.testing.assert_allclose(
        moved.covariances_, original.covariances_, rtol=1e2 * lost, atol=1e2 * lost * variance
    )


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@FIT_SETTINGS
@given(problem=mixture_problems(), log10_scale=st.floats(-6, 6))
def test_scaling_the_data_by_c_scales_covariances_by_c_squared(engine, problem, log10_scale):
    X, covariance_type, start, variance = problem
    c = 10.0**log10_scale
    reg = 1e-6 * variance
    original = same_start_fit(X, covariance_type, start, engine, reg_covar=reg)
    scaled_start = dict(
        start, means_init=start["means_init"] * c, precisions_init=start["precisions_init"] / c**2
    )
    scaled = same_start_fit(X * c, covariance_type, scaled_start, engine, reg_covar=reg * c**2)
    np.testing.assert_allclose(scaled.weights_, original.weights_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(
        scaled.means_ / c, original.means_, rtol=1e-7, atol=1e-9 * np.sqrt(variance)
    )
    np.testing.assert_allclose(
        scaled.covariances_ / c**2, original.covariances_, rtol=1e-7, atol=1e-9 * variance
    )
    D = X.shape[1]
    assert scaled.score(X * c) == pytest.approx(
        original.score(X) - D * np.log(c), rel=1e-7, abs=1e-7
    )


# ---------------------------------------------------------------------- predictions
FITTED = {}


def fitted(engine, covariance_type):
    """One fit per engine and family, shared by the prediction properties."""
    key = (engine, covariance_type)
    if key not in FITTED:
        X = make_mixture(200, 3, 3, separation=5.0, seed=11)
        FITTED[key] = fit_quietly(
            X, n_components=3, covariance_type=covariance_type, engine=engine, random_state=0
        )
    return FITTED[key]


PREDICT_SETTINGS = settings(max_examples=60, deadline=None)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@PREDICT_SETTINGS
@given(
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    log10_distance=st.floats(0, 6),
    seed=st.integers(0, 2**16),
    n_rows=st.integers(1, 20),
)
def test_responsibilities_are_valid_even_1e6_standard_deviations_away(
    engine, covariance_type, log10_distance, seed, n_rows
):
    gm = fitted(engine, covariance_type)
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(n_rows, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    sd = np.sqrt(np.max(gm.covariances_))
    X = gm.means_[rng.integers(0, 3, n_rows)] + directions * sd * 10.0**log10_distance
    proba = gm.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    scores = gm.score_samples(X)
    assert np.all(np.isfinite(scores))  # 1e6 sd is 5e11 in log-density: far from overflow
    np.testing.assert_array_equal(gm.predict(X), proba.argmax(axis=1))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@PREDICT_SETTINGS
@given(
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    X=arrays(np.float64, st.tuples(st.integers(1, 8), st.just(3)), elements=finite_floats),
)
def test_score_samples_is_never_nan_for_finite_input(engine, covariance_type, X):
    gm = fitted(engine, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scores = gm.score_samples(X)
        proba = gm.predict_proba(X)
    assert not np.any(np.isnan(scores)) and np.all(scores < np.inf)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
