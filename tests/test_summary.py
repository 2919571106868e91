"""Compact summaries: each covariance in its own form, no line over 100 characters, nothing leaked."""

import re

import numpy as np
import pandas as pd
import pytest

import bayesgmm
from bayesgmm import GaussianMixture, cli
from bayesgmm.data.standardize import Standardization
from bayesgmm.fitting.summary import LINE_WIDTH, grid, shorten

COVARIANCES = ["full", "diag", "spherical", "tied", "VEV", "EEI", "EII"]


def clusters(n_features: int, names: bool = True, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(n_features)
    X = rng.standard_normal((n, n_features)) * rng.uniform(0.5, 3, n_features)
    X += np.repeat(np.arange(3) * 6.0, n // 3)[:, None]
    columns = (
        [f"a rather long feature name number {i}" for i in range(n_features)]
        if names
        else [f"x{i}" for i in range(n_features)]
    )
    return pd.DataFrame(X, columns=columns)


def assert_narrow(text: str) -> None:
    long = [line for line in text.splitlines() if len(line) > LINE_WIDTH]
    assert not long, "\n".join(long)
    assert "Empty DataFrame" not in text and "warnings.warn" not in text


@pytest.mark.parametrize("n_features", [1, 2, 4, 10])
@pytest.mark.parametrize("covariance_type", COVARIANCES)
def test_no_summary_line_is_longer_than_100_characters(covariance_type, n_features):
    if n_features == 1 and covariance_type in ("VEV", "EEI", "EII"):
        covariance_type = {"VEV": "V", "EEI": "E", "EII": "E"}[covariance_type]
    X = clusters(n_features)
    model = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert_narrow(model.result_.summary())
    scaling = Standardization.of(X)
    standardised = GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    standardised.fit(scaling.transform(X))
    import dataclasses

    result = dataclasses.replace(standardised.result_, standardization=scaling)
    assert_narrow(result.summary())


@pytest.mark.parametrize(
    "covariance_type, shown, not_shown",
    [
        ("diag", ["  variance  "], ["covariance\n", "shared"]),
        ("VEI", ["  variance  "], ["covariance\n", "shared"]),
        ("spherical", [", variance "], ["  variance  ", "covariance\n", "shared"]),
        ("EII", ["variance shared by every component: "], ["covariance\n", ", variance "]),
        ("EEI", ["covariance shared by every component:\n", "  variance  "], ["  covariance\n"]),
        ("tied", ["covariance shared by every component:\n"], ["  covariance\n"]),
        ("EEE", ["covariance shared by every component:\n"], ["  covariance\n"]),
        ("full", ["  covariance\n"], ["  variance  ", ", variance", "shared"]),
        ("VEV", ["  covariance\n"], ["  variance  ", ", variance", "shared"]),
    ],
)
def test_each_covariance_is_printed_in_its_own_form(covariance_type, shown, not_shown):
    X = clusters(3, names=False)
    summary = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    text = summary.result_.summary() + "\n"
    body = text.split("\ncomponent 0", 1)[1]  # the header names the covariance_type
    for part in shown:
        assert part in body, part
    for part in not_shown:
        assert part not in body, part
    # a diagonal fit prints no D x D matrix: one row of variances, or one number
    matrix_row = re.search(r"^ +x1 +[-\d]", body, flags=re.MULTILINE)
    assert (matrix_row is None) == (covariance_type in ("diag", "VEI", "spherical", "EII", "EEI"))
    if "shared" in shown[0]:
        assert body.count("shared by every component") == 1


def test_a_diag_summary_shows_the_variances_under_the_means():
    X = clusters(2, names=False)
    model = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    lines = model.result_.summary().splitlines()
    at = lines.index("component 0: weight " + f"{model.weights_[0]:.4f}")
    assert lines[at + 1].split() == ["x0", "x1"]
    assert [float(v) for v in lines[at + 2].split()[1:]] == pytest.approx(model.means_[0], rel=1e-4)
    assert lines[at + 3].split()[0] == "variance"
    assert [float(v) for v in lines[at + 3].split()[1:]] == pytest.approx(
        model.covariances_[0], rel=1e-4
    )


def test_the_summary_shows_the_training_thresholds(faithful):
    model = GaussianMixture(2, random_state=0).fit(faithful)
    line = next(s for s in model.result_.summary().splitlines() if "training log-density" in s)
    assert f"5% {model.anomaly_threshold(5):.5g}" in line
    assert f"lowest {model.score_samples(faithful).min():.5g}" in line
    online = GaussianMixture(2, random_state=0).partial_fit(faithful)  # never sees all rows
    assert "training log-density quantiles: not stored" in online.result_.summary()


def test_wide_tables_are_split_into_blocks_of_columns():
    names = [f"feature {i}" for i in range(12)]
    lines = grid(names, [("mean", np.arange(12) * 1000.5)], width=60)
    assert max(len(line) for line in lines) <= 60
    assert len(lines) > 2 and lines[0].split()[:2] == ["feature", "0"]
    assert shorten("a" * 30) == "a" * 9 + ".." + "a" * 9
    assert shorten("short") == "short"


# ------------------------------------------------------------------ the command
def call(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_show_prints_no_line_over_100_characters(tmp_path, capsys, covariance_type):
    model = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(clusters(10))
    bayesgmm.save(model, tmp_path / "fit.nc")
    code, out, err = call(capsys, "show", tmp_path / "fit.nc")
    assert code == 0, err
    assert_narrow(out)
    assert ("  variance  " in out) == (covariance_type == "diag")


def test_the_fit_command_prints_a_narrow_summary_and_table(tmp_path, capsys):
    clusters(10).to_csv(tmp_path / "wide.csv", index=False)
    code, out, err = call(
        capsys,
        "fit",
        tmp_path / "wide.csv",
        "--components",
        "1-3",
        "--covariance",
        "diag,spherical,EEI,VEV",
        "--mclust",
        "--no-progress",
    )
    assert code == 0, err
    # the first line lists the data's columns: it is the reading options' to shorten
    assert_narrow(out.split("\n", 1)[1])
    assert "  variance  " in out.split("best by BIC:")[1]
