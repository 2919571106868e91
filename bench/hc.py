"""The hierarchical start (``init_params="hc"``): our tree against R mclust's ``hc()``.

``python -m bench.hc [ROUNDS]`` (or ``python bench/hc.py``) times the merge tree of
N = 500, 1000, 2000, 5000 rows at D = 6 (:func:`bench.data.mixture`, 3 components):
``bayesgmm.data.hierarchical.hierarchical_tree`` (the SVD transformation and the
agglomeration, mclust's defaults) against ``hc(X, modelName = "VVV", use = "SVD")``
timed inside R by ``system.time`` when ``Rscript`` and mclust are installed (the same
rows, written to a temporary CSV; R's start-up is not timed).  Medians of ROUNDS (default
5) rounds, ours and R's alternating; the ratio is R's median over ours.  It also checks
that both found the same partitions into 2..9 clusters (on these data they should).

Memory: the tree keeps the n (n - 1) / 2 pair costs in float64 (8 bytes each) plus O(n D)
numbers; the table shows that bound, as mclust's Fortran holds the same array.
Nothing here asserts a time.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.data import mixture

SIZES = (500, 1000, 2000, 5000)
D = 6

R_SCRIPT = """
suppressMessages(library(mclust))
args <- commandArgs(TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
rounds <- as.integer(args[2])
seconds <- numeric(rounds)
for (r in 1:rounds) seconds[r] <- system.time(tree <- hc(X, modelName = "VVV", use = "SVD"))[["elapsed"]]
cat(seconds, "\\n")
write.table(hclass(tree, 2:9), args[3], sep = ",", row.names = FALSE, col.names = FALSE)
"""


def r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    done = subprocess.run(["Rscript", "-e", "library(mclust)"], capture_output=True)
    return done.returncode == 0


def time_r(X: np.ndarray, rounds: int, folder: Path) -> tuple[list[float], np.ndarray]:
    data, labels, script = folder / "X.csv", folder / "labels.csv", folder / "hc.R"
    np.savetxt(data, X, delimiter=",", fmt="%.17g")
    script.write_text(R_SCRIPT)
    done = subprocess.run(
        ["Rscript", str(script), str(data), str(rounds), str(labels)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = [float(value) for value in done.stdout.split()]
    return seconds, np.loadtxt(labels, delimiter=",", dtype=np.int64)


def time_ours(X: np.ndarray):
    from bayesgmm.data.hierarchical import hierarchical_tree

    start = time.perf_counter()
    tree = hierarchical_tree(X)
    return time.perf_counter() - start, tree


def main(rounds: int = 5) -> None:
    time_ours(mixture(50, D, 3))  # load (or compile) the kernel first
    with_r = r_available()
    print(f"hc tree, D={D}, medians of {rounds} rounds" + ("" if with_r else " (no R: ours only)"))
    print()
    print("| N | bayesgmm | R mclust hc() | ratio | pair costs (MB) | same partitions K=2..9 |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for n in SIZES:
            X = mixture(n, D, 3, seed=n)
            ours: list[float] = []
            theirs: list[float] = []
            same = ""
            for r in range(rounds):
                seconds, tree = time_ours(X)
                ours.append(seconds)
                if with_r and r == 0:  # R's rounds run in one process: its own loop
                    theirs, labels = time_r(X, rounds, Path(folder))
                    same = str(
                        all(
                            np.array_equal(tree.labels(K) + 1, labels[:, K - 2])
                            for K in range(2, 10)
                        )
                    )
            mine = statistics.median(ours)
            memory = n * (n - 1) / 2 * 8 / 2**20
            if with_r:
                other = statistics.median(theirs)
                row = f"| {n} | {mine:.3f} s | {other:.3f} s | {other / mine:.1f}x |"
            else:
                row = f"| {n} | {mine:.3f} s | | |"
            print(f"{row} {memory:.0f} | {same} |", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
