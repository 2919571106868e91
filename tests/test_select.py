"""Sweeps over engines, covariance types and K: the Dataset, failures, winners, refits."""

import importlib
import warnings

import numpy as np
import pytest
import xarray as xr
from conftest import ASCENT_ENGINES, COVARIANCE_TYPES, make_mixture

import bayesgmm
from bayesgmm import GaussianMixture
from bayesgmm import select as select_function
from bayesgmm.datasets import load_faithful
from bayesgmm.families import FAMILIES
from bayesgmm.model_selection import best, sweep_table

ENGINE_NAMES = sorted(ASCENT_ENGINES)  # the sampler's select() is in test_gibbs.py
MCLUST_EEE_3_BIC = -2314.386  # mclust 6: Mclust(faithful, G = 3, modelNames = "EEE")$bic


@pytest.fixture(scope="module")
def faithful_sweep():
    # tol=1e-5: criteria compare converged fits; the default 1e-3 per sample stops raw-scale
    # Old Faithful fits several BIC units short
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesgmm.ConvergenceWarning)
        return select_function(
            load_faithful(),
            range(1, 7),
            COVARIANCE_TYPES,
            ENGINE_NAMES,
            n_init=2,
            random_state=0,
            tol=1e-5,
            progress=False,
        )


def test_sweep_over_old_faithful_returns_the_whole_grid(faithful_sweep):
    ds = faithful_sweep
    assert dict(ds.sizes) == {
        "engine": len(ENGINE_NAMES),
        "covariance_type": 4,
        "n_components": 6,
        "criterion": 3,
    }
    assert list(ds.n_components.values) == [1, 2, 3, 4, 5, 6]
    for name in (
        "bic",
        "aic",
        "icl",
        "log_likelihood",
        "objective",
        "n_parameters",
        "n_iter",
        "converged",
        "n_components_fitted",
        "effective_n_components",
        "n_components_used",
        "fit_time",
        "fit_error",
    ):
        assert ds[name].dims == ("engine", "covariance_type", "n_components"), name
    ok = ds.fit_error == ""
    assert ok.all(), ds.fit_error.values[~ok.values]
    assert ds.converged.dtype == bool
    for c in COVARIANCE_TYPES:
        expected = [FAMILIES[c].n_parameters(k, 2) for k in range(1, 7)]
        np.testing.assert_array_equal(
            ds.n_parameters.sel(covariance_type=c).values,
            np.broadcast_to(expected, (len(ENGINE_NAMES), 6)),
        )
    np.testing.assert_allclose(ds.bic, -2 * ds.log_likelihood + ds.n_parameters * np.log(272))
    np.testing.assert_allclose(ds.aic, -2 * ds.log_likelihood + 2 * ds.n_parameters)
    assert (ds.icl >= ds.bic - 1e-9).all()
    assert (ds.effective_n_components <= ds.n_components + 1e-12).all()
    assert (ds.effective_n_components.sel(n_components=1) == 1).all()
    assert (
        ds.attrs["random_state"] == 0 and ds.attrs["tol"] == 1e-5 and ds.attrs["n_samples"] == 272
    )
    assert ds.attrs["feature_names"] == ["eruptions", "waiting"]


def test_bic_prefers_tied_three_components_as_mclust_does(faithful_sweep):
    em = faithful_sweep.bic.sel(engine="em")
    covariance_type, k = np.unravel_index(int(np.argmin(em.values)), em.shape)
    assert (em.covariance_type.values[covariance_type], em.n_components.values[k]) == ("tied", 3)
    # mclust's sign is the negative; its EM stops a little earlier (relative tol 1e-5)
    assert -float(em.min()) == pytest.approx(MCLUST_EEE_3_BIC, abs=0.1)
    if list(faithful_sweep.engine.values) == ["em"]:
        best = faithful_sweep.sel(criterion="bic")
        assert (str(best.best_covariance_type.item()), int(best.best_n_components.item())) == (
            "tied",
            3,
        )


def test_az_loo_runs_on_the_datatrees_of_the_bayesian_fits_of_the_sweep(faithful_sweep):
    """Issue 4's acceptance: every VB and MAP cell refits as the sweep fitted it, and PSIS-LOO
    runs on the smallest and the largest K of each (az.loo costs 0.5 s a call: it loops over
    the 272 rows in Python, so all 48 cells would cost the suite 25 s)."""
    import arviz as az

    X = load_faithful()
    settings = {
        "n_init": faithful_sweep.attrs["n_init"],
        "tol": faithful_sweep.attrs["tol"],
        "random_state": faithful_sweep.attrs["random_state"],
    }
    checked = looed = 0
    for engine in ("map", "vb"):
        for covariance_type in COVARIANCE_TYPES:
            for k in faithful_sweep.n_components.values:
                cell = faithful_sweep.sel(
                    engine=engine, covariance_type=covariance_type, n_components=k
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", bayesgmm.ConvergenceWarning)
                    gm = GaussianMixture(
                        int(k), covariance_type=covariance_type, engine=engine, **settings
                    ).fit(X)
                assert gm.bic(X) == pytest.approx(float(cell.bic), rel=1e-10)  # the sweep's fit
                checked += 1
                if k not in (faithful_sweep.n_components.values[[0, -1]]):
                    continue
                tree = gm.to_arviz(X, draws=200, random_state=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # Pareto k of the larger models
                    elpd = az.loo(tree, pointwise=True, reff=1.0)
                assert np.isfinite(elpd.elpd) and np.isfinite(elpd.se) and elpd.n_data_points == 272
                assert elpd.n_samples == 200 and np.all(np.isfinite(np.asarray(elpd.pareto_k)))
                looed += 1
    assert (checked, looed) == (48, 16)


def test_fit_failures_are_recorded_and_the_sweep_goes_on():
    # three points repeated: without reg_covar a component sitting on one point is singular
    X = np.repeat([[0.0, 0.0], [5.0, 1.0], [1.0, 4.0]], 20, axis=0)
    ds = select_function(
        X, [1, 2, 3, 61], ["full", "diag"], reg_covar=0.0, random_state=0, progress=False
    )
    errors = ds.fit_error.sel(engine="em")
    assert (errors.sel(n_components=1) == "").all()  # three distinct points: a proper covariance
    assert (
        errors.sel(covariance_type="full", n_components=3)
        .item()
        .startswith("SingularCovarianceError")
    )
    assert (
        "60 samples but n_components=61"
        in errors.sel(covariance_type="full", n_components=61).item()
    )
    failed = errors != ""
    for name in ("bic", "aic", "icl", "log_likelihood", "n_parameters", "n_iter"):
        assert np.isnan(ds[name].sel(engine="em").values[failed.values]).all(), name
        assert not np.isnan(ds[name].sel(engine="em").values[~failed.values]).any(), name
    assert not ds.converged.sel(engine="em").values[failed.values].any()
    best = ds.sel(criterion="bic")
    assert (
        int(best.best_n_components.item())
        in ds.n_components.values[~failed.all("covariance_type").values]
    )


def test_every_fit_failing_leaves_no_winner():
    X = np.ones((4, 2))
    ds = select_function(X, [5, 6], "full", progress=False)
    assert (ds.fit_error != "").all() and np.isnan(ds.best_value).all()
    with pytest.raises(ValueError, match="every fit of the sweep failed"):
        bayesgmm.best_model(ds, X)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(reg_covar=-1.0), ValueError, "reg_covar must be"),
        (dict(covariance_type=["full", "banana"]), ValueError, "'banana', which is not one of"),
        (dict(engine="nuts"), ValueError, "'nuts', which is not one of"),
        (dict(n_components=[0, 1]), ValueError, "positive integers"),
        (dict(n_components=[]), ValueError, "n_components is empty"),
        (dict(covariance_type=["full", "full"]), ValueError, "lists a value twice"),
        (dict(means_init=np.zeros((2, 2))), ValueError, "cannot be used in a sweep"),
        (dict(verbose=1), TypeError, "unexpected parameter 'verbose'"),
        (dict(n_init=0), ValueError, "n_init must be >= 1"),
        (dict(random_state="seed"), TypeError, "random_state must be"),
        (dict(weight_threshold=2.0), ValueError, "weight_threshold"),
        (dict(sample_weight=np.ones(3)), ValueError, "sample_weight has 3 entries"),
    ],
)
def test_bad_arguments_are_refused_before_any_fit(kwargs, error, message, monkeypatch):
    def no_fit(*args, **kw):
        raise AssertionError("a fit started")

    monkeypatch.setattr(bayesgmm.fitting.restarts, "fit", no_fit)
    with pytest.raises(error, match=message):
        select_function(
            np.random.default_rng(0).normal(size=(30, 2)), **{"progress": False, **kwargs}
        )


def test_bad_data_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        select_function(np.array([[0.0, np.nan], [1.0, 2.0]]), progress=False)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_best_model_refits_the_winner_exactly(engine):
    X = make_mixture(300, 2, 3, separation=5.0, seed=3)
    ds = select_function(X, range(1, 5), ["full", "spherical"], engine, progress=False)
    for criterion in ("bic", "aic", "icl"):
        winner = best(ds, criterion)
        model = bayesgmm.best_model(ds, X, criterion)
        assert model.n_components == winner["n_components"]
        assert (
            model.covariance_type == winner["covariance_type"] and model.engine == winner["engine"]
        )
        value = {"bic": model.bic, "aic": model.aic, "icl": model.icl}[criterion](X)
        assert value == pytest.approx(winner["value"], rel=1e-10)
    with pytest.warns(UserWarning, match="other data"):
        bayesgmm.best_model(ds, X[:200])


def test_sample_weights_and_unstorable_parameters_must_be_passed_again():
    X = make_mixture(200, 2, 2, seed=4)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(X))
    ds = select_function(X, [1, 2], "full", sample_weight=weights, random_state=1, progress=False)
    assert ds.attrs["total_weight"] == pytest.approx(weights.sum())
    with pytest.raises(ValueError, match="pass the same sample_weight"):
        bayesgmm.best_model(ds, X)
    model = bayesgmm.best_model(ds, X, sample_weight=weights)
    assert model.result_.bic() == pytest.approx(
        float(ds.best_value.sel(criterion="bic")), rel=1e-12
    )
    ds.attrs["unstored_parameters"] = ["prior"]
    with pytest.raises(ValueError, match="pass the same value again"):
        bayesgmm.best_model(ds, X, sample_weight=weights)


def test_unseeded_sweeps_record_the_seed_they_used():
    X = make_mixture(200, 2, 2, seed=4)
    first = select_function(X, [2, 3], "diag", progress=False)
    seed = first.attrs["random_state"]
    assert isinstance(seed, int)
    again = select_function(X, [2, 3], "diag", random_state=seed, progress=False)
    xr.testing.assert_equal(first.drop_vars("fit_time"), again.drop_vars("fit_time"))


def test_pruning_inside_a_sweep_is_recorded():
    X = make_mixture(300, 2, 2, separation=8.0, seed=2)
    ds = select_function(X, [2, 8], "spherical", prune=0.1, random_state=0, progress=False)
    fitted = ds.n_components_fitted.sel(engine="em", covariance_type="spherical")
    assert fitted.sel(n_components=8) < 8 and ds.attrs["prune"] == 0.1
    assert ds.n_parameters.sel(n_components=8).item() == FAMILIES["spherical"].n_parameters(
        int(fitted.sel(n_components=8)), 2
    )


def test_sweep_saves_to_netcdf(tmp_path):
    X = make_mixture(200, 2, 2, seed=4)
    ds = select_function(
        np.vstack([X, np.repeat(X[:1], 5, axis=0)]),
        [1, 2, 300],
        ["full", "tied"],
        random_state=0,
        progress=False,
    )
    path = tmp_path / "sweep.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as loaded:
        xr.testing.assert_equal(loaded.load(), ds)


def test_progress_bar_is_tqdm_and_switchable(monkeypatch):
    # `bayesgmm.select` is the function; its module is bayesgmm.model_selection.select
    select_module = importlib.import_module("bayesgmm.model_selection.select")
    seen = []
    original = select_module.tqdm

    def recording(*args, **kwargs):
        seen.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(select_module, "tqdm", recording)
    X = make_mixture(100, 2, 2, seed=4)
    select_function(X, [1, 2], "full", progress=False)
    select_function(X, [1, 2], "full")
    assert seen[0]["disable"] is True and seen[1]["disable"] is False
    assert seen[1]["total"] == 2 and seen[1]["delay"] > 0  # quiet unless the sweep takes a while


def test_non_converged_fits_give_one_summary_warning():
    X = make_mixture(200, 2, 3, seed=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = select_function(X, [2, 3, 4], "full", max_iter=1, tol=0.0, progress=False)
    messages = [
        str(w.message) for w in caught if issubclass(w.category, bayesgmm.ConvergenceWarning)
    ]
    assert messages == [
        "3 of 3 fits did not converge (see the 'converged' variable); their criteria "
        "may be off. Increase max_iter or tol."
    ]
    assert not ds.converged.any()


def test_criteria_table_of_fitted_models(faithful):
    models = {
        "em tied K=3": GaussianMixture(3, covariance_type="tied", random_state=0).fit(faithful),
        "em full K=2": GaussianMixture(2, random_state=0).fit(faithful).result_,
    }
    table = bayesgmm.criteria_table(models, faithful)
    assert list(table.model.values) == list(models)
    assert table.bic.sel(model="em tied K=3").item() == pytest.approx(
        models["em tied K=3"].bic(faithful)
    )
    assert table.icl.sel(model="em full K=2").item() == pytest.approx(
        models["em full K=2"].icl(faithful)
    )
    assert list(table.n_parameters.values) == [11, 11]
    assert list(table.covariance_type.values) == ["tied", "full"]
    with pytest.raises(ValueError, match="fitted on 2 features, X has 3"):
        bayesgmm.criteria_table(models, np.ones((5, 3)))
    with pytest.raises(TypeError, match="non-empty mapping"):
        bayesgmm.criteria_table([], faithful)


def test_sweep_table_flattens_successful_fits(faithful_sweep):
    table = sweep_table(faithful_sweep)
    assert table.sizes["model"] == len(ENGINE_NAMES) * 24
    assert "em tied K=3" in list(table.model.values)
    assert (
        table.bic.sel(model="em tied K=3").item()
        == faithful_sweep.bic.sel(engine="em", covariance_type="tied", n_components=3).item()
    )


def test_a_sweep_runs_one_kmeans_per_k_and_fits_exactly_as_alone(monkeypatch):
    # every fit of a sweep draws from the same seed, so every covariance type and engine
    # of one K starts from the same partition: the sweep computes it once, and each cell
    # is still exactly the fit the estimator makes alone
    from bayesgmm.data import sources

    calls = []
    original = sources.initial_labels_or_responsibilities

    def counted(X, n_components, method, rng):
        calls.append(n_components)
        return original(X, n_components, method, rng)

    monkeypatch.setattr(sources, "initial_labels_or_responsibilities", counted)
    X = make_mixture(400, 3, 3, seed=3)
    ds = select_function(
        X, [1, 2, 3], COVARIANCE_TYPES, ("em", "map"), n_init=2, random_state=7, progress=False
    )
    assert sorted(calls) == [1, 1, 2, 2, 3, 3]  # n_init=2 starts per K, for 4 types x 2 engines
    for engine in ("em", "map"):
        for covariance_type in COVARIANCE_TYPES:
            for k in (1, 2, 3):
                alone = GaussianMixture(
                    k,
                    covariance_type=covariance_type,
                    engine=engine,
                    n_init=2,
                    random_state=ds.attrs["random_state"],
                ).fit(X)
                cell = ds.sel(engine=engine, covariance_type=covariance_type, n_components=k)
                assert cell.n_iter.item() == alone.n_iter_
                assert cell.bic.item() == pytest.approx(alone.bic(X), rel=1e-12)


def test_accelerate_and_stopping_reach_every_fit_and_the_refit(tmp_path):
    X = make_mixture(300, 2, 3, separation=5.0, seed=1)
    sweep = bayesgmm.select(
        X, range(1, 4), ["full", "VEV"], accelerate=True, stopping="aitken", progress=False,
        random_state=0, tol=1e-6,
    )  # fmt: skip
    assert sweep.attrs["accelerate"] == 1 and sweep.attrs["stopping"] == "aitken"
    model = bayesgmm.best_model(sweep, X)
    assert model.accelerate is True and model.stopping == "aitken"
    path = tmp_path / "sweep.nc"
    bayesgmm.save(sweep, path)
    with xr.open_dataset(path, engine="h5netcdf") as saved:
        again = bayesgmm.model_selection.sweep_model(saved.load(), "em", "VEV", 2)
    assert again.accelerate is True and again.stopping == "aitken"
    # the cell is the fit it stands for
    fitted = again.fit(X)
    cell = sweep.sel(engine="em", covariance_type="VEV", n_components=2)
    assert fitted.bic(X) == pytest.approx(float(cell.bic), rel=1e-12)
