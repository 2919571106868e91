"""How well a fitted mixture separates its clusters, and which rows it is unsure of.

BIC says which model; users also judge the clustering itself.  For any fitted mixture and data:

* **uncertainty** of each row, ``1 - max_k z[n, k]`` (mclust's ``uncertainty``): 0 for a row
  assigned with certainty, at most ``1 - 1/K``.  The rows to look at by hand.
* **classification entropy** ``E = -sum_n sum_k z[n, k] log z[n, k]`` (weighted by the sample
  weights) and the **normalised entropy** ``E / (n log K)`` in [0, 1]: 0 when every row is
  assigned with certainty, 1 when every row is split evenly (Celeux & Soromenho 1996; one minus
  it is the "relative entropy" that Mplus and tidyLPA report).  mclust's ICL penalty is the
  entropy of the *hard* classification; this is the entropy of the responsibilities.
* **silhouette** of the hard labels (Rousseeuw 1987), on Euclidean distances between the
  complete rows (a model fitted with ``missing="marginalize"`` may be given rows with NaN) that
  a Gaussian explains best (not the noise component's rows):
  ``s(i) = (b - a) / max(a, b)`` with ``a`` the mean distance to the other rows of its cluster
  and ``b`` the smallest mean distance to another cluster's rows; the mean of ``s`` lies in
  [-1, 1].  It costs O(N^2) distances, computed block by block so memory stays O(block x N);
  above ``max_rows`` rows it is computed on a random sample of them (as scikit-learn's
  ``silhouette_score(sample_size=)``).  It is written here in NumPy rather than taken from
  scikit-learn, which bayesgmm does not depend on; the tests check it equals scikit-learn's.
* **separation** of the components: the Bhattacharyya distance between every pair
  (:func:`~bayesgmm.diagnostics.alignment.component_distances`, invariant to affine maps of the
  features; ``exp(-D)`` is the overlap of two Gaussians) and its smallest off-diagonal value.

:func:`cluster_quality` gathers them in one :class:`xarray.Dataset`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import xr
from ..data.init import as_generator
from ..data.validation import as_feature_matrix, as_sample_weight, check_features
from ..densities import log_responsibilities
from ..engines.base import mixture_terms
from .alignment import component_distances
from .fitted import as_result

SILHOUETTE_MAX_ROWS = 5000
"""Rows above which :func:`silhouette` works on a random sample (O(N^2) distances)."""

_BLOCK_ROWS = 512


def uncertainty(responsibilities: np.ndarray) -> np.ndarray:
    """mclust's uncertainty of each row: ``1 - max_k z[n, k]``."""
    z = np.asarray(responsibilities, dtype=np.float64)
    return 1.0 - z.max(axis=1)


def classification_entropy(responsibilities: np.ndarray, sample_weight=None) -> float:
    """``-sum_n w_n sum_k z[n, k] log z[n, k]`` (``0 log 0 = 0``)."""
    z = np.asarray(responsibilities, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(z > 0, z * np.log(z), 0.0)
    per_row = -terms.sum(axis=1)
    weights = as_sample_weight(sample_weight, z.shape[0])
    return float(per_row.sum() if weights is None else weights @ per_row)


def normalized_entropy(responsibilities: np.ndarray, sample_weight=None) -> float:
    """The classification entropy over its largest value ``n log K``: in [0, 1] (0 for K = 1)."""
    z = np.asarray(responsibilities, dtype=np.float64)
    K = z.shape[1]
    if K < 2:
        return 0.0
    weights = as_sample_weight(sample_weight, z.shape[0])
    n = z.shape[0] if weights is None else weights.sum()
    return classification_entropy(z, weights) / (n * np.log(K))


def silhouette_samples(X, labels) -> np.ndarray:
    """The silhouette ``s(i)`` of every row of ``X`` under the hard ``labels`` (Euclidean).

    A row alone in its cluster has ``s = 0`` (Rousseeuw's convention, as scikit-learn).
    Needs at least 2 and at most ``n - 1`` distinct labels.
    """
    data, _ = as_feature_matrix(X)
    data = data.astype(np.float64, copy=False)
    labels = np.asarray(labels).reshape(-1)
    if labels.shape[0] != data.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries but X has {data.shape[0]} rows")
    clusters, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(-1)
    n, C = data.shape[0], clusters.shape[0]
    if not 2 <= C <= n - 1:
        raise ValueError(
            f"the silhouette needs 2 to n_samples - 1 clusters, but the labels form {C} for "
            f"{n} rows: it compares each row's own cluster with the nearest other one"
        )
    sizes = np.bincount(codes, minlength=C).astype(np.float64)
    one_hot = np.zeros((n, C))
    one_hot[np.arange(n), codes] = 1.0
    squared_norms = np.einsum("ij,ij->i", data, data)
    values = np.empty(n)
    for start in range(0, n, _BLOCK_ROWS):
        rows = slice(start, min(start + _BLOCK_ROWS, n))
        squared = squared_norms[rows, None] + squared_norms[None, :] - 2.0 * data[rows] @ data.T
        distances = np.sqrt(np.maximum(squared, 0.0))
        distances[np.arange(distances.shape[0]), np.arange(start, rows.stop)] = 0.0
        sums = distances @ one_hot  # (block, C): summed distance to each cluster's rows
        own = codes[rows]
        block = np.arange(distances.shape[0])
        own_size = sizes[own] - 1.0  # the row itself is not counted
        with np.errstate(divide="ignore", invalid="ignore"):
            a = sums[block, own] / own_size
            means = sums / sizes
        means[block, own] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore"):
            s = (b - a) / np.maximum(a, b)
        values[rows] = np.where(own_size > 0, np.nan_to_num(s), 0.0)
    return values


def silhouette(
    X, labels, *, max_rows: int | None = SILHOUETTE_MAX_ROWS, random_state: Any = None
) -> float:
    """Mean silhouette of the hard ``labels`` on ``X``; on a random sample of ``max_rows`` rows
    when there are more (None: always all rows)."""
    data, _ = as_feature_matrix(X)
    labels = np.asarray(labels).reshape(-1)
    if max_rows is not None and data.shape[0] > max_rows:
        chosen = as_generator(random_state).choice(data.shape[0], size=max_rows, replace=False)
        data, labels = data[chosen], labels[chosen]
    return float(silhouette_samples(data, labels).mean())


def responsibilities(model: Any, X) -> np.ndarray:
    """(N, K) responsibilities of the rows of ``X`` under a fitted mixture's point estimate:
    its ``predict_proba``, so a noise component's probability is the last of K + 1 columns
    and a model fitted with ``missing="marginalize"`` takes rows with NaN."""
    result = as_result(model)
    return _responsibilities(result, _checked_rows(result, X))


def _checked_rows(result: Any, X) -> np.ndarray:
    """``X`` as a matrix of the fit's features (NaN only for a marginalizing model)."""
    data, names = as_feature_matrix(X, allow_nan=result.spec.missing == "marginalize")
    check_features(data, names, result.n_features, result.feature_names)
    return data


def _responsibilities(result: Any, data: np.ndarray) -> np.ndarray:
    terms = mixture_terms(result.spec.family, result.parameters)
    return np.exp(log_responsibilities(data.astype(np.float64, copy=False), terms)[1])


def cluster_quality(
    model: Any,
    X,
    sample_weight=None,
    *,
    silhouette_max_rows: int | None = SILHOUETTE_MAX_ROWS,
    random_state: Any = None,
) -> xr.Dataset:
    """Uncertainty, entropy, silhouette and separation of a fitted mixture on ``X``.

    Parameters
    ----------
    model : fitted GaussianMixture or FitResult
    X : array-like (n_samples, n_features)
        Usually the fitting data.
    sample_weight : array-like (n_samples,), optional
        Weights of the entropies (the silhouette is unweighted, as everywhere).
    silhouette_max_rows, random_state
        The silhouette's row sample above that many rows (None: all rows), and its seed.

    Returns
    -------
    xarray.Dataset
        ``uncertainty`` (sample), ``label`` (sample, the hard classification),
        ``entropy``, ``normalized_entropy``, ``silhouette`` (NaN with fewer than 2 occupied
        clusters), ``bhattacharyya`` (component, component2), ``min_separation`` (smallest
        distance between two components; NaN for one component).
    """
    result = as_result(model)
    data = _checked_rows(result, X)
    z = _responsibilities(result, data)
    weights = as_sample_weight(sample_weight, z.shape[0])
    labels = z.argmax(axis=1)
    # the silhouette is a distance between rows: it takes the complete rows (missing
    # values) in the Gaussians' clusters (not the rows the noise component explains best)
    clustered = ~np.isnan(data).any(axis=1)
    if result.parameters.noise is not None:
        clustered &= labels < z.shape[1] - 1
    n_clusters = np.unique(labels[clustered]).size
    silhouette_value = (
        silhouette(
            data[clustered],
            labels[clustered],
            max_rows=silhouette_max_rows,
            random_state=random_state,
        )
        if 2 <= n_clusters <= clustered.sum() - 1
        else np.nan
    )
    distances = component_distances(result, result)
    K = distances.shape[0]
    off_diagonal = distances[~np.eye(K, dtype=bool)]
    return xr.Dataset(
        {
            "uncertainty": ("sample", uncertainty(z), {"long_name": "1 - largest responsibility"}),
            "label": ("sample", labels, {"long_name": "most probable component"}),
            "entropy": ((), classification_entropy(z, weights)),
            "normalized_entropy": ((), normalized_entropy(z, weights)),
            "silhouette": ((), silhouette_value),
            "bhattacharyya": (("component", "component2"), distances),
            "min_separation": ((), float(off_diagonal.min()) if off_diagonal.size else np.nan),
        },
        attrs={
            "silhouette_rows": int(
                clustered.sum()
                if silhouette_max_rows is None
                else min(clustered.sum(), silhouette_max_rows)
            ),
        },
    )


def quality_lines(quality: xr.Dataset) -> list[str]:
    """A few lines of text (under 90 characters) for ``bayesgmm show`` and the report."""
    u = quality["uncertainty"].values
    return [
        f"cluster quality: normalised entropy {float(quality.normalized_entropy):.3f} "
        f"(0: every row certain), silhouette {float(quality.silhouette):.3f},",
        "  smallest Bhattacharyya distance between two components "
        f"{float(quality.min_separation):.3f}",
        f"uncertainty (1 - largest responsibility): median {np.median(u):.3f}, "
        f"largest {u.max():.3f},",
        f"  {int(np.sum(u > 0.2))} of {u.size} rows above 0.2",
    ]
