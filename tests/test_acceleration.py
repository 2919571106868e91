"""SQUAREM-accelerated EM (``accelerate=True``, bayesgmm.fitting.acceleration).

* it reaches the optimum plain EM reaches, on the shipped data sets;
* the objective never decreases (the monotone safeguard), EM, MAP and VB, every family;
* it needs fewer passes over the data on a slowly converging fit;
* an invalid or a worse extrapolated point falls back to the plain step;
* ``accelerate`` is a parameter (``get_params``) and survives save/load.
"""

import warnings

import numpy as np
import pytest
from conftest import COVARIANCE_TYPES, make_mixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_objective import ENGINES_AND_PRIORS, _fit_trace, assert_ascends

import bayesgmm
from bayesgmm import GaussianMixture, ModelSpec, VBPrior, datasets
from bayesgmm.data.sources import as_data_source
from bayesgmm.engines import make_engine
from bayesgmm.fitting import acceleration
from bayesgmm.fitting.stopping import should_stop


def shipped(name):
    X = np.asarray(getattr(datasets, f"load_{name}")().values, dtype=np.float64)
    return X[:, None] if X.ndim == 1 else X


def fit(X, K, accelerate, **params):
    params.setdefault("tol", 1e-8)
    params.setdefault("max_iter", 20_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(K, accelerate=accelerate, random_state=0, **params).fit(X)


def per_sample_objective(gm):
    return gm.result_.objective / gm.result_.total_weight


@pytest.mark.parametrize(
    "name, K, engine, covariance_type",
    [
        ("faithful", 3, "em", "full"),
        ("faithful", 4, "map", "diag"),
        ("iris", 3, "em", "full"),
        ("iris", 4, "map", "full"),
        ("galaxies", 4, "em", "full"),
        ("diabetes", 3, "em", "tied"),
        ("diabetes", 3, "map", "full"),
        ("thyroid", 3, "em", "spherical"),
        ("thyroid", 3, "map", "full"),
        ("faithful", 4, "vb", "full"),
        ("iris", 3, "vb", "diag"),
    ],
)
def test_same_optimum_as_plain_em(name, K, engine, covariance_type):
    X = shipped(name)
    plain = fit(X, K, False, engine=engine, covariance_type=covariance_type)
    fast = fit(X, K, True, engine=engine, covariance_type=covariance_type)
    assert plain.converged_ and fast.converged_
    assert abs(per_sample_objective(fast) - per_sample_objective(plain)) < 1e-6
    trace = np.asarray(fast.lower_bounds_)
    assert np.all(np.diff(trace) >= -1e-10 * np.abs(trace[1:]))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("case", list(ENGINES_AND_PRIORS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_samples=st.integers(30, 90),
    n_features=st.integers(1, 3),
    n_clusters=st.integers(1, 3),
    n_components=st.integers(1, 4),
    separation=st.floats(0.0, 6.0),
    init_params=st.sampled_from(["random", "kmeans"]),
)
def test_objective_never_decreases_when_accelerated(
    case, covariance_type, seed, n_samples, n_features, n_clusters, n_components, separation,
    init_params,
):  # fmt: skip
    engine, prior = ENGINES_AND_PRIORS[case]
    X = make_mixture(n_samples, n_features, n_clusters, separation=separation, seed=seed)
    gm = GaussianMixture(
        n_components,
        covariance_type=covariance_type,
        engine=engine,
        prior=prior,
        reg_covar=0.0,
        tol=0.0,
        max_iter=40,
        init_params=init_params,
        random_state=seed,
        accelerate=True,
    )
    trace, reseeded = _fit_trace(gm, X, engine)
    assert trace.size == gm.n_iter_
    assert_ascends(trace, reseeded)


def test_fewer_passes_on_a_slow_fit():
    """Old Faithful, K=4, full: plain EM crawls along a flat ridge (about 500 passes to 1e-8)."""
    X = shipped("faithful")
    plain = fit(X, 4, False)
    fast = fit(X, 4, True)
    assert plain.n_iter_ > 200
    assert fast.n_iter_ < plain.n_iter_ / 2
    assert abs(per_sample_objective(fast) - per_sample_objective(plain)) < 1e-6


def _slow_fit(accelerate):
    return fit(shipped("faithful"), 4, accelerate, tol=1e-6, max_iter=500)


def test_invalid_extrapolation_falls_back(monkeypatch):
    """A non-finite extrapolated point is refused without a pass: the fit is plain EM's exactly."""
    plain = _slow_fit(False)

    def nowhere(x0, x1, x2, step_max):
        return np.full_like(x0, np.nan), -2.0

    monkeypatch.setattr(acceleration, "squarem_point", nowhere)
    fast = _slow_fit(True)
    assert fast.n_iter_ == plain.n_iter_
    np.testing.assert_array_equal(fast.lower_bounds_, plain.lower_bounds_)
    np.testing.assert_array_equal(fast.means_, plain.means_)


def test_worse_extrapolation_falls_back(monkeypatch):
    """A valid point with a lower objective costs its pass, then the plain step is taken."""
    plain = _slow_fit(False)
    calls = []

    def astray(x0, x1, x2, step_max):
        calls.append(step_max)
        # a valid mixture (every vector is one) far from the data: always worse
        return x0 + 5.0, -2.0

    monkeypatch.setattr(acceleration, "squarem_point", astray)
    fast = _slow_fit(True)
    trace = np.asarray(fast.lower_bounds_)
    assert calls and np.all(np.diff(trace) >= 0.0)
    # each refused point spent a pass that repeats the objective before it ...
    repeated = np.flatnonzero(np.diff(trace) == 0.0) + 1
    assert repeated.size == len(calls)
    # ... and otherwise the fit is plain EM's, state by state
    np.testing.assert_array_equal(np.delete(trace, repeated), plain.lower_bounds_)
    np.testing.assert_array_equal(fast.means_, plain.means_)


def test_vector_round_trip_and_invalid_vectors():
    X = make_mixture(200, 3, 3, seed=1)
    for covariance_type in COVARIANCE_TYPES:
        for engine_name in ("em", "map"):
            gm = fit(X, 3, False, covariance_type=covariance_type, engine=engine_name, tol=1e-3)
            spec = gm.result_.spec
            engine = make_engine(spec, 3, as_data_source(X).moments())
            state = engine.state_from_saved(gm.result_.parameters, gm.result_.engine_variables)
            vector = engine.to_vector(state)
            back = engine.parameters(engine.from_vector(vector, state))
            p = gm.result_.parameters
            np.testing.assert_allclose(back.weights, p.weights, rtol=1e-12)
            np.testing.assert_allclose(back.means, p.means, rtol=1e-12)
            np.testing.assert_allclose(back.precisions_cholesky, p.precisions_cholesky, rtol=1e-12)
            np.testing.assert_allclose(back.covariances, p.covariances, rtol=1e-9)
            for bad in (np.nan, np.inf):
                broken = vector.copy()
                broken[-1] = bad
                assert engine.from_vector(broken, state) is None
            huge = vector.copy()
            huge[3 + 9 :] = 1e4  # precision factors overflow: not a valid mixture
            assert engine.from_vector(huge, state) is None


def test_vb_vector_round_trip_and_acceleration():
    X = make_mixture(300, 2, 3, seed=2)
    for prior in (VBPrior(), VBPrior("dirichlet_distribution", weight_concentration=0.01)):
        for covariance_type in COVARIANCE_TYPES:
            kwargs = dict(engine="vb", prior=prior, covariance_type=covariance_type)
            gm = fit(X, 4, False, tol=1e-3, **kwargs)
            spec = gm.result_.spec
            engine = make_engine(spec, 2, as_data_source(X).moments())
            state = engine.state_from_saved(gm.result_.parameters, gm.result_.engine_variables)
            back = engine.from_vector(engine.to_vector(state), state)
            for name in ("mean_precision", "means", "degrees_of_freedom", "precisions_cholesky"):
                np.testing.assert_allclose(getattr(back, name), getattr(state, name), rtol=1e-12)
            np.testing.assert_allclose(
                np.hstack(back.weight_concentration), np.hstack(state.weight_concentration)
            )
            broken = engine.to_vector(state)
            broken[0] = np.nan
            assert engine.from_vector(broken, state) is None
            plain, fast = fit(X, 4, False, **kwargs), fit(X, 4, True, **kwargs)
            assert abs(per_sample_objective(fast) - per_sample_objective(plain)) < 1e-6


def test_accelerate_is_a_parameter_and_survives_save_load(tmp_path):
    assert GaussianMixture().get_params()["accelerate"] is False
    assert "accelerate=True" in repr(GaussianMixture(accelerate=True))
    with pytest.raises(TypeError, match="accelerate"):
        ModelSpec(accelerate="yes")
    X = shipped("faithful")
    gm = fit(X, 2, True, tol=1e-3)
    path = bayesgmm.save(gm, tmp_path / "fit.nc")
    loaded = bayesgmm.load(path)
    assert loaded.accelerate is True and loaded.result_.spec.accelerate is True
    assert loaded.n_iter_ == gm.n_iter_
    assert (
        bayesgmm.load(bayesgmm.save(fit(X, 2, False, tol=1e-3), tmp_path / "plain.nc")).accelerate
        is False
    )


# ------------------------------------------------------------ Aitken's stopping rule
def test_aitken_rule_on_a_geometric_sequence():
    """l_k = -1 - 0.5 * 0.9**k: Aitken's limit is exact, so it stops when 0.5 * 0.9**k < tol."""
    chain = [-1.0 - 0.5 * 0.9**k for k in range(200)]
    tol = 1e-6
    stops = [k for k in range(1, 200) if should_stop(chain[: k + 1], tol, "aitken")]
    first = stops[0]
    assert 0.5 * 0.9**first < tol <= 0.5 * 0.9 ** (first - 1)
    # the change rule stops ten times earlier, at 0.5 * 0.9**k * 0.1 < tol: 1e-5 from the limit
    change = next(k for k in range(1, 200) if should_stop(chain[: k + 1], tol, "change"))
    assert change < first and 0.5 * 0.9**change > 5 * tol
    assert not should_stop([-3.0, -2.0], tol, "aitken")  # needs three values
    assert not should_stop([-3.0, -2.9, -2.0], tol, "aitken")  # rate 9: not linear yet
    assert should_stop([-3.0, -2.0, -2.0], tol, "aitken")  # standing still
    assert not should_stop([-3.0, -2.0, -2.0], 0.0, "aitken")  # tol=0: run to max_iter


def test_relative_rule_is_mclusts():
    """|L_k - L_{k-1}| / (1 + |L_k|) <= tol on the summed objectives L = total_weight * l."""
    weight = 200.0
    # summed -1000 -> -999.99: relative change 0.01 / 1000.99 = 9.99e-6
    chain = [-1000.0 / weight, -999.99 / weight]
    assert should_stop(chain, 1e-5, "relative", weight)
    assert not should_stop(chain, 9.9e-6, "relative", weight)
    assert not should_stop(chain[-1:], 1.0, "relative", weight)  # needs two values
    # the same per-sample change is far below the change rule's tol=1e-5 only per sample:
    # "change" reads 5e-5 per sample and goes on
    assert not should_stop(chain, 1e-5, "change", weight)
    with pytest.raises(ValueError, match="stopping"):
        GaussianMixture(2, stopping="mclust").fit(shipped("faithful"))


def test_aitken_does_not_stop_early_where_em_crawls():
    """scikit-learn's #10122: at tol=1e-4 the change rule stops 5e-3 below the optimum."""
    X = shipped("faithful")
    optimum = per_sample_objective(fit(X, 4, False, tol=1e-10, max_iter=100_000))
    change = fit(X, 4, False, tol=1e-4)
    aitken = fit(X, 4, False, tol=1e-4, stopping="aitken")
    assert optimum - per_sample_objective(change) > 1e-3
    assert optimum - per_sample_objective(aitken) < 3e-4
    assert aitken.converged_ and aitken.n_iter_ > change.n_iter_


def test_stopping_is_a_parameter_and_survives_save_load(tmp_path):
    assert GaussianMixture().get_params()["stopping"] == "change"
    with pytest.raises(ValueError, match="stopping"):
        ModelSpec(stopping="never")
    gm = fit(shipped("faithful"), 2, False, tol=1e-3, stopping="aitken")
    loaded = bayesgmm.load(bayesgmm.save(gm, tmp_path / "fit.nc"))
    assert loaded.stopping == "aitken" and loaded.n_iter_ == gm.n_iter_


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("engine", ["em", "map", "vb"])
def test_aitken_loop_iterates_as_the_plain_loop(engine, covariance_type):
    """With tol=0 neither rule stops: the loop serving "aitken" makes plain EM's iterations."""
    X = make_mixture(150, 2, 3, separation=2.0, seed=5)
    fits = [
        fit(X, 4, False, engine=engine, covariance_type=covariance_type, tol=0.0, max_iter=30,
            stopping=stopping, reg_covar=0.0 if engine != "em" else 1e-6)
        for stopping in ("change", "aitken")
    ]  # fmt: skip
    np.testing.assert_array_equal(fits[0].lower_bounds_, fits[1].lower_bounds_)
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
    assert fits[0].n_iter_ == fits[1].n_iter_ == 30


@pytest.mark.parametrize("model", ["EEV", "VEV", "EVE"])
def test_constrained_ellipsoidal_families_run_plain_em_when_accelerated(model):
    """An extrapolated point would leave the family: accelerate=True is plain EM for them."""
    from bayesgmm.datasets import load_iris

    X = np.asarray(load_iris())
    settings = dict(covariance_type=model, tol=1e-8, max_iter=2000, random_state=0)
    fast = GaussianMixture(3, accelerate=True, **settings).fit(X)
    plain = GaussianMixture(3, **settings).fit(X)
    assert fast.n_iter_ == plain.n_iter_
    np.testing.assert_array_equal(fast.lower_bounds_, plain.lower_bounds_)
    # the diagonal constrained families stay in their family and are accelerated
    diagonal = GaussianMixture(3, covariance_type="VEI", accelerate=True, tol=1e-8, random_state=0)
    trace = np.asarray(diagonal.fit(X).lower_bounds_)
    assert np.all(np.diff(trace) >= -1e-10 * np.abs(trace[1:]))
