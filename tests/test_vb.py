"""Variational Bayes: scikit-learn's BayesianGaussianMixture to 1e-8, its face, and what VB is for.

Both implementations start from the same responsibilities: scikit-learn through
its ``_initialize(X, resp)`` (monkeypatched in place of its random start), ours
through ``statistics_from_assignment(..., resp=R)`` and the engine's M-step.
"""

import inspect
import warnings

import numpy as np
import pytest
from conftest import COVARIANCE_TYPES, make_mixture
from scipy.special import logsumexp
from sklearn.mixture import BayesianGaussianMixture as SkBayesianGaussianMixture
from threadpoolctl import threadpool_limits

import bayesgmm
from bayesgmm import BayesianGaussianMixture, GaussianMixture, ModelSpec, VBPrior
from bayesgmm.data import InMemoryData
from bayesgmm.data.init import statistics_from_assignment
from bayesgmm.datasets import load_faithful
from bayesgmm.densities import log_rho
from bayesgmm.fitting.loop import make_engine, run_em_loop

RTOL = 1e-8
WEIGHT_PRIORS = ["dirichlet_process", "dirichlet_distribution"]


@pytest.fixture(autouse=True)
def single_threaded_blas():
    # scikit-learn inverts 2 x 2 factors with solve_triangular, whose threaded OpenBLAS
    # trsm takes milliseconds on a busy machine; one thread makes it microseconds
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module", params=["faithful", "mixture4d"])
def data_and_responsibilities(request):
    X = load_faithful().values if request.param == "faithful" else make_mixture(300, 4, 3, seed=3)
    R = np.random.default_rng(0).dirichlet(np.ones(4), size=len(X))
    return X, R


def sklearn_from_responsibilities(X, R, covariance_type, weight_prior, n_iter, **params):
    sk = SkBayesianGaussianMixture(
        n_components=R.shape[1],
        covariance_type=covariance_type,
        weight_concentration_prior_type=weight_prior,
        max_iter=n_iter,
        tol=0,
        **params,
    )
    sk._initialize_parameters = lambda X, random_state, xp=None: sk._initialize(X, R)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: tol=0 runs to max_iter
        return sk.fit(X)


def ours_from_responsibilities(X, R, covariance_type, weight_prior, n_iter, prior=None, **params):
    prior = prior or VBPrior(weight_prior=weight_prior)
    spec = ModelSpec(
        n_components=R.shape[1],
        covariance_type=covariance_type,
        engine="vb",
        prior=prior,
        max_iter=n_iter,
        tol=0,
        **params,
    )
    engine = make_engine(spec, InMemoryData(X))
    state = engine.mstep(
        statistics_from_assignment(X, R.shape[1], engine.family.kernel == "diag", resp=R)
    )
    state, trace, _ = run_em_loop(engine, InMemoryData(X), state)
    return engine, state, trace


@pytest.mark.parametrize("n_iter", [1, 50])
@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_vb_matches_scikit_learn(data_and_responsibilities, covariance_type, weight_prior, n_iter):
    X, R = data_and_responsibilities
    theirs = sklearn_from_responsibilities(X, R, covariance_type, weight_prior, n_iter)
    engine, state, _ = ours_from_responsibilities(X, R, covariance_type, weight_prior, n_iter)
    point, attributes = engine.parameters(state), engine.fitted_attributes(state)
    np.testing.assert_allclose(point.weights, theirs.weights_, rtol=RTOL)
    np.testing.assert_allclose(point.means, theirs.means_, rtol=RTOL, atol=RTOL * np.abs(X).max())
    np.testing.assert_allclose(point.covariances, theirs.covariances_, rtol=RTOL)
    np.testing.assert_allclose(
        point.precisions_cholesky, theirs.precisions_cholesky_, rtol=RTOL, atol=1e-12
    )
    if weight_prior == "dirichlet_process":
        for ours_part, their_part in zip(
            attributes["weight_concentration_"], theirs.weight_concentration_
        ):
            np.testing.assert_allclose(ours_part, their_part, rtol=RTOL)
    else:
        np.testing.assert_allclose(
            attributes["weight_concentration_"], theirs.weight_concentration_, rtol=RTOL
        )
    np.testing.assert_allclose(
        attributes["degrees_of_freedom_"], theirs.degrees_of_freedom_, rtol=RTOL
    )
    assert np.shape(attributes["degrees_of_freedom_"]) == np.shape(theirs.degrees_of_freedom_)
    np.testing.assert_allclose(attributes["mean_precision_"], theirs.mean_precision_, rtol=RTOL)
    for name in (
        "weight_concentration_prior_",
        "mean_precision_prior_",
        "mean_prior_",
        "degrees_of_freedom_prior_",
        "covariance_prior_",
    ):
        np.testing.assert_allclose(attributes[name], getattr(theirs, name), rtol=1e-12)
    # predictions rest on the E-step terms: scikit-learn's _estimate_weighted_log_prob
    np.testing.assert_allclose(
        log_rho(np.ascontiguousarray(X, dtype=np.float64), engine.terms(state)),
        theirs._estimate_weighted_log_prob(X),
        rtol=RTOL,
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_user_given_hyperparameters_match_scikit_learn(covariance_type):
    X = make_mixture(200, 3, 3, seed=5)
    R = np.random.default_rng(1).dirichlet(np.ones(3), size=len(X))
    covariance = {
        "full": np.diag([2.0, 1.0, 0.5]) + 0.1,
        "tied": np.diag([2.0, 1.0, 0.5]) + 0.1,
        "diag": np.array([2.0, 1.0, 0.5]),
        "spherical": 0.7,
    }[covariance_type]
    given = dict(
        weight_concentration_prior=0.05,
        mean_precision_prior=0.3,
        mean_prior=[1.0, -1.0, 0.5],
        degrees_of_freedom_prior=4.5,
        covariance_prior=covariance,
    )
    theirs = sklearn_from_responsibilities(
        X, R, covariance_type, "dirichlet_distribution", 20, **given
    )
    prior = VBPrior("dirichlet_distribution", 0.05, 0.3, [1.0, -1.0, 0.5], 4.5, covariance)
    engine, state, _ = ours_from_responsibilities(X, R, covariance_type, None, 20, prior=prior)
    np.testing.assert_allclose(engine.parameters(state).covariances, theirs.covariances_, rtol=RTOL)
    np.testing.assert_allclose(engine.parameters(state).weights, theirs.weights_, rtol=RTOL)


@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_elbo_differs_from_scikit_learns_simplified_bound_by_a_constant(
    covariance_type, weight_prior
):
    """scikit-learn drops the ELBO's constant terms; ours is the exact ELBO.

    Evaluated at the same (q(theta), responsibilities) over several iterations,
    the two differ by one constant, which checks every KL term of ours.
    """
    X = load_faithful().values
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    spec = ModelSpec(
        n_components=3,
        covariance_type=covariance_type,
        engine="vb",
        prior=VBPrior(weight_prior=weight_prior),
        reg_covar=0,
    )
    engine = make_engine(spec, InMemoryData(X))
    sk = SkBayesianGaussianMixture(
        n_components=3,
        covariance_type=covariance_type,
        weight_concentration_prior_type=weight_prior,
        reg_covar=0,
    )
    sk._check_parameters(X)
    R = np.random.default_rng(1).dirichlet(np.ones(3), size=len(X))
    differences = []
    for _ in range(6):
        state = engine.mstep(
            statistics_from_assignment(X, 3, engine.family.kernel == "diag", resp=R)
        )
        sk._initialize(X, R)
        rho = log_rho(X, engine.terms(state))
        elbo = (R * rho).sum() - (R * np.log(R)).sum() + engine.penalty(state)
        differences.append(elbo - float(np.squeeze(sk._compute_lower_bound(np.log(R), None))))
        R = np.exp(rho - logsumexp(rho, axis=1, keepdims=True))
    assert np.ptp(differences) < 1e-9 * abs(differences[0])
    assert abs(differences[0]) > 1.0  # the constants are really there


def test_bayesian_gaussian_mixture_has_scikit_learns_signature():
    ours = inspect.signature(BayesianGaussianMixture.__init__).parameters
    theirs = inspect.signature(SkBayesianGaussianMixture.__init__).parameters
    # bayesgmm's own, keyword-only, after scikit-learn's, with their defaults
    extra = {"responsibilities_init": None, "missing": "error"}
    assert list(ours) == list(theirs) + list(extra)
    for name in theirs:
        assert ours[name].default == theirs[name].default and ours[name].kind == theirs[name].kind
    for name, default in extra.items():
        assert ours[name].default == default and ours[name].kind == inspect.Parameter.KEYWORD_ONLY
    assert BayesianGaussianMixture().get_params().keys() == (
        SkBayesianGaussianMixture().get_params().keys() | set(extra)
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_scikit_learn_code_runs_unchanged(covariance_type, faithful):
    params = dict(
        n_components=2, covariance_type=covariance_type, tol=1e-8, max_iter=500, random_state=0
    )
    ours = BayesianGaussianMixture(**params).fit(faithful)
    theirs = SkBayesianGaussianMixture(**params).fit(faithful)
    for name in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
        "mean_precision_",
        "degrees_of_freedom_",
        "weight_concentration_prior_",
        "mean_prior_",
        "degrees_of_freedom_prior_",
        "covariance_prior_",
        "mean_precision_prior_",
    ):
        assert np.shape(getattr(ours, name)) == np.shape(getattr(theirs, name)), name
    assert isinstance(ours.weight_concentration_, tuple) and len(ours.weight_concentration_) == 2
    assert ours.converged_ and ours.predict(faithful).shape == (len(faithful),)
    np.testing.assert_allclose(ours.predict_proba(faithful).sum(axis=1), 1.0, rtol=1e-12)
    # different random starts, one optimum: converged fits agree (measured: means within 3e-5)
    mine, yours = np.argsort(ours.means_[:, 0]), np.argsort(theirs.means_[:, 0])
    np.testing.assert_allclose(ours.means_[mine], theirs.means_[yours], rtol=1e-5)
    np.testing.assert_allclose(ours.weights_[mine], theirs.weights_[yours], rtol=1e-5)


def test_face_equals_the_engine_it_wraps(faithful):
    face = BayesianGaussianMixture(
        n_components=2,
        weight_concentration_prior_type="dirichlet_distribution",
        mean_precision_prior=0.5,
        random_state=0,
    ).fit(faithful)
    prior = VBPrior(weight_prior="dirichlet_distribution", mean_precision=0.5)
    direct = GaussianMixture(2, engine="vb", prior=prior, random_state=0).fit(faithful)
    np.testing.assert_array_equal(face.means_, direct.means_)
    np.testing.assert_array_equal(face.weight_concentration_, direct.weight_concentration_)
    assert face.prior_.mean_precision == 0.5 and face.prior_.degrees_of_freedom == 2.0


def test_old_faithful_k6_sparse_dirichlet_leaves_the_mass_on_two_components():
    X = load_faithful()
    Z = (X - X.mean("sample")) / X.std("sample", ddof=1)
    prior = VBPrior(weight_prior="dirichlet_distribution", weight_concentration=1e-3)
    vb = GaussianMixture(6, engine="vb", prior=prior, tol=1e-6, max_iter=1000, random_state=0).fit(
        Z
    )
    weights = np.sort(vb.weights_)[::-1]
    assert vb.converged_
    assert weights[:2].sum() > 0.99  # measured: 0.6427 + 0.3572
    assert np.all(weights[2:] < 1e-3)  # four components switched off
    assert weights[1] > 0.3  # and not everything in one
    em = GaussianMixture(6, random_state=0).fit(Z)
    assert np.sort(em.weights_)[-2:].sum() < 0.6  # EM spreads the mass over all six


def test_user_given_parameters_start_vb_from_their_responsibilities(faithful):
    """VB has no point-estimate state: *_init define responsibilities through one E-step."""
    start = dict(
        weights_init=[0.35, 0.65],
        means_init=[[2.0, 54.0], [4.3, 80.0]],
        precisions_init=np.stack([np.linalg.inv(np.diag([0.1, 30.0]))] * 2),
    )
    vb = GaussianMixture(2, engine="vb", max_iter=0, **start).fit(faithful)
    em = GaussianMixture(2, max_iter=0, **start).fit(faithful)
    spec = ModelSpec(n_components=2, engine="vb", max_iter=0)
    engine = make_engine(spec, InMemoryData(faithful))
    R = em.predict_proba(faithful)
    expected = engine.mstep(statistics_from_assignment(faithful, 2, False, resp=R))
    np.testing.assert_allclose(vb.means_, expected.means, rtol=1e-12)
    np.testing.assert_allclose(vb.covariances_, expected.covariances, rtol=1e-12)
    # only some given: the rest comes from the data-driven start
    partial = GaussianMixture(2, engine="vb", means_init=start["means_init"], random_state=0).fit(
        faithful
    )
    assert partial.converged_ and np.all(np.isfinite(partial.means_))


@pytest.mark.parametrize("engine", ["vb", "map"])
def test_warm_start_continues_the_bayesian_fit(engine, faithful):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesgmm.ConvergenceWarning)
        warm = GaussianMixture(3, engine=engine, warm_start=True, max_iter=3, tol=0, random_state=0)
        first = warm.fit(faithful).lower_bounds_
        second = warm.fit(faithful).lower_bounds_
        cold = GaussianMixture(3, engine=engine, max_iter=6, tol=0, random_state=0).fit(faithful)
    np.testing.assert_allclose(first + second, cold.lower_bounds_, rtol=1e-13)
    np.testing.assert_allclose(warm.means_, cold.means_, rtol=1e-13)
    if engine == "vb":
        np.testing.assert_allclose(
            warm.weight_concentration_[0], cold.weight_concentration_[0], rtol=1e-13
        )


def test_warm_start_cannot_switch_the_weight_prior(faithful):
    gm = GaussianMixture(2, engine="vb", warm_start=True, random_state=0).fit(faithful)
    gm.set_params(prior=VBPrior("dirichlet_distribution"))
    with pytest.raises(
        ValueError, match="cannot switch to 'dirichlet_distribution'.*warm_start=False"
    ):
        gm.fit(faithful)
    assert isinstance(gm.weight_concentration_, tuple)  # the previous fit is intact


def test_switching_engine_removes_the_previous_engines_attributes(faithful):
    gm = GaussianMixture(2, engine="vb", random_state=0).fit(faithful)
    assert hasattr(gm, "weight_concentration_") and hasattr(gm, "prior_")
    gm.set_params(engine="em").fit(faithful)
    assert not hasattr(gm, "weight_concentration_") and not hasattr(gm, "prior_")


@pytest.mark.parametrize(
    "prior, message",
    [
        (dict(weight_prior="dirichlet"), "weight_prior='dirichlet' is not one of"),
        (dict(weight_concentration=0.0), r"weight_concentration=0.0 must be a finite number > 0"),
        (dict(mean_precision=-1.0), r"mean_precision=-1.0 must be a finite number > 0"),
        (
            dict(degrees_of_freedom=1.0),
            r"degrees_of_freedom=1 must exceed 1 for a Wishart prior on 2 "
            r"features; use at least 2",
        ),
        (dict(mean=[0.0, 0.0, 0.0]), "VBPrior.mean has 3 entries but the data has 2 features"),
        (dict(covariance=np.diag([1.0, -1.0])), "not positive definite"),
        (dict(covariance=[[1.0, 0.5], [0.0, 1.0]]), "not symmetric"),
        (
            dict(covariance=np.eye(3)),
            r"has shape \(3, 3\), but a 'full' model with 2 features needs a "
            r"\(2, 2\) matrix",
        ),
        (dict(covariance=[1.0, np.nan]), "NaN or infinite"),
    ],
)
def test_bad_vb_priors_get_clear_errors(prior, message, faithful):
    gm = GaussianMixture(2, engine="vb", random_state=0).fit(faithful)
    means = gm.means_.copy()
    with pytest.raises(ValueError, match=message):
        gm.set_params(prior=VBPrior(**prior)).fit(faithful)
    np.testing.assert_array_equal(gm.means_, means)  # the previous fit is intact


def test_bayesian_face_reports_bad_parameters_like_scikit_learn_would(faithful):
    with pytest.raises(ValueError, match="degrees_of_freedom=0.5 must exceed 1"):
        BayesianGaussianMixture(n_components=2, degrees_of_freedom_prior=0.5).fit(faithful)
    with pytest.raises(ValueError, match="is not one of"):
        BayesianGaussianMixture(weight_concentration_prior_type="dp").fit(faithful)


def test_a_constant_feature_gets_a_regularised_proper_default_covariance_prior():
    # the data's covariance is singular; the default prior adds 1e-6 of its mean variance to
    # the diagonal (docs/engines.md), as scikit-learn's BayesianGaussianMixture fits here
    X = np.column_stack([np.random.default_rng(0).normal(size=50), np.ones(50)])
    gm = GaussianMixture(2, engine="vb", random_state=0).fit(X)
    level = np.var(X[:, 0], ddof=1) / 2
    np.testing.assert_allclose(np.diag(gm.prior_.covariance)[1], 1e-6 * level, rtol=1e-12)
    assert np.all(np.isfinite(gm.score_samples(X)))
    with pytest.raises(ValueError, match=r"every feature is constant.*VBPrior\(covariance=...\)"):
        GaussianMixture(1, engine="vb").fit(np.ones((20, 2)))


def state_equal_to_the_prior(engine):
    """A VBState whose q(theta) is the prior itself (so KL(q || p) = 0)."""
    from bayesgmm.engines.vb import VBState

    prior, family, K = engine.prior, engine.family, engine.n_components
    nu0 = prior.degrees_of_freedom
    covariance = prior.covariance / nu0  # scikit-learn stores W^-1 / nu
    if family.covariance_dims[0] == "component":
        covariance = np.broadcast_to(
            covariance, family.covariance_shape(K, engine.n_features)
        ).copy()
    if prior.weight_prior == "dirichlet_process":
        concentration = (np.ones(K), np.full(K, prior.weight_concentration))
    else:
        concentration = np.full(K, prior.weight_concentration)
    return VBState(
        weight_concentration=concentration,
        mean_precision=np.full(K, prior.mean_precision),
        means=np.tile(prior.mean, (K, 1)),
        degrees_of_freedom=np.asarray(nu0) if family.name == "tied" else np.full(K, nu0),
        covariances=covariance,
        precisions_cholesky=family.precision_cholesky(covariance),
        prior=prior,
    )


@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_kl_of_the_prior_from_itself_is_zero(covariance_type, weight_prior):
    X = make_mixture(100, 3, 2, seed=0)
    spec = ModelSpec(
        n_components=3,
        covariance_type=covariance_type,
        engine="vb",
        prior=VBPrior(weight_prior, 0.3, 2.0, None, 4.5),
    )
    engine = make_engine(spec, InMemoryData(X))
    assert engine.penalty(state_equal_to_the_prior(engine)) == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize(
    "covariance_type, weight_prior",
    [("full", "dirichlet_process"), ("diag", "dirichlet_distribution")],
)
def test_kl_matches_a_monte_carlo_estimate_from_scipy_densities(covariance_type, weight_prior):
    """-penalty = E_q[ln q(theta) - ln p(theta)], estimated by sampling q with scipy.stats."""
    from scipy import stats

    X = make_mixture(150, 2, 2, seed=1)
    R = np.random.default_rng(3).dirichlet(np.ones(2), size=len(X))
    spec = ModelSpec(
        n_components=2,
        covariance_type=covariance_type,
        engine="vb",
        prior=VBPrior(weight_prior, 0.5),
        reg_covar=0,
    )
    engine = make_engine(spec, InMemoryData(X))
    state = engine.mstep(statistics_from_assignment(X, 2, engine.family.kernel == "diag", resp=R))
    prior, rng, draws = state.prior, np.random.default_rng(4), 4000
    W0 = np.linalg.inv(np.diag(prior.covariance) if covariance_type == "diag" else prior.covariance)
    samples = np.zeros(draws)
    if state.is_process:
        for a, b in zip(*state.weight_concentration):
            v = stats.beta(a, b).rvs(draws, random_state=rng)
            samples += stats.beta(a, b).logpdf(v) - stats.beta(
                1.0, prior.weight_concentration
            ).logpdf(v)
    else:
        alpha = state.weight_concentration
        pi = stats.dirichlet(alpha).rvs(draws, random_state=rng).T
        samples += stats.dirichlet(alpha).logpdf(pi) - stats.dirichlet(
            np.full(2, prior.weight_concentration)
        ).logpdf(pi)
    D = 2
    for k in range(2):
        nu = state.degrees_of_freedom[k]
        W = np.linalg.inv(
            np.atleast_2d(
                np.diag(state.covariances[k]) if covariance_type == "diag" else state.covariances[k]
            )
            * nu
        )
        q_lambda, p_lambda = (
            stats.wishart(df=nu, scale=W),
            stats.wishart(df=prior.degrees_of_freedom, scale=W0),
        )
        lambdas = q_lambda.rvs(draws, random_state=rng)
        samples += q_lambda.logpdf(np.moveaxis(lambdas, 0, -1)) - p_lambda.logpdf(
            np.moveaxis(lambdas, 0, -1)
        )
        # mu | Lambda ~ N(m, (beta Lambda)^-1) under q, N(m0, (beta0 Lambda)^-1) under p
        beta, beta0 = state.mean_precision[k], prior.mean_precision
        root = np.linalg.cholesky(np.linalg.inv(beta * lambdas))
        mu = state.means[k] + np.einsum("nij,nj->ni", root, rng.standard_normal((draws, D)))
        dq, dp = mu - state.means[k], mu - prior.mean
        samples += (
            0.5 * D * np.log(beta / beta0)
            - 0.5 * beta * np.einsum("ni,nij,nj->n", dq, lambdas, dq)
            + 0.5 * beta0 * np.einsum("ni,nij,nj->n", dp, lambdas, dp)
        )
    error = samples.std() / np.sqrt(draws)
    assert -engine.penalty(state) == pytest.approx(samples.mean(), abs=4 * error)
    assert error < 0.05 * abs(samples.mean())  # the check has teeth
