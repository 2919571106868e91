"""Sampling helpers the engines' posterior draws share: Wishart draws and the family's stored forms.

An engine draws weights and precisions from its own posterior
(:meth:`~bayesgmm.engines.base.Engine.posterior_draws`); the means given the
precisions and the conversion to the family's storage are the same for every
engine and live here.  Nothing here knows an engine or a family by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..families import CovarianceFamily
from .base import MixtureParameters, PosteriorDraws


def wishart(rng: np.random.Generator, dof: np.ndarray, root: np.ndarray, S: int) -> np.ndarray:
    """S draws of Wishart(dof, root root^T) by Bartlett's decomposition, batched over leading axes."""
    D = root.shape[-1]
    batch = np.broadcast_shapes(np.shape(dof), root.shape[:-2])
    dof = np.broadcast_to(dof, batch)
    bartlett = np.zeros((S, *batch, D, D))
    diagonal = np.arange(D)
    bartlett[..., diagonal, diagonal] = np.sqrt(
        rng.chisquare(dof[..., None] - diagonal, size=(S, *batch, D))
    )
    below = np.tril_indices(D, -1)
    bartlett[..., below[0], below[1]] = rng.standard_normal((S, *batch, below[0].size))
    factor = root @ bartlett
    return factor @ np.swapaxes(factor, -1, -2)


def upper_cholesky(precisions: np.ndarray) -> np.ndarray:
    """Upper-triangular U with U U^T = P, batched: the lower Cholesky of P with axes reversed."""
    flipped = precisions[..., ::-1, ::-1]
    return np.linalg.cholesky(flipped)[..., ::-1, ::-1]


def complete_draws(
    family: CovarianceFamily,
    kind: str,
    weights,
    mean,
    mean_precision,
    precisions,
    K: int,
    D: int,
    rng: np.random.Generator,
    sticks=None,
) -> PosteriorDraws:
    """Means ``N(mean_k, (mean_precision_k Lambda_k)^-1)`` given the drawn precisions, and the
    family's stored forms of both (``precisions`` in the family's shape, leading axis draw)."""
    S = weights.shape[0]
    precisions = family.share_draws(precisions)  # EII, EEI: one draw of the shared variances
    noise = rng.standard_normal((S, K, D))
    scale = 1.0 / np.sqrt(mean_precision)[:, None]
    if not family.kernel.is_diagonal:
        upper = upper_cholesky(precisions)  # P = U U^T as scikit-learn stores it
        inverse = np.linalg.inv(upper)
        covariances = np.swapaxes(inverse, -1, -2) @ inverse  # (U U^T)^-1 = U^-T U^-1
        # a family storing one matrix for all components (tied) gets the component axis here
        per_component = inverse if family.covariance_dims[0] == "component" else inverse[:, None]
        # U^-T z has covariance P^-1
        per_component = np.broadcast_to(per_component, (S, K, D, D))
        means = mean + scale * np.einsum("skji,skj->ski", per_component, noise)
        precisions_cholesky = upper
    else:
        # (S, K, D) per-feature precisions, or (S, K) one per component repeated along the features
        per_feature = precisions.reshape(S, K, -1)
        means = mean + scale * noise / np.sqrt(per_feature)
        covariances = 1.0 / precisions
        precisions_cholesky = np.sqrt(precisions)
    return PosteriorDraws(kind, weights, means, covariances, precisions_cholesky, sticks)


@dataclass(frozen=True)
class ChainDraws:
    """The kept draws of every chain, relabelled, leading axes ``(chain, draw)``.

    ``covariances`` in the family's storage shape; ``log_posterior`` and
    ``log_likelihood`` are the summed (unnormalised) log posterior density and
    log-likelihood of the fitting data at each draw.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    log_posterior: np.ndarray
    log_likelihood: np.ndarray

    @property
    def n_chains(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_draws(self) -> int:
        return int(self.weights.shape[1])

    def posterior_mean(self, family: CovarianceFamily) -> MixtureParameters:
        """The mean of the draws: the point estimate of a Gibbs fit."""
        weights = self.weights.mean(axis=(0, 1))
        covariances = self.covariances.mean(axis=(0, 1))
        return MixtureParameters(
            weights=weights / weights.sum(),
            means=self.means.mean(axis=(0, 1)),
            covariances=covariances,
            precisions_cholesky=family.precision_cholesky(covariances),
        )
