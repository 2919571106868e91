"""Model selection marks models too large for their data, and the command says so cleanly."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesgmm
from bayesgmm import cli
from bayesgmm.exceptions import OverparameterizedWarning
from bayesgmm.model_selection.model_size import describe_ks
from bayesgmm.model_selection.select import sweep_table


@pytest.fixture(scope="module")
def few_rows():
    """60 rows of 6 features: a full K=2 model has 55 parameters, K=3 has 83 (more than rows)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 6)) + np.repeat([0.0, 8.0], 30)[:, None]
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])


def test_select_marks_and_warns_once_listing_them(few_rows):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sweep = bayesgmm.select(
            few_rows, [1, 2, 3], ["full", "spherical"], progress=False, random_state=0
        )
    mine = [w for w in caught if issubclass(w.category, OverparameterizedWarning)]
    assert len(mine) == 1
    message = str(mine[0].message)
    full = sweep.sel(engine="em", covariance_type="full")
    np.testing.assert_array_equal(full.n_parameters, [27, 55, 83])
    np.testing.assert_allclose(full.rows_per_parameter, 60 / np.array([27, 55, 83]))
    # at least 5 rows per parameter, as mclust users expect: every full model is marked
    np.testing.assert_array_equal(full.overparameterized, [True, True, True])
    spherical = sweep.sel(engine="em", covariance_type="spherical")
    np.testing.assert_array_equal(spherical.overparameterized, spherical.n_parameters > 12)
    assert "fewer than 5 rows per free parameter (60 rows)" in message
    assert "1 of them more parameters than rows" in message
    assert "em full K=1-3" in message and mine[0].filename == __file__
    table = sweep_table(sweep)
    assert bool(table.overparameterized.sel(model="em full K=3"))
    assert not bool(table.overparameterized.sel(model="em spherical K=1"))


def test_the_warning_names_a_winner_that_is_marked():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 8))
    with pytest.warns(OverparameterizedWarning, match=r"among them em full K=1, the best by"):
        bayesgmm.select(X, [1], ["full"], progress=False, random_state=0)


def test_no_warning_when_every_model_has_enough_rows(faithful, recwarn):
    sweep = bayesgmm.select(faithful, [1, 2], ["full"], progress=False, random_state=0)
    assert not sweep.overparameterized.any()
    assert not [w for w in recwarn if issubclass(w.category, OverparameterizedWarning)]


def test_rows_are_the_rows_of_positive_weight(few_rows):
    weights = np.r_[np.zeros(30), np.full(30, 3.0)]
    with pytest.warns(OverparameterizedWarning, match=r"\(30 rows\)"):
        sweep = bayesgmm.select(
            few_rows, [1], ["spherical"], sample_weight=weights, progress=False, random_state=0
        )
    assert float(sweep.rows_per_parameter.squeeze()) == 30 / 7


def test_a_saved_sweep_keeps_its_marks(few_rows, tmp_path):
    with pytest.warns(OverparameterizedWarning):
        sweep = bayesgmm.select(few_rows, [1, 2], ["full"], progress=False, random_state=0)
    bayesgmm.save(sweep, tmp_path / "sweep.nc")
    import xarray as xr

    with xr.open_dataset(tmp_path / "sweep.nc", engine="h5netcdf") as loaded:
        np.testing.assert_array_equal(loaded.overparameterized, sweep.overparameterized)


def test_k_ranges_are_compact():
    assert describe_ks([1, 2, 3, 5]) == "1-3,5"
    assert describe_ks([2, 3, 7, 8, 9]) == "2,3,7-9"


# ------------------------------------------------------------------ the command
def call(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_ranked_table_marks_them_with_a_legend(few_rows, tmp_path, capsys):
    few_rows.to_csv(tmp_path / "few.csv", index=False)
    code, out, err = call(
        capsys,
        "fit",
        tmp_path / "few.csv",
        "--components",
        "1-3",
        "--covariance",
        "full,spherical",
        "--no-progress",
    )
    assert code == 0, err
    rows = {
        (line.split()[2], line.split()[3]): line
        for line in out.splitlines()
        if line.split()[1:2] == ["em"]
    }
    assert " 83 !! " in rows["full", "3"] and " 55 !  " in rows["full", "2"]
    assert "!" not in rows["spherical", "1"]
    assert "!  fewer than 5 rows per free parameter (60 rows); !! more free parameters" in out
    # the warning is one clean line: no file name, line number or source line
    lines = [line for line in err.splitlines() if "warning" in line]
    assert len(lines) == 1 and lines[0].startswith(
        "bayesgmm fit: warning: OverparameterizedWarning: 5 of 6 fitted models"
    )
    assert ".py:" not in err and "warnings.warn" not in err and "select(" not in err


def test_warnings_are_one_line_and_the_filters_are_restored(tmp_path, capsys):
    pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5, 6, 7], "b": [1.0, 3, 2, 5, 4, 7, 6, 9]}).to_csv(
        tmp_path / "tiny.csv", index=False
    )
    before = (warnings.showwarning, list(warnings.filters))
    code, out, err = call(
        capsys, "fit", tmp_path / "tiny.csv", "--components", "1-2", "--no-progress"
    )
    assert (warnings.showwarning, list(warnings.filters)) == before
    assert code == 0, err
    assert "bayesgmm fit: warning: OverparameterizedWarning:" in err
    assert all(line.startswith("bayesgmm fit: warning: ") for line in err.splitlines())


def test_when_every_fit_fails_no_pandas_internals_are_printed(tmp_path, capsys):
    pd.DataFrame({"a": [0.0, 1, 2], "b": [1.0, 0, 2]}).to_csv(tmp_path / "three.csv", index=False)
    code, out, err = call(
        capsys, "fit", tmp_path / "three.csv", "--components", "5", "--no-progress"
    )
    assert code == 1
    assert "(no model could be fitted)" in out and "Empty DataFrame" not in out + err
    assert "every fit failed" in err
