"""Anomaly thresholds from the training data: stored by fit, saved, used by the API and the command."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayesgmm
from bayesgmm import GaussianMixture, cli
from bayesgmm.data.scores import RowScores
from bayesgmm.datasets import load_faithful
from bayesgmm.fitting.score_quantiles import (
    PERCENTILES,
    VARIABLE,
    ScoreQuantiles,
    weighted_percentiles,
)


def empirical(values, percentiles=PERCENTILES):
    return np.percentile(values, percentiles, method="inverted_cdf")


@pytest.fixture(scope="module")
def faithful_fit():
    X = load_faithful().values
    return X, GaussianMixture(2, random_state=0).fit(X)


@pytest.fixture(scope="module")
def files(tmp_path_factory, faithful_fit):
    """A saved fit, the data it was fitted to, twenty of its rows scaled x10, and an old file."""
    folder = tmp_path_factory.mktemp("anomaly")
    X, model = faithful_fit
    bayesgmm.save(model, folder / "fit.nc")
    columns = ["eruptions", "waiting"]
    pd.DataFrame(X, columns=columns).to_csv(folder / "train.csv", index=False)
    pd.DataFrame(X[:20] * 10, columns=columns).to_csv(folder / "x10.csv", index=False)
    # an older file: written before the quantiles (and before the checksums) were saved
    old = model.to_dataset().drop_vars([VARIABLE, "score_percentile"])
    del old.attrs["checksums"]
    bayesgmm.save(old, folder / "old.nc")
    return folder


def call(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ what fit stores
@pytest.mark.parametrize(
    "settings",
    [
        dict(covariance_type="full"),
        dict(covariance_type="diag", engine="map"),
        dict(covariance_type="spherical", engine="vb"),
        dict(covariance_type="tied", engine="vb"),
        dict(covariance_type="VEV"),
    ],
    ids=lambda s: "-".join(s.values()),
)
def test_fit_stores_the_training_log_density_percentiles(faithful, settings):
    model = GaussianMixture(2, random_state=0, **settings).fit(faithful)
    quantiles = model.result_.score_quantiles
    np.testing.assert_array_equal(quantiles.percentiles, PERCENTILES)
    # exactly what score_samples gives the training rows (numpy's "inverted_cdf" percentiles)
    np.testing.assert_allclose(
        quantiles.values, empirical(model.score_samples(faithful)), rtol=1e-12
    )
    assert quantiles.values[0] == model.score_samples(faithful).min()
    assert quantiles.n_rows == faithful.shape[0] and not quantiles.weighted
    assert model.anomaly_threshold(5) == quantiles.values[PERCENTILES == 5][0]


def test_weighted_quantiles_ignore_zero_weights_and_the_weights_scale(faithful):
    weights = np.random.default_rng(0).integers(0, 4, faithful.shape[0]).astype(float)
    model = GaussianMixture(2, random_state=0).fit(faithful, sample_weight=weights)
    quantiles = model.result_.score_quantiles
    assert quantiles.weighted and quantiles.n_rows == np.count_nonzero(weights)
    scores = model.score_samples(faithful)
    again = ScoreQuantiles.of(RowScores(scores, weights * 7.5, False))
    np.testing.assert_allclose(again.values, quantiles.values, rtol=1e-13)
    kept = weights > 0
    # integer weights are repeated rows, exactly
    repeated = ScoreQuantiles.of(RowScores(np.repeat(scores, weights.astype(int)), None, False))
    np.testing.assert_array_equal(repeated.values, quantiles.values)
    values, w = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 1.0])
    np.testing.assert_array_equal(
        weighted_percentiles(values, w, [0, 25, 25.1, 75, 75.1, 100]), [0, 0, 1, 1, 2, 2]
    )
    assert kept.sum() < weights.size


def test_far_rows_give_minus_infinity_not_nan():
    quantiles = ScoreQuantiles.of(RowScores(np.array([-np.inf, -np.inf, -3.0, -1.0]), None, False))
    assert quantiles.values[0] == -np.inf and not np.isnan(quantiles.values).any()
    assert quantiles.threshold(30) == -np.inf and quantiles.threshold(100) == -1.0


def test_between_stored_percentiles_the_threshold_is_interpolated(faithful_fit):
    _, model = faithful_fit
    q = model.result_.score_quantiles
    low, high = (q.values[PERCENTILES == p][0] for p in (2, 3))
    assert model.anomaly_threshold(2.5) == pytest.approx((low + high) / 2, rel=1e-14)
    assert "interpolated between the stored 2% and 3% values" in q.describe(2.5)
    assert "interpolated" not in q.describe(5)
    assert q.describe(0).startswith("the lowest log-density of the 272 training rows")


def test_refits_recompute_the_quantiles_partial_fit_has_none(mixture5d):
    X = mixture5d
    model = GaussianMixture(6, random_state=0).fit(X)
    pruned = model.result_.prune(0.15, X)
    assert pruned.n_components < 6
    scores = GaussianMixture.from_result(pruned).score_samples(X)
    np.testing.assert_allclose(pruned.score_quantiles.values, empirical(scores), rtol=1e-12)
    online = GaussianMixture(3, random_state=0).partial_fit(X)
    assert online.result_.score_quantiles is None
    with pytest.raises(ValueError, match="holds no training log-density quantiles.*refit"):
        online.anomaly_threshold(5)


def test_a_sweep_stores_none_its_best_model_does(faithful):
    sweep = bayesgmm.select(faithful, [1, 2], "full", progress=False, random_state=0)
    model = bayesgmm.best_model(sweep, faithful)
    np.testing.assert_allclose(
        model.result_.score_quantiles.values, empirical(model.score_samples(faithful)), rtol=1e-12
    )


# ------------------------------------------------------------------ files
def test_quantiles_round_trip_exactly(faithful_fit, tmp_path):
    _, model = faithful_fit
    bayesgmm.save(model, tmp_path / "fit.nc")
    loaded = bayesgmm.load(tmp_path / "fit.nc").result_.score_quantiles
    original = model.result_.score_quantiles
    np.testing.assert_array_equal(loaded.values, original.values)
    np.testing.assert_array_equal(loaded.percentiles, original.percentiles)
    assert (loaded.n_rows, loaded.weighted, loaded.sampled) == (272, False, False)
    ds = xr.open_dataset(tmp_path / "fit.nc", engine="h5netcdf")
    assert ds[VARIABLE].dims == ("score_percentile",)
    ds.close()


def test_older_files_load_and_say_the_threshold_is_unavailable(files):
    model = bayesgmm.load(files / "old.nc")
    assert model.result_.score_quantiles is None
    with pytest.raises(ValueError, match="no anomaly threshold from the training data"):
        model.is_anomaly(np.zeros((1, 2)))
    assert model.is_anomaly(np.zeros((1, 2)), threshold=-25.0).all()  # an absolute one works


def _set(name, index, value):
    def damage(ds):
        values = ds[name].values.copy()
        values[index] = value
        return ds.assign({name: (ds[name].dims, values, ds[name].attrs)})

    return damage


def _attr(name, value):
    def damage(ds):
        if value is None:
            del ds[VARIABLE].attrs[name]
        else:
            ds[VARIABLE].attrs[name] = value
        return ds

    return damage


@pytest.mark.parametrize(
    "damage, message",
    [
        (_set(VARIABLE, 3, np.nan), "non-decreasing, neither NaN"),
        (_set(VARIABLE, 3, 1e3), "non-decreasing"),
        (_set(VARIABLE, 3, np.inf), "non-decreasing, neither NaN nor \\+inf"),
        (lambda ds: ds.assign_coords(score_percentile=np.r_[-1, PERCENTILES[1:]]), "within"),
        (_attr("n_rows", "many"), "'n_rows' is 'many'"),
        (_attr("n_rows", 0), "n_rows is 0"),
        (_attr("weighted", 3), "bad 'weighted'"),
        (_attr("sampled", None), "'sampled' is None"),
    ],
)
def test_damaged_quantiles_are_refused(faithful_fit, tmp_path, damage, message):
    _, model = faithful_fit
    bayesgmm.save(damage(model.to_dataset()), tmp_path / "damaged.nc")
    with pytest.raises(ValueError, match="training score quantiles are damaged.*" + message):
        bayesgmm.load(tmp_path / "damaged.nc")


# ------------------------------------------------------------------ the Python API
def test_rows_scaled_by_ten_are_all_anomalies(faithful_fit):
    X, model = faithful_fit
    far = X[:20] * 10
    assert model.score_samples(far).max() < model.anomaly_threshold(0)
    assert model.is_anomaly(far, 5).all() and model.is_anomaly(far).all()
    # the batch's own percentile flags one row of twenty, which is what went wrong before
    batch = model.score_samples(far)
    assert (batch <= np.percentile(batch, 5)).sum() == 1


def test_flags_at_the_training_rate_and_scikit_learn_names(faithful_fit):
    X, model = faithful_fit
    flags = model.is_anomaly(X, 5)
    assert flags.sum() == 14  # 5% of 272 rows: the rows at or below the 5th percentile
    decision = model.decision_function(X, 5)
    np.testing.assert_allclose(decision, model.score_samples(X) - model.anomaly_threshold(5))
    np.testing.assert_array_equal(flags, decision <= 0)
    assert model.is_anomaly(X, threshold=model.anomaly_threshold(5)).sum() == 14
    with pytest.raises(ValueError, match="either percentile or threshold"):
        model.is_anomaly(X, 5, threshold=-3.0)
    for bad in (-1, 101, "5", None, True):
        with pytest.raises(ValueError, match=r"percentile must be a number in \[0, 100\]"):
            model.anomaly_threshold(bad)


def test_a_dask_fit_stores_the_same_quantiles_or_a_sample_of_them(monkeypatch):
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    import bayesgmm.data.distributed as distributed

    X = load_faithful().values
    weights = np.random.default_rng(1).uniform(0, 2, X.shape[0])
    settings = dict(random_state=0, tol=1e-8, max_iter=500)
    with dask.config.set(scheduler="threads"):
        chunked = da.from_array(X, chunks=(50, 2))
        on_dask = GaussianMixture(2, **settings).fit(
            chunked, sample_weight=da.from_array(weights, chunks=(50,))
        )
        monkeypatch.setattr(distributed, "MAX_GATHERED_ROWS", 100)
        monkeypatch.setattr(distributed, "SAMPLE_ROWS", 200)
        sampled = GaussianMixture(2, **settings).fit(chunked).result_.score_quantiles
    in_memory = GaussianMixture(2, **settings).fit(X, sample_weight=weights)
    np.testing.assert_allclose(
        on_dask.result_.score_quantiles.values,
        in_memory.result_.score_quantiles.values,
        rtol=1e-6,
    )
    assert on_dask.result_.score_quantiles.weighted
    assert sampled.sampled and sampled.n_rows == 200
    assert "a weighted sample of 200 training rows" in sampled.describe(5)


# ------------------------------------------------------------------ the command
def test_score_uses_the_training_threshold_and_says_so(files, faithful_fit, capsys):
    X, model = faithful_fit
    code, out, err = call(
        capsys, "score", files / "fit.nc", files / "x10.csv", "--anomaly-percentile", 5
    )
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert table["anomaly"].all()  # all twenty rows scaled x10
    assert (
        f"20 of 20 rows at or below the anomaly threshold, log-density "
        f"{model.anomaly_threshold(5):.4f}: the 5th percentile of the log-density of the 272 "
        f"training rows, stored in {files / 'fit.nc'}"
    ) in err


def test_score_batch_percentile_is_the_old_behaviour_when_asked(files, capsys):
    code, out, err = call(
        capsys, "score", files / "fit.nc", files / "x10.csv", "--batch-percentile", 5
    )
    assert code == 0, err
    assert pd.read_csv(pd.io.common.StringIO(out))["anomaly"].sum() == 1
    assert "1 of 20 rows" in err and "of the 20 rows scored here (--batch-percentile)" in err


def test_score_takes_an_absolute_threshold(files, faithful_fit, capsys):
    X, model = faithful_fit
    code, out, err = call(capsys, "score", files / "fit.nc", files / "train.csv", "--threshold", -6)
    assert code == 0, err
    flags = pd.read_csv(pd.io.common.StringIO(out))["anomaly"]
    np.testing.assert_array_equal(flags, model.score_samples(X) <= -6)
    assert f"{flags.sum()} of 272 rows" in err and "-6.0000: given by --threshold" in err


def test_score_with_an_old_file_explains_what_to_do(files, capsys):
    code, _, err = call(
        capsys, "score", files / "old.nc", files / "x10.csv", "--anomaly-percentile", 5
    )
    assert code == 2
    assert "holds no training log-density quantiles" in err and "--threshold VALUE" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = call(capsys, "score", files / "old.nc", files / "x10.csv", "--threshold", -25)
    assert code == 0, err


def test_score_threshold_options_exclude_each_other(files, capsys):
    with pytest.raises(SystemExit) as exit:
        call(
            capsys,
            "score",
            files / "fit.nc",
            files / "x10.csv",
            "--threshold",
            1,
            "--batch-percentile",
            5,
        )
    assert exit.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
