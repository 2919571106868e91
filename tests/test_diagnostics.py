"""ArviZ DataTrees of posterior draws, PSIS-LOO and compare: the draws follow the stated
posteriors, the log-likelihood is each draw's density, and the table agrees with ArviZ."""

import arviz as az
import numpy as np
import pytest
import xarray as xr
from conftest import COVARIANCE_TYPES, make_mixture
from reference import full_covariances, log_rho
from scipy import stats as scipy_stats
from scipy.special import logsumexp

import bayesgmm
from bayesgmm import GaussianMixture, MAPPrior, NotFittedError, VBPrior
from bayesgmm.data import InMemoryData
from bayesgmm.datasets import load_faithful
from bayesgmm.diagnostics import (
    DEFAULT_DRAWS,
    MIN_LOO_DRAWS,
    compare_frame,
    loo,
    map_posterior,
    posterior_draws,
)
from bayesgmm.engines.base import mixture_terms
from bayesgmm.fitting.loop import make_engine
from bayesgmm.stats import accumulate

MC_DRAWS = 4000
# a Monte-Carlo mean within 5 of its standard errors: a false alarm has odds ~1e-6 per entry
Z_LIMIT = 5.0


@pytest.fixture(scope="module")
def X():
    return load_faithful()


@pytest.fixture(scope="module")
def Z(X):
    return ((X - X.mean("sample")) / X.std("sample")).values


def assert_mc_mean(draws, expected, what):
    """The mean over axis 0 of ``draws`` agrees with ``expected`` within Z_LIMIT standard errors."""
    draws = np.asarray(draws)
    standard_error = draws.std(axis=0, ddof=1) / np.sqrt(draws.shape[0])
    z = (draws.mean(axis=0) - expected) / standard_error
    assert np.all(np.abs(z) < Z_LIMIT), f"{what}: z-scores {z}"


def drawn_precisions(covariance_type, covariances):
    """Per-draw precision (full matrices or per-feature values) from the drawn covariances."""
    if covariance_type in ("full", "tied"):
        return np.linalg.inv(covariances)
    return 1.0 / covariances


def standardised_mean_offsets(covariance_type, means, centre, mean_precision, precisions):
    """``sqrt(beta_k) U^T (mu - m)``: standard normal if mu | P ~ N(m, (beta P)^-1)."""
    offsets = (means - centre) * np.sqrt(mean_precision)[:, None]
    if covariance_type in ("full", "tied"):
        per_component = precisions if covariance_type == "full" else precisions[:, None]
        factor = np.linalg.cholesky(per_component)  # L L^T = P, L^T (mu - m) ~ N(0, I / beta)
        return np.einsum("skji,skj->ski", factor, offsets)
    per_feature = precisions if covariance_type == "diag" else precisions[..., None]
    return offsets * np.sqrt(per_feature)


def assert_standard_normal(z, what):
    flat = z.reshape(z.shape[0], -1)
    assert_mc_mean(flat, 0.0, f"{what} mean")
    assert_mc_mean(flat**2, 1.0, f"{what} variance")


# ------------------------------------------------------------------ draws
def test_wishart_sampler_matches_the_wishart_distribution():
    from bayesgmm.engines.draws import wishart as _wishart

    rng = np.random.default_rng(0)
    D, dof = 3, 3.5  # few degrees of freedom: an off-by-one in Bartlett's chi-squares shows
    A = rng.normal(size=(D, D))
    scale = A @ A.T + np.eye(D)
    rotation = np.linalg.qr(rng.normal(size=(D, D)))[0]
    root = np.linalg.cholesky(scale) @ rotation  # any square root of the scale will do
    draws = _wishart(np.random.default_rng(1), np.asarray(dof), root, 20000)
    reference = scipy_stats.wishart(df=dof, scale=scale)
    assert_mc_mean(draws, reference.mean(), "mean")
    assert_mc_mean((draws - reference.mean()) ** 2, reference.var(), "variance")
    # E[ln|W|] = sum_i digamma((dof - i) / 2) + D ln 2 + ln|scale|  (Bishop, PRML B.81)
    from scipy.special import digamma

    expected = digamma((dof - np.arange(D)) / 2).sum() + D * np.log(2) + np.linalg.slogdet(scale)[1]
    assert_mc_mean(np.linalg.slogdet(draws)[1], expected, "log-determinant")


@pytest.mark.parametrize("weight_prior", ["dirichlet_distribution", "dirichlet_process"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_vb_draws_follow_the_variational_posterior(covariance_type, weight_prior, X):
    gm = GaussianMixture(
        3, covariance_type=covariance_type, engine="vb", prior=VBPrior(weight_prior), random_state=0
    ).fit(X)
    draws = posterior_draws(gm, draws=MC_DRAWS, random_state=1)
    assert draws.kind == "variational" and draws.weights.shape == (MC_DRAWS, 3)
    if weight_prior == "dirichlet_process":
        a, b = gm.weight_concentration_
        assert_mc_mean(draws.stick_fractions, a / (a + b), "sticks")
        v = draws.stick_fractions
        broken = v * np.column_stack([np.ones(MC_DRAWS), np.cumprod(1 - v, axis=1)[:, :-1]])
        np.testing.assert_allclose(
            draws.weights, broken / broken.sum(axis=1, keepdims=True), rtol=1e-12
        )
    else:
        alpha = gm.weight_concentration_
        assert draws.stick_fractions is None
        assert_mc_mean(draws.weights, alpha / alpha.sum(), "weights")
    # E[Lambda_k] = nu_k W_k, the inverse of the stored covariances_
    precisions = drawn_precisions(covariance_type, draws.covariances)
    assert_mc_mean(precisions, gm.precisions_, "precisions")
    # Var of a Wishart's diagonal (and of its Gamma marginals): 2 E[Lambda_ii]^2 / nu
    nu = np.asarray(gm.degrees_of_freedom_)
    matrices = covariance_type in ("full", "tied")
    diagonal = np.diagonal(precisions, axis1=-2, axis2=-1) if matrices else precisions
    expected_diagonal = (
        np.diagonal(gm.precisions_, axis1=-2, axis2=-1) if matrices else gm.precisions_
    )
    nu = nu[:, None] if covariance_type in ("full", "diag") else nu
    assert_mc_mean(
        (diagonal - expected_diagonal) ** 2, 2 * expected_diagonal**2 / nu, "precision variance"
    )
    z = standardised_mean_offsets(
        covariance_type, draws.means, gm.means_, gm.mean_precision_, precisions
    )
    assert_standard_normal(z, "means given precisions")


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_map_draws_follow_the_conjugate_posterior(covariance_type, X):
    gm = GaussianMixture(2, covariance_type=covariance_type, engine="map", random_state=0).fit(X)
    posterior = map_posterior(gm, X)
    draws = posterior_draws(gm, X, draws=MC_DRAWS, random_state=2)
    assert draws.kind == "conjugate_given_responsibilities"
    alpha = posterior.weight_concentration
    assert_mc_mean(draws.weights, alpha / alpha.sum(), "weights")
    # scipy's parameterisations of the posterior as the docstring states it
    nu, scale = posterior.degrees_of_freedom, posterior.scale
    if covariance_type == "full":
        expected = np.stack([scipy_stats.invwishart(df, s).mean() for df, s in zip(nu, scale)])
    elif covariance_type == "tied":
        expected = scipy_stats.invwishart(float(nu), scale).mean()
    elif covariance_type == "diag":
        expected = scipy_stats.invgamma(nu[:, None], scale=scale).mean()
    else:
        expected = scipy_stats.invgamma(nu, scale=scale).mean()
    assert_mc_mean(draws.covariances, expected, "covariances")
    precisions = drawn_precisions(covariance_type, draws.covariances)
    assert_mc_mean(precisions, posterior.expected_precisions(), "precisions")
    z = standardised_mean_offsets(
        covariance_type, draws.means, posterior.mean, posterior.mean_precision, precisions
    )
    assert_standard_normal(z, "means given covariances")


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_map_posterior_mode_is_the_map_estimate(covariance_type, X):
    gm = GaussianMixture(
        2, covariance_type=covariance_type, engine="map", tol=1e-12, max_iter=1000, random_state=0
    ).fit(X)
    data = X.values
    mode = map_posterior(gm, X).mode()
    # the mode given the fitted model's responsibilities is the engine's M-step on them ...
    engine = make_engine(gm.result_.spec, InMemoryData(data))
    step = engine.mstep(
        accumulate(data, mixture_terms(gm.result_.spec.family, gm.result_.parameters))
    )
    for name in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            getattr(mode, name), getattr(step.parameters, name), rtol=1e-12, err_msg=name
        )
    # ... and so, at convergence, the fitted MAP estimate (EM steps converge linearly:
    # a per-sample objective change of 1e-12 leaves the parameters within ~1e-7)
    for name in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            getattr(mode, name), getattr(gm, f"{name}_"), rtol=1e-6, err_msg=name
        )


def test_map_posterior_uses_the_fitted_prior(X):
    prior = MAPPrior(
        weight_concentration=5.0,
        shrinkage=2.0,
        degrees_of_freedom=7.0,
        mean=[3.0, 70.0],
        scale=np.diag([0.5, 40.0]),
    )
    gm = GaussianMixture(2, engine="map", prior=prior, random_state=0).fit(X)
    posterior = map_posterior(gm, X)
    nk = gm.predict_proba(X).sum(axis=0)
    np.testing.assert_allclose(posterior.weight_concentration, 5.0 + nk, rtol=1e-10)
    np.testing.assert_allclose(posterior.mean_precision, 2.0 + nk, rtol=1e-10)
    np.testing.assert_allclose(posterior.degrees_of_freedom, 7.0 + nk, rtol=1e-10)
    with pytest.raises(ValueError, match="needs an engine='map' fit"):
        map_posterior(GaussianMixture(2, random_state=0).fit(X), X)


# ------------------------------------------------------------- DataTree
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("engine", ["vb", "map"])
def test_log_likelihood_group_is_each_draws_pointwise_density(engine, covariance_type):
    Xs = make_mixture(150, 3, 2, separation=3.0, seed=4)
    gm = GaussianMixture(2, covariance_type=covariance_type, engine=engine, random_state=0).fit(Xs)
    tree = gm.to_arviz(Xs, draws=MIN_LOO_DRAWS, random_state=0)
    posterior, log_likelihood = tree["posterior"], tree["log_likelihood"]["x"]
    assert log_likelihood.dims == ("chain", "draw", "obs_id") and log_likelihood.shape == (
        1,
        25,
        150,
    )
    for draw in (0, 11, 24):
        theta = posterior.isel(chain=0, draw=draw)
        covariances = full_covariances(covariance_type, theta.covariances.values, 2, 3)
        expected = logsumexp(
            log_rho(Xs, theta.weights.values, theta.means.values, covariances), axis=1
        )
        np.testing.assert_allclose(log_likelihood.isel(chain=0, draw=draw), expected, rtol=1e-10)
    # draws differ from each other and from the point estimate
    assert np.ptp(posterior.means.values[0, :, 0, 0]) > 0
    np.testing.assert_array_equal(tree["observed_data"]["x"].values, Xs)


def test_datatree_has_named_dims_and_round_trips_through_netcdf(X, tmp_path):
    gm = GaussianMixture(2, covariance_type="full", engine="vb", random_state=0).fit(X)
    tree = gm.to_arviz(X, draws=100, random_state=0)
    assert set(tree.children) == {"posterior", "log_likelihood", "observed_data"}
    posterior = tree["posterior"]
    assert posterior.weights.dims == ("chain", "draw", "component")
    assert posterior.means.dims == ("chain", "draw", "component", "feature")
    assert posterior.covariances.dims == ("chain", "draw", "component", "feature", "feature2")
    # the default weight prior is a Dirichlet process
    assert posterior.stick_fractions.dims == ("chain", "draw", "component")
    assert (
        list(posterior.feature.values)
        == ["eruptions", "waiting"]
        == list(posterior.feature2.values)
    )
    assert tree["observed_data"]["x"].dims == ("obs_id", "feature")
    assert posterior.sizes["chain"] == 1 and tree.attrs["draws_are_independent"] == 1
    assert (
        tree.attrs["posterior_kind"] == "variational" and "R-hat do not apply" in tree.attrs["note"]
    )
    assert tree.attrs["random_state"] == 0 and tree.attrs["engine"] == "vb"
    # the covariances are in the family's own shape, as in to_dataset
    tied = GaussianMixture(2, covariance_type="tied", engine="map", random_state=0).fit(X)
    tied_tree = tied.to_arviz(X, draws=30, random_state=0)
    expected_dims = ("chain", "draw") + tied.to_dataset().covariances.dims
    assert tied_tree["posterior"].covariances.dims == expected_dims
    path = tmp_path / "tree.nc"
    tree.to_netcdf(path, engine="h5netcdf")
    with xr.open_datatree(path, engine="h5netcdf") as loaded:
        xr.testing.assert_identical(loaded.load(), tree)


def test_draws_are_reproducible_and_the_seed_is_recorded(X):
    gm = GaussianMixture(3, engine="map", covariance_type="diag", random_state=0).fit(X)

    def numbers(tree):
        return {
            name: tree[group][name].values
            for group, name in [
                ("posterior", "weights"),
                ("posterior", "covariances"),
                ("log_likelihood", "x"),
            ]
        }

    first, again = (
        gm.to_arviz(X, draws=50, random_state=7),
        gm.to_arviz(X, draws=50, random_state=7),
    )
    for name, values in numbers(first).items():
        np.testing.assert_array_equal(values, numbers(again)[name], err_msg=name)
    other = gm.to_arviz(X, draws=50, random_state=8)
    assert not np.array_equal(numbers(other)["weights"], numbers(first)["weights"])
    unseeded = gm.to_arviz(X, draws=50)
    rebuilt = gm.to_arviz(X, draws=50, random_state=unseeded.attrs["random_state"])
    np.testing.assert_array_equal(numbers(rebuilt)["x"], numbers(unseeded)["x"])
    from_result = gm.result_.to_arviz(X, draws=50, random_state=7)
    np.testing.assert_array_equal(
        from_result["posterior"].means.values, first["posterior"].means.values
    )


@pytest.mark.parametrize("engine", ["vb", "map"])
def test_draws_depend_only_on_the_saved_fit(engine, Z, tmp_path):
    gm = GaussianMixture(10, engine=engine, covariance_type="tied", prune=0.05, random_state=0).fit(
        Z
    )
    tree = gm.to_arviz(Z, draws=50, random_state=0)
    assert tree["posterior"].sizes["component"] == gm.n_components_fitted < 10
    loaded = bayesgmm.load(bayesgmm.save(gm, tmp_path / "fit.nc"))
    again = loaded.to_arviz(Z, draws=50, random_state=0)
    for group, name in (
        ("posterior", "means"),
        ("posterior", "covariances"),
        ("log_likelihood", "x"),
    ):
        np.testing.assert_array_equal(again[group][name].values, tree[group][name].values)
    # float32 data stay float32 and give the same densities to float32 precision
    single = gm.to_arviz(Z.astype(np.float32), draws=50, random_state=0)
    assert single["observed_data"]["x"].dtype == np.float32
    np.testing.assert_allclose(
        single["log_likelihood"]["x"].values, tree["log_likelihood"]["x"].values, atol=1e-5
    )


def test_em_datatree_is_the_point_estimate_and_loo_refuses_it(X):
    gm = GaussianMixture(2, random_state=0).fit(X)
    tree = gm.to_arviz(X)
    assert tree.attrs["posterior_kind"] == "point_estimate" and tree["posterior"].sizes["draw"] == 1
    np.testing.assert_array_equal(tree["posterior"].means.values[0, 0], gm.means_)
    np.testing.assert_allclose(
        tree["log_likelihood"]["x"].values[0, 0], gm.score_samples(X), rtol=1e-12
    )
    with pytest.warns(UserWarning, match="draws=100 is ignored"):
        gm.to_arviz(X, draws=100)
    with pytest.raises(ValueError, match="point estimate, not a posterior"):
        loo(gm, X)
    with pytest.raises(Exception):
        az.loo(tree, reff=1.0)


def test_az_loo_runs_on_the_datatree_and_matches_loo(X):
    gm = GaussianMixture(2, engine="vb", random_state=0).fit(X)
    tree = gm.to_arviz(X, draws=200, random_state=3)
    direct = az.loo(tree, pointwise=True, reff=1.0)
    ours = loo(gm, X, draws=200, random_state=3)
    assert ours.elpd == pytest.approx(direct.elpd, rel=1e-12) and ours.n_samples == 200
    assert ours.n_data_points == 272
    # elpd_loo lies below the posterior-averaged training fit by p_loo > 0
    lppd = logsumexp(tree["log_likelihood"]["x"].values[0], axis=0).sum() - 272 * np.log(200)
    assert ours.elpd == pytest.approx(lppd - ours.p, rel=1e-10) and 0 < ours.p < 20


def test_bad_input_is_refused_and_nothing_is_mutated(X):
    gm = GaussianMixture(2, engine="vb", random_state=0).fit(X)
    before = gm.to_dataset()
    data = X.values.copy()
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture|X has 3 features"):
        gm.to_arviz(np.ones((272, 3)))
    with pytest.raises(ValueError, match="feature names"):
        gm.to_arviz(X.to_pandas()[["waiting", "eruptions"]])
    with pytest.raises(ValueError, match="X has 100 rows, but the model was fitted on 272"):
        gm.to_arviz(X[:100])
    with pytest.raises(ValueError, match=f"too few for PSIS-LOO.*at least {MIN_LOO_DRAWS} draws"):
        gm.to_arviz(X, draws=10)
    with pytest.raises(TypeError, match="draws must be an integer"):
        gm.to_arviz(X, draws=True)
    with pytest.raises(TypeError, match="random_state must be"):
        gm.to_arviz(X, draws=30, random_state="seed")
    with pytest.raises(NotFittedError, match="not fitted"):
        GaussianMixture(2).to_arviz(X)
    with pytest.raises(ValueError, match="pass X"):
        posterior_draws(GaussianMixture(2, engine="map", random_state=0).fit(X))
    gm.to_arviz(data, draws=30, random_state=0)
    np.testing.assert_array_equal(data, X.values)
    xr.testing.assert_identical(gm.to_dataset(), before)


def test_sample_weighted_fits_are_refused(X):
    weights = np.random.default_rng(0).integers(1, 4, size=272)
    gm = GaussianMixture(2, engine="map", random_state=0).fit(X, sample_weight=weights)
    with pytest.raises(
        ValueError, match=r"fitted with sample weights.*np.repeat\(X, weights, axis=0\)"
    ):
        gm.to_arviz(X, draws=30)


def test_default_draws_and_minimum():
    assert DEFAULT_DRAWS == 1000
    # ArviZ's PSIS needs floor(draws / 5) >= 5 tail draws: 24 fail, 25 work
    rng = np.random.default_rng(0)
    for draws, works in ((MIN_LOO_DRAWS - 1, False), (MIN_LOO_DRAWS, True)):
        tree = az.from_dict(
            {
                "posterior": {"mu": rng.normal(size=(1, draws))},
                "log_likelihood": {"x": rng.normal(size=(1, draws, 20))},
            }
        )
        if works:
            assert np.isfinite(az.loo(tree, reff=1.0).elpd)
        else:
            with pytest.raises(ValueError, match="n_draws_tail must be at least 5"):
                az.loo(tree, reff=1.0)


# ---------------------------------------------------------------- compare
@pytest.fixture(scope="module")
def faithful_models(X):
    settings = dict(tol=1e-6, max_iter=1000, random_state=0)
    return {
        "em K=2": GaussianMixture(2, **settings).fit(X),
        "map K=2": GaussianMixture(2, engine="map", **settings).fit(X),
        "vb K=6": GaussianMixture(6, engine="vb", **settings).fit(X).result_,
    }


def test_compare_table_agrees_with_criteria_table_and_arviz(faithful_models, X):
    table = bayesgmm.compare(faithful_models, X, draws=300, random_state=0)
    assert table.attrs["ranked_by"] == "loo" and table.attrs["draws"] == 300
    assert list(table.model.values) == ["map K=2", "vb K=6", "em K=2"]
    np.testing.assert_array_equal(table["rank"].values, [0, 1, 2])
    criteria = bayesgmm.criteria_table(faithful_models, X).sel(model=table.model)
    for name in ("bic", "aic", "icl", "log_likelihood", "n_parameters"):
        np.testing.assert_array_equal(table[name].values, criteria[name].values, err_msg=name)
    # the LOO columns are ArviZ's, from the DataTrees rebuilt with the recorded seeds
    elpd = {}
    for label in ("map K=2", "vb K=6"):
        seed = int(table.random_state.sel(model=label))
        tree = faithful_models[label].to_arviz(X, draws=300, random_state=seed)
        elpd[label] = az.loo(tree, pointwise=True, reff=1.0)
    expected = az.compare(elpd, round_to="none")
    for label in ("map K=2", "vb K=6"):
        row = table.sel(model=label)
        assert row.elpd_loo.item() == pytest.approx(expected.loc[label, "elpd"], rel=1e-12)
        assert row.se.item() == pytest.approx(expected.loc[label, "se"], rel=1e-12)
        assert row.p_loo.item() == pytest.approx(expected.loc[label, "p"], rel=1e-12)
        assert row.elpd_diff.item() == pytest.approx(expected.loc[label, "elpd_diff"], abs=1e-9)
        assert row.dse.item() == pytest.approx(expected.loc[label, "dse"], abs=1e-9)
        assert row.loo_weight.item() == pytest.approx(expected.loc[label, "weight"], abs=1e-9)
        assert row.good_k.item() == pytest.approx(elpd[label].good_k)
    assert (
        table.elpd_diff.sel(model="map K=2").item() == 0 and table.elpd_diff.sel(model="vb K=6") < 0
    )
    em = table.sel(model="em K=2")
    assert np.isnan(em.elpd_loo) and np.isnan(em.se) and em.draws == 1 and em.random_state == -1
    assert "point estimate" in str(em.loo_note.values) and em.posterior_kind == "point_estimate"
    assert not table.warning.any()


def test_compare_ranks_by_the_chosen_criterion(faithful_models, X):
    by_bic = bayesgmm.compare(
        faithful_models, X, draws=MIN_LOO_DRAWS, random_state=0, criterion="bic"
    )
    assert by_bic.attrs["ranked_by"] == "bic"
    assert np.all(np.diff(by_bic.bic.values) >= 0)
    assert list(by_bic.model.values)[0] == "em K=2"  # ML has the best BIC, and no LOO
    with pytest.raises(ValueError, match="criterion='waic' is not one of"):
        bayesgmm.compare(faithful_models, X, criterion="waic")


def test_compare_warns_about_high_pareto_k(Z):
    outlier = np.vstack([Z, [[6.0, -6.0]]])  # one point far from both clusters
    models = {
        f"map K={k}": GaussianMixture(k, engine="map", random_state=0).fit(outlier) for k in (2, 3)
    }
    with pytest.warns(UserWarning, match=r"Pareto k above good_k for .*map K=2 \(1 observation\)"):
        table = bayesgmm.compare(models, outlier, draws=200, random_state=0)
    assert (
        bool(table.warning.sel(model="map K=2")) and table.n_high_pareto_k.sel(model="map K=2") == 1
    )
    with pytest.warns(UserWarning, match="Pareto distribution is greater than"):  # ArviZ's own
        pointwise = loo(models["map K=2"], outlier, draws=200, random_state=0)
    assert int(np.argmax(np.asarray(pointwise.pareto_k))) == 272  # the outlier


def test_compare_with_one_loo_model_and_with_sample_weights(faithful_models, X):
    two = {label: faithful_models[label] for label in ("em K=2", "vb K=6")}
    table = bayesgmm.compare(two, X, draws=300, random_state=0)
    assert list(table.model.values) == ["vb K=6", "em K=2"]
    assert table.elpd_diff.sel(model="vb K=6") == 0 and table.loo_weight.sel(model="vb K=6") == 1
    weights = np.full(272, 2.0)
    weighted = bayesgmm.compare(two, X, draws=100, random_state=0, sample_weight=weights)
    assert np.isnan(weighted.elpd_loo).all()
    assert "sample-weighted" in str(weighted.loo_note.sel(model="vb K=6").values)
    expected = bayesgmm.criteria_table(two, X, sample_weight=weights).sel(model=weighted.model)
    np.testing.assert_array_equal(weighted.icl.values, expected.icl.values)


def test_compare_refuses_models_of_other_data(faithful_models, X):
    other = GaussianMixture(2, engine="vb", random_state=0).fit(make_mixture(272, 3, 2, seed=1))
    with pytest.raises(ValueError, match="fitted on 3 features, model 'em K=2' on 2"):
        bayesgmm.compare({**faithful_models, "3 features": other}, X)
    with pytest.raises(ValueError, match="X has 3 features"):
        bayesgmm.compare(faithful_models, np.ones((272, 3)))
    with pytest.raises(ValueError, match="X has 200 rows, but model 'em K=2' was fitted on 272"):
        bayesgmm.compare(faithful_models, X[:200])
    with pytest.raises(ValueError, match="too few for PSIS-LOO"):
        bayesgmm.compare(faithful_models, X, draws=5)
    with pytest.raises(TypeError, match="non-empty mapping"):
        bayesgmm.compare({}, X)
    with pytest.raises(ValueError, match="labels must differ as strings"):
        bayesgmm.compare({1: faithful_models["em K=2"], "1": faithful_models["map K=2"]}, X)
    with pytest.raises(TypeError, match="fitted GaussianMixture or a FitResult"):
        bayesgmm.compare({"unfitted": GaussianMixture(2)}, X)
    renamed_data = X.assign_coords(feature=["a", "b"]).to_pandas()
    renamed = GaussianMixture(2, engine="vb", random_state=0).fit(renamed_data)
    with pytest.raises(ValueError, match="fitted on features"):
        bayesgmm.compare({"em K=2": faithful_models["em K=2"], "renamed": renamed}, X)


def test_compare_frame_is_what_arviz_plots(faithful_models, X):
    table = bayesgmm.compare(faithful_models, X, draws=300, random_state=0)
    frame = compare_frame(table)
    assert list(frame.index) == ["map K=2", "vb K=6"]  # EM has no LOO row
    assert list(frame.columns) == [
        "rank",
        "elpd_diff",
        "dse",
        "p_worse",
        "diag_diff",
        "diag_elpd",
        "p",
        "elpd",
        "se",
        "weight",
    ]
    assert frame.loc["vb K=6", "elpd"] == table.elpd_loo.sel(model="vb K=6").item()
    with pytest.raises(ValueError, match="no model in the table has PSIS-LOO"):
        compare_frame(bayesgmm.compare({"em": faithful_models["em K=2"]}, X))
