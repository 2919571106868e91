"""The two kernel forms as objects: what the rest of the package asks of a form.

A covariance family is served by one of two E-step kernel forms (see the
package docstring): ``FULL`` hands the kernel a (K, D, D) upper-triangular
precision factor, ``DIAG`` a (K, D) per-feature precision square root.  Code
above the kernels asks the form (``terms.kernel.is_diagonal``,
``family.kernel.outer(v)``) instead of comparing a name, so a third form (a
banded or low-rank kernel, say) is one more instance here.

The algebra methods (:meth:`KernelForm.outer`, :meth:`KernelForm.quadratic`,
...) are the few matrix operations the conjugate engines and the posterior
draws write once on kernel-form arrays; each form implements them for its own
storage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .estep import (
    estep_stats_diag,
    estep_stats_diag_parallel,
    estep_stats_full,
    estep_stats_full_parallel,
)
from .estep32 import estep_stats_full32, estep_stats_full32_parallel
from .logprob import log_rho_diag, log_rho_diag_parallel, log_rho_full, log_rho_full_parallel
from .sampling import (
    allocate_stats_diag,
    allocate_stats_diag_parallel,
    allocate_stats_full,
    allocate_stats_full_parallel,
)


@dataclass(frozen=True)
class RowKernel:
    """A kernel's two compiled entry points, with the same arguments and the same results.

    ``serial`` runs the row blocks one after another on the calling thread, ``parallel``
    shares the same blocks among Numba's threads (:func:`bayesgmm.stats.run_kernel` picks
    one by the pass's size).  They are separate functions, not one with a flag, so that a
    process making only small passes (a demo, most scripts on a few thousand rows) never
    compiles the parallel loop (the demo's compiling: 32 s with it, 25 s without).
    """

    serial: Callable
    parallel: Callable


@dataclass(frozen=True, eq=False)
class KernelForm:
    """One E-step kernel form: its compiled kernels and its kernel-form algebra.

    Attributes
    ----------
    name : "full" or "diag", for messages and saved files only
    is_diagonal : True when the statistics' second moments are (K, D) diagonals
    estep_stats : the float64 statistics kernel
    estep_stats32 : the float32 statistics kernel, or None when this form has none
        (float32 data then run the float64 kernel)
    log_rho : the (N, K) log-density kernel
    allocate_stats : the Gibbs sampler's kernel (a sampled allocation and its statistics,
        :mod:`.sampling`), or None when this form has none

    Each kernel is a :class:`RowKernel`: a serial and a parallel entry point.
    """

    name: str
    is_diagonal: bool
    estep_stats: RowKernel
    estep_stats32: RowKernel | None
    log_rho: RowKernel
    allocate_stats: RowKernel | None = None

    def __reduce__(self):  # one instance per form, also across processes (Dask)
        return (form_named, (self.name,))

    def __dask_tokenize__(self) -> tuple[str, str]:
        # a form is its name: without this, Dask tokenises every graph's terms by
        # cloudpickling the compiled kernels, 0.2 s per pass (a whole 3000-row fit's time)
        return ("bayesgmm.KernelForm", self.name)

    def __eq__(self, other) -> bool:
        # a form still equals its name, so code written against the strings "full"/"diag"
        # (tests, other branches) keeps working; the package itself asks the attributes
        if isinstance(other, str):
            return other == self.name
        return self is other

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"KernelForm({self.name!r})"

    @property
    def has_float32_kernel(self) -> bool:
        """Whether float32 data may be computed in float32 by this form."""
        return self.estep_stats32 is not None

    def work_per_pair(self, D: int) -> int:
        """Floating-point work of one (row, component) pair, for the serial/parallel choice."""
        return 2 * D if self.is_diagonal else D * (D + 3) // 2

    def entries(self, D: int) -> int:
        """Kernel-form entries of one component's matrix: D*D or D."""
        return D if self.is_diagonal else D * D

    # ---------------------------------------------------------------- algebra
    def as_form(self, value, D: int) -> np.ndarray:
        """A per-component covariance-like hyperparameter as a (D, D) matrix or (D,) diagonal."""
        if self.is_diagonal:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (D,))
        return np.asarray(value, dtype=np.float64)

    def outer(self, vectors: np.ndarray) -> np.ndarray:
        """``v v^T`` per row of ``vectors`` (K, D)."""
        if self.is_diagonal:
            return vectors**2
        return vectors[:, :, None] * vectors[:, None, :]

    def add_to_diagonal(self, matrices: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``matrices[k] + values[k] I``."""
        if self.is_diagonal:
            return matrices + values[:, None]
        return matrices + values[:, None, None] * np.eye(matrices.shape[-1])

    def log_det(self, matrix: np.ndarray) -> float:
        """``log |A|`` of one positive definite matrix."""
        if self.is_diagonal:
            return float(np.log(matrix).sum())
        return float(np.linalg.slogdet(matrix)[1])

    def precisions(self, factor: np.ndarray) -> np.ndarray:
        """Precision matrices (or diagonals) from kernel factors: ``U U^T`` or ``f**2``."""
        if self.is_diagonal:
            return factor**2
        return factor @ np.swapaxes(factor, -1, -2)

    def quadratic(self, vectors: np.ndarray, factor: np.ndarray) -> np.ndarray:
        """``||v_k U_k||^2 = v_k^T P_k v_k`` per component, as the E-step kernel evaluates it."""
        if self.is_diagonal:
            projected = vectors * factor
        else:
            projected = np.einsum("ki,kij->kj", vectors, factor)
        return (projected**2).sum(axis=1)

    def whiten(self, deviation: np.ndarray, factor: np.ndarray) -> np.ndarray:
        """``deviation U`` for one component's factor ``U`` (rows of ``deviation``)."""
        return deviation * factor if self.is_diagonal else deviation @ factor


FULL = KernelForm(
    "full",
    False,
    RowKernel(estep_stats_full, estep_stats_full_parallel),
    RowKernel(estep_stats_full32, estep_stats_full32_parallel),
    RowKernel(log_rho_full, log_rho_full_parallel),
    RowKernel(allocate_stats_full, allocate_stats_full_parallel),
)
DIAG = KernelForm(
    "diag",
    True,
    RowKernel(estep_stats_diag, estep_stats_diag_parallel),
    None,
    RowKernel(log_rho_diag, log_rho_diag_parallel),
    RowKernel(allocate_stats_diag, allocate_stats_diag_parallel),
)
KERNEL_FORMS = {form.name: form for form in (FULL, DIAG)}


def form_named(name: str) -> KernelForm:
    """The kernel form called ``name`` (unpickling, saved files)."""
    return KERNEL_FORMS[name]
