"""k-means for the initialisation: greedy k-means++ seeding and Lloyd's rounds.

The algorithm is scikit-learn's start for ``GaussianMixture`` (``KMeans`` with
``n_init=1``), not SciPy's ``kmeans2``, which the kernels reproduced until
issue 15: plain k-means++ and at most 20 Lloyd rounds merged two of four
clusters 8 standard deviations apart for a fifth to a half of the seeds.

* ``candidate_potentials`` serves the greedy k-means++ seeding: for each of a
  few candidate rows, the potential (sum of the squared distances to the
  nearest seed) the seeds would have with it added.
* ``lloyd`` runs Lloyd's algorithm (every row to its nearest centroid by
  squared Euclidean distance, the first one on a tie; each centroid to the
  mean of its rows; an empty cluster keeps its centroid) until no label
  changes or the centroids' total squared shift falls to a tolerance, and
  always ends with an assignment, so the labels are those of the final
  centroids.  Unlike scikit-learn it does not relocate an empty cluster.

Distances are summed over features in order, in float64 for float32 data
too.  Rows are walked in tiles transposed into float64 scratch, as the E-step
kernels do (:mod:`.estep`), so the distance loops run along rows in SIMD.
The kernels run on one thread: a parallel Numba function costs several
seconds more of the first compile (``lloyd`` took 7 s parallel against 3 s
serial for one dtype, on a loaded machine), and one thread already does a
round of N=1e6, D=16, K=16 in 0.04 s (measured).  The centroid sums add the
rows in order.
"""

import numpy as np
from numba import njit

from .estep import TILE, load_tile


@njit(cache=True, nogil=True)
def assign_tile(xt, centroids, m, best, label, dist):
    """Nearest centroid of each of the ``m`` rows of the tile ``xt`` (D, TILE)."""
    K, D = centroids.shape
    for t in range(m):
        best[t] = np.inf
        label[t] = 0  # never left unset, whatever the distances
    for k in range(K):
        c0 = centroids[k, 0]
        x0 = xt[0]
        for t in range(m):
            v = x0[t] - c0
            dist[t] = v * v
        for i in range(1, D):
            c = centroids[k, i]
            xi = xt[i]
            for t in range(m):
                v = xi[t] - c
                dist[t] += v * v
        for t in range(m):
            if dist[t] < best[t]:
                best[t] = dist[t]
                label[t] = k


@njit(cache=True, nogil=True)
def lloyd(X, centroids, labels, max_rounds, tol):
    """Lloyd's rounds from ``centroids`` (K, D), updated in place; labels (N,) int64 written.

    A round assigns every row to its nearest centroid, then moves each
    centroid to the mean of its rows.  The rounds stop when an assignment
    changes no label (the centroids are then the means of their rows
    already), when the centroids' total squared shift is at most ``tol``, or
    after ``max_rounds`` moves; the labels are always those of one last
    assignment to the final centroids, so ``max_rounds=0`` labels each row
    with its nearest starting centroid.

    Returns the number of rounds in which the centroids moved.
    """
    N, D = X.shape
    K = centroids.shape[0]
    sums = np.empty((K, D))
    counts = np.empty(K, dtype=np.int64)
    xt = np.empty((D, TILE))
    best = np.empty(TILE)
    dist = np.empty(TILE)
    label = np.empty(TILE, dtype=np.int64)
    for n in range(N):
        labels[n] = -1
    rounds = 0
    shift = np.inf
    while True:
        sums[:] = 0.0
        counts[:] = 0
        moved = 0
        for t0 in range(0, N, TILE):
            m = min(TILE, N - t0)
            load_tile(X, t0, m, xt)
            assign_tile(xt, centroids, m, best, label, dist)
            for t in range(m):
                k = label[t]
                if labels[t0 + t] != k:
                    moved += 1
                    labels[t0 + t] = k
                counts[k] += 1
                for i in range(D):
                    sums[k, i] += xt[i, t]  # row by row, in order
        if moved == 0 or shift <= tol or rounds == max_rounds:
            break  # the labels are those of the centroids in place
        rounds += 1
        shift = 0.0
        for k in range(K):
            if counts[k] == 0:
                continue  # an empty cluster keeps its centroid
            for i in range(D):
                c = sums[k, i] / counts[k]
                v = c - centroids[k, i]
                shift += v * v
                centroids[k, i] = c
    return rounds


@njit(cache=True, nogil=True)
def candidate_potentials(X, candidates, nearest, potentials):
    """``potentials[c] = sum_n min(nearest[n], ||X[n] - candidates[c]||^2)``.

    The k-means++ potential the seeds would have with candidate ``c`` added,
    given each row's squared distance ``nearest`` (N,) to its nearest seed so
    far; one pass over the rows for all candidates (C, D).
    """
    N, D = X.shape
    C = candidates.shape[0]
    xt = np.empty((D, TILE))
    dist = np.empty(TILE)
    for c in range(C):
        potentials[c] = 0.0
    for t0 in range(0, N, TILE):
        m = min(TILE, N - t0)
        load_tile(X, t0, m, xt)
        for c in range(C):
            for t in range(m):
                dist[t] = 0.0
            for i in range(D):
                p = candidates[c, i]
                xi = xt[i]
                for t in range(m):
                    v = xi[t] - p
                    dist[t] += v * v
            s = 0.0
            for t in range(m):
                s += min(dist[t], nearest[t0 + t])
            potentials[c] += s


@njit(cache=True, nogil=True)
def min_squared_distance(X, point, d2):
    """``d2[n] = min(d2[n], ||X[n] - point||^2)``: k-means++ seeding, one seed at a time."""
    N, D = X.shape
    for n in range(N):
        s = 0.0
        for i in range(D):
            v = X[n, i] - point[i]
            s += v * v
        if s < d2[n]:
            d2[n] = s


@njit(cache=True, nogil=True)
def labelled_moments(X, labels, sample_weight, K):
    """Weighted count, mean and scatter about it of each label's rows, in two passes.

    ``sample_weight`` is (N,), or (0,) for unit weights.  Returns ``nk`` (K,),
    ``first`` (K, D) (the weighted sums of the rows: the caller divides) and,
    about ``first / nk``, the deviations' sums ``sx`` (K, D) (zero up to
    rounding) and ``sxx`` (K, D, D).  A label without weight has a zero
    scatter.  One thread: a pass costs N D^2 / 2 multiply-adds, small beside
    the Lloyd rounds before it.
    """
    N, D = X.shape
    weighted = sample_weight.shape[0] > 0
    nk = np.zeros(K)
    first = np.zeros((K, D))
    for n in range(N):
        k = labels[n]
        w = sample_weight[n] if weighted else 1.0
        nk[k] += w
        for i in range(D):
            first[k, i] += w * X[n, i]
    center = np.zeros((K, D))
    for k in range(K):
        if nk[k] > 0:
            for i in range(D):
                center[k, i] = first[k, i] / nk[k]
    sx = np.zeros((K, D))
    sxx = np.zeros((K, D, D))
    d = np.empty(D)
    for n in range(N):
        k = labels[n]
        w = sample_weight[n] if weighted else 1.0
        for i in range(D):
            d[i] = X[n, i] - center[k, i]
        for i in range(D):
            wd = w * d[i]
            sx[k, i] += wd
            for j in range(i, D):
                sxx[k, i, j] += wd * d[j]
    for k in range(K):
        for i in range(D):
            for j in range(i + 1, D):
                sxx[k, j, i] = sxx[k, i, j]
    return nk, first, sx, sxx
