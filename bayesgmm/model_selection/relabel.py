"""A fit with its components listed in another order, without refitting.

:func:`bayesgmm.align_components` says which component of a fit is which
cluster of a reference fit; :func:`permute_components` applies that order to
the fit itself, so that its ``means_[0]``, ``predict`` label 0 and
``predict_proba`` column 0 are the reference's component 0.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..diagnostics.alignment import UNMATCHED
from ..engines import MixtureParameters, restore
from ..estimator import GaussianMixture
from ..fitting.result import FitResult


def permute_components(model: Any, order: Any) -> Any:
    """The same fit with component ``order[i]`` as its component ``i``.

    Nothing is refitted: the weights, means, covariances, precision factors,
    the engine's per-component variables (a prior's per-component weight
    concentration, VB's posterior hyperparameters) and a pruning record's
    origins are reordered.  ``predict`` of the result returns ``j`` where the
    model returned ``order[j]``; ``predict_proba``'s columns are reordered
    likewise; ``score_samples``, the objective and every criterion are the
    model's.

    Parameters
    ----------
    model : fitted GaussianMixture (or BayesianGaussianMixture) or FitResult
    order : sequence of int
        A permutation of ``range(K)``.  Entries ``-1`` are skipped, so the
        output of :func:`bayesgmm.align_components` can be given as it is.

    Returns
    -------
    GaussianMixture or FitResult
        The same kind of object as ``model``.  An estimator is built as
        :meth:`GaussianMixture.from_result` builds one (the fit's settings,
        its fitted prior, no ``*_init`` arrays, which describe the starting
        labels), with the model's parameter dtype; a FitResult keeps the
        settings but no ``*_init`` arrays, and its ``spec.prior`` is None (the
        fitted prior is in its reordered variables, as in a loaded file).

    Raises
    ------
    ValueError
        if ``order`` is not a permutation of the components, or the fit cannot
        be relabelled (a Dirichlet-process VB fit: its stick-breaking prior
        orders the components).

    Examples
    --------
    >>> (slots,) = bayesgmm.align_components(em, map_fit)
    >>> aligned = bayesgmm.permute_components(map_fit, slots)
    >>> aligned.predict(X)        # the labels em.predict(X) gives, where they agree
    """
    result = _result(model)
    permuted = permuted_result(result, order)
    if isinstance(model, FitResult):
        return permuted
    estimator = type(model).from_result(permuted)
    dtype = getattr(model, "means_", permuted.parameters.means).dtype
    if estimator.means_.dtype != dtype:  # a float32 fit keeps float32 parameters
        estimator._set_result(permuted, dtype)
    return estimator


def permuted_result(result: FitResult, order: Any) -> FitResult:
    """:func:`permute_components` of a :class:`~bayesgmm.FitResult`."""
    K = result.n_components
    order = _checked_order(order, K)
    engine, state = restore(
        result.spec, result.n_features, result.parameters, result.engine_variables
    )
    engine.check_relabelling(state)
    family, p = result.spec.family, result.parameters
    per_component = family.covariance_dims[0] == "component"  # tied: one matrix for all
    parameters = MixtureParameters(
        weights=p.weights[order],
        means=p.means[order],
        covariances=p.covariances[order] if per_component else p.covariances,
        precisions_cholesky=(
            p.precisions_cholesky[order] if per_component else p.precisions_cholesky
        ),
    )
    variables = {
        name: (dims, _take(values, dims, order))
        for name, (dims, values) in result.engine_variables.items()
    }
    pruning = result.pruning
    if pruning is not None:
        pruning = dataclasses.replace(pruning, component_origin=pruning.component_origin[order])
    spec = dataclasses.replace(
        result.spec,
        prior=None,
        weights_init=None,
        means_init=None,
        precisions_init=None,
        responsibilities_init=None,
    )
    return dataclasses.replace(
        result, spec=spec, parameters=parameters, engine_variables=variables, pruning=pruning
    )


def _take(values: Any, dims: tuple[str, ...], order: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if "component" not in dims:
        return values
    return np.take(values, order, axis=tuple(dims).index("component"))


def _checked_order(order: Any, K: int) -> np.ndarray:
    array = np.asarray(order)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValueError(f"order must be a 1-D sequence of component indices, got {order!r}")
    array = array[array != UNMATCHED].astype(np.intp)
    if not np.array_equal(np.sort(array), np.arange(K)):
        raise ValueError(
            f"order {list(np.asarray(order))} is not a permutation of the model's {K} "
            f"components 0..{K - 1} (entries -1 are skipped)"
        )
    return array


def _result(model: Any) -> FitResult:
    if isinstance(model, FitResult):
        return model
    if isinstance(model, GaussianMixture):
        model._check_fitted()
        return model.result_
    raise TypeError(f"expected a fitted GaussianMixture or a FitResult, got {type(model).__name__}")
