"""mclust's 14 covariance families: structure, M-step optimality, counts, engines, saving.

The comparison with R's mclust on its data sets lives in tests/test_mclust_reference.py;
here each family is checked on its own terms.
"""

import warnings

import numpy as np
import pytest
from conftest import make_mixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_objective import _fit_trace, assert_ascends

from bayesgmm import GaussianMixture, MAPPrior, SingularCovarianceError, load, save, select
from bayesgmm.families import (
    ALIASES,
    CONJUGATE_FAMILY_NAMES,
    MCLUST_MODELS,
    family_named,
)

MULTIVARIATE = list(MCLUST_MODELS)
CONSTRAINED = [m for m in MCLUST_MODELS if family_named(m).name not in CONJUGATE_FAMILY_NAMES]


def _random_statistics(rng, K, D):
    counts = rng.uniform(5.0, 50.0, K)
    scatter = np.empty((K, D, D))
    for k in range(K):
        A = rng.standard_normal((D, D)) * rng.uniform(0.2, 3.0, D)
        scatter[k] = counts[k] * (A @ A.T + 0.1 * np.eye(D))
    return scatter, counts


def _kernel_form(family, scatter):
    """(K, D, D) scatter as the family's kernel hands it over: the diagonals for a diag kernel."""
    if family.kernel.is_diagonal:
        return np.diagonal(scatter, axis1=1, axis2=2).copy()
    return scatter


def _m_step(model, rng, K, D):
    """A family, random statistics and the family's M-step of them (stored form)."""
    family = family_named(model)
    scatter, counts = _random_statistics(rng, K, D)
    return (
        family,
        scatter,
        counts,
        family.covariance_from_scatter(_kernel_form(family, scatter), counts),
    )


def _objective(covariances, scatter, counts):
    """f = sum_k n_k log|Sigma_k| + tr(Sigma_k^-1 W_k), which every M-step minimises."""
    value = 0.0
    for S, W, n in zip(covariances, scatter, counts):
        value += n * np.linalg.slogdet(S)[1] + np.trace(np.linalg.solve(S, W))
    return value


def _dense(family, stored, K, D):
    return np.stack([family.dense_covariance(stored, k, D) for k in range(K)])


def _decompose(S):
    """Volume, shape (descending, det 1) and orientation of each covariance."""
    values, vectors = np.linalg.eigh(S)
    values, vectors = values[:, ::-1], vectors[:, :, ::-1]
    volume = np.exp(np.log(values).mean(axis=1))
    return volume, values / volume[:, None], vectors


def _same_orientation(vectors):
    # the same axes up to sign and order (a variable shape orders them differently)
    first = vectors[0]
    return all(
        np.allclose(np.sort(np.abs(first.T @ v), axis=1)[:, -1], 1.0, atol=1e-6) for v in vectors
    )


@pytest.mark.parametrize("model", MULTIVARIATE)
def test_structure_of_the_m_step(model):
    """The M-step's covariances have the family's volume / shape / orientation constraints."""
    K, D = 3, 4
    family, _, _, stored = _m_step(model, np.random.default_rng(3), K, D)
    S = _dense(family, stored, K, D)
    volume, shape, vectors = _decompose(S)
    letters = model
    diagonal = letters[2] == "I"
    if diagonal:
        assert np.allclose(S, np.stack([np.diag(np.diag(s)) for s in S]))
        shape = np.stack([np.diag(s) for s in S]) / volume[:, None]  # in feature order
    assert np.allclose(volume, volume[0]) == (letters[0] == "E") or K == 1
    if letters[1] == "I":
        assert np.allclose(shape, 1.0)
    elif letters[1] == "E":
        assert np.allclose(shape, shape[0])
    else:
        assert not np.allclose(shape, shape[0])
    if not diagonal:
        assert _same_orientation(vectors) == (letters[2] == "E")


@pytest.mark.parametrize("model", MULTIVARIATE)
def test_m_step_is_the_constrained_minimiser(model):
    """No member of the family nearby has a smaller f than the M-step's solution."""
    rng = np.random.default_rng(11)
    K, D = 3, 3
    family, scatter, counts, stored = _m_step(model, rng, K, D)
    if family.kernel.is_diagonal:
        scatter = np.stack([np.diag(np.diag(w)) for w in scatter])  # f sees the diagonal only
    best = _objective(_dense(family, stored, K, D), scatter, counts)
    # family members: the M-step of perturbed statistics lies in the family
    for _ in range(20):
        noise = np.exp(0.05 * rng.standard_normal(K))
        other_scatter, _ = _random_statistics(rng, K, D)
        mixed = scatter + 0.05 * other_scatter * noise[:, None, None]
        other = family.covariance_from_scatter(_kernel_form(family, mixed), counts * noise)
        assert _objective(_dense(family, other, K, D), scatter, counts) >= best - 1e-8 * abs(best)


@pytest.mark.parametrize(
    ("model", "count"),
    [
        ("EII", 1), ("VII", 3), ("EEI", 4), ("VEI", 6), ("EVI", 10), ("VVI", 12),
        ("EEE", 10), ("VEE", 12), ("EVE", 16), ("VVE", 18), ("EEV", 22), ("VEV", 24),
        ("EVV", 28), ("VVV", 30),
    ],
)  # fmt: skip
def test_parameter_counts_are_mclusts(model, count):
    """nVarParams(model, d = 4, G = 3) as mclust's formulas give it (reference file checks more)."""
    family = family_named(model)
    assert family.n_covariance_parameters(3, 4) == count
    assert family.n_parameters(3, 4) == count + 3 * 4 + 2


def test_sklearn_names_are_mclust_aliases():
    assert {ALIASES[m] for m in ("VVV", "EEE", "VVI", "VII")} == {
        "full",
        "tied",
        "diag",
        "spherical",
    }
    X = make_mixture(200, 3, 2, separation=4.0, seed=1)
    a = GaussianMixture(2, covariance_type="VVV", random_state=0).fit(X)
    b = GaussianMixture(2, covariance_type="full", random_state=0).fit(X)
    assert a.covariance_type == "VVV"
    np.testing.assert_array_equal(a.covariances_, b.covariances_)


def test_one_dimensional_names():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, 100), rng.normal(6, 2, 100)])[:, None]
    equal = GaussianMixture(2, covariance_type="E", random_state=0).fit(X)
    variable = GaussianMixture(2, covariance_type="V", random_state=0).fit(X)
    assert equal.covariances_[0] == equal.covariances_[1]
    assert variable.covariances_[0] != variable.covariances_[1]
    with pytest.raises(ValueError, match="one-dimensional data, but X has 2 features; use EII"):
        GaussianMixture(2, covariance_type="E").fit(np.hstack([X, X**2]))


@pytest.mark.parametrize("model", CONSTRAINED)
def test_vb_refuses_constrained_families_clearly(model):
    X = make_mixture(100, 2, 2, seed=0)
    with pytest.raises(ValueError, match="VB fits full, tied, diag, spherical, EII, EEI"):
        GaussianMixture(2, covariance_type=model, engine="vb").fit(X)


ENGINE_CASES = [("em", m) for m in MULTIVARIATE] + [("map", m) for m in MULTIVARIATE]
ENGINE_CASES += [("vb", "EII"), ("vb", "EEI")]


@pytest.mark.parametrize(("engine", "model"), ENGINE_CASES)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_samples=st.integers(40, 90),
    n_features=st.integers(2, 3),
    n_components=st.integers(1, 3),
    separation=st.floats(0.0, 6.0),
)
def test_objective_never_decreases(
    engine, model, seed, n_samples, n_features, n_components, separation
):
    X = make_mixture(n_samples, n_features, 2, separation=separation, seed=seed)
    gm = GaussianMixture(
        n_components,
        covariance_type=model,
        engine=engine,
        reg_covar=1e-6 if engine == "em" else 0.0,
        tol=0.0,
        max_iter=20,
        init_params="kmeans",
        random_state=seed,
    )
    trace, reseeded = _fit_trace(gm, X, engine)
    assert_ascends(trace, reseeded, rtol=1e-9)


@pytest.mark.parametrize("engine", ["em", "map"])
@pytest.mark.parametrize("model", MULTIVARIATE)
def test_save_load_is_exact(tmp_path, engine, model):
    X = make_mixture(150, 3, 3, separation=4.0, seed=5)
    gm = GaussianMixture(3, covariance_type=model, engine=engine, random_state=0).fit(X)
    path = save(gm, tmp_path / f"{model}.nc")
    back = load(path)
    np.testing.assert_array_equal(back.covariances_, gm.covariances_)
    np.testing.assert_array_equal(back.predict_proba(X), gm.predict_proba(X))
    assert back.bic(X) == gm.bic(X)


def test_map_draws_need_a_conjugate_family():
    X = make_mixture(150, 2, 2, separation=4.0, seed=5)
    gm = GaussianMixture(2, covariance_type="VEV", engine="map", random_state=0).fit(X)
    with pytest.raises(ValueError, match="no closed-form conjugate posterior"):
        gm.to_arviz(X)
    # EM's ArviZ view is the point estimate, for every family
    em = GaussianMixture(2, covariance_type="VEV", random_state=0).fit(X)
    assert "posterior" in em.to_arviz(X).children


@pytest.mark.parametrize("model", ["EII", "EEI"])
def test_shared_variances_are_shared_in_posterior_draws(model):
    X = make_mixture(150, 2, 2, separation=4.0, seed=5)
    for engine in ("map", "vb"):
        gm = GaussianMixture(2, covariance_type=model, engine=engine, random_state=0).fit(X)
        covariances = gm.to_arviz(X)["posterior"]["covariances"].values
        # every draw has one variance (EII) or one set of variances (EEI) for all components
        components = covariances.shape.index(2) if model == "EII" else covariances.ndim - 2
        np.testing.assert_array_equal(
            np.take(covariances, 0, axis=components), np.take(covariances, 1, axis=components)
        )


def _scale(family, value, D=2):
    shape = family.prior_scale_shape(D)
    return value * (np.eye(D) if len(shape) == 2 else np.ones(shape))


def test_map_prior_reaches_every_family():
    """A strong prior pulls every family's covariances towards its scale."""
    X = make_mixture(120, 2, 2, separation=4.0, seed=2)
    for model in MULTIVARIATE:
        weak = GaussianMixture(2, covariance_type=model, engine="map", random_state=0).fit(X)
        strong = GaussianMixture(
            2,
            covariance_type=model,
            engine="map",
            prior=MAPPrior(degrees_of_freedom=1e4, scale=_scale(family_named(model), 5e5)),
            random_state=0,
        ).fit(X)
        assert np.max(np.abs(strong.covariances_)) > 5 * np.max(np.abs(weak.covariances_)), model


def test_select_all_sweeps_the_fourteen_models():
    X = make_mixture(120, 2, 2, separation=4.0, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sweep = select(X, range(1, 3), "all", engine=["em", "vb"], progress=False, random_state=0)
    assert list(sweep.covariance_type.values) == MULTIVARIATE
    em = sweep.sel(engine="em")
    assert np.isfinite(em.bic.values).all()
    vb = sweep.sel(engine="vb")
    for model in MULTIVARIATE:
        if family_named(model).name in CONJUGATE_FAMILY_NAMES:
            assert np.isfinite(vb.bic.sel(covariance_type=model).values).all()
        else:
            assert "no closed-form variational posterior" in str(
                vb.fit_error.sel(covariance_type=model, n_components=1).item()
            )
    one_d = select(X[:, :1], range(1, 3), "all", progress=False, random_state=0)
    assert list(one_d.covariance_type.values) == ["E", "V"]


@pytest.mark.parametrize("model", MULTIVARIATE)
def test_weights_dask_and_pruning_serve_every_family(model):
    """The statistics stay additive: only the M-step differs between families."""
    import dask
    import dask.array as da
    from test_sample_weight import assert_same_fit, start

    X = make_mixture(240, 3, 3, seed=4) + 50.0
    settings = dict(covariance_type=model, tol=0, max_iter=15, **start(X, model))
    counts = np.random.default_rng(1).integers(1, 4, size=len(X))
    weighted = GaussianMixture(3, **settings).fit(X, sample_weight=counts.astype(float))
    duplicated = GaussianMixture(3, **settings).fit(np.repeat(X, counts, axis=0))
    assert_same_fit(weighted, duplicated, rtol=1e-8)
    with dask.config.set(scheduler="threads"):
        on_dask = GaussianMixture(3, **settings).fit(da.from_array(X, chunks=(70, 3)))
    assert_same_fit(on_dask, GaussianMixture(3, **settings).fit(X), rtol=1e-8)
    pruned = GaussianMixture(
        5, covariance_type=model, prune=0.05, reg_covar=1e-6, random_state=0
    ).fit(make_mixture(300, 2, 2, separation=8.0, seed=3))
    assert pruned.n_components <= 5
    assert pruned.weights_.min() >= 0.05


@pytest.mark.parametrize("model", ["VEI", "VEE", "VEV", "EVE", "VVE", "EEV", "EVV", "EVI"])
def test_a_feature_without_spread_is_a_singular_covariance_not_a_silent_fit(model):
    """The compiled inner solves meet a zero variance (reg_covar=0): the fit says which
    problem it met instead of returning non-finite or arbitrary covariances."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(60, 2)), np.full(60, 7.25)])
    with pytest.raises(SingularCovarianceError, match="reg_covar"):
        GaussianMixture(2, covariance_type=model, reg_covar=0, random_state=0).fit(X)
