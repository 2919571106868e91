"""Whole bayesgmm EM fits of one case in float64 and in float32, alternating in one process.

``python -m bench.float32 B 6`` (case, rounds; any EM case, its data cast to float32).
Seconds per iteration = (fastest fit of 1 + n iterations - fastest of 1 iteration) / n, as
in bench/run.py, but the two dtypes alternate within every round, so that both see the
same load on a shared machine (B and B32 in bench/run.py are timed one after the other).
scikit-learn is not run.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.cases import CASES, case_data
from bench.libs import fit_em


def main(name: str, rounds: int) -> str:
    case = CASES[name]
    X, init = case_data(case)
    data = {"float64": np.asarray(X, dtype=np.float64), "float32": np.asarray(X, dtype=np.float32)}
    n = case.n_iter
    for X_ in data.values():  # compile / load the kernels
        fit_em("bayesgmm", X_, case.K, case.covariance_type, 1, init)
    times = {(dtype, it): [] for dtype in data for it in (1, 1 + n)}
    bound = {}
    for r in range(rounds):
        order = list(data) if r % 2 == 0 else list(data)[::-1]
        for it in (1, 1 + n):
            for dtype in order:
                seconds, model = fit_em(
                    "bayesgmm", data[dtype], case.K, case.covariance_type, it, init
                )
                times[(dtype, it)].append(seconds)
                bound[dtype] = model.lower_bound_
    per = {dtype: (min(times[(dtype, 1 + n)]) - min(times[(dtype, 1)])) / n for dtype in data}
    diff = abs(bound["float32"] - bound["float64"]) / abs(bound["float64"])
    return (
        f"{name}: float64 {per['float64'] * 1e3:.1f} ms/iter, float32 {per['float32'] * 1e3:.1f} ms/iter, "
        f"ratio {per['float64'] / per['float32']:.2f}; loglik rel diff {diff:.1e}; {rounds} rounds"
    )


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 6))
