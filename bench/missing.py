"""What marginalising missing values costs per EM iteration, against the same fit on complete data.

    .venv/bin/python bench/missing.py [--rows 20000] [--rounds 5]

For each number of features D and share of values deleted at random, fits
``GaussianMixture(missing="marginalize")`` from the same start (``means_init``,
``weights_init``, ``precisions_init``; ``tol=0``) for 1 and 1 + n iterations,
on the data with holes and on the complete data, alternating, and prints the
median seconds per iteration over the rounds and their ratio.  The complete
rows go through the Numba kernel; every missingness pattern through batched
NumPy (``bayesgmm/kernels/missing.py``), so the ratio grows with the number
of incomplete rows and of patterns.  Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from bayesgmm import GaussianMixture

K = 4
ITERATIONS = 10


def fit_seconds(X, start, n_iter):
    gm = GaussianMixture(K, missing="marginalize", tol=0.0, max_iter=n_iter, **start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        began = time.perf_counter()
        gm.fit(X)
        return time.perf_counter() - began


def per_iteration(X, start, rounds):
    values = []
    for _ in range(rounds):
        values.append(
            (fit_seconds(X, start, 1 + ITERATIONS) - fit_seconds(X, start, 1)) / ITERATIONS
        )
    return float(np.median(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{args.rows} rows, K={K}, median of {args.rounds} rounds, seconds per iteration")
    print("| D | missing | rows incomplete | patterns | complete data | with holes | ratio |")
    print("|---|---|---|---|---|---|---|")
    for D in (4, 8):
        centers = rng.normal(scale=4.0, size=(K, D))
        X = centers[rng.integers(K, size=args.rows)] + rng.normal(size=(args.rows, D))
        start = dict(
            weights_init=np.full(K, 1.0 / K),
            means_init=X[rng.choice(args.rows, K, replace=False)],
            precisions_init=np.repeat(np.linalg.inv(np.cov(X.T))[None], K, axis=0),
        )
        fit_seconds(X, start, 2)  # compile
        complete = per_iteration(X, start, args.rounds)
        for fraction in (0.01, 0.05, 0.2):
            holes = X.copy()
            holes[rng.random(X.shape) < fraction] = np.nan
            missing = np.isnan(holes)
            incomplete = missing.any(axis=1)
            patterns = len(np.unique(missing[incomplete], axis=0))
            seconds = per_iteration(holes, start, args.rounds)
            print(
                f"| {D} | {fraction:.0%} | {incomplete.mean():.0%} | {patterns} | "
                f"{complete:.4f} | {seconds:.4f} | {seconds / complete:.1f} |"
            )


if __name__ == "__main__":
    main()
