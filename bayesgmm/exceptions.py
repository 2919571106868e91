"""Warnings and errors that bayesgmm raises on purpose."""

from __future__ import annotations

import functools
import sys
from typing import NamedTuple


class ConvergenceWarning(UserWarning):
    """The best of the ``n_init`` runs stopped at ``max_iter`` before reaching ``tol``.

    When scikit-learn is loaded, the warning bayesgmm issues is also an instance of
    ``sklearn.exceptions.ConvergenceWarning`` (see :func:`convergence_warning`), so a
    filter or ``pytest.warns`` on either class catches it.
    """


def convergence_warning() -> type[ConvergenceWarning]:
    """The category to warn with: :class:`ConvergenceWarning`, and scikit-learn's too if loaded.

    bayesgmm does not import scikit-learn (it would double ``import bayesgmm``'s time).
    A filter on ``sklearn.exceptions.ConvergenceWarning`` needs scikit-learn imported to
    name the class, so when ``sklearn.exceptions`` is loaded the category is a subclass of
    both classes: ``warnings.filterwarnings("ignore", category=...)`` with either one
    catches it.
    """
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    theirs = getattr(sklearn_exceptions, "ConvergenceWarning", None)
    if not isinstance(theirs, type) or not issubclass(theirs, Warning):
        return ConvergenceWarning
    return _compatible_convergence_warning(theirs)


@functools.cache
def _compatible_convergence_warning(theirs: type) -> type[ConvergenceWarning]:
    return type("ConvergenceWarning", (ConvergenceWarning, theirs), {"__module__": __name__})


class NotFittedError(ValueError, AttributeError):
    """A method that needs fitted parameters was called before ``fit``."""


def not_fitted_error(message: str) -> NotFittedError:
    """A :class:`NotFittedError` that scikit-learn's ``except NotFittedError`` also catches.

    bayesgmm never imports scikit-learn.  Code that catches scikit-learn's
    ``NotFittedError`` (its common checks, meta-estimators, a user's own
    ``except``) must have imported it, so when ``sklearn.exceptions`` is
    already loaded the error raised is also an instance of its class.
    """
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    theirs = getattr(sklearn_exceptions, "NotFittedError", None)
    if not isinstance(theirs, type) or not issubclass(theirs, Exception):
        return NotFittedError(message)
    return _compatible_not_fitted_error(theirs)(message)


@functools.cache
def _compatible_not_fitted_error(theirs: type) -> type:
    return type("NotFittedError", (NotFittedError, theirs), {"__module__": __name__})


class SingularCovarianceError(ValueError):
    """A component's covariance is not positive definite, so its density is undefined."""

    def __init__(self, component: str):
        self.component = component
        super().__init__(
            # scikit-learn's wording first: code written for it matches on it
            "Fitting the mixture model failed because some components have ill-defined "
            "empirical covariance (for instance caused by singleton or collapsed samples). "
            "Try to decrease the number of components, increase reg_covar, or scale the input "
            f"data. The covariance of {component} is singular (not positive definite): its points are "
            "too few, identical, or lie in a lower-dimensional subspace (e.g. collinear or "
            "constant features). Increase reg_covar (e.g. to 1e-6 times the data's variance; it "
            "is in the data's squared units), use a MAP prior (engine='map'), or use fewer "
            "components."
        )


class SavedFitError(ValueError):
    """A saved fit (a file, or the Dataset of ``to_dataset``) that cannot be loaded.

    The file is unreadable, incomplete, or holds values no fit produces (a NaN, a
    weight below 0, a precision factor that disagrees with its covariance, a variational
    posterior outside its domain), or it was changed after it was saved (its checksums
    no longer match).  The message names the variable or attribute and what is wrong.
    A ``ValueError``, so code written for the earlier errors still catches it.
    """


class ComponentReseed(NamedTuple):
    """One empty component and what was done about it.

    ``iteration`` is 0 for the initialisation, else the iteration whose
    statistics showed the component empty; ``split`` is the component whose
    statistics were split to re-seed it, or None if no component could be split.
    """

    iteration: int
    component: int
    split: int | None


class EmptyComponentWarning(UserWarning):
    """A component lost all its points during the fit; ``events`` says which and what was done."""

    def __init__(self, message: str, events: tuple[ComponentReseed, ...] = ()):
        super().__init__(message)
        self.events = tuple(events)


class DataScaleWarning(UserWarning):
    """``reg_covar`` (an absolute variance) is not small compared with the data's variances."""


class OverparameterizedWarning(UserWarning):
    """Models of a sweep have fewer than 5 rows of data per free parameter (or more parameters
    than rows): their likelihood, and so their BIC, AIC and ICL, cannot be trusted."""


class DataConversionWarning(UserWarning):
    """Input was converted to the form the estimator needs (a column-vector ``y`` raveled).

    As :class:`ConvergenceWarning`: when scikit-learn is loaded, the warning issued is also an
    instance of ``sklearn.exceptions.DataConversionWarning`` (:func:`data_conversion_warning`).
    """


def data_conversion_warning() -> type[DataConversionWarning]:
    """The category to warn with: :class:`DataConversionWarning`, and scikit-learn's if loaded."""
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    theirs = getattr(sklearn_exceptions, "DataConversionWarning", None)
    if not isinstance(theirs, type) or not issubclass(theirs, Warning):
        return DataConversionWarning
    return _compatible_data_conversion_warning(theirs)


@functools.cache
def _compatible_data_conversion_warning(theirs: type) -> type[DataConversionWarning]:
    return type("DataConversionWarning", (DataConversionWarning, theirs), {"__module__": __name__})
