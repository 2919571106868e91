"""Which default start gives the best optimum per second: k-means or mclust's hierarchical (hc)?

``python -m bench.start_choice [seeds]``.  Whole default EM fits (full covariance,
``tol=1e-6``, ``max_iter=10000``, ``n_init=1``), the start included, ``init_params="kmeans"``
against ``init_params="hc"``, on:

* mclust's data sets (faithful, iris, diabetes, thyroid) at K = 2..5;
* issue 15's well-separated clusters (4 in 8-D, N = 2e4; hc builds its tree on mclust's random
  subset of 2000 rows);
* T1: N = 1e5, D = 5, K = 8, overlapping clusters (:func:`bench.data.mixture`).

Per case and seed: wall time and per-sample log-likelihood of each start.  Printed: how often
each reaches the higher optimum (ties within 1e-6 per sample count for both), the median gap
when it does not, and the median time ratio.  Nothing here asserts a time.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bayesgmm import GaussianMixture
from bayesgmm.datasets import load_diabetes, load_faithful, load_iris, load_thyroid
from bench.data import mixture
from bench.start import separated


def fit(X, K, init, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        model = GaussianMixture(
            K, init_params=init, tol=1e-6, max_iter=10_000, random_state=seed
        ).fit(X)
        seconds = time.perf_counter() - started
    return seconds, float(model.score(X))


def cases():
    for name, load in (
        ("faithful", load_faithful),
        ("iris", load_iris),
        ("diabetes", load_diabetes),
        ("thyroid", load_thyroid),
    ):
        X = np.asarray(load(), dtype=np.float64)
        for K in range(2, 6):
            yield f"{name} K={K}", X, K
    yield "separated 2e4x8 K=4", separated(20_000, 0)[1], 4
    yield "T1 1e5x5 K=8", mixture(100_000, 5, 8, seed=7), 8


def main(seeds: int = 3) -> None:
    fit(load_faithful().values, 2, "hc", 0)  # compile both starts before timing
    fit(load_faithful().values, 2, "kmeans", 0)
    rows, wins, ratios = [], {"kmeans": 0, "hc": 0}, []
    total = 0
    for label, X, K in cases():
        for seed in range(seeds):
            results = {}
            for init in ("kmeans", "hc") if seed % 2 == 0 else ("hc", "kmeans"):
                results[init] = fit(X, K, init, seed)
            best = max(value for _, value in results.values())
            total += 1
            for init, (_, value) in results.items():
                wins[init] += value >= best - 1e-6
            ratios.append(results["hc"][0] / results["kmeans"][0])
            rows.append(
                f"| {label} | {seed} | {results['kmeans'][1]:.6f} | {results['hc'][1]:.6f} | "
                f"{results['kmeans'][0] * 1e3:.0f} | {results['hc'][0] * 1e3:.0f} |"
            )
    print("| case | seed | kmeans loglik/n | hc loglik/n | kmeans ms | hc ms |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        f"\nhigher optimum (ties count for both): kmeans {wins['kmeans']}/{total}, "
        f"hc {wins['hc']}/{total}; hc time / kmeans time, median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
