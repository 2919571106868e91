"""SQUAREM: accelerated EM with a monotone safeguard (``accelerate=True``).

Varadhan & Roland (2008), scheme S3, around the engine's own update.  One cycle from a
state ``t0``, with ``F`` one plain iteration (an E-step over the data and the engine's
update)::

    t1 = F(t0),  t2 = F(t1)          two plain iterations (two passes)
    r  = t1 - t0,  v = t2 - 2 t1 + t0
    alpha = -||r|| / ||v||,  clipped to [-step_max, -1]
    t' = t0 - 2 alpha r + alpha^2 v  the extrapolated point (alpha = -1 gives t2 exactly)
    t'' = F(t')                      the stabilising iteration (the third pass)

**What is extrapolated.**  For EM and MAP, the point estimate, in coordinates where every real vector is a
valid mixture (:meth:`Engine.to_vector`): centred log-weights (softmax logits), the means
and the log-Cholesky factors of the precisions (log of the diagonal, the entries above it;
logs of the scales for diagonal families).  Extrapolating there cannot leave the simplex or
the positive-definite cone, the extrapolated point is a mixture the E-step can evaluate, and
its objective is the exact objective of a mixture.  VB extrapolates ``q(theta)`` in the
same spirit (:meth:`VBEngine.to_vector`); the ELBO with the optimal ``q(z)``, which the
E-step sums, is exact for every ``q(theta)``.  We did not extrapolate the sufficient
statistics: ours are taken about each E-step's own means (``SuffStats.center``), so two of
them do not live in one linear space without re-centring, and an extrapolated scatter can
leave the positive-definite cone, which the factors above never do.  The stabilising
iteration maps the extrapolated point back through the engine's update, so the state kept
is always an output of the M-step (inside the family's constraints even for a family whose
factors the extrapolation treats as unconstrained).

**The safeguard.**  The E-step of ``t'`` gives its objective; the cycle accepts ``t''``
only if that objective is not below the objective of ``t1`` (the plain step from ``t0``).
Otherwise, or when ``t'`` is not a valid mixture (non-finite values, a failed factor, an
overflowing E-step) or the E-step re-seeds an empty component, the cycle falls back to
``t2``, which the two plain iterations have already computed.  Every objective recorded is
then at least the previous one: the trace stays non-decreasing.  ``step_max`` starts at 1
and grows fourfold whenever the clipped step reaches it (Varadhan & Roland's default);
a fall-back shrinks it fourfold again.

**What ``n_iter_`` counts.**  Passes over the data, i.e. E-steps: three per accepted or
rejected cycle, as plain EM's iterations are one pass each, so the two are comparable.
``lower_bounds_`` has one value per pass: the objective evaluated in that pass, or, for a
pass whose extrapolated point was rejected, the best objective evaluated so far (a lower
bound on the state the fit continues from).

**Convergence.**  As for plain EM, on the change of the per-sample objective across one
plain iteration (``t0 -> t1``, and the stabilising ``t' -> t''`` across cycles), never
across an extrapolation jump.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..data.sources import DataSource
from ..engines import Engine
from ..exceptions import SingularCovarianceError
from .safeguards import EmptyComponents
from .step import objective_pass
from .stopping import per_sample_tol, should_stop

# Varadhan & Roland's SQUAREM defaults: the largest step starts at 1 (plain EM) and grows
# by this factor each time the step reaches it, shrinking by it after a fall-back
STEP_GROWTH = 4.0


def can_accelerate(engine: Engine, state: Any) -> bool:
    """True when the engine exposes its state as a vector (:meth:`Engine.to_vector`) whose
    extrapolations stay in the covariance family (not mclust's VEE, EVE, VVE, EEV, VEV, EVV:
    ``CovarianceFamily.extrapolates_within_family``)."""
    return engine.family.extrapolates_within_family and engine.to_vector(state) is not None


def squarem_point(
    x0: np.ndarray, x1: np.ndarray, x2: np.ndarray, step_max: float
) -> tuple[np.ndarray, float] | None:
    """The S3 extrapolation of three successive iterates, and its step; None if undefined."""
    r = x1 - x0
    v = x2 - x1 - r
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(v))):
        return None
    norm_v = np.linalg.norm(v)
    if norm_v == 0.0:  # EM has (numerically) converged or moves linearly: nothing to gain
        return None
    alpha = -np.linalg.norm(r) / norm_v
    alpha = float(min(-1.0, max(alpha, -step_max)))
    return x0 - 2.0 * alpha * r + alpha * alpha * v, alpha


def run_squarem_loop(
    engine: Engine,
    data: DataSource,
    state: Any,
    previous_objective: float,
    on_iteration: Callable[[int, float], None] | None,
    empty_components: EmptyComponents,
    extrapolate: bool = True,
) -> tuple[Any, list[float], bool]:
    """The accelerated counterpart of :func:`bayesgmm.fitting.loop.run_em_loop` (same returns).

    ``extrapolate=False`` runs plain EM iterations under ``spec.stopping``: the loop of
    ``stopping="aitken"`` without acceleration.
    """
    spec = engine.spec
    total_weight = data.total_weight
    tol = per_sample_tol(engine, total_weight)  # the chain holds per-sample objectives
    trace: list[float] = []
    step_max = 1.0
    passes = 0

    def record(value: float) -> None:
        nonlocal passes
        passes += 1
        trace.append(value)
        if on_iteration is not None:
            on_iteration(passes, value)

    def evaluate(current: Any) -> tuple[float, Any, bool]:
        """One pass: (objective of ``current``, the engine's update from it, re-seeded?)."""
        stats, objective = objective_pass(engine, data, current, passes + 1)
        stats, reseeded = empty_components.reseed(stats, passes + 1)
        return objective, engine.update(stats, previous=current), reseeded

    def evaluate_extrapolated(candidate: Any) -> tuple[float, Any]:
        """One pass at an extrapolated point: (objective, update), or (-inf, None) if unusable.

        A point that would empty a component is refused rather than re-seeded: the
        plain step is at hand, and a re-seed is a restart, not an ascent step.
        """
        try:
            with np.errstate(all="ignore"):
                stats = data.accumulate(engine.terms(candidate))
                objective = (stats.loglik + engine.penalty(candidate)) / total_weight
                if not np.isfinite(objective) or (
                    empty_components.enabled and np.any(stats.nk < empty_components.min_count)
                ):
                    return -np.inf, None
                return objective, engine.update(stats, previous=candidate)
        except (ArithmeticError, np.linalg.LinAlgError, SingularCovarianceError):
            return -np.inf, None

    # ``state`` is the next state to evaluate.  ``chain`` holds the objectives of the latest
    # run of plain iterations (each state the update of the one before): the stopping rule
    # reads it, never across an extrapolation jump or a re-seed
    chain = [previous_objective] if np.isfinite(previous_objective) else []
    while passes < spec.max_iter:
        # t0 -> t1: a plain iteration
        objective0, state1, reseeded = evaluate(state)
        record(objective0)
        if reseeded:  # a re-seeded model starts afresh: no convergence against the old one
            chain, state = [], state1
            continue
        chain.append(objective0)
        if should_stop(chain, tol, spec.stopping, total_weight):
            return state1, trace, True
        if not extrapolate or passes >= spec.max_iter:
            state = state1
            continue
        # t1 -> t2: a second plain iteration
        objective1, state2, reseeded = evaluate(state1)
        record(objective1)
        if reseeded:
            chain, state = [], state2
            continue
        chain.append(objective1)
        stop = should_stop(chain, tol, spec.stopping, total_weight)
        if stop or passes >= spec.max_iter:
            return state2, trace, stop
        # the extrapolated point t' and its stabilising iteration t'' = F(t')
        x0, x1, x2 = (engine.to_vector(s) for s in (state, state1, state2))
        extrapolated = None
        if x0 is not None and x1 is not None and x2 is not None:
            extrapolated = squarem_point(x0, x1, x2, step_max)
        if extrapolated is None:  # EM stands still (or a weight is exactly 0): go on plainly
            state = state2
            continue
        point, alpha = extrapolated
        if alpha == -step_max:
            step_max *= STEP_GROWTH
        if alpha == -1.0:  # the S3 point at alpha = -1 is t2 itself: nothing to evaluate
            state = state2
            continue
        candidate = engine.from_vector(point, state2)
        objective_x, state_x = (
            (-np.inf, None) if candidate is None else evaluate_extrapolated(candidate)
        )
        if state_x is None or not objective_x >= objective1:
            # the monotone safeguard: fall back to the plain step t2, which continues the chain
            if candidate is not None:  # its pass is spent; the fit continues from t2 >= t1
                record(objective1)
            step_max = max(1.0, step_max / STEP_GROWTH)
            state = state2
            continue
        record(objective_x)
        chain, state = [objective_x], state_x
    return state, trace, False
