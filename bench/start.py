"""The default start (``init_params="kmeans"``) against scikit-learn's: time and what it finds.

``python -m bench.start`` (or ``python bench/start.py [seeds] [separated_seeds]``). Two cases,
both whole default fits, initialisation included, each library with its own k-means:

* **T1**: N=1e5, D=5, K=8, overlapping clusters (:func:`bench.data.mixture`), ``tol=1e-6``,
  ``max_iter=10000``; per seed, wall time of each library's fit and its per-sample
  log-likelihood (``score(X)``), the two libraries alternating which goes first. Medians.
* **S**: issue 15's well-separated clusters: four unit-covariance clusters in 8-D, equal
  weights, centres 8 standard deviations apart, N=2e4; how many of 20 seeds find all four
  (every true centre has a fitted mean within 1.0, every weight within 0.05 of 0.25).

Nothing here asserts a time; the ratios are against scikit-learn measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.data import mixture


def estimator(library: str):
    if library == "bayesgmm":
        from bayesgmm import GaussianMixture
    else:
        from sklearn.mixture import GaussianMixture
    return GaussianMixture


def timed_fit(library: str, X, K: int, seed: int, **settings):
    """(seconds, fitted model) of one default fit."""
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # a ConvergenceWarning would be counted in the median anyway
        start = time.perf_counter()
        model = estimator(library)(K, random_state=seed, **settings).fit(X)
        return time.perf_counter() - start, model


def separated(n: int, seed: int):
    """Issue 15's data, as tests/test_kmeans.py draws them: (true centres, rows)."""
    rng = np.random.default_rng(1000 + seed)
    centres = np.zeros((4, 8))
    centres[np.arange(4), np.arange(4)] = 8 / np.sqrt(2)  # pairwise distance 8
    return centres, centres[rng.integers(4, size=n)] + rng.normal(size=(n, 8))


def finds_all_four(model, centres) -> bool:
    distance = np.linalg.norm(centres[:, None] - np.asarray(model.means_)[None], axis=2)
    return bool(distance.min(axis=1).max() < 1.0 and np.abs(model.weights_ - 0.25).max() < 0.05)


LIBRARIES = ("bayesgmm", "scikit-learn")


def case_t1(seeds: int) -> list[str]:
    X = mixture(100_000, 5, 8, seed=7)
    settings = dict(tol=1e-6, max_iter=10_000)
    timed_fit("bayesgmm", X[:2000], 8, 0, **settings)  # load (or compile) the kernels first
    seconds = {lib: [] for lib in LIBRARIES}
    score = {lib: [] for lib in LIBRARIES}
    iterations = {lib: [] for lib in LIBRARIES}
    for seed in range(seeds):
        for lib in LIBRARIES if seed % 2 == 0 else LIBRARIES[::-1]:
            s, model = timed_fit(lib, X, 8, seed, **settings)
            seconds[lib].append(s)
            score[lib].append(float(model.score(X)))
            iterations[lib].append(int(model.n_iter_))
    med = {lib: statistics.median(seconds[lib]) for lib in LIBRARIES}
    lines = [
        f"T1 (N=1e5, D=5, K=8, overlapping, tol=1e-6, default init, {seeds} seeds), medians:",
        "",
        "| library | wall time per fit | per-sample log-likelihood | iterations | per seed (s; loglik) |",
        "|---|---|---|---|---|",
    ]
    for lib in LIBRARIES:
        per_seed = ", ".join(f"{s:.2f}; {v:.5f}" for s, v in zip(seconds[lib], score[lib]))
        lines.append(
            f"| {lib} | {med[lib]:.2f} s | {statistics.median(score[lib]):.5f} | "
            f"{statistics.median(iterations[lib]):.0f} | {per_seed} |"
        )
    lines += [
        "",
        f"Ratio (scikit-learn's median time / bayesgmm's): {med['scikit-learn'] / med['bayesgmm']:.1f}x",
    ]
    return lines


def case_separated(seeds: int) -> list[str]:
    found = {lib: 0 for lib in LIBRARIES}
    seconds = {lib: [] for lib in LIBRARIES}
    missed = {lib: [] for lib in LIBRARIES}
    for seed in range(seeds):
        centres, X = separated(20_000, seed)
        for lib in LIBRARIES if seed % 2 == 0 else LIBRARIES[::-1]:
            s, model = timed_fit(lib, X, 4, seed)
            seconds[lib].append(s)
            if finds_all_four(model, centres):
                found[lib] += 1
            else:
                missed[lib].append(seed)
    lines = [f"S (four clusters 8 sd apart, 8-D, N=2e4, default fits, {seeds} seeds):", ""]
    for lib in LIBRARIES:
        lines.append(
            f"* {lib}: all four found for {found[lib]} of {seeds} seeds "
            f"(missed: {missed[lib] or 'none'}); median fit {statistics.median(seconds[lib]) * 1e3:.0f} ms"
        )
    return lines


def main(seeds: int = 3, separated_seeds: int = 20) -> str:
    from bench.run import machine

    load_at_start = os.getloadavg()
    cases = [*case_t1(seeds), "", *case_separated(separated_seeds)]
    load_at_end = os.getloadavg()
    # machine() only after the fits: called first, it made every bayesgmm fit of T1 10-15x
    # slower in this process (0.23 s against 3.3 s, back to back at load 4.5; cause not found)
    m = machine()
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']}; numba {m['numba']} "
        f"({m['numba_threading_layer']}, {m['numba_threads']} threads); scikit-learn {m['sklearn']}; "
        f"Python {m['python']}.",
        f"Load average at start {tuple(round(x, 2) for x in load_at_start)}.",
        "",
    ]
    lines += [*cases, "", f"Load average at end {tuple(round(x, 2) for x in load_at_end)}."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(*(int(a) for a in sys.argv[1:3])))
