"""One Gibbs sweep against one EM iteration, on the EM bench cases A and B.

``python -m bench.gibbs [--full] [--cases A,B] [--rounds R]`` (or ``python bench/gibbs.py``).

A Gibbs sweep (``engine="gibbs"``) is what the sampling loop does per sweep
(:mod:`bayesgmm.fitting.sampling`): one pass drawing every row's allocation and
folding it into statistics (``data.allocate``), the log prior of the current
parameters (the log-posterior trace), and one conditional draw of the parameters.
An EM iteration is what the ascent loop does (:func:`bayesgmm.fitting.step.objective_pass`,
then the M-step).  Both run from the same start on the same rows (``bench.cases.case_data``;
``--quick`` sizes, N = 100,000, unless ``--full``: N = 1,000,000) with the same Numba threads.
Each round times ``--sweeps`` consecutive iterations of each, alternating which goes first;
the table gives the median over rounds of seconds per iteration and of the ratio
Gibbs / EM measured within the same round.  Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.cases import CASES, case_data


def engines_and_states(X, start: dict, K: int):
    """An EM and a Gibbs engine with their states at the case's common start."""
    from bayesgmm.data.sources import InMemoryData
    from bayesgmm.fitting.loop import initial_state, make_engine
    from bayesgmm.spec import ModelSpec

    data = InMemoryData(X)
    out = []
    for engine_name in ("em", "gibbs"):
        spec = ModelSpec(n_components=K, engine=engine_name, random_state=0, **start)
        engine = make_engine(spec, data)
        out.append((engine, initial_state(engine, data, np.random.default_rng(0))))
    return data, out


def em_iterations(engine, data, state, n: int) -> float:
    from bayesgmm.fitting.step import objective_pass

    begin = time.perf_counter()
    for iteration in range(1, n + 1):
        stats, _ = objective_pass(engine, data, state, iteration)
        state = engine.update(stats, previous=state)
    return (time.perf_counter() - begin) / n


def gibbs_sweeps(engine, data, state, n: int) -> float:
    rng = engine.generator
    begin = time.perf_counter()
    for _ in range(n):
        stats, _ = data.allocate(engine.terms(state), rng)
        stats.loglik + engine.penalty(state)  # the loop's log-posterior trace
        state = engine.update(stats, previous=state)
    return (time.perf_counter() - begin) / n


def run_case(name: str, full: bool, rounds: int, sweeps: int) -> dict:
    case = CASES[name].sized(not full)
    X, start = case_data(case)
    data, ((em, em_state), (gibbs, gibbs_state)) = engines_and_states(X, start, case.K)
    em_iterations(em, data, em_state, 1)  # compile and warm both before timing
    gibbs_sweeps(gibbs, data, gibbs_state, 1)
    em_times, gibbs_times, ratios = [], [], []
    for r in range(rounds):
        if r % 2:
            g = gibbs_sweeps(gibbs, data, gibbs_state, sweeps)
            e = em_iterations(em, data, em_state, sweeps)
        else:
            e = em_iterations(em, data, em_state, sweeps)
            g = gibbs_sweeps(gibbs, data, gibbs_state, sweeps)
        em_times.append(e)
        gibbs_times.append(g)
        ratios.append(g / e)
    return {
        "case": f"{name}: N={case.N}, D={case.D}, K={case.K}, {case.covariance_type}",
        "em": statistics.median(em_times),
        "gibbs": statistics.median(gibbs_times),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the cases' full sizes (N = 1e6)")
    parser.add_argument("--cases", default="A,B")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sweeps", type=int, default=5)
    args = parser.parse_args(argv)
    print("| case | EM s/iteration | Gibbs s/sweep | Gibbs / EM (median of rounds) |")
    print("|---|---|---|---|")
    for name in args.cases.split(","):
        row = run_case(name.strip(), args.full, args.rounds, args.sweeps)
        print(f"| {row['case']} | {row['em']:.4f} | {row['gibbs']:.4f} | {row['ratio']:.2f} |")
        spread = ", ".join(f"{r:.2f}" for r in row["ratios"])
        print(f"<!-- {name} per-round ratios: {spread} -->")


if __name__ == "__main__":
    main()
