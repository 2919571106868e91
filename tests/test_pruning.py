"""Pruning tiny components: generic over engines and families, recorded, saved, reproducible."""

import numpy as np
import pytest
import xarray as xr
from conftest import ASCENT_ENGINES, COVARIANCE_TYPES, make_mixture
from reference import full_covariances, log_rho
from scipy.special import logsumexp

import bayesgmm
from bayesgmm import GaussianMixture, prune_path
from bayesgmm.data import InMemoryData
from bayesgmm.engines import ENGINES
from bayesgmm.exceptions import EmptyComponentWarning
from bayesgmm.fitting.loop import make_engine
from bayesgmm.fitting.pruning import refit_survivors


@pytest.fixture(scope="module")
def clusters():
    return make_mixture(400, 2, 3, separation=6.0, seed=7)


@pytest.fixture(scope="module")
def separated_clusters():
    # three clusters every family resolves: run to scikit-learn's stopping rule (tol on the
    # summed ELBO), VB's diag and spherical fits of ``clusters`` merge two correlated ones
    return make_mixture(400, 2, 3, separation=10.0, seed=7)


@pytest.fixture(scope="module")
def standardised_faithful(faithful):
    return (faithful - faithful.mean(axis=0)) / faithful.std(axis=0)


def with_a_stray_component(X, K=4):
    """K - 1 means on the data and one far away: that component ends with ~no weight."""
    from scipy.cluster.vq import kmeans2

    centres, _ = kmeans2(X, K - 1, minit="++", seed=0)
    return np.vstack([centres, X.mean(axis=0) + 1e3 * X.std(axis=0)])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("engine", sorted(ASCENT_ENGINES))
def test_pruning_removes_every_component_below_the_threshold(
    engine, covariance_type, separated_clusters
):
    clusters = separated_clusters
    means = with_a_stray_component(clusters)
    unpruned = GaussianMixture(
        4, covariance_type=covariance_type, engine=engine, means_init=means, random_state=0
    )
    if ENGINES[engine].reseeds_empty_components:
        # without prune= the emptied stray component is re-seeded (docs/robustness.md) ...
        with pytest.warns(EmptyComponentWarning, match="lost all its points"):
            unpruned.fit(clusters)
        assert unpruned.weights_.min() > 1e-2
    else:
        unpruned.fit(clusters)
        assert unpruned.weights_.min() < 1e-2  # the stray component is there to be pruned
    # ... with prune= it is removed instead
    gm = GaussianMixture(
        4,
        covariance_type=covariance_type,
        engine=engine,
        means_init=means,
        random_state=0,
        prune=1e-2,
    ).fit(clusters)
    assert gm.n_components == 4 and gm.n_components_fitted == 3
    assert gm.weights_.min() >= 1e-2 and gm.converged_
    assert gm.weights_.sum() == pytest.approx(1.0, rel=1e-12)
    history = gm.result_.pruning
    assert history.n_steps == 1 and history.initial_n_components == 4
    assert list(history.removed_at_step) == [-1, -1, -1, 0]
    assert history.removed_weight[3] < 1e-2 and list(history.component_origin) == [0, 1, 2]
    assert history.n_components_before[0] == 4 and history.n_components_after[0] == 3
    assert 1 <= history.iteration[0] < gm.n_iter_
    assert np.isfinite(history.objective_before[0]) and np.isfinite(history.objective_after[0])
    if engine == "em":
        # the stray component had no responsibility: removing it changes no E-step, and EM
        # steps from there never lower the likelihood
        assert history.objective_after[0] >= history.objective_before[0] - 1e-12
    assert history.objective_after[0] == pytest.approx(gm.lower_bound_, abs=gm.tol)


@pytest.mark.parametrize("covariance_type", ["tied", "spherical"])
def test_pruning_repeats_until_no_weight_is_below(covariance_type, standardised_faithful):
    gm = GaussianMixture(10, covariance_type=covariance_type, random_state=0, prune=0.05)
    gm.fit(standardised_faithful)
    history = gm.result_.pruning
    assert history.n_steps >= 1 and gm.weights_.min() >= 0.05 and gm.converged_
    removed = history.removed_at_step >= 0
    assert removed.sum() == 10 - gm.n_components_fitted
    assert np.all(history.removed_weight[removed] < 0.05)
    assert np.all(np.isnan(history.removed_weight[~removed]))
    np.testing.assert_array_equal(np.flatnonzero(~removed), history.component_origin)
    # each step starts where the previous one ended
    np.testing.assert_array_equal(history.n_components_before[1:], history.n_components_after[:-1])
    np.testing.assert_allclose(
        history.objective_before[1:], history.objective_after[:-1], rtol=1e-12
    )
    assert np.all(np.diff(history.iteration) > 0)
    trace = np.asarray(gm.lower_bounds_)
    for step, iteration in enumerate(history.iteration):
        # the model that was pruned had converged: its last trace entry is within tol
        assert trace[iteration - 1] == pytest.approx(history.objective_before[step], abs=gm.tol)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_survivors_get_one_em_step_with_responsibilities_shared_among_them(
    covariance_type, clusters
):
    """The generic mechanism for EM equals a hand-written M-step on renormalised responsibilities."""
    gm = GaussianMixture(4, covariance_type=covariance_type, random_state=1, max_iter=5, tol=0)
    with pytest.warns(bayesgmm.ConvergenceWarning):
        gm.fit(clusters)
    data = InMemoryData(clusters)
    engine = make_engine(gm.result_.spec, data)
    state = engine.state_from_saved(gm.result_.parameters, {})
    keep = np.array([True, False, True, True])
    smaller, new = refit_survivors(engine, data, state, keep)
    assert smaller.n_components == smaller.spec.n_components == 3
    K, D = 4, clusters.shape[1]
    covs = full_covariances(covariance_type, gm.covariances_, K, D)[keep]
    rho = log_rho(clusters, gm.weights_[keep], gm.means_[keep], covs)
    resp = np.exp(rho - logsumexp(rho, axis=1, keepdims=True))
    nk = resp.sum(axis=0)
    means = resp.T @ clusters / nk[:, None]
    scatter = np.stack(
        [(clusters - m).T @ ((clusters - m) * r[:, None]) for m, r in zip(means, resp.T)]
    )
    expected = {
        "full": lambda: scatter / nk[:, None, None] + 1e-6 * np.eye(D),
        "tied": lambda: scatter.sum(axis=0) / nk.sum() + 1e-6 * np.eye(D),
        "diag": lambda: np.diagonal(scatter, axis1=1, axis2=2) / nk[:, None] + 1e-6,
        "spherical": lambda: np.diagonal(scatter, axis1=1, axis2=2).mean(axis=1) / nk + 1e-6,
    }[covariance_type]()
    np.testing.assert_allclose(new.weights, nk / nk.sum(), rtol=1e-10)
    np.testing.assert_allclose(new.means, means, rtol=1e-10)
    np.testing.assert_allclose(new.covariances, expected, rtol=1e-9)


def test_prune_method_on_estimator_and_result(standardised_faithful):
    X = standardised_faithful
    gm = GaussianMixture(10, covariance_type="tied", random_state=0).fit(X)
    by_option = GaussianMixture(10, covariance_type="tied", random_state=0, prune=0.05).fit(X)
    result = gm.result_.prune(0.05, X)
    assert result is not gm.result_ and gm.n_components_fitted == 10  # the result is new
    np.testing.assert_array_equal(result.parameters.weights, by_option.weights_)
    np.testing.assert_array_equal(result.trace, by_option.lower_bounds_)
    assert gm.prune_components(0.05, X) is gm
    np.testing.assert_array_equal(gm.means_, by_option.means_)
    assert gm.result_.pruning.n_steps == by_option.result_.pruning.n_steps
    # nothing below the threshold: the result comes back unchanged
    assert gm.result_.prune(1e-3, X) is gm.result_


@pytest.mark.parametrize("threshold", [0, 1, -0.1, 1.5, float("nan")])
def test_bad_thresholds_are_refused_before_anything_changes(threshold, clusters):
    gm = GaussianMixture(3, random_state=0).fit(clusters)
    before = gm.result_
    with pytest.raises(ValueError, match="between 0 and 1|finite number"):
        gm.prune_components(threshold, clusters)
    assert gm.result_ is before
    with pytest.raises(ValueError, match="prune="):
        GaussianMixture(3, prune=threshold).fit(clusters)
    with pytest.raises(TypeError, match="real number"):
        GaussianMixture(3, prune="1e-2").fit(clusters)


def test_prune_needs_the_fitting_data(clusters):
    gm = GaussianMixture(4, means_init=with_a_stray_component(clusters), random_state=0).fit(
        clusters
    )
    before = gm.result_
    with pytest.raises(ValueError, match="X has 3 features"):
        gm.prune_components(1e-2, np.ones((10, 3)))
    assert gm.result_ is before
    with pytest.raises(bayesgmm.NotFittedError):
        GaussianMixture(2).prune_components(1e-2, clusters)


def test_pruning_record_survives_save_and_load(standardised_faithful, tmp_path):
    gm = GaussianMixture(10, covariance_type="tied", random_state=0, prune=0.05).fit(
        standardised_faithful
    )
    ds = gm.to_dataset()
    assert (
        ds.sizes["initial_component"] == 10
        and ds.sizes["pruning_step"] == gm.result_.pruning.n_steps
    )
    assert ds.attrs["prune"] == 0.05
    assert "pruning_iteration" not in gm.result_.engine_variables
    loaded = bayesgmm.load(bayesgmm.save(gm, tmp_path / "pruned.nc"))
    xr.testing.assert_identical(loaded.to_dataset(), ds)
    assert loaded.n_components == 10 and loaded.prune == 0.05
    assert loaded.n_components_fitted == gm.n_components_fitted
    for name in (
        "iteration",
        "objective_before",
        "objective_after",
        "removed_at_step",
        "component_origin",
    ):
        np.testing.assert_array_equal(
            getattr(loaded.result_.pruning, name), getattr(gm.result_.pruning, name)
        )
    assert "pruned from 10 to" in loaded.result_.summary()


def test_incomplete_pruning_record_in_a_file_is_refused(standardised_faithful, tmp_path):
    gm = GaussianMixture(10, covariance_type="tied", random_state=0, prune=0.05).fit(
        standardised_faithful
    )
    path = tmp_path / "crafted.nc"
    gm.to_dataset().drop_vars("pruning_component_origin").to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ValueError, match="pruning record is incomplete"):
        bayesgmm.load(path)


def test_warm_start_continues_from_the_pruned_model(clusters):
    means = with_a_stray_component(clusters)
    gm = GaussianMixture(4, means_init=means, random_state=0, prune=1e-2, warm_start=True).fit(
        clusters
    )
    first, first_n_iter = gm.result_.pruning, gm.n_iter_
    gm.fit(clusters)
    assert gm.n_components_fitted == 3 and gm.n_components == 4 and gm.converged_
    # the record is carried over; its step happened before this fit's trace began
    assert gm.result_.pruning.n_steps == 1
    assert gm.result_.pruning.iteration[0] == first.iteration[0] - first_n_iter < 0
    np.testing.assert_array_equal(gm.result_.pruning.removed_at_step, first.removed_at_step)


def test_prune_path_on_old_faithful_ends_at_the_bic_best_model(standardised_faithful):
    """EM started with K=10, pruned one component at a time, BIC keeps tied K=3."""
    X = standardised_faithful
    settings = dict(covariance_type="tied", tol=1e-5, max_iter=1000)
    gm = GaussianMixture(10, random_state=2, **settings).fit(X)
    path = prune_path(gm, X)
    assert list(path.criteria.n_components.values) == list(range(10, 0, -1))
    assert [r.n_components for r in path.results] == list(range(10, 0, -1))
    assert path.criteria.converged.all()
    best = path.best("bic")
    assert best.n_components == 3 and best.pruning.n_steps == 7
    # the BIC-best tied model fitted directly with five initialisations (BIC 824.70)
    direct = GaussianMixture(3, n_init=5, random_state=0, **settings).fit(X)
    assert best.bic() == pytest.approx(direct.bic(X), abs=0.05)
    np.testing.assert_allclose(
        path.criteria.bic.values, [r.bic() for r in path.results], rtol=1e-12
    )
    assert np.all(path.criteria.icl.values >= path.criteria.bic.values)
    assert GaussianMixture.from_result(best).bic(X) == pytest.approx(best.bic(), rel=1e-10)


@pytest.mark.parametrize("covariance_type, carrying_mass", [("full", 2), ("diag", 3)])
def test_sparse_vb_from_ten_components_prunes_to_those_that_carry_mass(
    covariance_type, carrying_mass, standardised_faithful
):
    """Issue 4's acceptance: VB, K=10, Dirichlet concentration 1e-3, standardised Old Faithful."""
    X = standardised_faithful
    settings = dict(
        covariance_type=covariance_type,
        engine="vb",
        tol=1e-6,
        max_iter=2000,
        random_state=0,
        prior=bayesgmm.VBPrior("dirichlet_distribution", weight_concentration=1e-3),
    )
    unpruned = GaussianMixture(10, **settings).fit(X)
    heavy = np.sort(unpruned.weights_[unpruned.weights_ >= 1e-2])[::-1]
    assert heavy.size == carrying_mass  # full: the two eruption types; diag adds a 4% component
    assert unpruned.weights_[unpruned.weights_ < 1e-2].sum() < 1e-3  # the rest carry nothing
    gm = GaussianMixture(10, prune=1e-2, **settings).fit(X)
    assert gm.converged_ and gm.n_components_fitted == carrying_mass
    np.testing.assert_allclose(np.sort(gm.weights_)[::-1], heavy, atol=1e-3)
    history = gm.result_.pruning
    removed = history.removed_at_step >= 0
    assert removed.sum() == 10 - carrying_mass and np.nansum(history.removed_weight) < 1e-3
    # VB's ELBO rises when empty components (and their KL terms) go
    assert np.all(history.objective_after > history.objective_before)
    assert gm.lower_bound_ > unpruned.lower_bound_


def test_prune_path_checks_its_arguments(clusters):
    gm = GaussianMixture(3, random_state=0).fit(clusters)
    with pytest.raises(ValueError, match="min_components=4 must lie between 1 and"):
        prune_path(gm, clusters, min_components=4)
    with pytest.raises(TypeError, match="fitted GaussianMixture or a FitResult"):
        prune_path(GaussianMixture(3), clusters)
    with pytest.raises(ValueError, match="criterion='loo'"):
        prune_path(gm, clusters, min_components=2).best("loo")
