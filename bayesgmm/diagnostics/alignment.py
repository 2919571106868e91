"""Which components of several fits are the same cluster.

A mixture's labels are arbitrary: two fits of the same data (EM and VB, two
seeds, two covariance families) may find the same clusters and number them
differently.  :func:`align_components` matches every component of each fit to
a component of a reference fit by an optimal assignment
(:func:`scipy.optimize.linear_sum_assignment`, the Hungarian method) on the
**Bhattacharyya distance** between the components' Gaussians,

    D_B = 1/8 (m1 - m2)^T S^-1 (m1 - m2) + 1/2 ln(|S| / sqrt(|S1| |S2|)),  S = (S1 + S2) / 2,

so that tables and figures of the fits can put the same cluster in the same
row and colour.  Why this cost:

* ``exp(-D_B)`` is the Bhattacharyya coefficient, the overlap ``∫ sqrt(p1 p2)``
  of the two densities: 1 for the same Gaussian, near 0 for Gaussians apart.
  Matching by it is matching by overlap, as label-switching tools do with the
  responsibilities, but it needs only the fitted parameters: no data, so it
  serves :func:`~bayesgmm.combine_fits` of saved files as well as the demo.
* It is invariant under any invertible affine map of the features applied to
  both fits, so the units do not matter (a distance between means would be
  ruled by the feature with the largest numbers, minutes over seconds).
* A difference of spread enters as the log of the variances' ratio, a
  difference of location quadratically in units of the pooled spread.  The
  symmetrised Kullback-Leibler divergence grows *linearly* with the variance
  ratio, so one broad component (VB leaves its emptied components at the
  prior: as broad as the data) can outweigh a difference of location.
* It is defined between any two covariance families: every family gives its
  (D, D) matrices (``family.dense_covariance``).

Components are compared in the data's units: a fit made on standardised
features (:mod:`bayesgmm.data.standardize`) is mapped back first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .._lazy import xr
from .checks import _check_same_features
from .fitted import as_result

UNMATCHED = -1
"""An entry of an alignment where the fit has no component matched to the reference's."""


def _gaussians(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """Means (K, D) and dense covariances (K, D, D) of a fit, in the data's units."""
    family, p = result.spec.family, result.parameters
    K, D = result.n_components, result.n_features
    means = np.asarray(p.means, dtype=np.float64)
    covariances = np.stack([family.dense_covariance(p.covariances, k, D) for k in range(K)])
    scaling = getattr(result, "standardization", None)
    if scaling is not None:
        means = scaling.center + means * scaling.scale
        covariances = covariances * np.multiply.outer(scaling.scale, scaling.scale)
    return means, covariances


def component_distances(reference: Any, other: Any) -> np.ndarray:
    """Bhattacharyya distances between the components of two fits (see the module's docstring).

    Parameters
    ----------
    reference, other : fitted GaussianMixture or FitResult
        Fits of the same features; any covariance types.

    Returns
    -------
    ndarray (K_reference, K_other)
        ``[i, j]`` is the distance between component ``i`` of ``reference`` and
        component ``j`` of ``other``: 0 for the same Gaussian, growing as they
        overlap less (``exp(-distance)`` is their overlap).
    """
    first, second = as_result(reference), as_result(other)
    _check_same_features({"reference": first, "other": second})
    m1, S1 = _gaussians(first)
    m2, S2 = _gaussians(second)
    pooled = 0.5 * (S1[:, None] + S2[None, :])
    difference = m1[:, None] - m2[None, :]
    solved = np.linalg.solve(pooled, difference[..., None])[..., 0]
    mahalanobis = np.einsum("abi,abi->ab", difference, solved)
    log_det_pooled = np.linalg.slogdet(pooled)[1]
    log_det1, log_det2 = np.linalg.slogdet(S1)[1], np.linalg.slogdet(S2)[1]
    distance = mahalanobis / 8 + 0.5 * (log_det_pooled - 0.5 * (log_det1[:, None] + log_det2))
    # round-off makes a Gaussian's distance to itself a tiny negative number now and then
    return np.maximum(distance, 0.0)


def match_components(reference: Any, other: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`align_components` for one fit, with the distance of each match.

    Returns
    -------
    slots : ndarray of int
        As :func:`align_components` returns for ``other``.
    distances : ndarray of float, same length
        Bhattacharyya distance between ``other``'s component in each slot and
        the reference's component of that slot; NaN for the unmatched slots.
    """
    cost = component_distances(reference, other)
    K_reference, K_other = cost.shape
    rows, columns = linear_sum_assignment(cost)
    slots = np.full(K_reference, UNMATCHED, dtype=np.int64)
    slots[rows] = columns
    weights = as_result(other).parameters.weights
    rest = np.setdiff1d(np.arange(K_other), columns)
    rest = rest[np.argsort(-weights[rest], kind="stable")]  # the heaviest first
    slots = np.concatenate((slots, rest))
    distances = np.full(slots.size, np.nan)
    distances[rows] = cost[rows, columns]
    return slots, distances


def align_components(reference: Any, *others: Any) -> list[np.ndarray]:
    """The order in which each of ``others`` lists the reference's clusters.

    Every component of each fit in ``others`` is matched to one component of
    ``reference`` by the assignment that minimises the summed Bhattacharyya
    distance between matched Gaussians (see :mod:`bayesgmm.diagnostics.alignment`
    for why this cost).

    Parameters
    ----------
    reference : fitted GaussianMixture or FitResult
        Keeps its own order.
    *others : fitted GaussianMixture or FitResult
        Fits of the same features; any number of components, any covariance
        type, any engine.

    Returns
    -------
    list of ndarray of int, one per fit in ``others``
        ``slots[i]`` is the fit's component that is the reference's component
        ``i``; entries beyond the reference's ``K`` are the fit's components
        left unmatched (it has more than the reference), heaviest first; an
        entry is ``-1`` where the fit has no component for the reference's
        component ``i`` (it has fewer).  When the fit has at least as many
        components as the reference, ``slots`` is a permutation of its
        components.  :func:`bayesgmm.permute_components` applies it to the fit.

    Examples
    --------
    >>> em = GaussianMixture(2).fit(X)
    >>> vb = GaussianMixture(2, engine="vb").fit(X)
    >>> (slots,) = bayesgmm.align_components(em, vb)
    >>> vb.means_[slots]          # the rows of em.means_, in em's order
    """
    if not others:
        raise TypeError("align_components needs a reference and at least one other fit")
    return [match_components(reference, other)[0] for other in others]


def alignment_variables(results: Mapping[Any, Any], dim: str) -> xr.Dataset:
    """Each fit's alignment to the first as variables along ``dim`` and ``component``.

    ``source_component``: the fit's own index of the component in each slot
    (-1: none); ``alignment_distance``: its Bhattacharyya distance to the first
    fit's component of that slot (0 for the first fit, NaN where unmatched).
    """
    labels = list(results)
    reference = results[labels[0]]
    K = reference.n_components
    matches = {labels[0]: (np.arange(K), np.zeros(K))}
    matches.update((label, match_components(reference, results[label])) for label in labels[1:])
    width = max(slots.size for slots, _ in matches.values())
    source = np.full((len(labels), width), UNMATCHED, dtype=np.int64)
    distance = np.full((len(labels), width), np.nan)
    for row, label in enumerate(labels):
        slots, distances = matches[label]
        source[row, : slots.size] = slots
        distance[row, : slots.size] = distances
    dims = (dim, "component")
    return xr.Dataset(
        {
            "source_component": xr.Variable(
                dims,
                source,
                attrs={
                    "long_name": f"the fit's own index of the component matched to {labels[0]!r}'s "
                    "component of this index (beyond its K: unmatched, heaviest first); -1: none"
                },
            ),
            "alignment_distance": xr.Variable(
                dims,
                distance,
                attrs={
                    "long_name": f"Bhattacharyya distance to {labels[0]!r}'s component of this "
                    "index (0: the same Gaussian; NaN: unmatched)"
                },
            ),
        },
        coords={dim: labels, "component": np.arange(width)},
    )
