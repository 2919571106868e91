"""The `bayesgmm` command, run as a user would: in a subprocess."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import bayesgmm
from bayesgmm.datasets import load_faithful


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "bayesgmm.cli", *map(str, args)],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )


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


def test_demo_prints_a_readable_summary_of_old_faithful():
    done = run("demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Old Faithful" in out and "2 components" in out
    for word in ("log-likelihood", "BIC", "iterations", "weight", "mean", "covariance", "eruptions", "waiting"):
        assert word in out
    # the well-known two-cluster answer: short eruptions ~2 min after ~54 min, long ~4.3 after ~80
    assert "2.0365" in out and "4.2898" in out


def test_bad_option_is_one_line_and_exit_code_2():
    done = run("demo", "--components", "0")
    assert done.returncode == 2
    assert "n_components must be >= 1" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback():
    done = run("--debug", "demo", "--components", "0")
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_show_summarises_a_saved_fit(saved):
    folder, model, _ = saved
    done = run("show", folder / "fit.nc")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == model.result_.summary().strip()


def test_predict_writes_labels_and_probabilities(saved):
    folder, model, X = saved
    done = run("predict", folder / "fit.nc", folder / "faithful.csv", "--out", folder / "labels.csv", "--proba")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(folder / "labels.csv")
    np.testing.assert_array_equal(table["component"], model.predict(X))
    np.testing.assert_allclose(table[["p0", "p1"]].to_numpy(), model.predict_proba(X), rtol=1e-12)


def test_score_flags_the_lowest_percentile_as_anomalies(saved):
    folder, model, X = saved
    done = run("score", folder / "fit.nc", folder / "faithful.csv", "--anomaly-percentile", 5)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(pd.io.common.StringIO(done.stdout))
    log_density = model.score_samples(X)
    np.testing.assert_allclose(table["log_density"], log_density, rtol=1e-12)
    assert table["anomaly"].sum() == np.sum(log_density <= np.percentile(log_density, 5))
    assert "rows at or below the 5th percentile" in done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "missing.nc"], "missing.nc: no such file"),
        (["predict", "fit.nc", "nothing.csv"], "nothing.csv: no such file"),
        (["predict", "fit.nc", "fit.nc"], "no column(s) ['eruptions', 'waiting']"),
        (["score", "fit.nc", "faithful.csv", "--anomaly-percentile", "150"], "strictly between 0 and 100"),
        (["show", "faithful.csv"], "not a readable netCDF file"),
    ],
)
def test_errors_are_one_clear_line(saved, args, message):
    folder, _, _ = saved
    done = run(*args, cwd=folder)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
