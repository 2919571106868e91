"""A saved fit read back: every attribute and variable checked for type, shape and domain.

:meth:`~bayesgmm.FitResult.from_dataset` reads a result's Dataset (from a file, or from
``to_dataset``) through these functions, which raise
:class:`~bayesgmm.exceptions.SavedFitError` naming the attribute or variable and what is
wrong.  What is checked:

* **types and shapes**: each attribute is of its type, each variable holds floats of the
  shape the model's ``n_components``, ``n_features`` and covariance type give;
* **the point estimate**: finite everywhere; weights non-negative and summing to 1 within
  1e-8; precision factors upper triangular with a positive diagonal (diag, spherical:
  positive), and the covariances they imply, ``(U U^T)^-1``, finite, within 1e-6 (relative
  to each component's largest entry) of the stored covariances, which must be positive
  definite; parameters a family shares are shared (EII's variance, EEI's variances);
* **the engine's state**: the engine rebuilds it through ``state_from_saved``, which
  checks its own variables' domains (a MAP or VB prior meets the checks a prior given to
  a fit meets; VB's concentrations and ``mean_precision`` are positive, its degrees of
  freedom above ``D - 1``); the state must give the stored point estimate back and finite
  E-step terms (means, precision factors, log offsets that are not NaN or ``+inf``);
* **the fit's numbers**: a finite objective trace, log-likelihood and objective, at least
  one sample of positive total weight; flags are 0 or 1.

The checksums of :mod:`bayesgmm.fitting.checksum` then find any change that leaves a
possible model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import xr
from ..engines import Engine, MixtureParameters, restore
from ..exceptions import SavedFitError, SingularCovarianceError
from ..families import CovarianceFamily

# a stored covariance and the one its precision factor implies agree to this, relative to
# each component's largest entry: inverting a triangular factor is accurate to about
# sqrt(cond) * eps, so this separates round-off from a damaged file
COVARIANCE_AGREEMENT = 1e-6
# the weights sum to 1 within this, and an engine's state gives back the stored weights
WEIGHT_SUM_TOLERANCE = 1e-8


def attr(attrs: dict, name: str, kind: type) -> Any:
    """Attribute ``name`` as ``kind`` (int, float or str), or a :class:`SavedFitError`."""
    if name not in attrs:
        raise SavedFitError(
            f"the file lacks the attribute {name!r}; it is not a complete bayesgmm result"
        )
    value = attrs[name]
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    ok = (
        isinstance(value, str)
        if kind is str
        else (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (kind is float or float(value).is_integer())
        )
    )
    if not ok:
        raise SavedFitError(f"attribute {name!r} should be {kind.__name__}, found {value!r}")
    return kind(value)


def flag(attrs: dict, name: str) -> bool:
    """A flag stored as 0 or 1 (netCDF has no boolean attributes)."""
    value = attr(attrs, name, int)
    if value not in (0, 1):
        raise SavedFitError(f"attribute {name!r} is a flag, 0 or 1, found {value}")
    return bool(value)


def finite_attr(attrs: dict, name: str, *, above: float | None = None) -> float:
    """A float attribute that must be finite (and, with ``above``, greater than it)."""
    value = attr(attrs, name, float)
    if not np.isfinite(value) or (above is not None and not value > above):
        bound = "" if above is None else f" > {above:g}"
        raise SavedFitError(f"attribute {name!r} must be a finite number{bound}, found {value!r}")
    return value


def variable(ds: xr.Dataset, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Variable ``name`` as float64 of ``shape``, or a :class:`SavedFitError`."""
    if name not in ds.variables:
        raise SavedFitError(
            f"the file lacks the variable {name!r}; it is not a complete bayesgmm result"
        )
    values = np.asarray(ds[name].values)
    if values.shape != tuple(shape) or values.dtype.kind != "f":
        raise SavedFitError(
            f"variable {name!r} has shape {values.shape} and dtype {values.dtype}; "
            f"expected floats of shape {tuple(shape)}"
        )
    return values.astype(np.float64, copy=False)


def check_finite(name: str, values: np.ndarray) -> None:
    if not np.all(np.isfinite(values)):
        raise SavedFitError(f"variable {name!r} holds NaN or infinite values; the file is damaged")


def check_parameter_values(
    family: CovarianceFamily, arrays: dict[str, np.ndarray], noise_weight: float = 0.0
) -> None:
    """Refuse parameters no fit can produce: predictions from them would be garbage.

    ``noise_weight`` is the weight of a noise component (the Gaussians' weights then
    sum to one minus it).
    """
    for name, values in arrays.items():
        check_finite(name, values)
    weights = arrays["weights"]
    total = weights.sum() + noise_weight
    if np.any(weights < 0) or not abs(total - 1.0) <= WEIGHT_SUM_TOLERANCE:
        raise SavedFitError(
            "variable 'weights' (with 'noise_weight', if any) must be non-negative and sum "
            f"to 1, found sum {total:.10g}"
        )
    factor, stored = arrays["precisions_cholesky"], arrays["covariances"]
    family.check_precisions_cholesky(factor)
    family.check_shared(stored, factor)
    with np.errstate(all="ignore"):
        try:
            implied = family.covariances(factor)
        except (np.linalg.LinAlgError, ValueError):
            implied = np.full_like(stored, np.nan)
    if not np.all(np.isfinite(implied)):
        raise SavedFitError(
            "variable 'precisions_cholesky' holds factors whose covariances (U U^T)^-1 are "
            "not finite numbers; the file is damaged"
        )
    per_component = family.n_stored_covariances(stored)
    error = np.abs(implied - stored).reshape(per_component, -1).max(axis=1)
    scale = np.abs(stored).reshape(per_component, -1).max(axis=1)
    if not np.all(error <= COVARIANCE_AGREEMENT * scale):
        raise SavedFitError(
            "variables 'covariances' and 'precisions_cholesky' disagree: the covariances are "
            "not the inverse of U U^T; the file is damaged"
        )
    try:
        family.precision_cholesky(stored)
    except SingularCovarianceError as error:
        raise SavedFitError(
            f"variable 'covariances' must hold positive definite covariances, but that of "
            f"{error.component} is not; the file is damaged"
        ) from None


def check_fit_numbers(attrs: dict, trace: np.ndarray) -> None:
    """The fit's summary numbers: finite, and at least one sample of positive weight."""
    check_finite("objective_trace", trace)
    for name in ("log_likelihood", "objective"):
        finite_attr(attrs, name)
    finite_attr(attrs, "total_weight", above=0.0)
    n_samples = attr(attrs, "n_samples", int)
    if n_samples < 1:
        raise SavedFitError(f"attribute 'n_samples' must be >= 1, found {n_samples}")
    lower_bound = attr(attrs, "lower_bound", float)
    # the objective before the last update: -inf only for a fit that made no iteration
    if not (np.isfinite(lower_bound) or (trace.size == 0 and lower_bound == -np.inf)):
        raise SavedFitError(f"attribute 'lower_bound' must be finite, found {lower_bound!r}")


def engine_variables(ds, spec: Any, n_features: int, parameters: MixtureParameters) -> dict:
    """The engine's state variables of the file (posterior and prior), and nothing else.

    The engine rebuilds its state from them, checking each variable's shape and domain;
    only the variables that state saves are kept, so other variables in the file are not
    carried along, and each must have the dims the engine writes.  The state must give
    the stored point estimate back, and E-step terms a kernel can use.
    """
    read = {name: (tuple(ds[name].dims), np.asarray(ds[name].values)) for name in ds.data_vars}
    kept = {}
    engine, state = restore(spec, n_features, parameters, read)
    for name, (dims, _) in engine.state_variables(state).items():
        if name not in read:
            raise SavedFitError(
                f"the file lacks the variable {name!r}; it is not a complete bayesgmm result"
            )
        if read[name][0] != tuple(dims):
            raise SavedFitError(
                f"variable {name!r} has dims {read[name][0]} where a {spec.engine} result has "
                f"{tuple(dims)}; the file is not a bayesgmm result or was altered"
            )
        kept[name] = read[name]
    _check_state(engine, state, parameters)
    return kept


def _check_state(engine: Engine, state: Any, stored: MixtureParameters) -> None:
    with np.errstate(all="ignore"):
        derived = engine.parameters(state)
        terms = engine.terms(state)
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        mine, saved = getattr(derived, name), getattr(stored, name)
        if not np.allclose(mine, saved, rtol=1e-12, atol=0.0):
            raise SavedFitError(
                f"variable {name!r} is not what the {engine.name} engine's saved state gives "
                f"(for VB: the weights of the saved weight_concentration); the file is damaged "
                "or was altered"
            )
    offset = terms.log_offset
    if not (
        np.all(np.isfinite(terms.means))
        and np.all(np.isfinite(terms.factor))
        and not np.any(np.isnan(offset) | (offset == np.inf))
    ):
        raise SavedFitError(
            "the saved parameters give the E-step NaN or infinite terms (an overflow in the "
            "log-determinants or weights); the file is damaged"
        )
