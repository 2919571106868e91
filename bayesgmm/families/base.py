"""The protocol of a covariance family and the linear algebra the families share."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import linalg

from ..exceptions import SavedFitError, SingularCovarianceError
from ..kernels.forms import KernelForm
from ..kernels.linalg import precision_cholesky_full


def _upper_cholesky_of_precisions(covariances: np.ndarray) -> np.ndarray:
    """Upper-triangular ``U_k`` with ``U_k U_k^T = covariances[k]^-1`` (scikit-learn's convention).

    All K factors in one kernel call (:mod:`bayesgmm.kernels.linalg`): the M-step
    factors one per component per iteration, and a LAPACK call per component cost
    more in Python overhead than the factorisation itself.  A covariance that is
    not positive definite raises :class:`SingularCovarianceError` naming its
    component.
    """
    factors, bad = _factor(covariances)
    if bad >= 0:
        raise SingularCovarianceError(f"component {bad}")
    return factors


def _upper_cholesky_of_precision(covariance: np.ndarray, component: str) -> np.ndarray:
    """Upper-triangular U with U U^T = covariance^-1 for one (D, D) covariance, named ``component``."""
    factors, bad = _factor(np.asarray(covariance)[None])
    if bad >= 0:
        raise SingularCovarianceError(component)
    return factors[0]


def _factor(covariances: np.ndarray) -> tuple[np.ndarray, int]:
    covariances = np.ascontiguousarray(covariances, dtype=np.float64)
    factors = np.empty_like(covariances)
    return factors, int(precision_cholesky_full(covariances, factors))


def _triangular_inverse(matrix: np.ndarray, lower: bool) -> np.ndarray:
    """Inverse of a triangular matrix by LAPACK's trtri.

    ``solve_triangular(A, I)`` goes through OpenBLAS's threaded trsm, which on a
    busy 2-core machine took 4-17 ms for a 2 x 2 matrix (trtri: 1.4 us); the M-step
    inverts one factor per component per iteration.
    """
    inverse, info = linalg.lapack.dtrtri(np.asarray(matrix, dtype=np.float64), lower=int(lower))
    if info != 0:
        raise np.linalg.LinAlgError(f"triangular matrix is singular (trtri info={info})")
    # trtri leaves the other triangle as it found it
    return np.tril(inverse) if lower else np.triu(inverse)


def _upper_cholesky_from_precision(precision: np.ndarray) -> np.ndarray:
    """Upper-triangular U with U U^T = precision, without inverting it."""
    flipped = precision[::-1, ::-1]
    return linalg.cholesky(flipped, lower=True)[::-1, ::-1].copy()


def _check_positive_definite(matrices: np.ndarray, name: str, family: str) -> None:
    # scikit-learn's wording first (code matches on it), then which matrix and what to do
    theirs = f"'{family} precision' should be symmetric, positive-definite"
    for index, matrix in enumerate(matrices):
        if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * np.abs(matrix).max()):
            raise ValueError(
                f"{theirs}: {name}[{index}] is not symmetric; give symmetric precision matrices"
            )
        if np.linalg.eigvalsh(matrix).min() <= 0:
            raise ValueError(
                f"{theirs}: {name}[{index}] is not positive definite; every precision matrix "
                "must be"
            )


class CovarianceFamily:
    """Base class: the operations an engine and the kernels need from a family.

    A family states how its covariance is stored (``covariance_shape``,
    ``covariance_dims``), counted (``n_covariance_parameters``), projected from
    per-component kernel-form scatter (``pool``) and factored; the engines,
    priors, posterior draws and saved-file checks ask it instead of testing a
    name.  See docs/extending.md for the checklist of a new family.
    """

    name: str
    # mclust's name of the model (Celeux & Govaert 1995: volume, shape, orientation)
    mclust_name: str
    # whether pool() projects per-component scatter onto the family in closed form (the VB
    # engine's update and the conjugate posterior draws need it); mclust's families with an
    # inner solve or a shared shape override covariance_from_scatter instead
    has_pooled_form: bool = True
    # whether a linear combination of factor_to_vector() vectors (SQUAREM's extrapolation) is
    # again a member of the family: true where the constraints are linear in the log-variances
    # (EII ... VVI, and the unconstrained full and tied), false for mclust's ellipsoidal
    # constrained families, whose extrapolated point would leave the family (and could score
    # above every member of it); accelerated EM then runs plain EM
    extrapolates_within_family: bool = True
    # which E-step kernel form serves this family (kernels/forms.py)
    kernel: KernelForm
    covariance_dims: tuple[str, ...]
    # the dimension p of the inverse-Wishart (MAP) blocks a free covariance parameter
    # lives in: D for full/tied matrices, 1 for the inverse-gamma variances of diag/spherical
    matrix_blocks: bool = False

    def covariance_shape(self, K: int, D: int) -> tuple[int, ...]:
        raise NotImplementedError

    def n_covariance_parameters(self, K: int, D: int) -> int:
        raise NotImplementedError

    def n_parameters(self, K: int, D: int) -> int:
        """Free parameters of the whole mixture: covariances, means and K - 1 weights."""
        return self.n_covariance_parameters(K, D) + K * D + K - 1

    def pool(self, scatter: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project per-component scatter (kernel form) onto this family.

        Returns the pooled scatter in the family's covariance shape and the
        matching sample counts, so that ``scatter / counts`` is the
        maximum-likelihood covariance.
        """
        raise NotImplementedError

    def prior_copies(self, K: int, D: int) -> float:
        """How many kernel-form entries stand for one free covariance parameter.

        1 for full and diag, K for tied (its one matrix is handed to every
        component), D for spherical (its one variance is repeated along the
        features).  A prior on the free parameters, spread over the kernel form,
        counts ``1 / prior_copies`` per entry.  A family whose storage repeats a
        shared value (EII, EEI) overrides it.
        """
        kernel_size = K * self.kernel.entries(D)
        return kernel_size / float(np.prod(self.covariance_shape(K, D)))

    def covariance_from_scatter(
        self,
        scatter: np.ndarray,
        counts: np.ndarray,
        reg_covar: float = 0.0,
        start: np.ndarray | None = None,
    ) -> np.ndarray:
        """The M-step's covariance: the maximiser given per-component kernel-form scatter.

        ``scatter`` (kernel form, one per component) and ``counts`` (K,) are what
        the engine has already made of the E-step's statistics (MAP adds its
        prior's scale and pseudo-counts to them); the result is in the family's
        storage shape, with ``reg_covar`` added to the variances.  Closed-form
        families pool and divide; a family without a closed form (mclust's VEV
        or EVE, whose shapes and orientations are estimated jointly) overrides
        this with its inner iterative solve, and every engine that calls it
        gains the family.  ``start`` (the previous covariances, family storage)
        is where such an inner solve continues from; closed forms ignore it.
        """
        pooled, pooled_counts = self.pool(scatter, counts)
        covariance = self.divide(pooled, pooled_counts)
        return self.add_to_diagonal(covariance, reg_covar) if reg_covar else covariance

    def divide(self, pooled: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """``pooled / counts`` broadcast over the family's trailing axes."""
        counts = np.asarray(counts, dtype=np.float64)
        return pooled / counts.reshape(counts.shape + (1,) * (pooled.ndim - counts.ndim))

    def add_to_diagonal(self, covariance: np.ndarray, value: float) -> np.ndarray:
        raise NotImplementedError

    def precision_cholesky(self, covariance: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def precision_cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def precisions(self, precision_cholesky: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def covariances(self, precision_cholesky: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def log_det_precision_cholesky(
        self, precision_cholesky: np.ndarray, K: int, D: int
    ) -> np.ndarray:
        """``log det U`` per component (half the log-determinant of the precision)."""
        raise NotImplementedError

    def kernel_factor(self, precision_cholesky: np.ndarray, K: int, D: int) -> np.ndarray:
        """The precision factor in the shape the E-step kernel expects."""
        raise NotImplementedError

    def dense_covariance(self, covariances: np.ndarray, k: int, D: int) -> np.ndarray:
        """Component ``k``'s (D, D) covariance matrix from the family's storage."""
        raise NotImplementedError

    def n_stored_covariances(self, stored: np.ndarray) -> int:
        """How many covariances the storage holds (tied: 1; otherwise one per component)."""
        return stored.shape[0]

    def prior_scale_shape(self, D: int) -> tuple[int, ...]:
        """Shape of a covariance-like hyperparameter for one component."""
        shape = self.covariance_shape(1, D)
        return shape[1:] if self.covariance_dims[0] == "component" else shape

    def prior_scale_dims(self) -> tuple[str, ...]:
        """xarray dims of a covariance-like hyperparameter (the family's, without ``component``)."""
        return tuple(d for d in self.covariance_dims if d != "component")

    def inverse_wishart_dimension(self, D: int) -> int:
        """Dimension of the (inverse-)Wishart blocks of the conjugate prior: D or 1."""
        return D if self.matrix_blocks else 1

    def default_prior_scale(self, covariance: np.ndarray, factor: float, D: int) -> np.ndarray:
        """The data-dependent default prior scale: ``factor`` times the data covariance in this form.

        Matrix families keep the whole (D, D) covariance; variance families take
        its mean variance ``trace / D`` in their own shape.
        """
        if self.matrix_blocks:
            return factor * covariance
        return np.broadcast_to(factor * np.trace(covariance) / D, self.prior_scale_shape(D))

    # ---------------------------------------------- conjugate posterior (MAP draws)
    def conjugate_posterior(
        self,
        prior_dof: float,
        prior_scale: np.ndarray,
        counts: np.ndarray,
        spread: np.ndarray,
        D: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior ``(degrees of freedom or shape, scale)`` of the covariances given responsibilities.

        ``spread`` is the per-component kernel-form ``B_k`` of the MAP engine;
        the result is the inverse-Wishart's (matrix families) or the
        inverse-gamma's (variance families) parameters in this family's shapes.
        """
        raise no_conjugate_posterior(self.name)

    def share_draws(self, precisions: np.ndarray) -> np.ndarray:
        """Posterior draws of the precisions ``(S, *storage)`` with shared parameters made equal.

        Draws are made per stored entry; a family that stores one shared value in
        every component's row (EII, EEI) copies the first component's draw.
        """
        return precisions

    def conjugate_mode(self, scale: np.ndarray, dof: np.ndarray, K: int, D: int) -> np.ndarray:
        """The covariances of the joint posterior mode (the MAP M-step) from :meth:`conjugate_posterior`."""
        raise NotImplementedError

    def conjugate_expected_precisions(self, scale: np.ndarray, dof: np.ndarray) -> np.ndarray:
        """``E[Sigma^-1]`` (matrix families) or ``E[1 / sigma2]`` (variance families), family shape."""
        if self.matrix_blocks:
            dof = np.asarray(dof)
            return dof[..., None, None] * np.linalg.inv(scale)
        return self.per_component(dof, scale) / scale

    def per_component(self, values: np.ndarray, like: np.ndarray) -> np.ndarray:
        """Per-component ``values`` (K,) shaped to broadcast against ``like`` in this family's form."""
        values = np.asarray(values)
        return values.reshape(values.shape + (1,) * (np.ndim(like) - values.ndim))

    def check_precisions_cholesky(self, factor: np.ndarray) -> None:
        """Refuse stored precision factors no fit can produce (loading a file)."""
        if self.kernel.is_diagonal:
            if not np.all(factor > 0):
                raise SavedFitError("variable 'precisions_cholesky' must be positive")
            return
        upper = np.triu(factor)
        diagonal = np.diagonal(factor, axis1=-2, axis2=-1)
        if not np.array_equal(factor, upper) or not np.all(diagonal > 0):
            raise SavedFitError(
                "variable 'precisions_cholesky' must hold upper-triangular factors with a "
                "positive diagonal"
            )

    def check_shared(self, covariances: np.ndarray, precisions_cholesky: np.ndarray) -> None:
        """Refuse stored parameters that do not share what this family shares (loading a file).

        Nothing to check by default: the storage of full, diag and spherical holds free
        parameters only, and tied stores its one matrix once.  A family that repeats a
        shared value in every component's row (EII, EEI) checks that the rows agree.
        mclust's constrained families (a shared shape, volume or orientation inside
        per-component matrices) are not checked: their predictions use the stored
        matrices as they are, which the other checks keep valid.
        """

    def check_precisions(self, precisions: np.ndarray, K: int, D: int) -> None:
        shape = self.covariance_shape(K, D)
        if precisions.shape != shape:
            raise ValueError(
                f"The parameter '{self.name} precision' should have the shape of {shape}, but "
                f"got {precisions.shape}: precisions_init has shape {precisions.shape}; a "
                f"{self.name!r} model with "
                f"{K} components and {D} features needs shape {shape}"
            )

    # ------------------------------------------------------------ accelerated EM
    def factor_to_vector(self, precision_cholesky: np.ndarray) -> np.ndarray:
        """The precision factors as unconstrained real numbers (:mod:`bayesgmm.fitting.acceleration`).

        Diagonal kernel forms store positive scales: their logarithms.  Full forms store
        upper-triangular factors with a positive diagonal: the log of the diagonal and the
        entries above it (the log-Cholesky parametrisation).  Every real vector maps back
        to valid factors, so an extrapolated point is positive definite by construction.
        A family whose factors are not of these two forms overrides both methods.
        """
        factor = np.asarray(precision_cholesky, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kernel.is_diagonal:
                return np.log(factor).ravel()
            D = factor.shape[-1]
            rows, cols = np.triu_indices(D, 1)
            diagonal = np.log(np.diagonal(factor, axis1=-2, axis2=-1))
        return np.concatenate((diagonal.ravel(), factor[..., rows, cols].ravel()))

    def factor_from_vector(self, vector: np.ndarray, like: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`factor_to_vector`; ``like`` gives the stored shape."""
        with np.errstate(over="ignore"):
            if self.kernel.is_diagonal:
                return np.exp(vector).reshape(like.shape)
            D = like.shape[-1]
            batch = like.shape[:-2]
            n_diagonal = int(np.prod(batch, dtype=np.int64)) * D
            factor = np.zeros(like.shape)
            index = np.arange(D)
            factor[..., index, index] = np.exp(vector[:n_diagonal]).reshape((*batch, D))
            rows, cols = np.triu_indices(D, 1)
            factor[..., rows, cols] = vector[n_diagonal:].reshape((*batch, rows.size))
        return factor


CONJUGATE_FAMILY_NAMES = ("full", "tied", "diag", "spherical", "EII", "EEI")
"""The families whose covariances have a closed-form conjugate (and VB) posterior."""


def no_conjugate_posterior(name: str) -> ValueError:
    """The error of asking a constrained family for its conjugate posterior."""
    return ValueError(
        f"covariance_type={name!r} has no closed-form conjugate posterior (its covariances "
        "are constrained products of volume, shape and orientation), so there are no posterior "
        f"draws to give; they exist for {', '.join(CONJUGATE_FAMILY_NAMES)}; use one of those, "
        "or engine='em', whose ArviZ view is the point estimate"
    )


class ConstrainedSolve:
    """Mixin of a family whose M-step is a constrained solve, not a pooled division.

    ``solve(scatter, counts)`` returns the covariances minimising
    ``sum_k n_k log|Sigma_k| + tr(Sigma_k^-1 W_k)`` over the family (see
    :mod:`bayesgmm.families.orientation`).  MAP hands it the prior-augmented
    scatter and counts, so the same solve is the posterior mode's M-step.
    ``reg_covar`` is added to the scatter as ``n_k reg_covar I`` before the solve,
    so the result stays in the family (for the unconstrained families that is
    the same as adding ``reg_covar`` to the variances).
    """

    has_pooled_form = False
    solve: Any
    kernel: KernelForm
    name: str

    def covariance_from_scatter(self, scatter, counts, reg_covar=0.0, start=None):
        counts = np.asarray(counts, dtype=np.float64)
        if reg_covar:
            scatter = self.kernel.add_to_diagonal(scatter, counts * reg_covar)
        with np.errstate(divide="ignore", invalid="ignore"):
            covariance = self.solve(np.asarray(scatter, dtype=np.float64), counts, start)
        if not np.all(np.isfinite(covariance)):
            raise SingularCovarianceError(f"the {self.name} M-step (a component without spread)")
        return covariance

    def conjugate_posterior(self, prior_dof, prior_scale, counts, spread, D):
        raise no_conjugate_posterior(self.name)

    def pool(self, scatter, counts):
        raise ValueError(
            f"covariance_type={self.name!r} has no pooled closed form; its M-step is "
            "covariance_from_scatter's constrained solve"
        )


def check_rows_equal(name: str, family: str, covariances: np.ndarray, factor: np.ndarray) -> None:
    """Every component's row of the stored covariances and factors equals the first one's.

    A shared parameter is stored repeated (EII, EEI), computed once and broadcast, so the
    rows are equal to the bit; 1e-12 relative leaves room for nothing but round-off.
    """
    for variable, values in (("covariances", covariances), ("precisions_cholesky", factor)):
        rows = values.reshape(values.shape[0], -1)
        if not np.all(np.abs(rows - rows[0]) <= 1e-12 * np.abs(rows[0])):
            raise SavedFitError(
                f"variable {variable!r} must hold one {name} shared by every component "
                f"(covariance_type={family!r}), but its components differ; the file is "
                "damaged or was altered"
            )


def _covariance_from_factor(factor: np.ndarray) -> np.ndarray:
    inverse = _triangular_inverse(factor, lower=False)
    return inverse.T @ inverse  # (U U^T)^-1 = U^-T U^-1
