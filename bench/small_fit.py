"""Issue 15's "small fits are lean": one default fit of 2000 x 6, K=5, full, and its parts.

``python -m bench.small_fit [ROUNDS]`` times, in one process and alternating
round by round, the fit with the M-step as it is and with the M-step as it was
before issue 15 (one LAPACK ``potrf`` + ``trtri`` + ``tril`` per component,
``np.stack``, fancy-indexed ``add_to_diagonal``; reproduced below and patched
onto the ``full`` family), and reports medians with the load average, plus the
median time of one M-step and of one E-step pass (``accumulate``) at the
fitted state.  The default fit converges in 4 iterations on these data, so a
fit of exactly 30 iterations (``tol=0, max_iter=30``) is timed too.  Prints
one JSON line.  The same alternation times T2's sweep (``select()``, K=1..9 x 4
covariance types on 2000 x 6, n_init=1, tol=1e-3) before (old M-step, one
k-means run per fit) and after (new M-step, one k-means run per K).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings

import numpy as np
from scipy import linalg

from bench.data import mixture


def _old_precision_cholesky(covariance):
    from bayesgmm.exceptions import SingularCovarianceError

    factors = []
    for k, c in enumerate(covariance):
        lower, info = linalg.lapack.dpotrf(np.asarray(c, dtype=np.float64), lower=1, clean=1)
        if info != 0 or not np.all(np.isfinite(lower)):
            raise SingularCovarianceError(f"component {k}")
        inverse, info = linalg.lapack.dtrtri(lower, lower=1)
        factors.append(np.tril(inverse).T)
    return np.stack(factors)


def _old_add_to_diagonal(covariance, value):
    covariance = covariance.copy()
    covariance[:, np.arange(covariance.shape[1]), np.arange(covariance.shape[1])] += value
    return covariance


def _median_us(function, repeats=300) -> float:
    for _ in range(10):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e6 * statistics.median(times)


def main(rounds: int = 40) -> dict:
    import importlib

    from bayesgmm import GaussianMixture, select
    from bayesgmm.data.sources import InMemoryData
    from bayesgmm.families.full import Full
    from bayesgmm.fitting.loop import initial_state, make_engine
    from bayesgmm.spec import ModelSpec

    select_module = importlib.import_module("bayesgmm.model_selection.select")
    X = mixture(2000, 6, 5)
    X9 = mixture(2000, 6, 9)  # T2's data (bench/cases.py)
    new = {"precision_cholesky": Full.precision_cholesky, "add_to_diagonal": Full.add_to_diagonal}
    old = {
        "precision_cholesky": lambda self, c: _old_precision_cholesky(c),
        "add_to_diagonal": lambda self, c, v: _old_add_to_diagonal(c, v),
    }

    def use(methods):
        for name, method in methods.items():
            setattr(Full, name, method)
        # before issue 15 a sweep's source kept no starts
        select_module.InMemoryData = (
            InMemoryData
            if methods is new
            else lambda X, w=None, reuse_starts=False: InMemoryData(X, w)
        )

    def sweep():
        start = time.perf_counter()
        select(X9, range(1, 10), n_init=1, tol=1e-3, random_state=0, progress=False)
        return time.perf_counter() - start

    def one_fit(seed, **params):
        start = time.perf_counter()
        GaussianMixture(5, covariance_type="full", random_state=seed, **params).fit(X)
        return time.perf_counter() - start

    def parts():
        spec = ModelSpec(n_components=5, covariance_type="full", random_state=0)
        data = InMemoryData(X)
        engine = make_engine(spec, data)
        state = initial_state(engine, data, np.random.default_rng(0))
        terms = engine.terms(state)
        stats = data.accumulate(terms)
        return dict(
            mstep_us=_median_us(lambda: engine.mstep(stats)),
            accumulate_us=_median_us(lambda: data.accumulate(terms)),
            terms_us=_median_us(lambda: engine.terms(state)),
        )

    times = {"before": [], "after": []}
    long_times = {"before": [], "after": []}
    sweep_times = {"before": [], "after": []}
    loads = []
    warnings.simplefilter("ignore")
    try:
        for methods in (old, new):
            use(methods)
            one_fit(0)  # warm-up
            one_fit(0, tol=0, max_iter=30)
            sweep()
        for round_ in range(rounds):
            order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
            for version in order:
                use(old if version == "before" else new)
                times[version].append(one_fit(round_ % 5))
                long_times[version].append(one_fit(round_ % 5, tol=0, max_iter=30))
                if round_ % 4 < 2:  # a sweep is 36 fits: every other pair of rounds
                    sweep_times[version].append(sweep())
            loads.append(os.getloadavg()[0])
        use(old)
        before_parts = parts()
        use(new)
        after_parts = parts()
    finally:
        use(new)
    return dict(
        fit_ms={v: 1e3 * statistics.median(t) for v, t in times.items()},
        fit_30_iterations_ms={v: 1e3 * statistics.median(t) for v, t in long_times.items()},
        t2_sweep_ms={v: 1e3 * statistics.median(t) for v, t in sweep_times.items()},
        parts_us=dict(before=before_parts, after=after_parts),
        rounds=rounds,
        load_1min=[min(loads), max(loads)],
    )


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)))
