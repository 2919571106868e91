"""Compile every kernel for float32 and float64 input; report what got compiled.

``python -m bench.compile`` run with ``NUMBA_CACHE_DIR`` pointing at an empty
directory measures a first-ever compile (what a fresh CI clone pays); with the
cache warm it measures loading the cached machine code.
"""

from __future__ import annotations

import json
import time


def compile_all() -> dict:
    start = time.perf_counter()
    import numpy as np

    import bayesgmm
    from bayesgmm import kernels
    from bayesgmm.densities import log_rho
    from bayesgmm.families import FAMILIES
    from bayesgmm.stats import GaussianTerms, accumulate

    imported = time.perf_counter()
    rng = np.random.default_rng(0)
    for D in (2, 32):  # the small-D and the large-D forms
        for dtype in (np.float64, np.float32):
            X = rng.normal(size=(300, D)).astype(dtype)
            for name in ("full", "diag"):
                family = FAMILIES[name]
                cov = np.repeat(np.eye(D)[None], 2, axis=0) if name == "full" else np.ones((2, D))
                terms = GaussianTerms.gaussian(
                    family,
                    np.log([0.5, 0.5]),
                    X[:2].astype(np.float64),
                    family.precision_cholesky(cov),
                )
                accumulate(X, terms)
                accumulate(X, terms, np.ones(300))
                log_rho(X, terms)
                # the parallel entries, which passes of 300 rows never reach
                arguments = (terms.means, terms.factor, terms.log_offset)
                X64 = kernels.read_only(np.asarray(X, dtype=np.float64))
                terms.kernel.estep_stats.parallel(X64, np.ones(300), *arguments)
                terms.kernel.estep_stats.parallel(X64, np.empty(0), *arguments)
                terms.kernel.log_rho.parallel(X64, *arguments)
    with np.errstate(all="ignore"):
        for dtype in (np.float64, np.float32):  # the k-means kernels of the initialisation
            bayesgmm.GaussianMixture(2, random_state=0).fit(rng.normal(size=(50, 2)).astype(dtype))
    finished = time.perf_counter()
    dispatchers = {}
    import numba

    for module_name in dir(kernels):
        module = getattr(kernels, module_name)
        if not hasattr(module, "__dict__") or not getattr(module, "__name__", "").startswith(
            "bayesgmm"
        ):
            continue
        for name, obj in vars(module).items():
            if (
                isinstance(obj, numba.core.registry.CPUDispatcher)
                and obj.__module__ == module.__name__
            ):
                if obj.signatures:  # helpers are compiled into their callers only
                    dispatchers[f"{module_name}.{name}"] = len(obj.signatures)
    return dict(
        import_seconds=imported - start,
        compile_seconds=finished - imported,
        total_seconds=finished - start,
        signatures=dispatchers,
    )


if __name__ == "__main__":
    print(json.dumps(compile_all()))
