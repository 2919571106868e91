"""The 14 x 9 sweep of R mclust's ``Mclust(X, G = 1:9)`` on 1000 x 6, against mclust's stored time.

mclust's own time cannot be measured here without R (the suite and the benchmarks never call
it): tests/data/mclust/timing.csv holds the median of 5 runs of ``Mclust(sweep_1000x6, G=1:9)``
measured once with R 4.2.2 / mclust 6.0.0 on this 2-core machine (see its README).  This
script times ``bayesgmm.select(X, range(1, 10), "all")`` on the same data, median of
``--rounds`` runs after one warm-up (compiling kernels is not part of a sweep), and prints the
ratio, and the model each chooses.  mclust stops EM at a relative log-likelihood change of 1e-5
(about 1e-4 per sample here); ``tol=1e-4`` is the comparable setting, the default ``1e-3`` is
shown too.

    .venv/bin/python bench/mclust_sweep.py --rounds 5
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bayesgmm.model_selection import top_models
from bench.mclust_datasets import timed_sweep

REFERENCE = Path(__file__).resolve().parent.parent / "tests" / "data" / "mclust"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    X = np.loadtxt(REFERENCE / "sweep_1000x6.csv", delimiter=",", skiprows=1)
    with open(REFERENCE / "timing.csv", newline="") as handle:
        mclust_seconds = float(next(csv.DictReader(handle))["median_seconds"])
    with open(REFERENCE / "best.csv", newline="") as handle:
        theirs = next(r for r in csv.DictReader(handle) if r["dataset"] == "sweep_1000x6")
    print(
        f"mclust 6.0.0 Mclust(X, G=1:9), stored median: {mclust_seconds:.2f} s, "
        f"chooses {theirs['model']},{theirs['G']} (BIC {float(theirs['bic']):.3f})"
    )
    for tol in (1e-4, 1e-3):
        times, sweep = timed_sweep(X, args.rounds, tol=tol)
        best = top_models(sweep, 1)[0]
        median = statistics.median(times)
        print(
            f"bayesgmm select(..., 'all', tol={tol:g}): median {median:.2f} s of {len(times)} "
            f"(min {min(times):.2f}, max {max(times):.2f}); {mclust_seconds / median:.1f}x "
            f"mclust; chooses {best['covariance_type']},{best['n_components']} "
            f"(BIC, mclust's sign {best['mclust_bic']:.3f}); "
            f"{int((sweep.fit_error.values != '').sum())} failed cells"
        )


if __name__ == "__main__":
    main()
