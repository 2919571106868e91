"""Whether Markov chains mixed: R-hat and effective sample size of a sampler's draws.

Rank-normalised split R-hat and bulk effective sample size (Vehtari, Gelman,
Simpson, Carpenter & Bürkner 2021), computed by ``arviz_stats`` (ArviZ's
numerics, imported only when a check runs) on the relabelled weights and means
of a sampling engine's chains.  Independent draws (VB, MAP) have no chains to
mix: nothing reports these numbers for them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..engines import ITERATE_SAMPLING, engine_class
from ..engines.base import PosteriorDraws
from ..exceptions import convergence_warning

MAX_RHAT = 1.01
"""Chains whose largest R-hat exceeds this did not mix (Vehtari et al. 2021)."""

MIN_ESS = 400
"""Chains whose smallest bulk effective sample size is below this did not mix."""


@dataclass(frozen=True)
class Mixing:
    """The worst R-hat and bulk ESS over the weights and means of a set of chains."""

    max_rhat: float
    min_ess_bulk: float

    @property
    def mixed(self) -> bool:
        return bool(self.max_rhat <= MAX_RHAT and self.min_ess_bulk >= MIN_ESS)


def mixing(weights: np.ndarray, means: np.ndarray) -> Mixing:
    """Rank-normalised split R-hat and bulk ESS of every weight and mean coordinate.

    ``weights`` (chain, draw, K) and ``means`` (chain, draw, K, D), relabelled.  A
    single chain is split in halves as ArviZ does, so R-hat is defined for it too.
    NaN when there are too few draws for either (fewer than 4 per chain).
    """
    from arviz_stats.base import array_stats  # ArviZ's numerics, imported only when needed

    C, S = weights.shape[:2]
    values = np.concatenate((weights.reshape(C, S, -1), means.reshape(C, S, -1)), axis=2)
    values = np.moveaxis(values, 2, 0)  # (parameters, chain, draw)
    if S < 4:
        return Mixing(float("nan"), float("nan"))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = np.asarray(array_stats.rhat(values, chain_axis=1, draw_axis=2))
        ess = np.asarray(array_stats.ess(values, chain_axis=1, draw_axis=2, method="bulk"))
    return Mixing(float(np.nanmax(rhat)), float(np.nanmin(ess)))


def warn_if_not_mixed(result: Mixing, stacklevel: int = 3) -> None:
    if not result.mixed:
        warnings.warn(
            f"The Gibbs chains did not mix: the largest R-hat of the weights and means is "
            f"{result.max_rhat:.3f} (should be <= {MAX_RHAT}) and the smallest bulk effective "
            f"sample size {result.min_ess_bulk:.0f} (should be >= {MIN_ESS}). Run more draws "
            "(n_draws, n_warmup) or chains, or check for a component the data do not support "
            "(fewer n_components)",
            convergence_warning(),
            stacklevel=stacklevel,
        )


def draws_mixing(engine_name: str, sample: PosteriorDraws) -> Mixing | None:
    """The mixing of a sampling engine's draws (chain-major), or None for independent draws."""
    if engine_class(engine_name).iteration != ITERATE_SAMPLING:
        return None
    C = sample.n_chains
    S = sample.n_draws // C
    return mixing(
        sample.weights.reshape(C, S, *sample.weights.shape[1:]),
        sample.means.reshape(C, S, *sample.means.shape[1:]),
    )
