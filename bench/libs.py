"""How each library is fitted: the same starting point, tol=0, a fixed number of iterations."""

from __future__ import annotations

import time
import warnings

import numpy as np


def _quiet():
    context = warnings.catch_warnings()
    context.__enter__()
    warnings.simplefilter("ignore")  # ConvergenceWarning: tol=0 runs to max_iter by design
    return context


def fit_em(library: str, X, n_components: int, covariance_type: str, n_iter: int, init: dict):
    """One EM fit from ``init`` for exactly ``n_iter`` iterations; returns (seconds, estimator)."""
    if library == "bayesgmm":
        from bayesgmm import GaussianMixture

        model = GaussianMixture(
            n_components, covariance_type=covariance_type, tol=0, max_iter=n_iter, **init
        )
    else:
        from sklearn.mixture import GaussianMixture

        # with all three *_init given, the responsibilities of init_params are overridden;
        # "random_from_data" only avoids a k-means run whose result would be thrown away
        model = GaussianMixture(
            n_components,
            covariance_type=covariance_type,
            tol=0,
            max_iter=n_iter,
            init_params="random_from_data",
            random_state=0,
            **init,
        )
    context = _quiet()
    try:
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
    finally:
        context.__exit__(None, None, None)
    return seconds, model


def fit_vb(library: str, X, R: np.ndarray, n_iter: int):
    """Full-covariance VB (Dirichlet process weights, every prior at its default) from the
    responsibilities ``R`` for ``n_iter`` iterations; returns (seconds, weights, means)."""
    K = R.shape[1]
    context = _quiet()
    try:
        if library == "bayesgmm":
            from bayesgmm import ModelSpec, VBPrior
            from bayesgmm.data import InMemoryData
            from bayesgmm.data.init import statistics_from_assignment
            from bayesgmm.fitting.loop import make_engine, run_em_loop

            start = time.perf_counter()
            spec = ModelSpec(
                n_components=K,
                covariance_type="full",
                engine="vb",
                prior=VBPrior(weight_prior="dirichlet_process"),
                max_iter=n_iter,
                tol=0,
            )
            data = InMemoryData(X)
            engine = make_engine(spec, data)
            state = engine.mstep(statistics_from_assignment(X, K, False, resp=R))
            state, _, _ = run_em_loop(engine, data, state)
            seconds = time.perf_counter() - start
            point = engine.parameters(state)
            return seconds, point.weights, point.means
        from sklearn.mixture import BayesianGaussianMixture

        model = BayesianGaussianMixture(
            n_components=K,
            covariance_type="full",
            weight_concentration_prior_type="dirichlet_process",
            max_iter=n_iter,
            tol=0,
        )
        # scikit-learn's own hook for its start, given our responsibilities (as tests/test_vb.py)
        model._initialize_parameters = lambda X, random_state, xp=None: model._initialize(X, R)
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
        return seconds, model.weights_, model.means_
    finally:
        context.__exit__(None, None, None)


def default_fit(library: str, X, n_components: int, seed: int):
    """The whole default fit (initialisation included); returns (seconds, per-sample log-likelihood)."""
    if library == "bayesgmm":
        from bayesgmm import GaussianMixture
    else:
        from sklearn.mixture import GaussianMixture
    context = _quiet()
    try:
        start = time.perf_counter()
        model = GaussianMixture(n_components, random_state=seed).fit(X)
        seconds = time.perf_counter() - start
    finally:
        context.__exit__(None, None, None)
    return seconds, float(model.score(X))


def bic_sweep(library: str, X, max_components: int = 10):
    """BIC of every K in 1..max_components x covariance type, whole default fits; (seconds, table)."""
    if library == "bayesgmm":
        from bayesgmm import GaussianMixture
    else:
        from sklearn.mixture import GaussianMixture
    table = {}
    context = _quiet()
    try:
        start = time.perf_counter()
        for covariance_type in ("full", "tied", "diag", "spherical"):
            for K in range(1, max_components + 1):
                model = GaussianMixture(K, covariance_type=covariance_type, random_state=0).fit(X)
                table[(covariance_type, K)] = model.bic(X)
        seconds = time.perf_counter() - start
    finally:
        context.__exit__(None, None, None)
    return seconds, table


def select_sweep(library: str, X, max_components: int = 9):
    """Issue 15's T2: BIC of K in 1..max_components x the 4 covariance types, n_init=1,
    tol=1e-3: bayesgmm's ``select()`` against a scikit-learn loop; (seconds, table)."""
    types = ("full", "tied", "diag", "spherical")
    context = _quiet()
    try:
        start = time.perf_counter()
        if library == "bayesgmm":
            from bayesgmm import select

            ds = select(
                X,
                range(1, max_components + 1),
                types,
                n_init=1,
                tol=1e-3,
                random_state=0,
                progress=False,
            )
            seconds = time.perf_counter() - start
            bic = ds.bic.sel(engine="em")
            table = {
                (c, k): float(bic.sel(covariance_type=c, n_components=k))
                for c in types
                for k in range(1, max_components + 1)
            }
        else:
            from sklearn.mixture import GaussianMixture
            from threadpoolctl import threadpool_limits

            # "sklearn-1thread": BLAS and OpenMP (its KMeans) on one thread; on the shared
            # machine, threads spinning for a busy core made the 2-thread loop 10x slower
            limits = threadpool_limits(1) if library == "sklearn-1thread" else None
            table = {}
            for c in types:
                for k in range(1, max_components + 1):
                    model = GaussianMixture(
                        k, covariance_type=c, n_init=1, tol=1e-3, random_state=0
                    ).fit(X)
                    table[(c, k)] = model.bic(X)
            seconds = time.perf_counter() - start
            if limits is not None:
                limits.unregister()
    finally:
        context.__exit__(None, None, None)
    return seconds, table
