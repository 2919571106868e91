"""mclust's hierarchical start (``init_params="hc"``): one merge tree, a partition for every K.

R's mclust starts EM from model-based agglomerative hierarchical clustering
(``Mclust`` calls ``hc(data, modelName = mclust.options("hcModelName"),
use = mclust.options("hcUse"))`` and cuts the tree with ``hclass``).  This
module does what mclust 6 does, with our own code (the merges are computed by
:func:`bayesgmm.kernels.hierarchical.agglomerate`):

* **Data transformation** (``use="SVD"``, mclust's ``hcUse`` default): each
  column is centred and scaled to unit standard deviation (R's ``scale``;
  constant columns are dropped, as ``dropCols`` drops the NaN they become),
  then projected on its right singular vectors and divided by the square
  root of the singular values: ``Z = X V D^{-1/2} = U D^{1/2}``.  (Not
  whitening: the columns of ``Z`` keep variances proportional to the singular
  values.)  Singular values below ``max(n, p) eps`` times the largest are
  dropped with their vectors; mclust divides by them and fails.
  ``use="VARS"`` (the default of R's ``hc()`` itself) takes the columns as
  they are.
* **Criterion**: ``VVV`` for two or more columns (``hcModelName``), with
  mclust's ``alpha = tr(W) / (n p)`` (the trace of the transformed data's
  scatter ``W`` about its mean, at least machine epsilon) and ``beta = 1``;
  ``V`` for one column, with ``alpha`` = machine epsilon (mclust's ``hcV``
  takes ``min(alpha, eps)``); ``EII`` (Ward) when there are no more rows than
  columns, as ``mclustBIC`` does (it also starts such data from ``hc``).
* **Subset**: with more than ``mclust.options("subset")`` = 2000 rows,
  ``mclustBIC`` draws 2000 rows uniformly without replacement and builds the
  tree on them alone; each K's start is then the M-step on the subset's
  partition followed by an E-step on all rows.  Here the subset is drawn
  from the fit's random generator (:func:`subset_rows`), and the start is the
  statistics of the subset's partition, scaled to the data's total weight:
  the engine's M-step on them, then the fitting loop's first E-step on all
  rows, is mclust's sequence.  At most 2000 rows also bounds the memory of
  the tree to 16 MB of pair costs (O(n^2): see the kernel module).

Sample weights: rows of weight 0 take no part (the caller removes them).
mclust's criterion has no weights, so the tree is built on the rows as they
are and the weights enter the statistics of each partition; a subset is drawn
uniformly among the rows of positive weight (a Dask array's sample is drawn
in proportion to the weights instead, and its partition's statistics are
unweighted unless it holds every weighted row: both estimate the weighted
statistics of the data).

For data without a subset the tree is deterministic: every restart
(``n_init``) starts from the same partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.cache import announce_first_compile
from ..kernels.hierarchical import EII, VVV, V, agglomerate

HC_SUBSET = 2000
"""mclust's ``mclust.options("subset")``: the most rows the tree is built on."""

HC_USES = ("SVD", "VARS")
_MODELS = {VVV: "VVV", V: "V", EII: "EII"}


@dataclass(frozen=True)
class HierarchicalTree:
    """The merges of one agglomeration, from singletons to one cluster.

    Attributes
    ----------
    merges : (n - 1, 2) int64
        Step ``s`` joins the clusters whose smallest row numbers are
        ``merges[s, 0] < merges[s, 1]`` (numbers of the rows the tree was built on).
    heights : (n - 1,) float64
        Each merge's change of the criterion.
    model : str
        ``"VVV"``, ``"V"`` or ``"EII"``.
    rows : (n,) int64 array or None
        Which of the caller's rows the tree was built on (ascending); None: all of them.
    """

    merges: np.ndarray
    heights: np.ndarray
    model: str
    rows: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        """Number of rows the tree was built on."""
        return self.merges.shape[0] + 1

    def labels(self, n_clusters: int) -> np.ndarray:
        """The partition into ``n_clusters`` clusters: mclust's ``hclass(tree, n_clusters)``.

        Labels ``0..n_clusters-1`` of the tree's rows, numbered in the order of
        each cluster's first row (as ``hclass`` numbers them, from 1).
        """
        n = self.n_rows
        if not 1 <= n_clusters <= n:
            raise ValueError(
                f"the hierarchical tree has {n} rows and cannot be cut into {n_clusters} "
                "clusters; ask for at most as many components as rows"
            )
        parent = np.arange(n)
        done = self.merges[: n - n_clusters]
        parent[done[:, 1]] = done[:, 0]  # a cluster is known by its first row: each joins once
        while True:
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
        _, first, inverse = np.unique(parent, return_index=True, return_inverse=True)
        rank = np.empty(first.size, dtype=np.int64)
        rank[np.argsort(first)] = np.arange(first.size)
        return rank[inverse]


def subset_rows(n_rows: int, rng: np.random.Generator, size: int = HC_SUBSET) -> np.ndarray | None:
    """mclust's subset: ``size`` of ``n_rows`` rows drawn without replacement, ascending; None when
    there are at most ``size`` rows (the tree then takes them all and draws nothing)."""
    if n_rows <= size:
        return None
    return np.sort(rng.choice(n_rows, size=size, replace=False))


def transform(X: np.ndarray, use: str = "SVD") -> np.ndarray:
    """The rows as mclust's ``hc(..., use=use)`` clusters them (module docstring), float64."""
    if use not in HC_USES:
        raise ValueError(f"use={use!r} is not one of {HC_USES}")
    X = np.asarray(X, dtype=np.float64)
    if use == "VARS":
        return np.array(X, order="C")
    n = X.shape[0]
    centred = X - X.mean(axis=0)
    spread = np.sqrt((centred**2).sum(axis=0) / max(1, n - 1))
    kept = spread > 0
    if not kept.any():  # every row the same: any tree will do
        return np.zeros((n, 1))
    scaled = centred[:, kept] / spread[kept]
    _, singular, vt = np.linalg.svd(scaled, full_matrices=False)
    usable = singular > singular[0] * max(scaled.shape) * np.finfo(np.float64).eps
    Z = (scaled @ vt[usable].T) / np.sqrt(singular[usable])
    return np.ascontiguousarray(Z)


def hierarchical_tree(
    X: np.ndarray, rng: np.random.Generator | None = None, use: str = "SVD"
) -> HierarchicalTree:
    """mclust's hierarchical clustering of the rows of ``X``, on a subset if there are many.

    With more than :data:`HC_SUBSET` rows, ``rng`` draws the subset
    (:func:`subset_rows`); without ``rng`` all rows are used (memory O(n^2)).
    """
    rows = None if rng is None else subset_rows(X.shape[0], rng)
    Z = transform(X if rows is None else X[rows], use)
    n, p = Z.shape
    eps = float(np.finfo(np.float64).eps)
    # the model follows the data's own width, as mclustBIC chooses it (Z may have fewer
    # columns: constant ones and null singular directions are dropped)
    if X.shape[1] == 1:
        model, alpha = V, eps
    elif n > X.shape[1]:
        centred = (Z - Z.mean(axis=0)) / np.sqrt(n * p)
        model, alpha = VVV, max(float((centred**2).sum()), eps)
    else:
        model, alpha = EII, 0.0
    merges = np.zeros((max(n - 1, 0), 2), dtype=np.int64)
    heights = np.zeros(max(n - 1, 0))
    announce_first_compile()
    agglomerate(Z, model, alpha, 1.0, merges, heights)
    return HierarchicalTree(merges, heights, _MODELS[model], rows)
