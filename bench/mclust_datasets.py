"""bayesgmm's 14-model sweep against R mclust's ``Mclust(X, G = 1:9)`` on mclust's own data sets.

``python -m bench.mclust_datasets [rounds] [name,name,...]``: needs ``Rscript`` with mclust (Debian:
``apt-get install r-cran-mclust``); the benchmark calls R, the test suite never does.  For
each data set mclust ships (numeric columns only; class/label columns dropped), R exports the
data and times ``Mclust(X, G = 1:9)`` (all 14 models, its hierarchical start, its default
tolerance), median of ``rounds`` runs in one R process; then ``bayesgmm.select(X, range(1, 10),
"all", init_params="hc", reg_covar=0, tol=1e-5, stopping="relative")`` (mclust's start,
regularisation and stopping rule) is
timed in this process the same way, after one warm-up run (compiling is not part of a sweep).
Printed per data set: both medians, their ratio, and each side's best model and BIC (mclust's
sign, larger is better).  Nothing here asserts a time.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bayesgmm
from bayesgmm.model_selection import top_models

DATASETS = {  # mclust's data set -> the R expression of its numeric columns
    "banknote": "banknote[, -1]",
    "wreath": "wreath",
    "chevron": "chevron[, -1]",
    "cross": "cross[, -1]",
    "EuroUnemployment": "EuroUnemployment",
    "diabetes": "diabetes[, -1]",
    "thyroid": "thyroid[, -1]",
    "wdbc": "wdbc[, 3:12]",
    "ex4.1": "ex4.1",
    "ex4.2": "ex4.2",
    "ex4.3": "ex4.3",
    "ex4.4.1": "ex4.4.1",
    "ex4.4.2": "ex4.4.2",
}

R_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]; rounds <- as.integer(args[2])
data(Baudry_etal_2010_JCGS_examples)
for (name in strsplit(args[3], ",")[[1]]) {
  expression <- args[which(strsplit(args[3], ",")[[1]] == name) + 3]
  if (!grepl("^ex", name)) do.call(data, list(name))
  X <- as.matrix(eval(parse(text = expression)))
  write.csv(X, file.path(folder, paste0(name, ".csv")), row.names = FALSE)
  times <- numeric(rounds)
  for (r in seq_len(rounds)) times[r] <- system.time(fit <- Mclust(X, G = 1:9, verbose = FALSE))[["elapsed"]]
  cat(name, median(times), fit$modelName, fit$G, fit$bic, "\n", sep = "\t")
}
"""


def timed_sweep(X: np.ndarray, rounds: int, **settings):
    """Seconds of ``rounds`` runs of the 14-model sweep, after one warm-up (compiling is not
    part of a sweep), and the last sweep."""
    times, sweep = [], None
    for round_ in range(rounds + 1):
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sweep = bayesgmm.select(
                X, range(1, 10), "all", random_state=0, progress=False, **settings
            )
        if round_:
            times.append(time.perf_counter() - started)
    assert sweep is not None
    return times, sweep


def ours(X: np.ndarray, rounds: int):
    """The median time and the best model of mclust's settings: its start, its regularisation
    (none) and its stopping rule (relative change 1e-5, no iteration cap to speak of)."""
    times, sweep = timed_sweep(
        X, rounds, init_params="hc", reg_covar=0.0, tol=1e-5, stopping="relative", max_iter=100_000
    )
    return statistics.median(times), top_models(sweep, 1)[0]


def main(rounds: int = 3, only: str = "") -> None:
    if shutil.which("Rscript") is None:
        sys.exit("this benchmark needs Rscript with mclust: apt-get install r-cran-mclust")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "mclust.R"
        script.write_text(R_SCRIPT)
        names = only.split(",") if only else list(DATASETS)
        unknown = sorted(set(names) - set(DATASETS))
        if unknown:
            sys.exit(f"unknown data sets {unknown}; choose from {', '.join(DATASETS)}")
        output = subprocess.run(
            ["Rscript", str(script), folder, str(rounds), ",".join(names)]
            + [DATASETS[n] for n in names],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        print(
            "| data set | n x d | mclust s | bayesgmm s | mclust / bayesgmm | mclust best | ours best |"
        )
        print("|---|---|---|---|---|---|---|")
        for line in output.strip().splitlines():
            name, seconds, model, G, bic = line.strip().split("\t")[:5]
            X = np.loadtxt(Path(folder) / f"{name}.csv", delimiter=",", skiprows=1, ndmin=2)
            median, best = ours(X, rounds)
            print(
                f"| {name} | {X.shape[0]} x {X.shape[1]} | {float(seconds):.2f} | {median:.2f} | "
                f"{float(seconds) / median:.1f}x | {model},{G} {float(bic):.3f} | "
                f"{best['covariance_type']},{best['n_components']} {best['mclust_bic']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main(*(int(a) if i == 0 else a for i, a in enumerate(sys.argv[1:3])))
