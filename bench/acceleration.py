"""SQUAREM (``accelerate=True``) against plain EM: passes over the data, time, and the optimum.

``python -m bench.acceleration [--full] [--seeds S]`` (or ``python bench/acceleration.py``).

* **Passes and time to tol=1e-8**: ``n_iter_`` counts E-steps (passes over the data) for both,
  so the two columns are comparable.  Old Faithful (K=3, full) and iris (K=3, full) with the
  default k-means start, seeds 0..S-1; the EM cases of ``bench/run.py`` (A, B, C, D; ``--quick``
  sizes unless ``--full``) from their common starting point (``bench.cases.case_data``), one
  start repeated S times.  Medians; plain and accelerated alternate which goes first.
* **Same optimum?**: every shipped data set (Old Faithful, iris, galaxies, diabetes, thyroid)
  x K=1..5 x the four covariance types x EM, MAP and VB (default priors) x seeds 0..S-1,
  both to tol=1e-8: the largest difference of the final per-sample objective
  (log-likelihood, log posterior, ELBO), and how many pairs differ by more than 1e-6 and
  1e-4 per sample.

Nothing here asserts a time; the ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.cases import CASES, case_data

TOL = 1e-8
MAX_ITER = 100_000


def fit(X, K: int, accelerate: bool, **settings):
    """(seconds, fitted model)."""
    from bayesgmm import GaussianMixture

    settings.setdefault("tol", TOL)
    settings.setdefault("max_iter", MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model = GaussianMixture(K, accelerate=accelerate, **settings).fit(X)
        return time.perf_counter() - start, model


def per_sample_objective(model) -> float:
    return float(model.result_.objective / model.result_.total_weight)


def shipped(name: str) -> np.ndarray:
    from bayesgmm import datasets

    X = np.asarray(getattr(datasets, f"load_{name}")().values, dtype=np.float64)
    return X[:, None] if X.ndim == 1 else X


def passes_row(label: str, runs) -> str:
    """runs: list of (plain model, plain s, accelerated model, accelerated s)."""
    plain_iter = statistics.median(r[0].n_iter_ for r in runs)
    acc_iter = statistics.median(r[2].n_iter_ for r in runs)
    plain_s = statistics.median(r[1] for r in runs)
    acc_s = statistics.median(r[3] for r in runs)
    gap = max(abs(per_sample_objective(r[2]) - per_sample_objective(r[0])) for r in runs)
    converged = sum(r[0].converged_ and r[2].converged_ for r in runs)
    return (
        f"| {label} | {plain_iter:.0f} | {acc_iter:.0f} | {plain_iter / acc_iter:.1f}x | "
        f"{plain_s * 1e3:.1f} ms | {acc_s * 1e3:.1f} ms | {plain_s / acc_s:.1f}x | {gap:.1e} | "
        f"{converged}/{len(runs)} |"
    )


def pair(X, K, seed, **settings):
    """Plain and accelerated fits of one setting, alternating which runs first."""
    if seed % 2 == 0:
        plain_s, plain = fit(X, K, False, random_state=seed, **settings)
        acc_s, acc = fit(X, K, True, random_state=seed, **settings)
    else:
        acc_s, acc = fit(X, K, True, random_state=seed, **settings)
        plain_s, plain = fit(X, K, False, random_state=seed, **settings)
    return plain, plain_s, acc, acc_s


def passes_table(seeds: int, quick: bool) -> list[str]:
    lines = [
        f"Passes over the data (n_iter_) and wall time to tol={TOL:g}, medians of {seeds}:",
        "",
        "| case | plain passes | SQUAREM passes | ratio | plain time | SQUAREM time | ratio | "
        "max objective gap / sample | both converged |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("faithful", "iris"):
        X = shipped(name)
        runs = [pair(X, 3, seed) for seed in range(seeds)]
        lines.append(passes_row(f"{name}, K=3, full, default start", runs))
    for name in ("A", "B", "C", "D"):
        case = CASES[name].sized(quick)
        X, start = case_data(case)
        settings = dict(start, covariance_type=case.covariance_type)
        runs = [pair(X, case.K, seed, **settings) for seed in range(seeds)]
        lines.append(
            passes_row(f"{name}: N={case.N:.0e}, {case.description.split(', ', 1)[1]}", runs)
        )
    return lines


def optimum_table(seeds: int, engines: tuple[str, ...] = ("em", "map", "vb")) -> list[str]:
    from bayesgmm import SingularCovarianceError

    lines = []
    gaps: dict[tuple[str, str], list[float]] = {}
    worst: dict[tuple[str, str], tuple] = {}
    passes: dict[tuple[str, str], list[float]] = {}
    for name in ("faithful", "iris", "galaxies", "diabetes", "thyroid"):
        X = shipped(name)
        for engine in engines:
            for covariance_type in ("full", "tied", "diag", "spherical"):
                for K in range(1, 6):
                    for seed in range(seeds):
                        try:
                            plain, _, acc, _ = pair(
                                X, K, seed, engine=engine, covariance_type=covariance_type
                            )
                        except SingularCovarianceError:
                            continue
                        gap = per_sample_objective(acc) - per_sample_objective(plain)
                        key = (name, engine)
                        gaps.setdefault(key, []).append(gap)
                        passes.setdefault(key, []).append(plain.n_iter_ / acc.n_iter_)
                        if abs(gap) >= abs(worst.get(key, (0.0,))[0]):
                            worst[key] = (gap, covariance_type, K, seed, plain.n_iter_, acc.n_iter_)
    lines += [
        f"Same optimum? Final per-sample objective, accelerated minus plain, both to tol={TOL:g}; "
        f"K=1..5 x full/tied/diag/spherical x seeds 0..{seeds - 1}:",
        "",
        "| data | engine | pairs | max abs gap | > 1e-6 | > 1e-4 | worst (gap, type, K, seed, "
        "passes plain/acc) | median pass ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, values in gaps.items():
        values_array = np.abs(values)
        w = worst[key]
        lines.append(
            f"| {key[0]} | {key[1]} | {len(values)} | {values_array.max():.1e} | "
            f"{int((values_array > 1e-6).sum())} | {int((values_array > 1e-4).sum())} | "
            f"{w[0]:+.1e}, {w[1]}, K={w[2]}, seed {w[3]}, {w[4]}/{w[5]} | "
            f"{statistics.median(passes[key]):.2f} |"
        )
    return lines


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="bench cases at full size")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--skip-optimum", action="store_true")
    parser.add_argument("--skip-passes", action="store_true")
    parser.add_argument("--engines", default="em,map,vb", help="engines of the optimum table")
    args = parser.parse_args(argv)
    fit(shipped("faithful"), 2, True)  # load (or compile) the kernels first
    load_at_start = os.getloadavg()
    lines: list[str] = []
    if not args.skip_passes:
        lines += [*passes_table(args.seeds, quick=not args.full), ""]
    if not args.skip_optimum:
        lines += [*optimum_table(args.seeds, tuple(args.engines.split(","))), ""]
    load_at_end = os.getloadavg()
    from bench.run import machine

    m = machine()
    header = [
        f"Machine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']}; numba {m['numba']} "
        f"({m['numba_threading_layer']}, {m['numba_threads']} threads); Python {m['python']}.",
        f"Load average at start {tuple(round(x, 2) for x in load_at_start)}, "
        f"at end {tuple(round(x, 2) for x in load_at_end)}.",
        "",
    ]
    return "\n".join(header + lines)


if __name__ == "__main__":
    print(main())
