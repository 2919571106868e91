"""The stopping rules (``stopping=``): when a run of plain iterations has converged.

Every rule reads ``chain``, the objectives of successive plain iterations (per unit of
sample weight; each state the engine's update of the one before), never across an
extrapolation jump or a re-seed.  The plain loop (:mod:`bayesgmm.fitting.loop`), the
accelerated one (:mod:`bayesgmm.fitting.acceleration`) and online learning all ask
:func:`should_stop`, so the rules live here alone.

* ``"change"`` (scikit-learn's): the last iteration changed the objective by less than
  ``tol``, per sample for EM and MAP (its GaussianMixture), summed for VB (its
  BayesianGaussianMixture; ``Engine.tol_applies_to``).
* ``"relative"`` (R mclust's ``emControl(tol = 1e-5)``): the change of the summed
  objective relative to one plus its size, ``|L_k - L_{k-1}| / (1 + |L_k|) <= tol``, as
  mclust's Fortran EM loops stop.  It does not depend on the engine's ``tol_applies_to``.
* ``"aitken"`` (Böhning 1994; McLachlan & Krishnan 2008, section 4.9): with the rate
  ``a = (l_k - l_{k-1}) / (l_{k-1} - l_{k-2})`` of a linearly converging sequence, the
  limit is estimated as ``l_inf = l_{k-1} + (l_k - l_{k-1}) / (1 - a)``; stop when
  ``|l_inf - l_k| < tol``.  Where EM crawls (``a`` near 1) a small change is no sign of
  convergence, and the rule keeps going where ``"change"`` stops early (scikit-learn's
  issue #10122); where EM converges fast it stops sooner.  A rate outside ``[0, 1)`` (not
  yet in the linear regime) never stops.
"""

from __future__ import annotations

from ..engines.base import TOL_SUMMED

STOPPING_CHANGE = "change"
STOPPING_RELATIVE = "relative"
STOPPING_AITKEN = "aitken"
# how many objectives of plain iterations each rule needs before it can stop (the rules
# a spec accepts are bayesgmm.spec.STOPPING_RULES)
CHAIN_NEEDED = {STOPPING_CHANGE: 2, STOPPING_RELATIVE: 2, STOPPING_AITKEN: 3}


def per_sample_tol(engine, total_weight: float) -> float:
    """``spec.tol`` on the scale of the per-sample objectives the chain holds.

    An engine whose ``tol`` bounds the summed objective (VB) stops at ``tol / total_weight``
    per sample; ``"relative"`` takes ``tol`` as it is (it is scale-free).
    """
    tol = engine.spec.tol
    if engine.spec.stopping == STOPPING_RELATIVE:
        return tol
    return tol / total_weight if engine.tol_applies_to == TOL_SUMMED else tol


def should_stop(chain: list[float], tol: float, stopping: str, total_weight: float = 1.0) -> bool:
    """Whether the per-sample objectives ``chain`` meet the rule ``stopping`` (see above).

    ``tol`` is on the per-sample scale (:func:`per_sample_tol`); ``total_weight`` turns
    the per-sample objectives back into summed ones for ``"relative"``.
    """
    if len(chain) < CHAIN_NEEDED[stopping]:
        return False
    step = chain[-1] - chain[-2]
    if stopping == STOPPING_CHANGE:
        return abs(step) < tol
    if stopping == STOPPING_RELATIVE:
        # |L_k - L_{k-1}| / (1 + |L_k|) <= tol with L = total_weight * l, divided through
        return abs(step) <= tol * (1.0 / total_weight + abs(chain[-1]))
    before = chain[-2] - chain[-3]
    if step == 0.0:  # standing still: the limit is here (tol=0 still runs to max_iter)
        return tol > 0.0
    if before == 0.0:
        return False
    rate = step / before
    if not 0.0 <= rate < 1.0:
        return False
    return abs(step * rate / (1.0 - rate)) < tol  # l_inf - l_k
