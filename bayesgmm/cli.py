"""The ``bayesgmm`` command.

Exit codes: 0 success; 1 the work failed (a fit could not be made, a file could not be
written); 2 bad usage or bad input (unknown option, unreadable file, wrong columns).
Errors print one line to stderr; ``--debug`` prints the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input from the command line: exit code 2."""


def read_table(path: str | Path, columns: Sequence[str] | None = None):
    """Read CSV, Parquet, netCDF or Zarr into a pandas DataFrame of the chosen columns."""
    import pandas as pd
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".nc", ".zarr"):
            opened = xr.open_zarr(path) if suffix == ".zarr" else xr.open_dataset(path, engine="h5netcdf")
            with opened as ds:
                frame = ds.to_dataframe().reset_index(drop=True)
        else:
            raise UsageError(f"{path}: unknown file type {suffix!r}; use .csv, .parquet, .nc or .zarr")
    except UsageError:
        raise
    except (ImportError, OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read it ({exc})") from None
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise UsageError(f"{path}: no column(s) {missing}; it has {list(frame.columns)}")
        return frame[list(columns)]
    numeric = frame.select_dtypes("number")
    if numeric.shape[1] == 0:
        raise UsageError(f"{path}: no numeric columns to use")
    return numeric


def _load_model(path: str):
    from .results import load

    try:
        return load(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None


def _model_columns(model) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _write_csv(frame, out: str | None) -> None:
    if out is None:
        frame.to_csv(sys.stdout, index=False)
    else:
        frame.to_csv(out, index=False)
        print(f"wrote {out}", file=sys.stderr)


def _show(args: argparse.Namespace) -> int:
    model = _load_model(args.result)
    print(model.result_.summary())
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    model = _load_model(args.result)
    X = read_table(args.data, _model_columns(model))
    table = pd.DataFrame({"component": model.predict(X)})
    if args.proba:
        proba = model.predict_proba(X)
        for k in range(proba.shape[1]):
            table[f"p{k}"] = proba[:, k]
    _write_csv(table, args.out)
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    import pandas as pd

    model = _load_model(args.result)
    X = read_table(args.data, _model_columns(model))
    log_density = model.score_samples(X)
    table = pd.DataFrame({"log_density": log_density})
    if args.anomaly_percentile is not None:
        if not 0 < args.anomaly_percentile < 100:
            raise UsageError("--anomaly-percentile must lie strictly between 0 and 100")
        threshold = np.percentile(log_density, args.anomaly_percentile)
        table["anomaly"] = log_density <= threshold
        print(
            f"{int(table['anomaly'].sum())} of {len(table)} rows at or below the "
            f"{args.anomaly_percentile:g}th percentile of log-density ({threshold:.4f})",
            file=sys.stderr,
        )
    _write_csv(table, args.out)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from .datasets import load_faithful
    from .estimator import GaussianMixture

    X = load_faithful()
    model = GaussianMixture(
        n_components=args.components,
        covariance_type=args.covariance,
        n_init=args.n_init,
        random_state=args.seed,
    ).fit(X)
    print("Old Faithful geyser data (272 eruptions; minutes): fitted by EM\n")
    print(model.result_.summary())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayesgmm",
        description="Gaussian mixture models: fit, compare and inspect.",
        epilog="exit codes: 0 success, 1 the work failed, 2 bad usage or input",
    )
    parser.add_argument("--version", action="version", version=f"bayesgmm {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="fit the shipped Old Faithful data and print a summary")
    demo.add_argument("--components", type=int, default=2, help="number of components (default 2)")
    demo.add_argument(
        "--covariance", default="full", choices=["full", "tied", "diag", "spherical"],
        help="covariance type (default full)",
    )
    demo.add_argument("--n-init", type=int, default=5, help="initialisations (default 5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(run=_demo)

    show = commands.add_parser("show", help="print a readable summary of a saved fit")
    show.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    show.set_defaults(run=_show)

    predict = commands.add_parser("predict", help="most probable component of each row")
    predict.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    predict.add_argument("data", help="rows to label (.csv, .parquet, .nc, .zarr)")
    predict.add_argument("--out", help="CSV file to write (default: standard output)")
    predict.add_argument("--proba", action="store_true", help="add each component's probability")
    predict.set_defaults(run=_predict)

    score = commands.add_parser("score", help="per-row log-density, optionally flagging anomalies")
    score.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    score.add_argument("data", help="rows to score (.csv, .parquet, .nc, .zarr)")
    score.add_argument("--out", help="CSV file to write (default: standard output)")
    score.add_argument(
        "--anomaly-percentile", type=float, metavar="P",
        help="flag rows whose log-density is at or below the P-th percentile",
    )
    score.set_defaults(run=_score)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except Exception as exc:
        if args.debug:
            raise
        usage = isinstance(exc, (UsageError, ValueError, TypeError, FileExistsError))
        print(f"bayesgmm {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if usage else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
