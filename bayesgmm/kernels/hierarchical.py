"""Model-based agglomerative hierarchical clustering: mclust's ``hc`` merge sequence.

One kernel, :func:`agglomerate`, merges ``n`` singleton clusters down to one
cluster, each time the pair whose merge changes a classification likelihood
criterion the least (Banfield & Raftery 1993; Fraley 1998, *SIAM J. Sci.
Comput.* 20, 270-281), and records the ``n - 1`` merges.  Three criteria, as
mclust's Fortran (``hcvvv``, ``hc1v``, ``hceii`` in ``src/mclust.f``) defines
them; every cluster ``c`` holds ``n_c`` rows with scatter ``W_c`` about their
mean:

* ``VVV`` (multivariate, mclust's default): a cluster costs
  ``n_c log(|W_c / n_c| + beta (tr W_c + alpha) / n_c)``, the determinant taken
  as 0 while ``n_c <= p`` (a singular scatter).  The trace term regularises
  small clusters; mclust sets ``beta = 1`` and ``alpha`` to the trace of the
  data's scatter over ``n p`` (see :mod:`bayesgmm.data.hierarchical`).
  A singleton costs ``log(alpha beta)``.  A merge of two singletons costs
  ``2 log(beta (tr W + alpha) / 2)`` whatever ``p`` is, as in mclust.
* ``V`` (one dimension): ``n_c log((W_c + alpha) / n_c)``; a singleton ``log alpha``.
* ``EII`` (mclust's choice when ``n <= p``): Ward's criterion, the merge
  costs the increase of the total within-cluster sum of squares.

A merge's cost is the merged cluster's cost minus the two parts' costs.

Bookkeeping follows the Fortran, so that ties resolve as mclust's do (data
with duplicated rows are full of exact ties): the current clusters sit in
slots ``0..g-1``; the pair costs sit in one array in the order
``(0,1), (0,2), (1,2), (0,3), ...`` and the pair chosen is the *last* of the
least cost in that order; a merge puts the new cluster in the lower slot and
moves the cluster of the last slot into the higher one.  Each cluster keeps
its row sum over ``sqrt(n_c)``, the trace of ``W_c`` and (``VVV``) the
upper-triangular factor ``R_c`` of ``W_c = R_c^T R_c``, updated by Givens
rotations as mclust's ``mclrup`` does: merging ``a`` and ``b`` adds the rows of
``R_b`` and the row ``sqrt(n_a n_b / n) (mean_a - mean_b)`` to ``R_a``.

Unlike the Fortran, which scans all ``g (g - 1) / 2`` costs after every merge
(O(n^3) in all), each slot remembers the least cost in its row of the array;
a merge recomputes the rows it touched, so a step scans O(g) numbers in the
usual case.  The merges are the same.

Memory: the ``n (n - 1) / 2`` pair costs in float64 (16 MB for n = 2000, 100 MB
for 5000, 1.6 GB for 20000), plus O(n p) for the clusters' sums and factors.
mclust builds the tree on a random subset of 2000 rows for larger data, and so
does :mod:`bayesgmm.data.hierarchical`.  Time: O(n^2) pair costs of O(p^3) each.
"""

import numpy as np
from numba import njit

VVV = 0
V = 1
EII = 2

_SQRT_HALF = 0.7071067811865476  # mclust's rthalf


@njit(cache=True, nogil=True)
def _pair(i, j):
    """Position of the pair of slots ``i < j`` in the cost array."""
    return (j * (j - 1)) // 2 + i


@njit(cache=True, nogil=True)
def _add_row(factor, rows, w, start):
    """Fold the row ``w`` (zero before column ``start``) into the triangle ``factor``.

    ``factor`` holds ``rows`` rows; rotations against its rows ``start..`` zero
    ``w`` column by column (BLAS ``drotg``/``drot``); while the triangle has
    fewer than ``p`` rows the remainder becomes its new last row.  Returns the
    new number of rows.  ``w`` is overwritten.
    """
    p = factor.shape[0]
    last = min(rows, p)
    for i in range(start, last):
        a = factor[i, i]
        b = w[i]
        scale = abs(a) + abs(b)
        if scale == 0.0:
            continue  # c = 1, s = 0: nothing to rotate
        r = scale * np.sqrt((a / scale) ** 2 + (b / scale) ** 2)
        if (a if abs(a) > abs(b) else b) < 0.0:
            r = -r
        c = a / r
        s = b / r
        factor[i, i] = r
        for k in range(i + 1, p):
            t = c * factor[i, k] + s * w[k]
            w[k] = c * w[k] - s * factor[i, k]
            factor[i, k] = t
    if rows < p:
        for k in range(rows):
            factor[rows, k] = 0.0
        for k in range(rows, p):
            factor[rows, k] = w[k]
        return rows + 1
    return rows


@njit(cache=True, nogil=True)
def _vvv_term(count, p, factor, trace, alpha, beta):
    """mclust's ``vvvtij``: the VVV cost of a cluster of ``count`` rows with this factor and trace."""
    tail = beta * (trace + alpha) / count
    if count <= p:
        return count * np.log(tail)
    if trace == 0.0:
        return count * np.log((alpha * beta) / count)
    scale = np.sqrt(1.0 / count)
    detlog = 0.0
    for k in range(p):
        q = factor[k, k] * scale
        if q == 0.0:
            return count * np.log(tail)
        detlog += np.log(abs(q))
    detlog *= 2.0
    if detlog <= 0.0:
        return count * np.log(np.exp(detlog) + tail)
    return count * (np.log(1.0 + np.exp(-detlog) * tail) + detlog)


@njit(cache=True, nogil=True)
def _load(pool, link, chain, slot, out):
    """The factor of ``slot`` into the dense ``out`` (p, p); returns its number of rows.

    A cluster of ``c`` rows keeps the ``min(c - 1, p)`` rows of its factor in
    rows of ``pool`` chained by ``link`` from ``chain[slot]`` (-1: none), row
    ``r`` holding columns ``r..p-1``: O(n p) numbers for all clusters, as
    mclust keeps them in the rows of its data matrix.
    """
    p = out.shape[0]
    for i in range(p):
        for k in range(p):
            out[i, k] = 0.0
    row = chain[slot]
    r = 0
    while row >= 0:
        for k in range(r, p):
            out[r, k] = pool[row, k]
        row = link[row]
        r += 1
    return r


@njit(cache=True, nogil=True)
def _release(link, chain, slot, free, n_free):
    """Return the pool rows of ``slot`` to the free stack; the new stack size."""
    row = chain[slot]
    while row >= 0:
        free[n_free] = row
        n_free += 1
        row = link[row]
    chain[slot] = -1
    return n_free


@njit(cache=True, nogil=True)
def _keep(pool, link, chain, slot, out, rows, free, n_free):
    """Store the first ``rows`` rows of ``out`` as the factor of ``slot``; the new stack size."""
    p = out.shape[0]
    previous = -1
    for r in range(rows):
        n_free -= 1
        row = free[n_free]
        for k in range(p):
            pool[row, k] = out[r, k]
        link[row] = -1
        if previous < 0:
            chain[slot] = row
        else:
            link[previous] = row
        previous = row
    return n_free


@njit(cache=True, nogil=True)
def _union(x, count, trace, term, pool, link, chain, a, b, model, alpha, beta, out, v, w):
    """The union of slots ``a`` and ``b``: ``(trace, cost of the union, cost of the merge)``.

    VVV also leaves the union's factor in ``out``: ``a``'s factor with ``b``'s
    rows folded in, then the row of the means' difference, in mclust's order
    (the rounding, not the result, depends on which slot is ``a``).  For
    ``EII`` the merge's cost is the increase of the sum of squares and the
    union's cost is not used.
    """
    p = x.shape[1]
    na = count[a]
    nb = count[b]
    n = na + nb
    if model == VVV and na == 1 and nb == 1:
        total = 0.0
        for k in range(p):
            v[k] = (x[a, k] - x[b, k]) * _SQRT_HALF
            total += v[k] * v[k]
        for i in range(p):
            for k in range(p):
                out[i, k] = v[k] if i == 0 else 0.0
        union = 2.0 * np.log(beta * (total + alpha) / 2.0)
        return total, union, union - (term[a] + term[b])
    q = 1.0 / n
    sa = np.sqrt(na * q)
    sb = np.sqrt(nb * q)
    squares = 0.0
    for k in range(p):
        v[k] = sb * x[a, k] - sa * x[b, k]
        squares += v[k] * v[k]
    total = (trace[a] + trace[b]) + squares
    if model == EII:
        return total, 0.0, squares
    if model == V:
        union = n * np.log((total + alpha) / n)
        return total, union, union - (term[a] + term[b])
    rows = _load(pool, link, chain, a, out)
    row = chain[b]
    r = 0
    while row >= 0:
        for k in range(p):
            w[k] = pool[row, k] if k >= r else 0.0
        rows = _add_row(out, rows, w, r)
        row = link[row]
        r += 1
    for k in range(p):
        w[k] = v[k]
    _add_row(out, rows, w, 0)
    union = _vvv_term(n, p, out, total, alpha, beta)
    return total, union, union - (term[a] + term[b])


@njit(cache=True, nogil=True)
def _row_minimum(cost, j, row_min, row_arg):
    """The last least cost among the pairs ``(i, j)``, ``i < j``."""
    best = cost[_pair(0, j)]
    arg = 0
    for i in range(1, j):
        c = cost[_pair(i, j)]
        if c <= best:
            best = c
            arg = i
    row_min[j] = best
    row_arg[j] = arg


@njit(cache=True, nogil=True)
def agglomerate(Z, model, alpha, beta, merges, heights):
    """Merge the rows of ``Z`` (n, p) from singletons to one cluster; fill ``merges``, ``heights``.

    ``model`` is :data:`VVV`, :data:`V` or :data:`EII`; ``alpha`` and ``beta`` the
    VVV regularisation (``alpha`` alone for V, neither for EII).  Step ``s``
    merges the clusters whose smallest row numbers are ``merges[s, 0] <
    merges[s, 1]`` (every cluster is known by its smallest row number), at the
    cost ``heights[s]``: the change of the criterion (module docstring).
    """
    n, p = Z.shape
    if n < 2:
        return
    x = np.empty((n, p))
    for i in range(n):
        for k in range(p):
            x[i, k] = Z[i, k]
    count = np.ones(n, dtype=np.int64)
    trace = np.zeros(n)
    if model == VVV:
        single = np.log(beta * alpha)
    elif model == V:
        single = np.log(alpha)
    else:
        single = 0.0
    term = np.full(n, single)
    head = np.arange(n)
    pool = np.zeros((n if model == VVV else 1, p))
    link = np.full(n, -1, dtype=np.int64)
    chain = np.full(n, -1, dtype=np.int64)
    free = np.arange(n)
    n_free = n if model == VVV else 0
    cost = np.empty((n * (n - 1)) // 2)
    row_min = np.full(n, np.inf)
    row_arg = np.zeros(n, dtype=np.int64)
    out = np.zeros((p, p))
    v = np.empty(p)
    w = np.empty(p)
    merged = np.empty(p)
    for j in range(1, n):
        for i in range(j):
            cost[_pair(i, j)] = _union(
                x, count, trace, term, pool, link, chain, i, j, model, alpha, beta, out, v, w
            )[2]
        _row_minimum(cost, j, row_min, row_arg)
    g = n
    old = -1
    for step in range(n - 1):
        jopt = 1
        best = row_min[1]
        for j in range(2, g):
            if row_min[j] <= best:
                best = row_min[j]
                jopt = j
        iopt = row_arg[jopt]
        # the union again, in the order mclust computed it: with the last merged cluster
        # as the base if it is part of it, else the higher slot unless that is a singleton
        with_old = iopt == old or jopt == old
        if with_old:
            a, b = old, (jopt if iopt == old else iopt)
        elif count[jopt] > 1:
            a, b = jopt, iopt
        else:
            a, b = iopt, jopt
        union_trace, union_term, _ = _union(
            x, count, trace, term, pool, link, chain, a, b, model, alpha, beta, out, v, w
        )
        if model == VVV and step > 0 and not with_old:
            union_term = best + (term[iopt] + term[jopt])  # mclust's hcvvv takes it so
        ni = count[iopt]
        nj = count[jopt]
        if model == VVV and ni == 1 and nj == 1:
            si = _SQRT_HALF
            sj = _SQRT_HALF
        else:
            q = 1.0 / (ni + nj)
            si = np.sqrt(ni * q)
            sj = np.sqrt(nj * q)
        for k in range(p):
            merged[k] = si * x[iopt, k] + sj * x[jopt, k]
        first = min(head[iopt], head[jopt])
        merges[step, 0] = first
        merges[step, 1] = max(head[iopt], head[jopt])
        heights[step] = best
        if model == VVV:
            n_free = _release(link, chain, iopt, free, n_free)
            n_free = _release(link, chain, jopt, free, n_free)
        last = g - 1
        if jopt != last:  # the last slot's cluster moves into the freed one
            for i in range(jopt):
                cost[_pair(i, jopt)] = cost[_pair(i, last)]
            for j in range(jopt + 1, last):
                cost[_pair(jopt, j)] = cost[_pair(j, last)]
            for k in range(p):
                x[jopt, k] = x[last, k]
            count[jopt] = count[last]
            trace[jopt] = trace[last]
            term[jopt] = term[last]
            head[jopt] = head[last]
            chain[jopt] = chain[last]
            chain[last] = -1
        g -= 1
        for k in range(p):
            x[iopt, k] = merged[k]
        count[iopt] = ni + nj
        trace[iopt] = union_trace
        term[iopt] = union_term
        head[iopt] = first
        if model == VVV:
            rows = min(ni + nj - 1, p)
            n_free = _keep(pool, link, chain, iopt, out, rows, free, n_free)
        old = iopt
        for j in range(g):
            if j != old:
                c = _union(
                    x, count, trace, term, pool, link, chain, old, j, model, alpha, beta, out, v, w
                )[2]
                cost[_pair(min(old, j), max(old, j))] = c
        # row minima: rows old and jopt are new; later rows changed at old (and jopt)
        if old >= 1:
            _row_minimum(cost, old, row_min, row_arg)
        moved = jopt < g
        if moved:
            _row_minimum(cost, jopt, row_min, row_arg)
        for j in range(old + 1, g):
            if j == jopt:
                continue
            also = moved and j > jopt
            arg = row_arg[j]
            if arg == old or (also and arg == jopt):
                _row_minimum(cost, j, row_min, row_arg)
                continue
            for i in (old, jopt):
                if i == jopt and not also:
                    continue
                c = cost[_pair(i, j)]
                if c < row_min[j] or (c == row_min[j] and i > row_arg[j]):
                    row_min[j] = c
                    row_arg[j] = i
