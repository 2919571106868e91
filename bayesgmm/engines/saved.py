"""Engine state read back from a saved fit, every variable checked for type, shape and domain.

An engine rebuilds its state from the variables it saved (``state_from_saved``); what it
reads goes through these helpers, so a damaged or crafted file is refused with a
:class:`~bayesgmm.exceptions.SavedFitError` naming the variable and what is wrong, before
a NaN, a zero or a negative precision reaches a kernel (where it would make every
responsibility NaN, or every row's probabilities sum to 0).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

import numpy as np

from ..exceptions import SavedFitError


def saved_array(variables: dict, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A float variable of saved engine variables (``name -> (dims, array)``), or a clear error.

    With ``shape``, the array must have that shape too.
    """
    if name not in variables:
        raise SavedFitError(
            f"the file lacks the variable {name!r}; it is not a complete bayesgmm result"
        )
    value = variables[name]
    array = np.asarray(value[1] if isinstance(value, tuple) else value)
    if array.dtype.kind != "f":
        raise SavedFitError(f"variable {name!r} should hold floats, found dtype {array.dtype}")
    if shape is not None and array.shape != tuple(shape):
        raise SavedFitError(
            f"variable {name!r} has shape {array.shape}; expected floats of shape {tuple(shape)}"
        )
    return array


def saved_scalar(variables: dict, name: str) -> float:
    """A single float of saved engine variables, or a clear error."""
    return float(saved_array(variables, name, ()))


def check_above(name: str, values: np.ndarray, bound: float, what: str) -> np.ndarray:
    """``values`` if every one is finite and above ``bound``; else a :class:`SavedFitError`."""
    values = np.asarray(values)
    bad = np.flatnonzero(~(np.isfinite(values) & (values > bound)))
    if bad.size:
        where = f" at component {bad[0]}" if values.ndim else ""
        found = float(values.reshape(-1)[bad[0]])
        raise SavedFitError(
            f"variable {name!r} must hold finite numbers > {bound:g} ({what}), found "
            f"{found!r}{where}; the file is damaged or was altered"
        )
    return values


@contextmanager
def prior_variables(owner: str, names: tuple[str, ...]) -> Iterator[None]:
    """Turn a prior's own validation error into a :class:`SavedFitError` naming the variable.

    A prior read from a file is rebuilt through its constructor and ``resolved``, so it
    meets exactly the checks a prior given to a fit meets; their messages name the field
    (``MAPPrior.shrinkage=...``), which is saved as the variable ``prior_<field>``.
    """
    try:
        yield
    except SavedFitError:
        raise
    except (TypeError, ValueError) as exc:
        message = str(exc)
        named = [name for name in names if f"{owner}.{name}" in message]
        # the longest name that matches: "VBPrior.mean" is in "VBPrior.mean_precision=..."
        variable = f"'prior_{max(named, key=len)}'" if named else "'prior_*'"
        raise SavedFitError(
            f"variable {variable} is not a prior a fit can have: {message}"
        ) from None


def prior_from_variables(
    cls, variables: dict, scalars: tuple[str, ...], given: dict, K: int, D: int, family: Any
) -> Any:
    """A saved prior rebuilt through its own checks: each variable alone, then all together.

    ``cls`` is the prior's class (MAPPrior, VBPrior), whose fields are saved as
    ``prior_<field>``; ``scalars`` name the fields saved as single numbers and ``given``
    the fields that are not saved as variables.  :meth:`resolved` with no data checks the
    hyperparameters against the model's ``K`` components, ``D`` features and family.
    """
    owner = cls.__name__
    names = tuple(f.name for f in fields(cls) if f.name not in given)
    values: dict[str, Any] = {}
    for name in names:
        value = (saved_scalar if name in scalars else saved_array)(variables, "prior_" + name)
        with prior_variables(owner, names):
            cls(**given, **{name: value})  # the checks of this hyperparameter alone
        values[name] = value
    with prior_variables(owner, names):
        return cls(**given, **values).resolved(None, K, D, family)
