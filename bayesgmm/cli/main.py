"""The ``bayesgmm`` command: ``demo``, ``fit``, ``predict``, ``score`` and ``show``.

Exit codes: 0 success; 1 the work failed (no model could be fitted, a file
could not be written); 2 bad usage or bad input (unknown option, unreadable or
unsuitable data, not a bayesgmm result); 130 interrupted.  Errors print one
line to stderr; ``--debug`` prints the traceback instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import textwrap
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import __version__
from ..engines import ENGINES
from ..families import FAMILIES

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

EXIT_CODES = """\
exit codes:
  0    success
  1    the work failed: no model could be fitted, a file could not be written
  2    bad usage or input: unknown option, unreadable or unsuitable data, not a bayesgmm result
  130  interrupted (Ctrl-C)
a closed output pipe (`| head`) ends a command quietly with exit code 1
errors are one line on stderr; --debug (before the command) shows the traceback"""

COVARIANCE_TYPES = tuple(FAMILIES)  # the registered families (full, tied, diag, spherical, ...)
ENGINE_NAMES = tuple(ENGINES)  # the registered engines (em, map, vb, ...)
DATA_SUFFIXES = (".csv", ".parquet", ".nc", ".zarr")


class UsageError(Exception):
    """Bad input from the command line: exit code 2."""


class WorkFailed(Exception):
    """The input was fine but the work could not be done: exit code 1."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors that point to ``--help``."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ------------------------------------------------------------------ reading data
def _missing_library(path: Path, library: str, extra: str) -> UsageError:
    return UsageError(
        f"{path}: reading {path.suffix} files needs {library}, which is not installed; "
        f"pip install 'bayesgmm[{extra}]'"
    )


def _frame_of_dataset(ds, path: Path):
    """A table from a netCDF/Zarr Dataset: 1-D variables on one dim, or one 2-D matrix."""
    import pandas as pd

    if ds.attrs.get("format") == "bayesgmm.FitResult":
        raise UsageError(f"{path}: this is a saved bayesgmm fit, not data; give the rows to use")
    numeric = {name: var for name, var in ds.data_vars.items() if var.dtype.kind in "fiu"}
    if not numeric:
        raise UsageError(f"{path}: no numeric variables to use")
    dims = {var.dims for var in numeric.values()}
    if all(len(d) == 1 for d in dims) and len(dims) == 1:
        return pd.DataFrame({name: var.values for name, var in numeric.items()})
    matrices = {name: var for name, var in numeric.items() if var.ndim == 2}
    if len(matrices) == 1:
        (name, var), = matrices.items()
        rows, columns = var.dims
        labels = (var[columns].values if columns in var.coords
                  else [f"{name}{i}" for i in range(var.shape[1])])
        return pd.DataFrame(np.asarray(var.values), columns=[str(label) for label in labels])
    raise UsageError(
        f"{path}: cannot tell the rows and columns apart (variables {sorted(numeric)} with dims "
        f"{sorted(dims)}); store 1-D variables along one row dimension, or one 2-D variable "
        "(rows, features)"
    )


def read_table(path: str | Path, columns: Sequence[str] | None = None, *, dropna: bool = False):
    """Read CSV, Parquet, netCDF or Zarr into a pandas DataFrame of the chosen columns.

    Without ``columns``, every numeric column is used.  Rows with missing
    values are an error unless ``dropna`` (then they are dropped, and the
    count is reported on stderr).
    """
    import pandas as pd
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise UsageError(f"{path}: unknown file type {suffix!r}; use .csv, .parquet, .nc or .zarr")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".zarr":
            with warnings.catch_warnings():
                # a store without consolidated metadata is read all the same; xarray only says so
                warnings.filterwarnings("ignore", "Failed to open Zarr store with consolidated",
                                        RuntimeWarning)
                opened = xr.open_zarr(path, chunks=None)
            with opened as ds:
                frame = _frame_of_dataset(ds.load(), path)
        else:
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                frame = _frame_of_dataset(ds.load(), path)
    except UsageError:
        raise
    except ImportError as exc:
        if suffix == ".parquet":
            raise _missing_library(path, "pyarrow", "parquet") from None
        if suffix == ".zarr":
            raise _missing_library(path, "zarr", "dask") from None
        raise UsageError(f"{path}: cannot read it ({exc})") from None
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
        raise UsageError(f"{path}: cannot read it as {suffix[1:]} ({type(exc).__name__}: {exc})") from None
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise UsageError(f"{path}: no column(s) {missing}; it has {list(map(str, frame.columns))}")
        frame = frame[list(columns)]
        text = [str(c) for c in frame.columns if frame[c].dtype.kind not in "fiu"]
        if text:
            raise UsageError(f"{path}: column(s) {text} are not numeric; choose others with --columns")
    else:
        frame = frame.select_dtypes("number")
        if frame.shape[1] == 0:
            raise UsageError(f"{path}: no numeric columns to use")
    frame.columns = [str(c) for c in frame.columns]
    incomplete = frame.isna().any(axis=1).to_numpy()
    if incomplete.any():
        if not dropna:
            raise UsageError(
                f"{path}: {int(incomplete.sum())} row(s) have missing values (first: row "
                f"{int(np.flatnonzero(incomplete)[0])}); pass --dropna to leave them out, or impute them"
            )
        frame = frame.loc[~incomplete].reset_index(drop=True)
        print(f"left out {int(incomplete.sum())} row(s) with missing values", file=sys.stderr)
    if len(frame) == 0:
        raise UsageError(f"{path}: no rows to use")
    return frame


def _model_columns(model) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _load_model(path: str):
    """The fitted estimator in a result file; standardisation is the caller's to apply."""
    from ..estimator import GaussianMixture
    from ..io import load_result

    if not Path(path).exists():
        raise UsageError(f"{path}: no such file")
    return GaussianMixture.from_result(load_result(path))


def _model_rows(model, data_path: str, dropna: bool):
    """The data's rows in the model's units (standardised if the fit was) and the frame read."""
    frame = read_table(data_path, _model_columns(model), dropna=dropna)
    if frame.shape[1] != model.n_features_in_:
        raise UsageError(
            f"{data_path}: {frame.shape[1]} numeric column(s) {list(frame.columns)}, but the model "
            f"has {model.n_features_in_} features; the model's file keeps no column names, so "
            "give a file with exactly its columns"
        )
    scaling = model.result_.standardization
    return (frame if scaling is None else scaling.transform(frame)), scaling


def _write_csv(frame, out: str | None) -> None:
    if out is None:
        frame.to_csv(sys.stdout, index=False)
        return
    try:
        frame.to_csv(out, index=False)
    except OSError as exc:
        raise WorkFailed(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out} ({len(frame)} rows)", file=sys.stderr)


# ------------------------------------------------------------------ commands
def _show(args: argparse.Namespace) -> int:
    model = _load_model(args.result)
    print(model.result_.summary())
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    model = _load_model(args.result)
    X, _ = _model_rows(model, args.data, args.dropna)
    table = pd.DataFrame({"component": model.predict(X)})
    if args.proba:
        proba = model.predict_proba(X)
        for k in range(proba.shape[1]):
            table[f"p{k}"] = proba[:, k]
    _write_csv(table, args.out)
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.anomaly_percentile is not None and not 0 < args.anomaly_percentile < 100:
        raise UsageError("--anomaly-percentile must lie strictly between 0 and 100")
    model = _load_model(args.result)
    X, scaling = _model_rows(model, args.data, args.dropna)
    # the density of the rows in their own units: the standardisation's Jacobian is a constant
    log_density = model.score_samples(X) + (0.0 if scaling is None else scaling.log_jacobian)
    table = pd.DataFrame({"log_density": log_density})
    if args.anomaly_percentile is not None:
        threshold = np.percentile(log_density, args.anomaly_percentile)
        table["anomaly"] = log_density <= threshold
        print(
            f"{int(table['anomaly'].sum())} of {len(table)} rows at or below the "
            f"{args.anomaly_percentile:g}th percentile of log-density ({threshold:.4f})",
            file=sys.stderr,
        )
    _write_csv(table, args.out)
    return EXIT_OK


def _parse_components(text: str) -> list[int]:
    """``"1-8"``, ``"3"``, ``"2,4,6"`` or ``"1-3,6"`` as a sorted list of positive integers."""
    values: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                low, high = (int(v) for v in part.split("-", 1))
                if low > high:
                    raise ValueError
                values.update(range(low, high + 1))
            else:
                values.add(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of components or a range such as 1-8 or 2,4,6"
            ) from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: numbers of components must be at least 1")
    return sorted(values)


def _choice_list(valid: Sequence[str]):
    def parse(text: str) -> list[str]:
        values = list(valid) if text == "all" else [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in valid]
        if unknown or not values:
            raise argparse.ArgumentTypeError(
                f"{text!r}: choose from {', '.join(valid)} (comma-separated) or all"
            )
        return list(dict.fromkeys(values))

    return parse


def _prune_threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = np.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the pruning threshold is a weight in (0, 1), e.g. 0.01")
    return value


def _ranked(sweep, criterion: str):
    """The sweep's successful fits as a DataFrame, best first by ``criterion``."""
    frame = sweep[["bic", "aic", "icl", "log_likelihood", "n_parameters", "n_iter", "converged",
                   "n_components_fitted", "n_components_used"]].to_dataframe().reset_index()
    frame = frame[np.isfinite(frame["bic"])].sort_values(criterion, kind="stable")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame.rename(columns={"covariance_type": "covariance", "n_components": "K",
                                 "log_likelihood": "log-lik", "n_parameters": "params",
                                 "n_iter": "iters", "n_components_fitted": "K fitted",
                                 "n_components_used": "K used"})


def _format_ranked(frame, top: int, pruned: bool) -> str:
    shown = frame if top <= 0 else frame.head(top)
    if not pruned:
        shown = shown.drop(columns="K fitted")
    shown = shown.astype({"params": int, "iters": int, "K used": int}
                         | ({"K fitted": int} if pruned else {}))
    return shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def _fit(args: argparse.Namespace) -> int:
    from ..data.standardize import Standardization
    from ..model_selection.select import best, best_model, select, sweep_model

    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not args.overwrite:
        raise UsageError(f"{out} exists; pass --overwrite to replace it")
    if out is not None and out.suffix != ".nc":
        raise UsageError(f"--out {out}: a fit is saved as netCDF; give a name ending in .nc")
    frame = read_table(args.data, args.columns, dropna=args.dropna)
    scaling = Standardization.of(frame) if args.standardize else None
    X = frame if scaling is None else scaling.transform(frame)
    estimator_params = {"tol": args.tol, "max_iter": args.max_iter}
    if args.prune is not None:
        estimator_params["prune"] = args.prune
    print(
        f"{args.data}: {len(frame)} rows x {frame.shape[1]} features ({', '.join(frame.columns)})"
        f"{', standardised' if scaling is not None else ''}; fitting "
        f"{_count(len(args.engine) * len(args.covariance) * len(args.components), 'model')} "
        f"(engine {','.join(args.engine)}; covariance {','.join(args.covariance)}; "
        f"K {_describe_ks(args.components)}; n_init {args.n_init}, seed {args.seed})",
        flush=True,
    )
    started = time.perf_counter()
    sweep = select(
        X, args.components, args.covariance, args.engine, n_init=args.n_init,
        random_state=args.seed, progress=not args.no_progress, **estimator_params,
    )
    elapsed = time.perf_counter() - started
    ranked = _ranked(sweep, args.criterion)
    failed = [(e, c, int(k), str(sweep.fit_error.sel(engine=e, covariance_type=c, n_components=k).item()))
              for e in sweep.engine.values for c in sweep.covariance_type.values
              for k in sweep.n_components.values
              if sweep.fit_error.sel(engine=e, covariance_type=c, n_components=k).item()]
    lines = [f"{_count(len(ranked), 'model')} fitted in {elapsed:.1f} s, ranked by {args.criterion.upper()} "
             "(lower is better; mclust's BIC is the negative):", "",
             _format_ranked(ranked, args.top, args.prune is not None)]
    if args.top > 0 and len(ranked) > args.top:
        lines.append(f"... {len(ranked) - args.top} more (--top 0 shows all)")
    if failed:
        lines.append(f"{len(failed)} fit(s) failed:")
        lines.extend(f"  {e} {c} K={k}: {reason}" for e, c, k, reason in failed[:10])
    not_converged = int((~ranked["converged"]).sum())
    if not_converged:
        lines.append(f"{not_converged} fit(s) did not converge within --max-iter {args.max_iter}")
    print("\n".join(lines), flush=True)
    if not len(ranked):
        raise WorkFailed("every fit failed (see above); try fewer components or another covariance type")

    chosen = _with_standardization(best_model(sweep, X, args.criterion), scaling)
    winner = best(sweep, args.criterion)
    label = f"{winner['engine']} {winner['covariance_type']} K={winner['n_components']}"
    summary = chosen.result_.summary()
    print(f"\nbest by {args.criterion.upper()}: {label}\n{summary}")
    if out is not None:
        _save(chosen, out, args.overwrite)
        print(f"\nwrote {out}")
    if args.save_all:
        folder = Path(args.save_all)
        folder.mkdir(parents=True, exist_ok=True)
        for _, row in ranked.iterrows():
            model = sweep_model(sweep, row["engine"], row["covariance"], row["K"])
            model.fit(X)
            path = folder / f"{row['engine']}-{row['covariance']}-K{row['K']}.nc"
            _save(_with_standardization(model, scaling), path, overwrite=True)
        _save(sweep, folder / "sweep.nc", overwrite=True)
        print(f"wrote {len(ranked)} fits and sweep.nc to {folder}/")
    if args.report:
        from ..report import describe_files, write_report

        folder = Path(args.report)
        written = write_report(
            folder, {f"{winner['engine']}-{winner['covariance_type']}-K{winner['n_components']}": chosen}, X, sweep=sweep, criterion=args.criterion,
            summary="\n".join(lines) + f"\n\nbest by {args.criterion.upper()}: {label}\n{summary}",
            standardised=scaling is not None, file_stem="best",
        )
        print(f"wrote report {describe_files(folder, written)}")
    if out is None and not args.save_all:
        print("\n(nothing saved: pass --out result.nc to save the best fit)")
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _describe_ks(ks: list[int]) -> str:
    contiguous = ks == list(range(ks[0], ks[-1] + 1))
    return f"{ks[0]}-{ks[-1]}" if contiguous and len(ks) > 2 else ",".join(map(str, ks))


def _with_standardization(model, scaling):
    if scaling is None:
        return model
    from ..estimator import GaussianMixture

    return GaussianMixture.from_result(dataclasses.replace(model.result_, standardization=scaling))


def _save(model, path: Path, overwrite: bool) -> None:
    from ..io import save

    try:
        save(model, path, overwrite=overwrite)
    except FileExistsError:
        raise UsageError(f"{path} exists; pass --overwrite to replace it") from None
    except OSError as exc:
        raise WorkFailed(f"cannot write {path}: {exc.strerror or exc}") from None


def _demo(args: argparse.Namespace) -> int:
    from ..datasets import load_faithful
    from ..diagnostics.posterior import compare
    from ..estimator import GaussianMixture
    from ..report import components_table

    X = load_faithful()
    models = {
        engine: GaussianMixture(
            n_components=args.components, covariance_type=args.covariance, engine=engine,
            n_init=args.n_init, tol=1e-6, max_iter=1000, random_state=args.seed,
        ).fit(X)
        for engine in ENGINE_NAMES
    }
    # ranked by BIC, which every engine has; PSIS-LOO only where a posterior exists (MAP, VB)
    table = compare(models, X, random_state=args.seed, criterion="bic")
    frame = table[["bic", "aic", "icl", "elpd_loo", "se", "p_loo", "log_likelihood",
                   "objective", "n_parameters", "converged"]].to_dataframe()
    frame["iters"] = [models[label].n_iter_ for label in frame.index]
    frame = frame.rename(columns={"log_likelihood": "log-lik", "n_parameters": "params",
                                  "se": "loo se"})
    frame.index.name = "engine"

    parts = [
        f"Old Faithful geyser data ({X.shape[0]} eruptions; eruption time and waiting time to the "
        f"next, in minutes): K={args.components}, covariance {args.covariance!r}, fitted by EM, "
        "MAP-EM and variational Bayes",
        "",
        "criteria, ranked by BIC (bic, aic, icl: lower is better; elpd_loo: PSIS-LOO expected "
        "log predictive density, higher is better, none for EM's point estimate; objective: "
        "log-likelihood, log-posterior, ELBO):",
        frame.to_string(float_format=lambda v: f"{v:.3f}"),
        "",
        "weights and means:",
        components_table(models).to_string(float_format=lambda v: f"{v:.4f}"),
        "",
        "the EM fit:",
        models["em"].result_.summary(),
    ]
    text = "\n".join(parts)
    print(text, flush=True)
    if args.no_report:
        return EXIT_OK
    from ..report import describe_files, write_report

    folder = Path(args.out_dir)
    try:
        written = write_report(folder, models, X, table=table, summary=text, file_stem="faithful")
    except OSError as exc:
        raise WorkFailed(f"cannot write the report to {folder}: {exc.strerror or exc}") from None
    print(f"\nwrote {describe_files(folder, written)}")
    print(f"next: bayesgmm show {folder / 'faithful-em.nc'}\n"
          "      bayesgmm fit YOUR.csv --components 1-8 --out result.nc --report report")
    return EXIT_OK


# ------------------------------------------------------------------ the parser
def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = Parser(
        prog="bayesgmm",
        description="Gaussian mixture models: fit, compare and inspect.",
        epilog=EXIT_CODES,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"bayesgmm {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, description: str):
        return commands.add_parser(name, help=help, description=textwrap.fill(description, 79),
                                   epilog=EXIT_CODES, formatter_class=formatter)

    demo = command(
        "demo", "fit Old Faithful with EM, MAP and VB; print the comparison; write a report",
        "Fit the shipped Old Faithful data with EM, MAP-EM and variational Bayes, print their "
        "criteria, weights and means, and write figures (PNG), the three fits (netCDF) and the "
        "printed summary to a folder.",
    )
    demo.add_argument("--components", type=int, default=2, help="number of components (default 2)")
    demo.add_argument("--covariance", default="full", choices=COVARIANCE_TYPES,
                      help="covariance type (default full)")
    demo.add_argument("--n-init", type=int, default=5, help="initialisations (default 5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--out-dir", default="bayesgmm-demo",
                      help="folder for the report (default ./bayesgmm-demo; its files are replaced)")
    demo.add_argument("--no-report", action="store_true", help="print only; write no files")
    demo.set_defaults(run=_demo)

    fit = command(
        "fit", "choose and fit a mixture to your data: a sweep over K, covariance and engine",
        "Fit every combination of engine, covariance type and number of components, print them "
        "ranked by a criterion, and save the best (with --out), every fit (--save-all) and "
        "figures (--report).",
    )
    fit.add_argument("data", help="rows to fit: .csv, .parquet, .nc or .zarr (numeric columns are used)")
    fit.add_argument("--components", type=_parse_components, default=_parse_components("1-8"),
                     metavar="KS", help="numbers of components: 1-8, 3, 2,4,6 (default 1-8)")
    fit.add_argument("--covariance", type=_choice_list(COVARIANCE_TYPES),
                     default=list(COVARIANCE_TYPES), metavar="TYPES",
                     help="covariance types, comma-separated, or all (default all: "
                          + ",".join(COVARIANCE_TYPES) + ")")
    fit.add_argument("--engine", type=_choice_list(ENGINE_NAMES), default=["em"], metavar="ENGINES",
                     help="engines, comma-separated: em, map, vb, or all (default em)")
    fit.add_argument("--columns", type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
                     metavar="A,B", help="columns to use (default: every numeric column)")
    fit.add_argument("--standardize", action="store_true",
                     help="fit on (x - mean) / sd; the centre and scale are saved with the fit and "
                          "applied by predict and score")
    fit.add_argument("--prune", type=_prune_threshold, metavar="W",
                     help="remove components lighter than weight W and refit (e.g. 0.01)")
    fit.add_argument("--criterion", choices=("bic", "aic", "icl"), default="bic",
                     help="ranks the models and picks the best (default bic)")
    fit.add_argument("--seed", type=int, default=0, help="random seed of every fit (default 0)")
    fit.add_argument("--n-init", type=int, default=2, help="initialisations per fit (default 2)")
    fit.add_argument("--tol", type=float, default=1e-5,
                     help="convergence tolerance per sample (default 1e-5: criteria need tight fits)")
    fit.add_argument("--max-iter", type=int, default=500, help="iterations per fit (default 500)")
    fit.add_argument("--dropna", action="store_true", help="leave out rows with missing values")
    fit.add_argument("--out", metavar="RESULT.nc", help="save the best fit here (netCDF)")
    fit.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    fit.add_argument("--save-all", metavar="DIR", help="also save every fit and the sweep table in DIR")
    fit.add_argument("--report", metavar="DIR", help="write figures, the best fit and the sweep to DIR")
    fit.add_argument("--top", type=int, default=15, help="rows of the ranked table to print (0: all)")
    fit.add_argument("--no-progress", action="store_true", help="no progress bar")
    fit.set_defaults(run=_fit)

    show = command("show", "print a readable summary of a saved fit",
                   "Print the settings, fit quality and every component of a saved fit.")
    show.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    show.set_defaults(run=_show)

    predict = command("predict", "most probable component of each row",
                      "Label each row with its most probable component (and, with --proba, every "
                      "component's probability), in the order of the rows.")
    predict.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    predict.add_argument("data", help="rows to label (.csv, .parquet, .nc, .zarr)")
    predict.add_argument("--out", help="CSV file to write (default: standard output)")
    predict.add_argument("--proba", action="store_true", help="add each component's probability")
    predict.add_argument("--dropna", action="store_true", help="leave out rows with missing values")
    predict.set_defaults(run=_predict)

    score = command("score", "per-row log-density, optionally flagging anomalies",
                    "Write each row's log-density under the fit, in the data's own units (also "
                    "for a standardised fit). --anomaly-percentile P flags the rows at or below "
                    "the P-th percentile of the log-density.")
    score.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    score.add_argument("data", help="rows to score (.csv, .parquet, .nc, .zarr)")
    score.add_argument("--out", help="CSV file to write (default: standard output)")
    score.add_argument(
        "--anomaly-percentile", type=float, metavar="P",
        help="flag rows whose log-density is at or below the P-th percentile (e.g. 5)",
    )
    score.add_argument("--dropna", action="store_true", help="leave out rows with missing values")
    score.set_defaults(run=_score)
    return parser


def exit_code(exc: BaseException) -> int:
    """The documented exit code of an error raised by a command."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, WorkFailed):
        return EXIT_FAILED
    if isinstance(exc, (UsageError, ValueError, TypeError, FileExistsError)):
        return EXIT_USAGE
    return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # the reader went away (`bayesgmm predict ... | head`): stop quietly; the output is cut
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (Exception, KeyboardInterrupt) as exc:
        if args.debug:
            raise
        message = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc).splitlines()[0]
        print(f"bayesgmm {args.command}: error: {message}", file=sys.stderr)
        return exit_code(exc)

