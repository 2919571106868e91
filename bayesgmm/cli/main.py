"""The ``bayesgmm`` command: ``demo``, ``fit``, ``predict``, ``score`` and ``show``.

Exit codes: 0 success; 1 the work failed (no model could be fitted, a file
could not be written); 2 bad usage or bad input (unknown option, unreadable or
unsuitable data, not a bayesgmm result); 130 interrupted.  Errors print one
line to stderr; ``--debug`` prints the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence

import numpy as np

from .. import __version__
from ..engines import ENGINES
from ..families import ALL_MODELS, MCLUST_MODELS, SKLEARN_COVARIANCE_TYPES, family_names
from .classify import fit_command, predict_command, show_command
from .commands import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    WorkFailed,
    _demo,
    _score,
)
from .output import one_line_warnings
from .reading import add_reading_options

EXIT_CODES = """\
exit codes:
  0    success
  1    the work failed: no model could be fitted, a file could not be written
  2    bad usage or input: unknown option, unreadable or unsuitable data, not a bayesgmm result
  130  interrupted (Ctrl-C)
a closed output pipe (`| head`) ends a command quietly with exit code 1
errors are one line on stderr; --debug (before the command) shows the traceback"""

MODEL_COLUMNS_HELP = (
    "the file's columns that hold the model's features, in the model's order "
    "(default: the columns named as the model's features)"
)
# every accepted covariance name: the registered families, then mclust's aliases (VVV, ...)
COVARIANCE_TYPES = family_names()
ENGINE_NAMES = tuple(ENGINES)  # the registered engines (em, map, vb, ...)
# the demo's three point-estimate and variational engines, as its help and the README say:
# with the Gibbs sampler it also compiled the sampling kernels, and a fresh clone's first
# `bayesgmm demo` took 57 s instead of 27 s (issue 15 asks <= 30 s); `fit --engine gibbs`
DEMO_ENGINES = ("em", "map", "vb")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors that point to ``--help``."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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


def _choice_list(valid: Sequence[str], all_means: Sequence[str] | None = None):
    """Parse a comma-separated list of ``valid`` names; ``all`` gives ``all_means`` (default ``valid``)."""

    def parse(text: str) -> list[str]:
        if text == "all":
            return list(valid if all_means is None else all_means)
        values = [v.strip() for v in text.split(",") if v.strip()]
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
        raise argparse.ArgumentTypeError(
            f"{text!r}: the pruning threshold is a weight in (0, 1), e.g. 0.01"
        )
    return value


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
        return commands.add_parser(
            name,
            help=help,
            description=textwrap.fill(description, 79),
            epilog=EXIT_CODES,
            formatter_class=formatter,
        )

    demo = command(
        "demo",
        "fit Old Faithful with EM, MAP and VB; print the comparison; write a report",
        "Fit the shipped Old Faithful data with EM, MAP-EM and variational Bayes, print their "
        "criteria, weights and means, and write figures (PNG), the three fits (netCDF) and the "
        "printed summary to a folder.",
    )
    demo.add_argument("--components", type=int, default=2, help="number of components (default 2)")
    demo.add_argument(
        "--covariance",
        default="full",
        choices=COVARIANCE_TYPES,
        help="covariance type (default full)",
    )
    demo.add_argument("--n-init", type=int, default=5, help="initialisations (default 5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument(
        "--out-dir",
        default="bayesgmm-demo",
        help="folder for the report (default ./bayesgmm-demo; its files are replaced)",
    )
    demo.add_argument("--no-report", action="store_true", help="print only; write no files")
    demo.set_defaults(run=_demo, engines=DEMO_ENGINES)

    fit = command(
        "fit",
        "choose and fit a mixture to your data: a sweep over K, covariance and engine",
        "Fit every combination of engine, covariance type and number of components, print them "
        "ranked by a criterion, and save the best (with --out), every fit (--save-all) and "
        "figures (--report).",
    )
    fit.add_argument(
        "data",
        help="rows to fit: .csv, .tsv (also .gz, .bz2, .xz), .parquet, .nc or .zarr "
        "(numeric columns are used)",
    )
    add_reading_options(
        fit, "the columns to fit (default: every numeric column but ids and labels)"
    )
    fit.add_argument(
        "--components",
        type=_parse_components,
        metavar="KS",
        help="numbers of components: 1-8, 3, 2,4,6 (default 1-8; with --label, per class 1-5)",
    )
    classify = fit.add_argument_group(
        "classification",
        "with --label, fit a classifier (R mclust's MclustDA or EDDA) instead of a clustering: "
        "print its summary and cross-validated error, save it with --out",
    )
    classify.add_argument(
        "--label",
        metavar="COLUMN",
        help="the column of class labels (any values); its rows train a classifier",
    )
    classify.add_argument(
        "--kind",
        choices=("mclustda", "edda"),
        default="mclustda",
        help="mclustda: a mixture per class chosen by BIC over --components and --covariance; "
        "edda: one Gaussian per class, one covariance type shared by the classes (default "
        "mclustda)",
    )
    classify.add_argument(
        "--folds",
        type=int,
        default=10,
        help="folds of the cross-validated error (default 10; 0 skips it)",
    )
    fit.add_argument(
        "--covariance",
        type=_choice_list(COVARIANCE_TYPES, [ALL_MODELS]),
        default=list(SKLEARN_COVARIANCE_TYPES),
        metavar="TYPES",
        help="covariance types, comma-separated: scikit-learn's "
        + ",".join(SKLEARN_COVARIANCE_TYPES)
        + " or mclust's "
        + ",".join(MCLUST_MODELS)
        + " (E,V for one column); all sweeps mclust's 14 (default "
        + ",".join(SKLEARN_COVARIANCE_TYPES)
        + ")",
    )
    fit.add_argument(
        "--mclust",
        action="store_true",
        help="also print R mclust's BIC table (its sign: larger is better) and top 3 models",
    )
    fit.add_argument(
        "--engine",
        type=_choice_list(ENGINE_NAMES),
        default=["em"],
        metavar="ENGINES",
        help="engines, comma-separated: em, map, vb, or all (default em)",
    )
    fit.add_argument(
        "--standardize",
        action="store_true",
        help="fit on (x - mean) / sd; the centre and scale are saved with the fit and "
        "applied by predict and score",
    )
    fit.add_argument(
        "--prune",
        type=_prune_threshold,
        metavar="W",
        help="remove components lighter than weight W and refit (e.g. 0.01)",
    )
    fit.add_argument(
        "--noise",
        action="store_true",
        help="add mclust's noise component, a uniform background that absorbs outliers "
        "(label -1; its probability is what 'score' flags as anomalies)",
    )
    fit.add_argument(
        "--criterion",
        choices=("bic", "aic", "icl"),
        default="bic",
        help="ranks the models and picks the best (default bic)",
    )
    fit.add_argument("--seed", type=int, default=0, help="random seed of every fit (default 0)")
    fit.add_argument("--n-init", type=int, default=2, help="initialisations per fit (default 2)")
    fit.add_argument(
        "--tol",
        type=float,
        default=1e-5,
        help="convergence tolerance per sample (default 1e-5: criteria need tight fits)",
    )
    fit.add_argument("--max-iter", type=int, default=500, help="iterations per fit (default 500)")
    fit.add_argument(
        "--accelerate",
        action="store_true",
        help="SQUAREM-accelerated EM with a monotone safeguard (fewer passes over the data)",
    )
    fit.add_argument(
        "--stopping",
        choices=("change", "aitken", "relative"),
        default="change",
        help="stopping rule: change of the objective per sample (scikit-learn's, default), "
        "Aitken's extrapolated limit, or the change relative to the objective (mclust's)",
    )
    fit.add_argument(
        "--missing",
        choices=("error", "marginalize"),
        default="error",
        help="rows with missing values: an error (default; see --dropna) or kept and fitted on "
        "their observed values (missing at random assumed); predict and score then take them too",
    )
    fit.add_argument("--out", metavar="RESULT.nc", help="save the best fit here (netCDF)")
    fit.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    fit.add_argument(
        "--save-all", metavar="DIR", help="also save every fit and the sweep table in DIR"
    )
    fit.add_argument(
        "--report", metavar="DIR", help="write figures, the best fit and the sweep to DIR"
    )
    fit.add_argument(
        "--top", type=int, default=15, help="rows of the ranked table to print (0: all)"
    )
    fit.add_argument("--no-progress", action="store_true", help="no progress bar")
    fit.set_defaults(run=fit_command)

    show = command(
        "show",
        "print a readable summary of a saved fit",
        "Print the settings, fit quality and every component of a saved fit.",
    )
    show.add_argument("result", help="a fit (or classifier) saved by bayesgmm (.nc)")
    show.add_argument(
        "--data",
        metavar="FILE",
        help="also print the cluster quality (uncertainty, entropy, silhouette, separation) "
        "on these rows, e.g. the fitting data",
    )
    show.set_defaults(run=show_command)

    predict = command(
        "predict",
        "most probable component of each row",
        "Label each row with its most probable component (and, with --proba, every "
        "component's probability), in the order of the rows, each beside its key: the id "
        "column, or the row's number in the file (1 = the first row of data). For a saved "
        "classifier (fit --label): each row's class, every class's probability and the "
        "uncertainty.",
    )
    predict.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    predict.add_argument(
        "data", help="rows to label (.csv, .tsv, also compressed; .parquet, .nc, .zarr)"
    )
    add_reading_options(predict, MODEL_COLUMNS_HELP)
    predict.add_argument("--out", help="CSV file to write (default: standard output)")
    predict.add_argument("--proba", action="store_true", help="add each component's probability")
    predict.set_defaults(run=predict_command)

    score = command(
        "score",
        "per-row log-density, optionally flagging anomalies",
        "Write each row's log-density under the fit, in the data's own units (also "
        "for a standardised fit). --anomaly-percentile P flags the rows at or below the "
        "P-th percentile of the training rows' log-density, which the fit stores; "
        "--threshold gives the log-density instead; --batch-percentile P takes the "
        "percentile of the rows scored (it flags P percent of any batch). Each row is written "
        "beside its key: the id column, or the row's number in the file (1 = the first row of "
        "data).",
    )
    score.add_argument("result", help="a fit saved by bayesgmm (.nc)")
    score.add_argument(
        "data", help="rows to score (.csv, .tsv, also compressed; .parquet, .nc, .zarr)"
    )
    add_reading_options(score, MODEL_COLUMNS_HELP)
    score.add_argument("--out", help="CSV file to write (default: standard output)")
    flags = score.add_mutually_exclusive_group()
    flags.add_argument(
        "--anomaly-percentile",
        type=float,
        metavar="P",
        help="flag rows at or below the P-th percentile of the training log-density (e.g. 5)",
    )
    flags.add_argument(
        "--threshold",
        type=float,
        metavar="VALUE",
        help="flag rows whose log-density is at or below VALUE (the data's units)",
    )
    flags.add_argument(
        "--batch-percentile",
        type=float,
        metavar="P",
        help="flag rows at or below the P-th percentile of the rows scored here",
    )
    score.set_defaults(run=_score)
    return parser


def exit_code(exc: BaseException) -> int:
    """The documented exit code of an error raised by a command."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, WorkFailed):
        return EXIT_FAILED
    # DataFileError (an unusable data file) is a ValueError: bad input too
    if isinstance(exc, (UsageError, ValueError, TypeError, FileExistsError)):
        return EXIT_USAGE
    return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with one_line_warnings(args.command):
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
