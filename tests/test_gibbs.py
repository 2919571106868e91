"""engine="gibbs": the data-augmentation Gibbs sampler under MAP's conjugate prior.

Kept cheap (this file's budget is about 30 s on a cold Numba cache, the two
sampling kernels' first compile included): small data, short chains, and the
sampling loop called directly where a whole estimator would add nothing.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats as scipy_stats

import bayesgmm
from bayesgmm import GaussianMixture, MAPPrior
from bayesgmm.data.allocation import allocate
from bayesgmm.data.sources import InMemoryData
from bayesgmm.datasets import load_faithful
from bayesgmm.densities import log_rho
from bayesgmm.diagnostics import loo
from bayesgmm.families import family_named
from bayesgmm.fitting.loop import initial_state, make_engine, run_em_loop
from bayesgmm.spec import ModelSpec
from bayesgmm.stats import GaussianTerms

FAITHFUL = np.asarray(load_faithful(), dtype=np.float64)


# ------------------------------------------------------------------ the kernel
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_allocation_kernel_matches_numpy(covariance_type):
    """Allocations by inverse CDF on the responsibilities, hard statistics with sample weights,
    the pivot agreement table and the log-likelihood, against a NumPy reference."""
    rng = np.random.default_rng(0)
    N, D, K = 700, 3, 3
    X = rng.normal(size=(N, D)) + rng.integers(0, 3, size=N)[:, None]
    family = family_named(covariance_type)
    means = rng.normal(size=(K, D))
    covariances = (
        np.array([np.eye(D) * (k + 1) for k in range(K)])
        if covariance_type == "full"
        else np.arange(1.0, K * D + 1).reshape(K, D) / D
    )
    terms = GaussianTerms.gaussian(
        family, np.log([0.2, 0.3, 0.5]), means, family.precision_cholesky(covariances)
    )
    uniforms, weights = rng.random(N), rng.random(N) * 2
    weights[:10] = 0.0
    pivot = rng.integers(0, K, size=N)
    allocation = np.empty(N, dtype=np.int64)
    stats, agreement = allocate(X, terms, uniforms, weights, pivot=pivot, allocation=allocation)

    rho = log_rho(X, terms)
    probabilities = np.exp(rho - rho.max(axis=1, keepdims=True))
    cumulative = np.cumsum(probabilities, axis=1)
    expected = np.minimum((cumulative <= (uniforms * cumulative[:, -1])[:, None]).sum(1), K - 1)
    np.testing.assert_array_equal(allocation, expected)
    deviations = X - means[expected]
    for k in range(K):
        rows = expected == k
        w = weights[rows]
        np.testing.assert_allclose(stats.nk[k], w.sum(), rtol=1e-12)
        np.testing.assert_allclose(stats.sx[k], w @ deviations[rows], rtol=1e-10, atol=1e-12)
        scatter = np.einsum("n,ni,nj->ij", w, deviations[rows], deviations[rows])
        want = scatter if covariance_type == "full" else np.diag(scatter)
        np.testing.assert_allclose(stats.sxx[k], want, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(
            agreement[k], np.bincount(pivot[rows], weights=w, minlength=K), rtol=1e-12
        )
    log_density = np.log(probabilities.sum(axis=1)) + rho.max(axis=1)
    np.testing.assert_allclose(stats.loglik, weights @ log_density, rtol=1e-12)
    assert stats.total_weight == pytest.approx(weights.sum())


# ------------------------------------------------------------------ K = 1: the exact NIW posterior
def _chains(X, spec: ModelSpec):
    """Run the sampler of ``spec`` on ``X``; the state holding the draws (warnings silenced:
    short chains may not pass the mixing check)."""
    data = InMemoryData(np.ascontiguousarray(X, dtype=np.float64))
    engine = make_engine(spec, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = initial_state(engine, data, np.random.default_rng(spec.random_state))
        state, _, _ = run_em_loop(engine, data, state)
    return engine, state


def test_one_component_draws_are_the_normal_inverse_wishart_posterior():
    """With K = 1 every sweep is an independent draw of the closed-form NIW posterior:
    the draws' means of mu and Sigma agree with it within 4 Monte Carlo standard errors."""
    rng = np.random.default_rng(1)
    X = rng.multivariate_normal([1.0, -2.0], [[2.0, 0.6], [0.6, 1.0]], size=30)
    prior = MAPPrior(mean=[0.0, 0.0], shrinkage=0.5, degrees_of_freedom=5.0, scale=np.eye(2))
    spec = ModelSpec(
        n_components=1, engine="gibbs", prior=prior, n_chains=1, n_draws=600, n_warmup=1,
        random_state=2,
    )  # fmt: skip
    _, state = _chains(X, spec)
    draws = state.draws
    mu_draws = draws.means[0, :, 0]
    sigma_draws = draws.covariances[0, :, 0]
    # the posterior written out independently of the package
    n, xbar = len(X), X.mean(axis=0)
    scatter = (X - xbar).T @ (X - xbar)
    kappa_n, nu_n = 0.5 + n, 5.0 + n
    mu_n = n * xbar / kappa_n
    psi_n = np.eye(2) + scatter + 0.5 * n / kappa_n * np.outer(xbar, xbar)
    sigma_mean = psi_n / (nu_n - 2 - 1)
    S = len(mu_draws)
    for estimate, exact, spread in (
        (mu_draws.mean(0), mu_n, mu_draws.std(0)),
        (sigma_draws.mean(0), sigma_mean, sigma_draws.std(0)),
    ):
        assert np.all(np.abs(estimate - exact) < 4 * spread / np.sqrt(S)), (estimate, exact)
    np.testing.assert_allclose(draws.weights, 1.0)


# ------------------------------------------------------------------ simulation-based calibration
def _prior_draw(rng, prior: MAPPrior, K: int, D: int):
    """Weights, means and covariances drawn from a MAPPrior (full covariances)."""
    weights = rng.dirichlet(np.broadcast_to(prior.weight_concentration, (K,)))
    covariances = scipy_stats.invwishart.rvs(
        df=prior.degrees_of_freedom, scale=np.atleast_2d(prior.scale), size=K, random_state=rng
    ).reshape(K, D, D)
    means = np.array(
        [rng.multivariate_normal(prior.mean, c / prior.shrinkage) for c in covariances]
    )
    return weights, means, covariances


def _sbc_ranks(D: int, replications: int, seed: int, fitted_shrinkage: float | None = None):
    """Talts et al. (2018): the rank of the true value of two label-invariant statistics (the
    largest weight, the sum of the means' first coordinates) among L = 4 posterior draws
    (thinned by 3 after 10 warmup sweeps) of 20 rows drawn from the prior; K = 2.
    ``fitted_shrinkage`` fits with another prior than the one the data come from."""
    rng = np.random.default_rng(seed)
    K, N, n_draws = 2, 20, 4
    prior = MAPPrior(
        weight_concentration=2.0, mean=np.zeros(D), shrinkage=0.1,
        degrees_of_freedom=D + 3.0, scale=np.eye(D),
    )  # fmt: skip
    fitted = prior if fitted_shrinkage is None else replace(prior, shrinkage=fitted_shrinkage)
    ranks = []
    for _ in range(replications):
        weights, means, covariances = _prior_draw(rng, prior, K, D)
        labels = rng.choice(K, size=N, p=weights)
        X = np.array([rng.multivariate_normal(means[z], covariances[z]) for z in labels])
        spec = ModelSpec(
            n_components=K, engine="gibbs", prior=fitted, n_chains=1, n_draws=n_draws,
            n_warmup=10, thin=3, random_state=int(rng.integers(2**31)),
        )  # fmt: skip
        _, state = _chains(X, spec)
        draws = state.draws
        ranks.append(
            [
                int((draws.weights[0].max(axis=1) < weights.max()).sum()),
                int((draws.means[0, :, :, 0].sum(axis=1) < means[:, 0].sum()).sum()),
            ]
        )
    return np.array(ranks), n_draws + 1


@pytest.mark.parametrize("D, seed", [(1, 11), (2, 12)])
def test_simulation_based_calibration(D, seed):
    """Ranks uniform on 0..4 for 50 data sets drawn from the prior (seeds 11 and 12): a
    chi-square test of each statistic's rank counts must not reject at the 0.1 % level."""
    ranks, bins = _sbc_ranks(D, replications=50, seed=seed)
    for column in ranks.T:
        p_value = scipy_stats.chisquare(np.bincount(column, minlength=bins)).pvalue
        assert p_value > 1e-3, (np.bincount(column, minlength=bins), p_value)


def test_calibration_check_can_fail():
    """The same test rejects a sampler given the wrong prior: fitted with shrinkage 50 instead
    of 0.1, the means' draws huddle at the prior mean and the true sums of the means rank at
    the extremes (seed 13, 40 data sets, 1-D)."""
    ranks, bins = _sbc_ranks(1, replications=40, seed=13, fitted_shrinkage=50.0)
    counts = np.bincount(ranks[:, 1], minlength=bins)
    assert scipy_stats.chisquare(counts).pvalue < 1e-3, counts


# ------------------------------------------------------------------ Old Faithful, 4 chains
@pytest.fixture(scope="module")
def faithful_fit():
    return GaussianMixture(2, engine="gibbs", random_state=0, n_draws=250, n_warmup=100).fit(
        FAITHFUL
    )


def test_faithful_chains_mix_and_agree_with_map(faithful_fit):
    import arviz as az

    tree = faithful_fit.to_arviz(FAITHFUL, posterior_predictive=True, random_state=1)
    replicates = tree.posterior_predictive["x"]
    assert replicates.dims == ("chain", "draw", "obs_id", "feature")
    np.testing.assert_allclose(
        replicates.mean(("chain", "draw", "obs_id")), FAITHFUL.mean(0), rtol=0.01
    )
    assert dict(tree.posterior.sizes)["chain"] == 4
    assert dict(tree.posterior.sizes)["draw"] == 250
    rhat = az.rhat(tree, var_names=["weights", "means"])
    assert float(rhat["weights"].max()) < 1.01
    assert float(rhat["means"].max()) < 1.01
    assert tree.log_likelihood["x"].shape == (4, 250, len(FAITHFUL))
    assert tree.sample_stats["lp"].shape == (4, 250)
    assert tree.attrs["posterior_kind"] == "mcmc"
    assert tree.attrs["label_switching"].startswith("ECR")
    map_fit = GaussianMixture(2, engine="map", random_state=0).fit(FAITHFUL)
    np.testing.assert_allclose(np.sort(faithful_fit.weights_), np.sort(map_fit.weights_), atol=0.02)
    assert np.isfinite(loo(faithful_fit, FAITHFUL).elpd)
    assert faithful_fit.converged_  # the chains mixed
    assert faithful_fit.n_iter_ == 4 * (100 + 250)


def test_faithful_summary_and_compare_report_mixing(faithful_fit):
    text = faithful_fit.result_.summary()
    assert "4 chains x 250 draws" in text and "R-hat" in text and "mixed" in text
    map_fit = GaussianMixture(2, engine="map", random_state=0).fit(FAITHFUL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = bayesgmm.compare({"gibbs": faithful_fit, "map": map_fit}, FAITHFUL, draws=100)
    assert not [w for w in caught if "ignored" in str(w.message)]  # the chains are the draws
    gibbs = table.sel(model="gibbs")
    assert float(gibbs.rhat) < 1.01 and float(gibbs.ess_bulk) > 100
    assert int(gibbs.draws) == 1000
    assert np.isnan(float(table.sel(model="map").rhat))


def test_save_and_load_keep_the_draws(faithful_fit, tmp_path):
    path = bayesgmm.save(faithful_fit, tmp_path / "gibbs.nc")
    loaded = bayesgmm.load(path)
    np.testing.assert_array_equal(loaded.predict(FAITHFUL), faithful_fit.predict(FAITHFUL))
    saved, read = faithful_fit.result_.engine_variables, loaded.result_.engine_variables
    assert {"draw_weights", "draw_means", "draw_covariances", "draw_log_posterior"} <= set(read)
    for name, (dims, values) in saved.items():
        assert read[name][0] == tuple(dims)
        np.testing.assert_array_equal(read[name][1], values)


def test_a_seeded_fit_is_reproducible():
    settings = dict(engine="gibbs", random_state=5, n_draws=20, n_warmup=5, n_chains=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = GaussianMixture(2, **settings).fit(FAITHFUL)
        second = GaussianMixture(2, **settings).fit(FAITHFUL)
    np.testing.assert_array_equal(first.means_, second.means_)
    np.testing.assert_array_equal(first.result_.trace, second.result_.trace)


def test_short_chains_warn_that_they_did_not_mix():
    with pytest.warns(Warning, match="did not mix"):
        model = GaussianMixture(2, engine="gibbs", random_state=0, n_draws=10, n_warmup=2)
        model.fit(FAITHFUL)
    assert not model.converged_


# ------------------------------------------------------------------ select, pruning, families
def _two_clusters(seed=0, n=40):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(-3, 1, n // 2), rng.normal(3, 1, n // 2)])[:, None]


def test_select_and_pruning_run_the_sampler():
    X = _two_clusters()
    short = dict(n_chains=2, n_draws=40, n_warmup=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = bayesgmm.select(
            X, n_components=[1, 2], covariance_type="full", engine="gibbs", random_state=0,
            progress=False, **short,
        )  # fmt: skip
        assert np.all(np.isfinite(table.bic.values))
        model = GaussianMixture(3, engine="gibbs", random_state=0, **short).fit(X)
        lightest = float(model.weights_.min())
        pruned = model.result_.prune(lightest + 1e-9, X)
    assert pruned.n_components == 2
    assert pruned.pruning is not None and pruned.pruning.n_steps >= 1
    tree = GaussianMixture.from_result(pruned).to_arviz(X)
    assert tree.posterior["weights"].shape == (2, 40, 2)


def test_what_the_sampler_cannot_do_is_refused_clearly():
    with pytest.raises(ValueError, match="learning_method='online' changes how an optimiser"):
        GaussianMixture(2, engine="gibbs", learning_method="online").fit(FAITHFUL)
    model = GaussianMixture(2, engine="gibbs")
    with pytest.raises(ValueError, match="partial_fit makes mini-batch EM updates"):
        model.partial_fit(FAITHFUL)
    assert not hasattr(model, "result_")
    for option in ({"missing": "marginalize"}, {"noise": True}):
        with pytest.raises(ValueError, match="is not available with engine='gibbs'"):
            GaussianMixture(2, engine="gibbs", **option).fit(FAITHFUL)


def test_families_without_a_conjugate_conditional_are_refused():
    model = GaussianMixture(2, engine="gibbs", covariance_type="VEV")
    with pytest.raises(ValueError, match="full, tied, diag, spherical"):
        model.fit(FAITHFUL)
    assert not hasattr(model, "result_")


@pytest.mark.parametrize("covariance_type", ["tied", "spherical", "EEI"])
def test_other_conjugate_families_sample(covariance_type):
    X = np.column_stack([_two_clusters(1)[:, 0], _two_clusters(2)[:, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(
            2, engine="gibbs", covariance_type=covariance_type, random_state=0, n_chains=2,
            n_draws=30, n_warmup=10,
        ).fit(X)  # fmt: skip
    tree = model.to_arviz(X)
    assert tree.posterior["covariances"].dims[:2] == ("chain", "draw")
    assert np.all(np.isfinite(model.score_samples(X)))


def test_dask_data_are_refused_with_a_clear_error():
    da = pytest.importorskip("dask.array")
    import dask

    model = GaussianMixture(2, engine="gibbs", n_draws=5, n_warmup=1)
    with (
        dask.config.set(scheduler="synchronous"),
        pytest.raises(NotImplementedError, match="fit in-memory data"),
    ):
        model.fit(da.from_array(FAITHFUL, chunks=100))
    assert not hasattr(model, "result_")
