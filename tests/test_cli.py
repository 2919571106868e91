"""The `bayesgmm` command.

A few tests run it as a user would, in a subprocess (each costs about 1.5 s of
imports); the many error and format cases call `main()` in-process.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import mask_timings
from scipy import stats

import bayesgmm
from bayesgmm import cli
from bayesgmm.datasets import load_faithful
from bayesgmm.families import MCLUST_MODELS


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "bayesgmm.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def call(capsys, *args):
    """main() in-process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    X = load_faithful()
    model = bayesgmm.GaussianMixture(2, random_state=0).fit(X)
    bayesgmm.save(model, folder / "fit.nc")
    frame = X.to_pandas()
    frame.insert(0, "id", np.arange(len(frame)))  # an extra column the model never saw
    frame.to_csv(folder / "faithful.csv", index=False)
    return folder, model, X.values


# ---------------------------------------------------------------- subprocess: as a user runs it
def test_demo_prints_the_engine_comparison_and_writes_its_report(tmp_path):
    done = run("demo", "--out-dir", tmp_path / "report")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Old Faithful" in out and "2 components" in out
    for word in (
        "bic",
        "aic",
        "icl",
        "log-lik",
        "objective",
        "em",
        "map",
        "vb",
        "mean eruptions",
        "mean waiting",
        "iterations",
        "weight",
        "covariance",
    ):
        assert word in out
    assert "gibbs" not in out  # the demo's three engines, as its help says (first compile)
    # the well-known two-cluster answer: short eruptions ~2 min after ~54 min, long ~4.3 after ~80
    assert "2.0364" in out and "4.2897" in out
    report = tmp_path / "report"
    for name in ("mixture.png", "criteria.png", "trace.png", "weights.png", "summary.txt"):
        assert (report / name).stat().st_size > 1000 or name == "summary.txt"
        assert str(name) in out
    assert (report / "mixture.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (report / "summary.txt").read_text().strip() in out
    # the three fits load and are the fits the table describes
    table = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line.split()[:1] in (["em"], ["map"], ["vb"]) and "True" in line
    }
    for engine in ("em", "map", "vb"):
        model = bayesgmm.load(report / f"faithful-{engine}.nc")
        assert model.engine == engine
        assert float(table[engine][1]) == pytest.approx(model.bic(load_faithful()), abs=1e-3)
    # PSIS-LOO where a posterior exists, none for EM's point estimate
    assert "elpd_loo" in out
    assert table["em"][4] == "NaN"
    for engine in ("map", "vb"):
        assert -1160 < float(table[engine][4]) < -1130  # elpd_loo near the log-likelihood


def test_fit_predict_score_on_raw_data_of_a_standardised_fit(tmp_path):
    X = load_faithful().to_pandas()
    X.to_csv(tmp_path / "faithful.csv", index=False)
    done = run(
        "fit",
        "faithful.csv",
        "--components",
        "1-3",
        "--covariance",
        "full,tied",
        "--standardize",
        "--out",
        "best.nc",
        "--report",
        "report",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "6 models fitted" in done.stdout and "best by BIC: em tied K=3" in done.stdout
    assert "fitted on standardised features" in done.stdout
    for name in (
        "mixture.png",
        "criteria.png",
        "ranking.png",
        "trace.png",
        "weights.png",
        "best-em-tied-K3.nc",
        "sweep.nc",
        "summary.txt",
    ):
        assert (tmp_path / "report" / name).exists(), name

    result = bayesgmm.load_result(tmp_path / "best.nc")
    scaling = result.standardization
    np.testing.assert_allclose(scaling.center, X.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(scaling.scale, X.std(ddof=1).to_numpy(), rtol=1e-12)
    model = bayesgmm.GaussianMixture.from_result(result)
    Z = scaling.transform(X)

    done = run("predict", "best.nc", "faithful.csv", "--proba", "--out", "labels.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    labels = pd.read_csv(tmp_path / "labels.csv")
    np.testing.assert_array_equal(labels["component"], model.predict(Z))
    np.testing.assert_allclose(labels[["p0", "p1", "p2"]], model.predict_proba(Z), rtol=1e-10)

    done = run("score", "best.nc", "faithful.csv", "--anomaly-percentile", 5, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    scores = pd.read_csv(pd.io.common.StringIO(done.stdout))
    # the log-density of the rows in minutes: the standardised model mapped back to raw units
    means = scaling.inverse_transform(result.parameters.means)
    S = np.diag(scaling.scale)
    density = sum(
        w * stats.multivariate_normal(m, S @ result.parameters.covariances @ S).pdf(X)
        for w, m in zip(result.parameters.weights, means)
    )
    np.testing.assert_allclose(scores["log_density"], np.log(density), rtol=1e-9)
    # the threshold is the training rows' 5th percentile, in raw units too
    threshold = np.percentile(np.log(density), 5, method="inverted_cdf")
    assert scores["anomaly"].sum() == 14  # 5% of 272 rows, no ties
    assert (
        f"14 of 272 rows at or below the anomaly threshold, log-density {threshold:.4f}: the 5th "
        "percentile of the log-density of the 272 training rows, stored in best.nc"
    ) in done.stderr


def test_errors_are_one_line_with_exit_code_2_and_debug_shows_the_traceback():
    done = run("demo", "--components", "0", "--no-report")
    assert done.returncode == 2
    assert "n_components must be >= 1" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = run("--debug", "demo", "--components", "0", "--no-report")
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_help_documents_the_exit_codes():
    done = run("fit", "--help")
    assert done.returncode == 0
    for line in (
        "0    success",
        "1    the work failed",
        "2    bad usage or input",
        "130  interrupted",
    ):
        assert line in done.stdout
    for option in (
        "--components",
        "--covariance",
        "--engine",
        "--columns",
        "--standardize",
        "--prune",
        "--seed",
        "--out",
        "--report",
        "--save-all",
    ):
        assert option in done.stdout


# ---------------------------------------------------------------- in-process
def test_show_summarises_a_saved_fit(saved, capsys):
    folder, model, _ = saved
    code, out, _ = call(capsys, "show", folder / "fit.nc")
    assert code == 0
    assert out.strip() == model.result_.summary().strip()


def test_predict_writes_labels_and_probabilities(saved, capsys):
    folder, model, X = saved
    code, _, err = call(
        capsys,
        "predict",
        folder / "fit.nc",
        folder / "faithful.csv",
        "--out",
        folder / "labels.csv",
        "--proba",
    )
    assert code == 0, err
    table = pd.read_csv(folder / "labels.csv")
    np.testing.assert_array_equal(table["component"], model.predict(X))
    np.testing.assert_allclose(table[["p0", "p1"]].to_numpy(), model.predict_proba(X), rtol=1e-12)


def test_score_flags_the_lowest_percentile_as_anomalies(saved, capsys):
    folder, model, X = saved
    code, out, err = call(
        capsys, "score", folder / "fit.nc", folder / "faithful.csv", "--anomaly-percentile", 5
    )
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    log_density = model.score_samples(X)
    np.testing.assert_allclose(table["log_density"], log_density, rtol=1e-12)
    threshold = np.percentile(log_density, 5, method="inverted_cdf")  # the training rows' own
    assert table["anomaly"].sum() == np.sum(log_density <= threshold)
    assert "rows at or below the anomaly threshold" in err and "5th percentile" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "missing.nc"], "missing.nc: no such file"),
        (["predict", "fit.nc", "nothing.csv"], "nothing.csv: no such file"),
        (["predict", "fit.nc", "fit.nc"], "fit.nc: this is a saved bayesgmm fit, not data"),
        (
            ["score", "fit.nc", "faithful.csv", "--anomaly-percentile", "150"],
            "--anomaly-percentile must lie between 0 and 100, got 150",
        ),
        (["show", "faithful.csv"], "not a readable netCDF file"),
        (["fit", "faithful.csv", "--columns", "eruptions,height"], "no column(s) ['height']"),
        (["fit", "faithful.csv", "--out", "fit.nc"], "fit.nc exists; pass --overwrite"),
        (["fit", "faithful.csv", "--out", "fit.csv"], "give a name ending in .nc"),
        (["fit", "faithful.txt"], "unknown file type '.txt'"),
        (["fit", "constant.csv", "--standardize"], "c is constant"),
        (
            ["fit", "gaps.csv"],
            "1 row(s) have missing values (first: row 2, column 'a'); pass --dropna",
        ),
        (["fit", "fake.parquet"], "fake.parquet: cannot read it as parquet"),
        (["fit", "cube.nc"], "cannot tell the rows and columns apart"),
    ],
)
def test_errors_are_one_clear_line(saved, capsys, monkeypatch, args, message):
    folder, _, _ = saved
    (folder / "faithful.txt").write_text("1\n")
    (folder / "fake.parquet").write_text("not parquet")
    pd.DataFrame({"a": [1.0, 2, 3], "c": [5.0, 5, 5]}).to_csv(folder / "constant.csv", index=False)
    pd.DataFrame({"a": [1.0, np.nan, 3], "b": [1.0, 2, 3]}).to_csv(folder / "gaps.csv", index=False)
    xr.Dataset({"u": (("i", "j"), np.ones((3, 2))), "v": (("i", "j"), np.ones((3, 2)))}).to_netcdf(
        folder / "cube.nc", engine="h5netcdf"
    )
    monkeypatch.chdir(folder)
    code, _, err = call(capsys, *args)
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_options_are_one_line_pointing_to_help(capsys):
    for args, message in [
        (["fit", "x.csv", "--components", "3-1"], "not a number of components or a range"),
        (["fit", "x.csv", "--covariance", "fulll"], "choose from full, tied, diag, spherical"),
        (["fit", "x.csv", "--engine", "mcmc"], "choose from em, map, vb"),
        (["fit", "x.csv", "--prune", "2"], "a weight in (0, 1)"),
    ]:
        with pytest.raises(SystemExit) as stop:
            cli.main(args)
        err = capsys.readouterr().err
        assert stop.value.code == 2 and message in err and "see 'bayesgmm fit --help'" in err
        assert len(err.strip().splitlines()) == 1


def test_missing_parquet_library_names_the_extra(tmp_path, capsys, monkeypatch):
    path = tmp_path / "rows.parquet"
    path.write_bytes(b"PAR1")

    def no_pyarrow(*args, **kwargs):
        raise ImportError("Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'.")

    monkeypatch.setattr(pd, "read_parquet", no_pyarrow)
    code, _, err = call(capsys, "fit", path)
    assert code == 2
    assert "needs pyarrow, which is not installed; pip install 'bayesgmm[parquet]'" in err


def test_fit_reads_parquet_netcdf_and_zarr_alike(tmp_path, capsys):
    frame = load_faithful().to_pandas()
    frame["label"] = "x"  # a text column is left out
    frame.to_parquet(tmp_path / "rows.parquet")
    xr.Dataset({c: ("row", frame[c].to_numpy()) for c in ("eruptions", "waiting")}).to_netcdf(
        tmp_path / "columns.nc", engine="h5netcdf"
    )
    load_faithful().to_dataset(name="X").to_zarr(tmp_path / "matrix.zarr", consolidated=False)
    tables = []
    for name in ("rows.parquet", "columns.nc", "matrix.zarr"):
        code, out, err = call(
            capsys,
            "fit",
            tmp_path / name,
            "--components",
            "2",
            "--covariance",
            "full",
            "--no-progress",
        )
        assert code == 0, err
        assert "272 rows x 2 features (eruptions, waiting)" in out
        tables.append(mask_timings(out.split("\n", 1)[1]))  # "fitted in 0.1 s" varies
    assert tables[0] == tables[1] == tables[2]


def test_fit_with_pruning_save_all_and_overwrite(tmp_path, capsys):
    load_faithful().to_pandas().to_csv(tmp_path / "faithful.csv", index=False)
    args = [
        "fit",
        tmp_path / "faithful.csv",
        "--components",
        "2,6",
        "--covariance",
        "tied",
        "--engine",
        "em,vb",
        "--prune",
        "0.05",
        "--standardize",
        "--no-progress",
        "--out",
        tmp_path / "best.nc",
        "--save-all",
        tmp_path / "all",
    ]
    code, out, err = call(capsys, *args)
    assert code == 0, err
    assert "K fitted" in out
    with xr.open_dataset(tmp_path / "all" / "sweep.nc", engine="h5netcdf") as sweep:
        sweep = sweep.load()
    files = sorted(p.name for p in (tmp_path / "all").glob("*-K*.nc"))
    assert files == ["em-tied-K2.nc", "em-tied-K6.nc", "vb-tied-K2.nc", "vb-tied-K6.nc"]
    for name in files:
        engine, _, k = name[:-3].split("-")
        result = bayesgmm.load_result(tmp_path / "all" / name)
        assert result.standardization is not None
        expected = sweep.bic.sel(engine=engine, covariance_type="tied", n_components=int(k[1:]))
        assert result.bic() == pytest.approx(
            float(expected), rel=1e-9
        )  # each file is its cell's fit
        assert result.n_components == sweep.n_components_fitted.sel(
            engine=engine, covariance_type="tied", n_components=int(k[1:])
        )
    code, _, err = call(capsys, *args)
    assert code == 2 and "best.nc exists; pass --overwrite" in err
    code, _, err = call(capsys, *args, "--overwrite")
    assert code == 0, err


def test_every_failed_fit_is_exit_code_1(tmp_path, capsys):
    pd.DataFrame({"a": [0.0, 1.0, 2.0]}).to_csv(tmp_path / "three.csv", index=False)
    code, out, err = call(
        capsys,
        "fit",
        tmp_path / "three.csv",
        "--components",
        "5",
        "--covariance",
        "full",
        "--no-progress",
    )
    assert code == 1
    assert "1 fit(s) failed" in out and "every fit failed" in err


def test_an_unwritable_report_is_exit_code_1(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = call(capsys, "demo", "--n-init", "1", "--out-dir", blocker / "report")
    assert code == 1 and "cannot write the report" in err


def test_fit_sweeps_mclusts_fourteen_models_and_prints_mclusts_table(tmp_path, capsys):
    data = Path(bayesgmm.__file__).parent / "datasets" / "iris.csv"
    code, out, err = call(
        capsys, "fit", data, "--components", "1-3", "--covariance", "all", "--mclust",
        "--n-init", "1", "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    assert "fitting 42 models (engine em; covariance all (14); K 1-3" in out
    assert "42 models fitted" in out
    assert "Bayesian Information Criterion (BIC), mclust's sign (larger is better):" in out
    # the 14 columns in blocks, as R prints a wide table: no line over 100 characters
    lines = [line.split() for line in out.splitlines()]
    headers = [name for line in lines if line[:1] in (["EII"], ["VVE"]) for name in line]
    assert headers == list(MCLUST_MODELS)
    # mclust 6.0.0 on iris: VEV,2 -561.7285 first, VVV,2 -574.0178 third
    top = out.split("Top 3 models based on the BIC criterion:\n", 1)[1].splitlines()
    assert top[0].split() == ["VEV,2", "VEV,3", "VVV,2"]
    assert top[1].split()[0] == "-561.7285" and top[1].split()[2] == "-574.0178"
    assert "best by BIC: em VEV K=2" in out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["fit", str(data), "--covariance", "VEV,XYZ"])
    assert exit_.value.code == 2
    assert "'VEV,XYZ': choose from" in capsys.readouterr().err
