"""What passes between the kernels and the engines.

* :class:`GaussianTerms` is what an engine hands the E-step: means, a precision
  factor in the kernel's form and a per-component log offset.
* :class:`SuffStats` is what the E-step hands back: additive sufficient
  statistics.  Statistics of two chunks of rows (taken about the same means)
  add up, which is what sample weights, chunked and distributed fits rest on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .families import CovarianceFamily
from .kernels import read_only
from .kernels.cache import announce_first_compile
from .kernels.forms import KernelForm, RowKernel, form_named
from .kernels.linalg import shifted_scatter_diag, shifted_scatter_full

LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True)
class GaussianTerms:
    """Inputs of the E-step kernel: ``log rho[n,k] = log_offset[k] - 0.5 ||(x_n - m_k) U_k||^2``.

    Attributes
    ----------
    means : (K, D) float64
    factor : precision factor in kernel form: (K, D, D) upper triangular for the
        ``full`` kernel, (K, D) square roots of precisions for ``diag``
    log_offset : (K,) float64, log weight + log det U - D/2 log 2 pi (+ engine terms)
    kernel : the :class:`~bayesgmm.kernels.forms.KernelForm` that evaluates these terms
    has_noise : True when the last of the K rows is a uniform background (mclust's noise
        component, :meth:`with_noise`), not a Gaussian
    """

    means: np.ndarray
    factor: np.ndarray
    log_offset: np.ndarray
    kernel: KernelForm
    has_noise: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.kernel, str):  # a form by name ("full"/"diag") is accepted too
            object.__setattr__(self, "kernel", form_named(self.kernel))
        # Numba compiles a kernel anew for read-only arrays (a loaded fit's, a broadcast):
        # these arrays are small, so a writeable copy spares that compile (up to 30 s cold)
        for name in ("means", "factor", "log_offset"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray) and not value.flags.writeable:
                object.__setattr__(self, name, np.array(value, dtype=np.float64, order="C"))

    @classmethod
    def gaussian(
        cls,
        family: CovarianceFamily,
        log_weights: np.ndarray,
        means: np.ndarray,
        precision_cholesky: np.ndarray,
        extra_offset: np.ndarray | float = 0.0,
    ) -> GaussianTerms:
        """Terms of a mixture of Gaussians with the given (log) weights.

        ``extra_offset`` lets an engine add per-component constants (VB adds
        ``-D / (2 beta_k)`` and replaces the log-determinant by its expectation).
        """
        K, D = means.shape
        log_det = family.log_det_precision_cholesky(precision_cholesky, K, D)
        offset = (
            np.asarray(log_weights, dtype=np.float64) + log_det - 0.5 * D * LOG_2PI + extra_offset
        )
        return cls(
            means=np.ascontiguousarray(means, dtype=np.float64),
            factor=family.kernel_factor(precision_cholesky, K, D),
            log_offset=np.ascontiguousarray(offset, dtype=np.float64),
            kernel=family.kernel,
        )

    def with_noise(self, log_weight: float, log_volume: float) -> GaussianTerms:
        """These terms and a uniform background of density ``weight / volume`` as one more row.

        The background is a pseudo-component with a zero precision factor, so
        the kernel's ``log rho = log_offset - 0.5 ||U (x - m)||^2`` is the
        constant ``log weight - log volume`` for every row, and the kernel's
        log-sum-exp is the log-likelihood of the mixture with its noise term
        (mclust's).  Its mean, the centre of the Gaussian means, only keeps its
        statistics finite; :func:`accumulate` keeps nothing of them but the count.
        """
        if self.has_noise:
            raise ValueError("these terms already have a noise component")
        shape = (1, *self.factor.shape[1:])
        return GaussianTerms(
            means=np.ascontiguousarray(
                np.vstack([self.means, self.means.mean(axis=0, keepdims=True)])
            ),
            factor=np.ascontiguousarray(np.concatenate([self.factor, np.zeros(shape)])),
            log_offset=np.append(self.log_offset, float(log_weight) - float(log_volume)),
            kernel=self.kernel,
            has_noise=True,
        )

    @property
    def n_gaussians(self) -> int:
        """The Gaussian components of these terms (all rows but the noise's)."""
        return self.means.shape[0] - int(self.has_noise)


@dataclass(frozen=True)
class SuffStats:
    """Additive sufficient statistics, moments taken about ``center``.

    Attributes
    ----------
    nk : (K,) summed responsibilities (times sample weights)
    sx : (K, D) first moments about ``center``
    sxx : (K, D, D) second moments about ``center`` (``diag`` kernel: (K, D), the diagonal)
    loglik : summed log-likelihood (the E-step's log-sum-exp) at the terms used
    center : (K, D) the means the moments are taken about
    total_weight : number of rows, or the sum of sample weights
    noise_count : summed responsibilities of the noise component (mclust's uniform
        background), 0 without one; ``nk.sum() + noise_count`` is ``total_weight``
    classification_loglik : ``sum_n w_n max_k log rho[n, k]``, each row's largest log
        density at the terms used (its hard assignment's, noise row included), a by-product
        of the E-step kernels; ``loglik - classification_loglik`` is ICL's classification
        entropy.  NaN where a pass does not compute it (missing values, the sampler, Dask,
        float32 passes)
    """

    nk: np.ndarray
    sx: np.ndarray
    sxx: np.ndarray
    loglik: float
    center: np.ndarray
    total_weight: float
    noise_count: float = 0.0
    classification_loglik: float = float("nan")

    @property
    def classification_entropy(self) -> float:
        """``-sum_n w_n log z[n, map(n)]``: ICL's penalty (NaN where not computed)."""
        return self.loglik - self.classification_loglik

    def __add__(self, other: SuffStats) -> SuffStats:
        if not np.array_equal(self.center, other.center):
            raise ValueError("statistics taken about different means cannot be added")
        return SuffStats(
            self.nk + other.nk,
            self.sx + other.sx,
            self.sxx + other.sxx,
            self.loglik + other.loglik,
            self.center,
            self.total_weight + other.total_weight,
            self.noise_count + other.noise_count,
            self.classification_loglik + other.classification_loglik,
        )

    def without_noise_row(self) -> SuffStats:
        """Statistics of a pass with a noise row (``GaussianTerms.with_noise``): the
        Gaussian rows, and the noise row's count as ``noise_count``."""
        return SuffStats(
            self.nk[:-1],
            self.sx[:-1],
            self.sxx[:-1],
            self.loglik,
            self.center[:-1],
            self.total_weight,
            self.noise_count + float(self.nk[-1]),
            self.classification_loglik,
        )

    @property
    def is_diagonal(self) -> bool:
        return self.sxx.ndim == 2

    def shifted_scatter(self, shift: np.ndarray) -> np.ndarray:
        """``sum_n r (x - c - shift)(x - c - shift)^T`` per component (kernel form)."""
        kernel = shifted_scatter_diag if self.is_diagonal else shifted_scatter_full
        return kernel(
            np.ascontiguousarray(self.sxx, dtype=np.float64),
            np.ascontiguousarray(self.sx, dtype=np.float64),
            np.ascontiguousarray(self.nk, dtype=np.float64),
            np.ascontiguousarray(shift, dtype=np.float64),
        )

    def weighted_means(self, nk_denominator: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means ``center + sx / denominator`` and the scatter about them.

        The denominator is ``nk`` plus any guard an engine adds against empty
        components (EM: ``10 * eps`` as scikit-learn).
        """
        shift = self.sx / nk_denominator[:, None]
        return self.center + shift, self.shifted_scatter(shift)

    def recentered(self, center: np.ndarray) -> SuffStats:
        """The same statistics with moments taken about ``center`` instead (exact algebra).

        Statistics gathered about different means (mini-batches seen at
        different iterations) must share a centre before they can be added.
        """
        shift = np.asarray(center, dtype=np.float64) - self.center
        return SuffStats(
            self.nk,
            self.sx - self.nk[:, None] * shift,
            self.shifted_scatter(shift),
            self.loglik,
            np.asarray(center, dtype=np.float64),
            self.total_weight,
            self.noise_count,
            self.classification_loglik,
        )

    def scaled(self, factor: float) -> SuffStats:
        """Every additive statistic times ``factor`` (as if each row's weight were scaled)."""
        return SuffStats(
            self.nk * factor,
            self.sx * factor,
            self.sxx * factor,
            self.loglik * factor,
            self.center,
            self.total_weight * factor,
            self.noise_count * factor,
            self.classification_loglik * factor,
        )


# A pass smaller than this (rows x components x per-pair cost, about 1-2 ms on
# one thread) runs on the calling thread alone.  Waking the other OpenMP
# threads costs more: on the shared 2-core machine, with the other core busy,
# a parallel pass over 10,000 rows took 1.5 ms against 0.5 ms on one thread,
# and a 1000-row one 0.64 ms against 0.03 ms.  Results do not change: row
# blocks depend on the number of rows only.
SERIAL_WORK = 1 << 22


def pass_work(n_rows: int, terms: GaussianTerms) -> int:
    K, D = terms.means.shape
    per_pair = terms.kernel.work_per_pair(D)
    return n_rows * K * (per_pair + 8)  # + 8: the exp, log and normalisation of each pair


def run_kernel(kernel: RowKernel, work: int, X, *args):
    """``kernel``'s parallel entry on ``(X, *args)`` when ``work`` reaches
    :data:`SERIAL_WORK` (and Numba has threads to share), its serial entry otherwise;
    ``X`` read-only, as every kernel sees its data (:func:`bayesgmm.kernels.read_only`).

    A small pass never enters a parallel region: even with one thread set, entering one
    cost 30-50 us a call (measured on 31-2000 rows), more than the whole pass on a few
    hundred rows, and a 14-model sweep makes thousands of such passes.
    """
    announce_first_compile()
    # (numba.parallel_chunksize(1) would let a thread take over the blocks of one
    # the OS has descheduled, but it made Numba hold 400 MB more during a pass
    # with K=32, D=64: measured, and the design promises O(threads K D^2))
    parallel = work >= SERIAL_WORK and numba.get_num_threads() > 1
    return (kernel.parallel if parallel else kernel.serial)(read_only(X), *args)


# float32 data are computed in float32 (kernels/estep32.py) when every component's
# scale, read off its precision factor, lies within these bounds: squared
# deviations (down to 1e-20 responsibilities times them) then stay clear of
# float32's denormals and overflow.  Outside, and whenever the float32 pass
# returns anything non-finite, the pass is redone in float64.
FLOAT32_MIN_PRECISION_ROOT = 1e-10
FLOAT32_MAX_PRECISION_ROOT = 1e10


def accumulate(
    X: np.ndarray,
    terms: GaussianTerms,
    sample_weight: np.ndarray | None = None,
    *,
    allow_float32: bool = True,
) -> SuffStats:
    """One pass over ``X``: the E-step folded into sufficient statistics.

    float32 ``X`` is computed in float32 (the statistics are float64 sums of
    float32 tile sums, see :mod:`bayesgmm.kernels.estep32`) unless
    ``allow_float32`` is False or the components' scales are outside the
    bounds above; then, as float64 ``X`` always, in float64.  Terms with a
    noise row give the Gaussian rows' statistics and the noise row's count
    (:meth:`SuffStats.without_noise_row`).
    """
    stats = _accumulate(X, terms, sample_weight, allow_float32)
    return stats.without_noise_row() if terms.has_noise else stats


def _accumulate(
    X: np.ndarray,
    terms: GaussianTerms,
    sample_weight: np.ndarray | None,
    allow_float32: bool,
) -> SuffStats:
    weights = _EMPTY if sample_weight is None else sample_weight
    total = float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
    if allow_float32 and X.dtype == np.float32 and _float32_suffices(terms):
        stats = _accumulate_float32(X, terms, weights, total)
        if stats is not None:
            return stats
    if not terms.kernel.is_diagonal and X.dtype == np.float32:
        return _accumulate_full_float32_in_float64(X, terms, weights, total)
    nk, sx, sxx, loglik, best = run_kernel(
        terms.kernel.estep_stats,
        pass_work(X.shape[0], terms),
        X,
        weights,
        terms.means,
        terms.factor,
        terms.log_offset,
    )
    return SuffStats(nk, sx, sxx, float(loglik), terms.means, total, 0.0, float(best))


# Rows of float32 data copied to float64 at a time when a full-kernel pass must be
# computed in float64 (the data moments, extreme scales): at most 16 MB a copy.
FLOAT64_COPY_BYTES = 1 << 24


def float64_row_chunks(X: np.ndarray):
    """``(rows, chunk)`` pairs covering ``X``: float64 copies of row chunks of float32 ``X``
    (at most :data:`FLOAT64_COPY_BYTES` each), or float64 ``X`` itself in one piece.

    For passes that run the float64 kernels on float32 data: compiling those
    kernels for float32 input too would add their largest specialisations to
    the first compile (<= 60 s, see docs/architecture.md) for passes that are
    rare (prediction, extreme scales) or one-off.
    """
    if X.dtype == np.float64:
        yield slice(0, X.shape[0]), X
        return
    step = max(1, FLOAT64_COPY_BYTES // (8 * max(1, X.shape[1])))
    for start in range(0, max(X.shape[0], 1), step):
        rows = slice(start, start + step)
        yield rows, np.ascontiguousarray(X[rows], dtype=np.float64)


def _accumulate_full_float32_in_float64(X, terms, weights, total) -> SuffStats:
    """The float64 full kernel on float64 copies of row chunks of float32 ``X``."""
    K, D = terms.means.shape
    nk, sx, sxx, loglik, best = np.zeros(K), np.zeros((K, D)), np.zeros((K, D, D)), 0.0, 0.0
    for rows, chunk in float64_row_chunks(X):
        w = weights[rows] if weights.shape[0] else weights
        part = run_kernel(
            terms.kernel.estep_stats,
            pass_work(chunk.shape[0], terms),
            chunk,
            w,
            terms.means,
            terms.factor,
            terms.log_offset,
        )
        nk, sx, sxx = nk + part[0], sx + part[1], sxx + part[2]
        loglik, best = loglik + part[3], best + part[4]
    return SuffStats(nk, sx, sxx, float(loglik), terms.means, total, 0.0, float(best))


def _float32_suffices(terms: GaussianTerms) -> bool:
    if not terms.kernel.has_float32_kernel:
        return False
    # a noise row's zero factor is no scale: the kernel multiplies its deviations by zero
    roots = np.abs(np.diagonal(terms.factor[: terms.n_gaussians], axis1=1, axis2=2))
    return bool(
        np.all((roots >= FLOAT32_MIN_PRECISION_ROOT) & (roots <= FLOAT32_MAX_PRECISION_ROOT))
    )


def _accumulate_float32(X, terms, weights, total) -> SuffStats | None:
    """The float32 pass; None if it came back non-finite (far rows overflowing float32)."""
    with np.errstate(invalid="ignore"):  # -inf offsets (components left out) stay -inf
        top = float(terms.log_offset.max())
        offset = (terms.log_offset - top).astype(np.float32)
    if not np.isfinite(top):
        return None
    hi = terms.means.astype(np.float32)
    lo = (terms.means - hi).astype(np.float32)
    nk, sx, sxx, loglik, _ = run_kernel(
        terms.kernel.estep_stats32,
        pass_work(X.shape[0], terms),
        X,
        weights,
        hi,
        lo,
        terms.factor.astype(np.float32),
        offset,
    )
    loglik = float(loglik) + top * total
    if not (np.isfinite(loglik) and np.isfinite(sxx).all() and np.isfinite(sx).all()):
        return None
    # no classification log-likelihood: ICL's entropy is its small difference from loglik,
    # which float32 sums of 1e4-sized values would leave with 1e-5 of absolute error
    return SuffStats(nk, sx, sxx, loglik, terms.means, total)


_EMPTY = np.empty(0, dtype=np.float64)
