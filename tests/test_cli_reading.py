"""How the command reads files nobody here wrote (issue 16).

The odd files are built in tmp_path: a semicolon-separated export with decimal
commas, a '?' among numbers, a header-less file, id and label columns, rows
dropped by --dropna. No column and no row may be left out without a note, and
predict/score write each row's key beside its result.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayesgmm
from bayesgmm import cli
from bayesgmm.io.columns import id_like
from bayesgmm.io.delimited import sniff_separator
from bayesgmm.io.tables import DataFileError, read_rows

FAST = ("--components", "1", "--covariance", "diag", "--n-init", "1", "--no-progress")


def call(capsys, *args):
    """main() in-process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def patients(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "site": rng.choice(["north", "south", "east"], n),
            "age": rng.integers(20, 80, n),
            "bmi": rng.normal(26, 4, n).round(1),
            "glucose": rng.normal(5.5, 1, n).round(2),
        }
    )


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A fit on two named features, and the rows it was fitted on."""
    folder = tmp_path_factory.mktemp("reading")
    frame = patients(60)[["bmi", "glucose"]]
    model = bayesgmm.GaussianMixture(2, random_state=0).fit(frame)
    bayesgmm.save(model, folder / "fit.nc")
    return folder / "fit.nc", model, frame


# ------------------------------------------------------------- separators and decimal marks
def test_semicolon_csv_with_decimal_commas_fits_its_three_numeric_features(tmp_path, capsys):
    frame = patients()
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    header, first = path.read_text().splitlines()[:2]
    assert header == "patient_id;site;age;bmi;glucose" and first.count(",") == 2

    code, out, err = call(capsys, "fit", path, *FAST)
    assert code == 0, err
    assert "40 rows x 3 features (age, bmi, glucose)" in out
    assert "read as semicolon-separated with decimal commas" in err
    assert "left out 2 text columns: patient_id (e.g. 'P000'), site" in err

    rows = read_rows(path)
    pd.testing.assert_frame_equal(rows.features, frame[["age", "bmi", "glucose"]])


@pytest.mark.parametrize(
    "text, sep",
    [
        ("a,b,c\n1.5,2,3\n4,5,6\n", ","),
        ("a;b;c\n1,5;2;3\n4;5,5;6\n", ";"),
        ("a\tb\n1\t2\n3\t4\n", "\t"),
        ("a|b\n1|2\n3|4\n", "|"),
        ('name,score\n"Smith, J",1.5\n"Doe, A",2.5\n', ","),
        ("x\n1.5\n2.5\n", ","),  # one column: no separator at all
        # ',' and ';' both split every line alike: the commas are decimal commas
        ("1;2,5;3,1\n2;4,5;3,2\n", ";"),
        # ... but a ';' inside text does not make the file ';'-separated
        ("a,b\n1,x;y\n2,z;w\n", ","),
    ],
)
def test_the_separator_is_sniffed(text, sep):
    assert sniff_separator(text.splitlines()) == sep


def test_separator_and_decimal_can_be_given(tmp_path, capsys):
    path = tmp_path / "tabs.csv"
    path.write_text("a\tb\n1,5\t2\n2,5\t3\n3,5\t1\n4,5\t7\n")
    rows = read_rows(path, sep="\t", decimal=",")
    np.testing.assert_array_equal(rows.features["a"], [1.5, 2.5, 3.5, 4.5])
    assert rows.notes == ()  # nothing was guessed, so nothing to say
    code, out, err = call(capsys, "fit", path, "--sep", "tab", "--decimal", ",", *FAST)
    assert code == 0, err
    assert "4 rows x 2 features (a, b)" in out


def test_decimal_commas_are_not_guessed_when_the_file_has_decimal_points(tmp_path):
    # a ';'-separated file whose numbers use '.': the text column with commas stays text
    path = tmp_path / "mixed.csv"
    path.write_text("a;b;c\n1.5;2,5;x\n2.5;3,5;y\n3.25;1,5;z\n")
    rows = read_rows(path)
    assert list(rows.features.columns) == ["a"]
    assert any("b (e.g. '2,5'; decimal commas? pass --decimal ,)" in n for n in rows.notes)


def test_a_line_with_more_fields_than_the_header_is_an_error(tmp_path, capsys):
    # pandas would make the first column the index, or drop the extra field with a warning
    path = tmp_path / "ragged.csv"
    path.write_text("x\n1,5\n2,5\n")
    code, _, err = call(capsys, "fit", path, *FAST)
    assert code == 2
    assert "some lines have more fields than the first line" in err and "--sep" in err
    path.write_text("1,2\n3,4,5\n6,7\n")  # no header: pandas' own error, on one line
    code, _, err = call(capsys, "fit", path, *FAST)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "cannot read it as comma-separated text (C error: Expected 2 fields in line 2" in err


def test_a_header_without_rows_is_no_rows(tmp_path):
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(DataFileError, match="empty.csv: no rows to use"):
        read_rows(tmp_path / "empty.csv")


def test_a_file_that_is_not_utf8_is_read_as_windows_1252_with_a_note(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("Größe;Gewicht\n1,5;2\n2,5;3\n3,5;1\n".encode("cp1252"))
    rows = read_rows(path)
    assert list(rows.features.columns) == ["Größe", "Gewicht"]
    assert rows.notes[0] == "not UTF-8 text; read as cp1252"


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz"])
def test_compressed_text_is_read_as_the_same_table(tmp_path, compression):
    frame = patients()
    plain, packed = tmp_path / "export.csv", tmp_path / f"export.csv.{compression}"
    frame.to_csv(plain, sep=";", decimal=",", index=False)
    frame.to_csv(packed, sep=";", decimal=",", index=False)  # pandas compresses by the name
    assert packed.read_bytes()[:2] != plain.read_bytes()[:2]
    read, expected = read_rows(packed), read_rows(plain)
    pd.testing.assert_frame_equal(read.features, expected.features)
    assert read.notes == expected.notes  # the separator and decimal commas found alike


def test_a_file_named_compressed_that_is_not_says_so(tmp_path):
    path = tmp_path / "plain.csv.gz"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataFileError, match=r"plain.csv.gz: cannot decompress it as gz"):
        read_rows(path)


def test_a_compressed_file_of_an_unknown_type_names_the_types(tmp_path):
    path = tmp_path / "data.txt.gz"
    path.write_bytes(b"")
    with pytest.raises(DataFileError, match=r"unknown file type '.gz'; use .csv, .tsv \(also"):
        read_rows(path)


# ------------------------------------------------------------------- tokens among numbers
def test_a_question_mark_among_numbers_is_refused_naming_token_column_and_row(tmp_path, capsys):
    frame = patients()[["age", "bmi", "glucose"]].astype(str)
    frame.loc[[6, 20, 21], "bmi"] = "?"
    path = tmp_path / "uci.csv"
    frame.to_csv(path, index=False)
    code, _, err = call(capsys, "fit", path, *FAST)
    assert code == 2
    assert "column 'bmi' holds '?' in 3 rows (first: row 7) among its numbers" in err
    assert "pass --na-values '?' (and --dropna" in err
    assert len(err.strip().splitlines()) == 1

    # read as missing: then the rows are an error of their own, or left out with --dropna
    code, _, err = call(capsys, "fit", path, "--na-values", "?", *FAST)
    assert code == 2
    assert "3 row(s) have missing values (first: row 7, column 'bmi'); pass --dropna" in err
    code, out, err = call(capsys, "fit", path, "--na-values", "?", "--dropna", *FAST)
    assert code == 0, err
    assert "left out 3 rows with missing values (rows 7, 21, 22)" in err
    assert "37 rows x 3 features (age, bmi, glucose)" in out


def test_every_token_of_every_column_is_named(tmp_path):
    path = tmp_path / "tokens.csv"
    path.write_text("a,b,c\n1,2,x\n?,3,y\nn/d,?,z\n4,5,w\n6,7,v\n")
    with pytest.raises(DataFileError) as error:
        read_rows(path)
    message = str(error.value)
    assert "column 'a' holds '?' in 1 row (first: row 2) and 'n/d' in 1 row (first: row 3)" in (
        message
    )
    assert "column 'b' holds '?' in 1 row (first: row 3)" in message
    assert "--na-values '?,n/d'" in message
    rows = read_rows(path, na_values=["?", "n/d"], dropna=True)
    np.testing.assert_array_equal(rows.row_numbers, [1, 4, 5])
    assert "left out 1 text column: c (e.g. 'x')" in rows.notes


def test_tokens_in_a_column_not_used_are_no_error(tmp_path):
    path = tmp_path / "tokens.csv"
    path.write_text("a,b,c\n1,2,?\n2,3,4\n3,1,5\n4,5,6\n")
    rows = read_rows(path, ["a", "b"])
    assert list(rows.features.columns) == ["a", "b"]


def test_tokens_in_parquet_text_are_read_as_missing_too(tmp_path):
    frame = pd.DataFrame({"a": ["1.5", "?", "2.5", "3.5"], "b": [1.0, 2.0, 3.5, 4.0]})
    frame.to_parquet(tmp_path / "rows.parquet")
    with pytest.raises(DataFileError, match="column 'a' holds '\\?' in 1 row \\(first: row 2\\)"):
        read_rows(tmp_path / "rows.parquet")
    rows = read_rows(tmp_path / "rows.parquet", na_values=["?"], dropna=True)
    np.testing.assert_array_equal(rows.features["a"], [1.5, 2.5, 3.5])
    np.testing.assert_array_equal(rows.row_numbers, [1, 3, 4])


# ------------------------------------------------------------------------------ headers
def test_a_header_less_file_keeps_its_first_row(tmp_path, capsys):
    rng = np.random.default_rng(1)
    values = rng.normal(size=(30, 3)).round(3)
    path = tmp_path / "plain.csv"
    np.savetxt(path, values, delimiter=",", fmt="%.3f")
    rows = read_rows(path)
    np.testing.assert_array_equal(rows.features.to_numpy(), values)
    assert list(rows.features.columns) == ["V1", "V2", "V3"]
    assert "the first line holds only numbers" in rows.notes[0]
    assert "--header reads it as names" in rows.notes[0]

    code, out, err = call(capsys, "fit", path, *FAST)
    assert code == 0, err
    assert "30 rows x 3 features (V1, V2, V3)" in out

    # said explicitly, no note; --header keeps pandas' reading (numbers as names)
    assert read_rows(path, header=False).notes == ()
    assert len(read_rows(path, header=True).features) == 29


def test_no_header_reads_every_line_as_data(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("height,weight\n1.5,2\n2.5,3\n3.5,1\n")
    with pytest.raises(DataFileError) as error:
        read_rows(path, header=False)
    assert "column 'V1' holds 'height' in 1 row (first: row 1)" in str(error.value)
    assert "is row 1 a header line? then do not pass --no-header" in str(error.value)


# ------------------------------------------------------------------- ids and labels
@pytest.mark.parametrize(
    "name, values, reason",
    [
        ("id", [7, 3, 9, 12], "integers named like an id"),
        ("sample_id", [7, 3, 9, 12], "integers named like an id"),
        ("patientId", [7, 3, 9, 12], "integers named like an id"),
        ("Unnamed: 0", [7, 3, 9, 12], "integers named like an id"),
        ("target", [0, 1, 1, 0], "integers named like labels"),
        ("class", [1.0, 2.0, 2.0, 1.0], "integers named like labels"),
        ("rowno", list(range(10)), "the integers 0..9, each once: a row number"),
        (
            "n",
            [1004, 1002, 1001, 1003, *range(1005, 1011)],
            "the integers 1001..1010, each once: a row number",
        ),
        ("count", [3, 1, 2, 4], None),  # too few rows to call consecutive integers a row number
        # features: a measurement with a fraction, distinct integers with gaps (galaxies)
        ("id", [1.5, 2.0, 3.0, 4.0], None),
        ("velocity", [9172, 9350, 9483, 9558], None),
        ("target", [0.3, 1.2, 1.1, 0.4], None),
        ("x", [1.0, 2.0, 3.0, 4.0], None),  # written with a decimal point: a measurement
        ("valid", [3, 1, 4, 1], None),
    ],
)
def test_id_and_label_columns(name, values, reason):
    assert id_like(name, pd.Series(values)) == reason


def test_integer_label_and_id_columns_are_left_out_with_a_note(tmp_path, capsys):
    frame = patients()[["age", "bmi", "glucose"]]
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame["target"] = np.arange(len(frame)) % 2
    frame["class"] = np.arange(len(frame)) % 3
    path = tmp_path / "labelled.csv"
    frame.to_csv(path, index=False)
    code, out, err = call(capsys, "fit", path, *FAST)
    assert code == 0, err
    assert "40 rows x 3 features (age, bmi, glucose)" in out
    assert (
        "left out 3 id or label columns: id (integers named like an id), target (integers "
        "named like labels), class (integers named like labels); to fit one, list it with the "
        "features in --columns"
    ) in err
    code, out, err = call(capsys, "fit", path, "--columns", "age,bmi,target", *FAST)
    assert code == 0, err
    assert "40 rows x 3 features (age, bmi, target)" in out and "left out" not in err


def test_pandas_written_index_is_left_out(tmp_path):
    frame = patients()[["bmi", "glucose"]]
    frame.to_csv(tmp_path / "indexed.csv")  # pandas' default: the index, with no header
    rows = read_rows(tmp_path / "indexed.csv")
    assert list(rows.features.columns) == ["bmi", "glucose"]
    assert "Unnamed: 0 (integers named like an id)" in rows.notes[0]


def test_galaxies_distinct_integers_stay_a_feature(tmp_path):
    rows = read_rows(bayesgmm.datasets.__path__[0] + "/galaxies.csv")
    assert list(rows.features.columns) == ["velocity"] and rows.notes == ()


def test_empty_and_non_numeric_columns_are_noted(tmp_path):
    frame = pd.DataFrame(
        {
            "a": [1.5, 2.5, 3.5],
            "empty": [np.nan] * 3,
            "flag": [True, False, True],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        }
    )
    frame.to_parquet(tmp_path / "kinds.parquet")
    rows = read_rows(tmp_path / "kinds.parquet")
    assert list(rows.features.columns) == ["a"]
    assert "left out 1 empty column (no values): empty" in rows.notes
    assert any(
        n.startswith("left out 2 non-numeric columns: flag (bool), when (") for n in rows.notes
    )


def test_nothing_numeric_says_what_was_left_out(tmp_path, capsys):
    path = tmp_path / "ids.csv"
    path.write_text("id,name\n1,a\n2,b\n3,c\n")
    code, _, err = call(capsys, "fit", path, *FAST)
    assert code == 2
    assert "no numeric columns to use (left out 1 text column: name (e.g. 'a'); left out" in err


def test_netcdf_variables_off_the_rows_are_noted(tmp_path):
    ds = xr.Dataset(
        {
            "a": ("row", [1.5, 2.5, 3.5]),
            "b": ("row", [1.0, 2.5, 0.5]),
            "name": ("row", ["x", "y", "z"]),
            "unit": ("other", ["cm", "kg"]),
        }
    )
    ds.to_netcdf(tmp_path / "rows.nc", engine="h5netcdf")
    rows = read_rows(tmp_path / "rows.nc")
    assert list(rows.features.columns) == ["a", "b"]
    assert rows.notes == (
        "left out variable(s) not along the rows: unit",
        "left out 1 text column: name (e.g. 'x')",
    )


# ------------------------------------------------------------ row keys of predict and score
def test_predict_after_dropna_keys_each_label_by_its_row_number(tmp_path, capsys, model_file):
    path, model, frame = model_file
    data = frame.copy()
    data.loc[[2, 9], "glucose"] = np.nan
    data.to_csv(tmp_path / "gaps.csv", index=False)
    code, out, err = call(capsys, "predict", path, tmp_path / "gaps.csv", "--dropna", "--proba")
    assert code == 0, err
    assert "left out 2 rows with missing values (rows 3, 10)" in err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert list(table.columns) == ["row", "component", "p0", "p1"]
    kept = np.setdiff1d(np.arange(len(frame)), [2, 9])
    np.testing.assert_array_equal(table["row"], kept + 1)  # 1 = the first row of data
    np.testing.assert_array_equal(table["component"], model.predict(frame.iloc[kept]))


def test_score_writes_the_id_column_beside_each_row(tmp_path, capsys, model_file):
    path, model, frame = model_file
    data = frame.copy()
    data.insert(0, "sample_id", [f"S{i}" for i in range(len(frame))])
    data.loc[4, "bmi"] = np.nan
    data.to_csv(tmp_path / "samples.csv", index=False)
    code, out, err = call(capsys, "score", path, tmp_path / "samples.csv", "--dropna")
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert list(table.columns) == ["sample_id", "log_density"]
    assert "S4" not in set(table["sample_id"]) and table["sample_id"].iloc[4] == "S5"
    kept = frame.drop(index=4)
    np.testing.assert_allclose(table["log_density"], model.score_samples(kept), rtol=1e-12)


def test_id_column_option_names_the_key(tmp_path, capsys, model_file):
    path, model, frame = model_file
    data = frame.copy()
    data["code"] = np.arange(len(frame)) * 10 + 7
    data.to_csv(tmp_path / "coded.csv", index=False)
    code, out, err = call(capsys, "predict", path, tmp_path / "coded.csv", "--id-column", "code")
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    np.testing.assert_array_equal(table["code"], data["code"])
    np.testing.assert_array_equal(table["component"], model.predict(frame))
    # the id column is never a feature
    code, _, err = call(
        capsys, "fit", tmp_path / "coded.csv", "--columns", "bmi,code", "--id-column", "code", *FAST
    )
    assert code == 2 and "leave it out of --columns" in err


def test_predict_on_a_header_less_file_names_the_columns(tmp_path, capsys, model_file):
    path, model, frame = model_file
    np.savetxt(tmp_path / "plain.csv", frame.to_numpy(), delimiter=",", fmt="%.17g")
    code, _, err = call(capsys, "predict", path, tmp_path / "plain.csv")
    assert code == 2 and "no column(s) ['bmi', 'glucose']; it has ['V1', 'V2']" in err
    code, out, err = call(capsys, "predict", path, tmp_path / "plain.csv", "--columns", "V1,V2")
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    np.testing.assert_array_equal(table["row"], np.arange(1, len(frame) + 1))
    np.testing.assert_array_equal(table["component"], model.predict(frame))
    code, _, err = call(capsys, "predict", path, tmp_path / "plain.csv", "--columns", "V1")
    assert code == 2 and "--columns names 1 column(s), but the model has 2 features" in err


def test_reading_options_are_on_every_command_that_reads_data():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in ("fit", "predict", "score"):
        text = commands[name].format_help()
        for option in (
            "--sep",
            "--decimal",
            "--na-values",
            "--columns",
            "--id-column",
            "--no-header",
            "--dropna",
        ):
            assert option in text, (name, option)


def test_the_row_key_is_an_id_column_with_distinct_values_else_the_row_number(tmp_path):
    frame = pd.DataFrame({"a": [1.5, 2.5, 3.5, 0.5], "b": [1.0, 0.5, 2.5, 4.0]})
    frame.to_csv(tmp_path / "indexed.csv")  # 'Unnamed: 0': pandas' index, not a key
    assert read_rows(tmp_path / "indexed.csv").key_column().name == "row"
    frame.assign(batch_id=[1, 1, 2, 2]).to_csv(tmp_path / "batches.csv", index=False)
    rows = read_rows(tmp_path / "batches.csv")  # repeated values do not single out a row
    assert rows.key is None and rows.key_column().tolist() == [1, 2, 3, 4]
    rows = read_rows(tmp_path / "batches.csv", id_column="batch_id")  # said: used, with a note
    assert rows.key_column().name == "batch_id"
    assert "the id column 'batch_id' repeats values (4 rows, e.g. '1')" in rows.notes[0]
