"""``bayesgmm fit --label``, ``predict`` and ``show`` with a classifier."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

import bayesgmm
from bayesgmm import cli

DIABETES = Path(bayesgmm.__file__).parent / "datasets" / "diabetes.csv"


def call(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_fit_label_predict_and_show_a_classifier(tmp_path, capsys):
    data = tmp_path / "diabetes.csv"
    shutil.copy(DIABETES, data)
    saved = tmp_path / "edda.nc"
    code, out, err = call(
        capsys, "fit", data, "--label", "class", "--kind", "edda", "--covariance", "full,tied,diag",
        "--folds", "5", "--out", saved,
    )  # fmt: skip
    assert code == 0, err
    assert "3 classes in 'class' (Chemical, Normal, Overt)" in out
    assert "Classification error = 0.0552" in out  # mclust's EDDA on diabetes: VVV, 8 of 145
    assert "5-fold cross-validated error = " in out
    # the first line lists the data's columns; the summary stays within 100 characters
    assert max(len(line) for line in out.splitlines()[1:]) <= 100
    code, out, err = call(capsys, "predict", saved, data)
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert list(table.columns) == [
        "row",
        "class",
        "p_Chemical",
        "p_Normal",
        "p_Overt",
        "uncertainty",
    ]
    truth = pd.read_csv(data)["class"]
    assert (table["class"] != truth).sum() == 8
    assert table[["p_Chemical", "p_Normal", "p_Overt"]].sum(axis=1).to_numpy() == pytest.approx(1)
    code, out, _ = call(capsys, "show", saved)
    assert code == 0 and "Gaussian mixture classifier (EDDA)" in out
    loaded = bayesgmm.load(saved)
    assert loaded.covariance_type_ == "full"  # mclust: VVV


def test_fit_label_refuses_what_a_classifier_does_not_do(tmp_path, capsys):
    data = tmp_path / "diabetes.csv"
    shutil.copy(DIABETES, data)
    code, _, err = call(capsys, "fit", data, "--label", "class", "--standardize")
    assert code == 2 and "--standardize cannot be used with --label" in err
    code, _, err = call(
        capsys, "fit", data, "--label", "class", "--noise", "--missing", "marginalize"
    )
    assert code == 2 and "--noise, --missing marginalize cannot be used with --label" in err
    code, _, err = call(capsys, "fit", data, "--label", "diagnosis")
    assert code == 2 and "no column 'diagnosis' to take the labels from" in err


def test_show_prints_the_cluster_quality_on_data(tmp_path, capsys):
    data = tmp_path / "diabetes.csv"
    shutil.copy(DIABETES, data)
    saved = tmp_path / "fit.nc"
    assert (
        call(capsys, "fit", data, "--components", "3", "--covariance", "full", "--out", saved)[0]
        == 0
    )
    code, out, err = call(capsys, "show", saved, "--data", data)
    assert code == 0, err
    assert "cluster quality: normalised entropy" in out and "silhouette" in out
    assert "rows above 0.2" in out
