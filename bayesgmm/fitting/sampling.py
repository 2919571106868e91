"""The loop of a sampling engine (``Engine.iteration == "sampling"``, the Gibbs sampler).

Where the ascent loop (:mod:`.loop`) iterates to convergence, this one runs
``n_chains`` Markov chains of a fixed length:

* each chain starts from its own start: the first from the state the caller gives
  (the fit's ``init_params`` start, or the survivors after pruning), the others from
  fresh starts drawn with their own generators (``init_params``: k-means from other
  seeds by default);
* every chain runs ``n_warmup`` sweeps that are discarded, then ``n_draws * thin``
  sweeps of which every ``thin``-th is kept.  A sweep is one pass over the data
  (:meth:`~bayesgmm.data.sources.DataSource.allocate`: allocations drawn and folded
  into statistics) and one conditional draw of the parameters (``engine.update``).
  Each chain has its own NumPy generator, spawned from the engine's, and the
  uniforms of every pass are drawn from it, so a seeded fit is reproducible bit for
  bit whatever the threads do;
* label switching: every kept draw is relabelled before it is stored, by ECR
  (Papastamoulis & Iliopoulos 2010; ``label.switching``'s ``ecr``, Papastamoulis 2016):
  the pivot is the allocation drawn at the highest log-posterior sweep of all the
  warmups (so the warmups of every chain run first, then the kept sweeps), and each
  kept draw's components are permuted to maximise the (weighted) number of rows
  whose sampled allocation agrees with the pivot's labels, a linear assignment
  problem on the K x K agreement table the kernel accumulates
  (:func:`scipy.optimize.linear_sum_assignment`).  No N x draws allocation matrix
  is stored.

The chains run one after the other: the kernel of each pass already spreads its
rows over every Numba thread, so running chains side by side would only share
the same cores.

The draws' mixing is checked on the relabelled weights and means
(:func:`bayesgmm.diagnostics.mixing.mixing`: rank-normalised split R-hat and bulk
effective sample size); a warning says when the chains did not mix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..data.sources import DataSource
from ..diagnostics.mixing import mixing, warn_if_not_mixed
from ..engines import Engine
from ..engines.draws import ChainDraws


@dataclass
class _Chain:
    generator: np.random.Generator
    state: Any


def _relabelling(agreement: np.ndarray) -> np.ndarray:
    """``order`` with ``new[j] = old[order[j]]``: the permutation maximising the agreement."""
    rows, columns = linear_sum_assignment(agreement, maximize=True)
    order = np.empty_like(rows)
    order[columns] = rows
    return order


def run_sampling_loop(
    engine: Engine,
    data: DataSource,
    state: Any,
    start: Callable[[np.random.Generator], Any],
    on_iteration: Callable[[int, float], None] | None = None,
) -> tuple[Any, list[float], bool]:
    """Run the chains from ``state`` (chain 1) and ``start(generator)`` (the others).

    Returns the engine's state holding the relabelled draws and their posterior
    mean (the point estimate), the per-sample log-posterior of every sweep (the
    warmups of each chain, then the kept sweeps of each chain), and whether the
    chains mixed (:func:`~bayesgmm.diagnostics.mixing.mixing`); a warning says when they did not.
    """
    spec = engine.spec
    n_chains, n_draws, n_warmup, thin = spec.n_chains, spec.n_draws, spec.n_warmup, spec.thin
    total_weight = data.total_weight
    generators = engine.generator.spawn(n_chains)
    chains = []
    for index, generator in enumerate(generators):
        engine.generator = generator
        chains.append(_Chain(generator, state if index == 0 else start(generator)))

    trace: list[float] = []
    sweeps = 0

    def sweep(chain: _Chain, pivot=None, allocation=None):
        nonlocal sweeps
        engine.generator = chain.generator
        current = chain.state
        stats, agreement = data.allocate(
            engine.terms(current), chain.generator, pivot=pivot, allocation=allocation
        )
        log_posterior = stats.loglik + engine.penalty(current)
        if not np.isfinite(log_posterior):
            raise FloatingPointError(
                f"the log-posterior became {log_posterior} at sweep {sweeps + 1}: some rows are "
                "too far from every component for float64. Standardise X"
            )
        chain.state = engine.update(stats, previous=current)
        sweeps += 1
        trace.append(log_posterior / total_weight)
        if on_iteration is not None:
            on_iteration(sweeps, trace[-1])
        return current, stats.loglik, log_posterior, agreement

    allocation = np.empty(data.n_samples, dtype=np.int64)
    pivot, best = None, -np.inf
    for chain in chains:
        for _ in range(n_warmup):
            _, _, log_posterior, _ = sweep(chain, allocation=allocation)
            if log_posterior > best:
                best, pivot = log_posterior, allocation.copy()
    if pivot is None:  # no warmup: the first chain's start gives the pivot
        pivot = allocation
        engine.generator = chains[0].generator
        data.allocate(engine.terms(chains[0].state), chains[0].generator, allocation=pivot)

    K = engine.n_components
    shapes = engine.parameters(state)
    weights = np.empty((n_chains, n_draws, K))
    means = np.empty((n_chains, n_draws, *shapes.means.shape))
    covariances = np.empty((n_chains, n_draws, *shapes.covariances.shape))
    log_posteriors = np.empty((n_chains, n_draws))
    log_likelihoods = np.empty((n_chains, n_draws))
    for c, chain in enumerate(chains):
        for s in range(n_draws):
            for _ in range(thin - 1):
                sweep(chain)
            drawn, log_likelihood, log_posterior, agreement = sweep(chain, pivot=pivot)
            point = engine.parameters(drawn)
            order = _relabelling(agreement)
            weights[c, s] = point.weights[order]
            means[c, s] = point.means[order]
            per_component = engine.family.covariance_dims[0] == "component"
            covariances[c, s] = point.covariances[order] if per_component else point.covariances
            log_posteriors[c, s] = log_posterior
            log_likelihoods[c, s] = log_likelihood
    draws = ChainDraws(weights, means, covariances, log_posteriors, log_likelihoods)
    result = mixing(draws.weights, draws.means)
    warn_if_not_mixed(result, stacklevel=4)
    final = engine.with_draws(chains[0].state, draws)
    return final, trace, result.mixed
