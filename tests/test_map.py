"""MAP-EM: the issue's (mclust's) formulas written out plainly, the log prior, and degenerate data."""

import warnings

import numpy as np
import pytest
from conftest import COVARIANCE_TYPES, make_mixture
from reference import full_covariances, log_rho
from scipy import stats
from scipy.special import logsumexp

from bayesgmm import (
    GaussianMixture,
    MAPPrior,
    ModelSpec,
    SingularCovarianceError,
    VBPrior,
)
from bayesgmm.data import InMemoryData
from bayesgmm.data.init import statistics_from_assignment
from bayesgmm.fitting.loop import make_engine, run_em_loop

RTOL = 1e-8


# ---------------------------------------------------------------- reference
def mclust_defaults(X, K, covariance_type):
    """mclust's priorControl() defaults, straight from the issue."""
    n, d = X.shape
    if covariance_type in ("full", "tied"):
        scale = np.cov(X.T).reshape(d, d) / K ** (2 / d)
    else:
        scale = K ** (-2 / d) * np.var(X, axis=0, ddof=1).sum() / d
    return dict(alpha=np.ones(K), mean=X.mean(axis=0), kappa=0.01, nu=d + 2, scale=scale)


def reference_mstep(X, R, covariance_type, prior):
    """The issue's M-step, one formula per covariance type."""
    n, d = X.shape
    K = R.shape[1]
    alpha, mu_p, kappa, nu, scale = (prior[k] for k in ("alpha", "mean", "kappa", "nu", "scale"))
    nk = R.sum(axis=0)
    xbar = (R.T @ X) / nk[:, None]
    W = [(R[:, k, None] * (X - xbar[k])).T @ (X - xbar[k]) for k in range(K)]
    M = [
        kappa * nk[k] / (nk[k] + kappa) * np.outer(xbar[k] - mu_p, xbar[k] - mu_p) for k in range(K)
    ]
    means = (nk[:, None] * xbar + kappa * mu_p) / (nk + kappa)[:, None]
    if covariance_type == "full":
        cov = np.stack([(scale + W[k] + M[k]) / (nu + nk[k] + d + 2) for k in range(K)])
    elif covariance_type == "tied":
        cov = (scale + sum(W) + sum(M)) / (nu + n + d + 1 + K)
    elif covariance_type == "spherical":
        cov = np.array(
            [(scale + np.trace(W[k]) + np.trace(M[k])) / (nu + nk[k] * d + d + 2) for k in range(K)]
        )
    else:
        scale = np.broadcast_to(scale, (d,))
        cov = np.stack(
            [(scale + np.diag(W[k]) + np.diag(M[k])) / (nu + nk[k] + 3) for k in range(K)]
        )
    weights = (nk + alpha - 1) / (n + alpha.sum() - K)
    return weights, means, cov


def reference_log_prior(weights, means, cov, covariance_type, prior):
    """Dirichlet + Normal-inverse-Wishart (inverse-gamma for diag/spherical) from scipy.stats."""
    K, d = means.shape
    alpha, mu_p, kappa, nu, scale = (prior[k] for k in ("alpha", "mean", "kappa", "nu", "scale"))
    full = full_covariances(covariance_type, cov, K, d)
    total = stats.dirichlet(alpha).logpdf(weights)
    total += sum(
        stats.multivariate_normal(mu_p, full[k] / kappa).logpdf(means[k]) for k in range(K)
    )
    if covariance_type == "full":
        total += sum(stats.invwishart(df=nu, scale=scale).logpdf(cov[k]) for k in range(K))
    elif covariance_type == "tied":
        total += stats.invwishart(df=nu, scale=scale).logpdf(cov)
    elif covariance_type == "diag":
        total += stats.invgamma(a=nu / 2, scale=np.broadcast_to(scale, (d,)) / 2).logpdf(cov).sum()
    else:
        total += stats.invgamma(a=nu / 2, scale=scale / 2).logpdf(cov).sum()
    return total


def reference_map_em(X, R, covariance_type, prior, n_iter):
    """Start from responsibilities R; returns parameters and per-sample log posteriors."""
    trace = []
    params = reference_mstep(X, R, covariance_type, prior)
    for _ in range(n_iter):
        weights, means, cov = params
        rho = log_rho(X, weights, means, full_covariances(covariance_type, cov, *means.shape))
        norm = logsumexp(rho, axis=1)
        trace.append((norm.sum() + reference_log_prior(*params, covariance_type, prior)) / len(X))
        params = reference_mstep(X, np.exp(rho - norm[:, None]), covariance_type, prior)
    return params, trace


def ours_from_responsibilities(X, R, covariance_type, n_iter, prior=None):
    spec = ModelSpec(
        n_components=R.shape[1],
        covariance_type=covariance_type,
        engine="map",
        prior=prior,
        max_iter=n_iter,
        tol=0,
    )
    engine = make_engine(spec, InMemoryData(X))
    state = engine.mstep(
        statistics_from_assignment(X, R.shape[1], engine.family.kernel == "diag", resp=R)
    )
    state, trace, _ = run_em_loop(engine, InMemoryData(X), state)
    return engine, state, trace


# --------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def data():
    X = make_mixture(240, 3, 3, seed=7)
    R = np.random.default_rng(2).dirichlet(np.ones(3), size=len(X))
    return X, R


@pytest.mark.parametrize("n_iter", [0, 1, 15])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_map_matches_the_formulas_with_mclust_defaults(data, covariance_type, n_iter):
    X, R = data
    prior = mclust_defaults(X, 3, covariance_type)
    (weights, means, cov), trace = reference_map_em(X, R, covariance_type, prior, n_iter)
    engine, state, our_trace = ours_from_responsibilities(X, R, covariance_type, n_iter)
    point = engine.parameters(state)
    np.testing.assert_allclose(point.weights, weights, rtol=RTOL)
    np.testing.assert_allclose(point.means, means, rtol=RTOL, atol=RTOL * np.abs(X).max())
    np.testing.assert_allclose(point.covariances, cov, rtol=RTOL)
    np.testing.assert_allclose(our_trace, trace, rtol=RTOL)  # log-likelihood + log prior
    resolved = state.prior
    np.testing.assert_allclose(
        resolved.scale, np.broadcast_to(prior["scale"], resolved.scale.shape), rtol=1e-12
    )
    assert resolved.degrees_of_freedom == 5.0 and resolved.shrinkage == 0.01


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_map_with_every_hyperparameter_given(data, covariance_type):
    X, R = data
    scale = {
        "full": np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 0.5]]),
        "tied": np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 0.5]]),
        "diag": np.array([2.0, 1.0, 0.5]),
        "spherical": 0.8,
    }[covariance_type]
    given = MAPPrior(
        weight_concentration=[1.0, 2.5, 4.0],
        mean=[1.0, -2.0, 0.5],
        shrinkage=3.0,
        degrees_of_freedom=6.5,
        scale=scale,
    )
    prior = dict(
        alpha=np.array([1.0, 2.5, 4.0]),
        mean=np.array([1.0, -2.0, 0.5]),
        kappa=3.0,
        nu=6.5,
        scale=scale,
    )
    (weights, means, cov), trace = reference_map_em(X, R, covariance_type, prior, 8)
    engine, state, our_trace = ours_from_responsibilities(X, R, covariance_type, 8, prior=given)
    np.testing.assert_allclose(engine.parameters(state).weights, weights, rtol=RTOL)
    np.testing.assert_allclose(engine.parameters(state).means, means, rtol=RTOL)
    np.testing.assert_allclose(engine.parameters(state).covariances, cov, rtol=RTOL)
    np.testing.assert_allclose(our_trace, trace, rtol=RTOL)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_map_fit_never_decreases_the_log_posterior(covariance_type, mixture5d):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(
            4,
            covariance_type=covariance_type,
            engine="map",
            tol=0,
            max_iter=60,
            init_params="random",
            random_state=0,
        ).fit(mixture5d)
    trace = np.asarray(gm.lower_bounds_)
    assert np.all(np.diff(trace) >= -1e-12 * np.abs(trace[1:]))
    # the estimator's score is the likelihood alone; the objective adds the log prior
    assert gm.result_.objective != pytest.approx(gm.result_.log_likelihood, rel=1e-6)


def degenerate_data(case):
    rng = np.random.default_rng(3)
    bulk = rng.normal(size=(60, 3))
    if case == "duplicated points":
        far = np.tile([[8.0, 8.0, 8.0]], (20, 1))  # one point repeated: zero scatter
    else:
        far = np.array([[8.0, 8.0, 8.0], [9.0, 8.5, 8.0]])  # 2 points in 3-D: rank-1 scatter
    X = np.vstack([bulk, far])
    start = dict(
        weights_init=[0.7, 0.3],
        means_init=[[0.0, 0.0, 0.0], [8.5, 8.2, 8.0]],
        precisions_init=np.stack([np.eye(3), np.eye(3)]),
    )
    return X, start


@pytest.mark.parametrize(
    "case, covariance_types",
    [
        ("duplicated points", ["full", "diag", "spherical"]),
        ("fewer points than features", ["full"]),
    ],
)
def test_map_stays_well_conditioned_where_em_breaks(case, covariance_types):
    X, start = degenerate_data(case)
    for covariance_type in covariance_types:
        family_start = dict(start)
        if covariance_type != "full":
            family_start["precisions_init"] = {"diag": np.ones((2, 3)), "spherical": np.ones(2)}[
                covariance_type
            ]
        with pytest.raises(SingularCovarianceError):
            GaussianMixture(2, covariance_type=covariance_type, reg_covar=0, **family_start).fit(X)
        gm = GaussianMixture(2, covariance_type=covariance_type, engine="map", **family_start).fit(
            X
        )
        full = full_covariances(covariance_type, gm.covariances_, 2, 3)
        eigenvalues = np.linalg.eigvalsh(full)
        assert np.all(np.isfinite(gm.means_)) and np.all(np.isfinite(gm.covariances_))
        assert (
            eigenvalues.min() > 1e-3
            and (eigenvalues.max(axis=1) / eigenvalues.min(axis=1)).max() < 1e3
        )
        assert gm.converged_ and np.all(np.isfinite(gm.score_samples(X)))
        assert gm.predict(X)[-1] == 1  # the far points keep their own component


def test_log_prior_matches_scipy_for_every_family(data):
    X, R = data
    for covariance_type in COVARIANCE_TYPES:
        given = MAPPrior(weight_concentration=[1.5, 2.0, 3.0])
        engine, state, _ = ours_from_responsibilities(X, R, covariance_type, 3, prior=given)
        p, prior = state.parameters, state.prior
        reference = reference_log_prior(
            p.weights,
            p.means,
            p.covariances,
            covariance_type,
            dict(
                alpha=prior.weight_concentration,
                mean=prior.mean,
                kappa=prior.shrinkage,
                nu=prior.degrees_of_freedom,
                scale=prior.scale,
            ),
        )
        assert engine.penalty(state) == pytest.approx(reference, rel=1e-10), covariance_type


def test_one_feature_uses_var_over_g_squared():
    X = np.random.default_rng(0).normal(size=(100, 1)) * 3.0
    gm = GaussianMixture(4, engine="map", random_state=0).fit(X)
    assert gm.prior_.scale.item() == pytest.approx(np.var(X, ddof=1) / 16, rel=1e-12)
    assert gm.prior_.degrees_of_freedom == 3.0


def test_weight_concentration_pulls_weights_together(faithful):
    plain = GaussianMixture(2, engine="map", random_state=0).fit(faithful)
    pulled = GaussianMixture(
        2, engine="map", prior=MAPPrior(weight_concentration=200.0), random_state=0
    ).fit(faithful)
    assert abs(pulled.weights_[0] - 0.5) < abs(plain.weights_[0] - 0.5)


@pytest.mark.parametrize(
    "prior, message",
    [
        (
            dict(weight_concentration=0.5),
            "must be >= 1: below 1 the posterior of the weights has no mode",
        ),
        (
            dict(weight_concentration=[1.0, 1.0, 1.0]),
            "has 3 entries but the model has 2 components",
        ),
        (dict(shrinkage=0.0), r"shrinkage=0.0 must be a finite number > 0"),
        (dict(shrinkage=-1.0), r"shrinkage=-1.0 must be a finite number > 0"),
        (
            dict(degrees_of_freedom=1.0),
            r"degrees_of_freedom=1 must exceed 1 for an inverse-Wishart prior "
            r"of dimension 2; use at least 2",
        ),
        (dict(mean=[0.0]), "MAPPrior.mean has 1 entries but the data has 2 features"),
        (dict(scale=[[1.0, 2.0], [2.0, 1.0]]), "not positive definite"),
        (dict(scale=[1.0, 1.0]), r"'full' model with 2 features needs a \(2, 2\) matrix"),
        (dict(scale=np.ones((2, 3))), r"give a number, one number per feature, or a square"),
        (dict(mean=[0.0, np.inf]), "NaN or infinite"),
    ],
)
def test_bad_map_priors_get_clear_errors(prior, message, faithful):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, engine="map", prior=MAPPrior(**prior)).fit(faithful)


def test_diag_and_spherical_scales_take_their_own_shapes(faithful):
    diag = GaussianMixture(2, covariance_type="diag", engine="map", prior=MAPPrior(scale=2.0)).fit(
        faithful
    )
    np.testing.assert_array_equal(diag.prior_.scale, [2.0, 2.0])
    with pytest.raises(ValueError, match="'spherical' model with 2 features needs a single number"):
        GaussianMixture(
            2, covariance_type="spherical", engine="map", prior=MAPPrior(scale=[1.0, 2.0])
        ).fit(faithful)
    with pytest.raises(ValueError, match="degrees_of_freedom=0.0 must be a finite number > 0"):
        MAPPrior(degrees_of_freedom=0.0)
    # an inverse-gamma needs only nu > 0: below n_features - 1 is fine for diag
    GaussianMixture(
        2, covariance_type="diag", engine="map", prior=MAPPrior(degrees_of_freedom=0.5)
    ).fit(faithful)


@pytest.mark.parametrize(
    "engine, prior, message",
    [
        ("em", MAPPrior(), "engine='em' takes no prior"),
        ("map", VBPrior(), "prior of engine='map' must be a bayesgmm.MAPPrior"),
        ("vb", MAPPrior(), "prior of engine='vb' must be a bayesgmm.VBPrior"),
        ("map", {"shrinkage": 0.1}, "must be a bayesgmm.MAPPrior .* got a dict"),
    ],
)
def test_prior_of_the_wrong_engine(engine, prior, message):
    with pytest.raises(TypeError, match=message):
        ModelSpec(n_components=2, engine=engine, prior=prior)


def test_map_accepts_initial_parameters_like_em(faithful):
    start = dict(weights_init=[0.35, 0.65], means_init=[[2.0, 54.0], [4.3, 80.0]])
    gm = GaussianMixture(2, engine="map", max_iter=0, **start, random_state=0).fit(faithful)
    np.testing.assert_array_equal(gm.weights_, start["weights_init"])
    np.testing.assert_array_equal(gm.means_, start["means_init"])


def test_map_does_not_use_reg_covar(faithful):
    plain = GaussianMixture(2, engine="map", random_state=0).fit(faithful)
    other = GaussianMixture(2, engine="map", reg_covar=0.5, random_state=0).fit(faithful)
    np.testing.assert_array_equal(plain.covariances_, other.covariances_)


@pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")
@pytest.mark.parametrize("engine", ["map", "vb"])
def test_sample_weight_two_equals_a_duplicated_row_for_bayesian_engines(engine, faithful):
    """Data-dependent prior defaults use the weighted moments, so weights = repeated rows."""
    weights = np.ones(len(faithful))
    weights[::3] = 2.0
    duplicated = np.vstack([faithful, faithful[::3]])
    start = dict(
        means_init=[[2.0, 55.0], [4.3, 80.0]],
        weights_init=[0.4, 0.6],
        precisions_init=np.stack([np.diag([10.0, 0.03])] * 2),
    )  # k-means ignores weights
    weighted = GaussianMixture(2, engine=engine, tol=0, max_iter=20, **start).fit(
        faithful, sample_weight=weights
    )
    repeated = GaussianMixture(2, engine=engine, tol=0, max_iter=20, **start).fit(duplicated)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-10)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-10)
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("engine", ["map", "vb"])
def test_float32_data_fits_like_float64_to_1e6(engine, faithful):
    # computed in float32 (full covariances); measured within 5e-8 (objective) and
    # 3e-8 sd (means) for both engines
    X32 = np.ascontiguousarray(faithful, dtype=np.float32)
    gm32 = GaussianMixture(2, engine=engine, random_state=0).fit(X32)
    gm64 = GaussianMixture(2, engine=engine, random_state=0).fit(X32.astype(np.float64))
    sd = np.sqrt(np.diagonal(gm64.covariances_, axis1=1, axis2=2)).max()
    np.testing.assert_allclose(gm32.means_, gm64.means_, rtol=0, atol=1e-6 * sd)
    np.testing.assert_allclose(
        gm32.covariances_, gm64.covariances_, rtol=0, atol=1e-6 * np.abs(gm64.covariances_).max()
    )
    assert gm32.lower_bound_ == pytest.approx(gm64.lower_bound_, rel=1e-6)


def test_constant_feature(faithful):
    X = np.column_stack([faithful, np.full(len(faithful), 7.0)])
    # the scalar default scale of diag/spherical stays positive: MAP copes where the data do not vary
    gm = GaussianMixture(2, covariance_type="diag", engine="map", random_state=0).fit(X)
    assert np.all(gm.covariances_[:, 2] > 0) and np.all(np.isfinite(gm.score_samples(X)))
    # full: the default scale is singular, so 1e-6 of its mean variance is added to its
    # diagonal (docs/engines.md): the default prior is proper and the fit finite
    full = GaussianMixture(2, engine="map", random_state=0).fit(X)
    assert np.linalg.eigvalsh(full.prior_.scale).min() > 0
    assert np.all(np.isfinite(full.score_samples(X)))
    given = MAPPrior(scale=np.diag([0.1, 10.0, 0.01]))
    assert np.all(
        np.isfinite(GaussianMixture(2, engine="map", prior=given, random_state=0).fit(X).means_)
    )
