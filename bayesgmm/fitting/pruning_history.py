"""What pruning did to a fit: a small record that lives in the FitResult and its Dataset.

A plain record, kept apart from :mod:`bayesgmm.fitting.pruning` (the mechanism,
which builds on the fitting loop): the mechanism writes it, and
:mod:`bayesgmm.fitting.result` saves and reads it with the rest of a fit.

In a result Dataset the record is a handful of variables whose names start
with ``pruning_``:

========================================  =====================================================
variable (dims)                           meaning
========================================  =====================================================
``pruning_iteration (pruning_step)``      iterations (entries of ``objective_trace``) done
                                          before the step (negative: the step happened in an
                                          earlier fit that a warm start continued)
``pruning_threshold (pruning_step)``      weight threshold of the step; NaN when the step
                                          removed the lightest component (:func:`prune_path`)
``pruning_n_components_before/after``     components before and after the step
``pruning_objective_before (pruning_step)``  per-sample objective of the model that was pruned
``pruning_objective_after (pruning_step)``   per-sample objective once the survivors were
                                          refitted to convergence
``pruning_removed_at_step (initial_component)``  step that removed each component of the
                                          model before any pruning; -1 if it survived
``pruning_removed_weight (initial_component)``   its weight when removed; NaN if it survived
``pruning_component_origin (component)``  each surviving component's index in the model
                                          before any pruning
========================================  =====================================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._lazy import xr
from ..exceptions import SavedFitError

_STEP_FIELDS = {
    "pruning_iteration": ("iteration", "i", "iterations done before the step"),
    "pruning_threshold": ("threshold", "f", "weight threshold (NaN: lightest component removed)"),
    "pruning_n_components_before": ("n_components_before", "i", "components before the step"),
    "pruning_n_components_after": ("n_components_after", "i", "components after the step"),
    "pruning_objective_before": (
        "objective_before",
        "f",
        "per-sample objective of the model that was pruned",
    ),
    "pruning_objective_after": (
        "objective_after",
        "f",
        "per-sample objective after refitting the survivors",
    ),
}


@dataclass(frozen=True, eq=False)
class PruningHistory:
    """Steps that removed components, in order.

    Attributes
    ----------
    iteration, threshold, n_components_before, n_components_after,
    objective_before, objective_after : (n_steps,) arrays
        One entry per pruning step; see the module docstring.
    removed_at_step : (initial K,) int
        The step that removed each component of the unpruned model, -1 if kept.
    removed_weight : (initial K,) float
        Its weight at removal, NaN if kept.
    component_origin : (final K,) int
        Index of each surviving component in the unpruned model.
    """

    iteration: np.ndarray
    threshold: np.ndarray
    n_components_before: np.ndarray
    n_components_after: np.ndarray
    objective_before: np.ndarray
    objective_after: np.ndarray
    removed_at_step: np.ndarray
    removed_weight: np.ndarray
    component_origin: np.ndarray

    @property
    def n_steps(self) -> int:
        return int(self.iteration.size)

    @property
    def initial_n_components(self) -> int:
        return int(self.removed_at_step.size)

    @classmethod
    def start(cls, n_components: int) -> PruningHistory:
        """An empty record for a model of ``n_components`` that nothing was removed from."""
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return cls(
            empty_i,
            empty_f,
            empty_i,
            empty_i,
            empty_f,
            empty_f,
            np.full(n_components, -1, dtype=np.int64),
            np.full(n_components, np.nan),
            np.arange(n_components, dtype=np.int64),
        )

    def with_step(
        self,
        *,
        iteration: int,
        threshold: float,
        removed: np.ndarray,
        weights: np.ndarray,
        objective_before: float,
        objective_after: float,
    ) -> PruningHistory:
        """The record extended by one step that removed the components flagged in ``removed``.

        ``removed`` and ``weights`` are indexed by the components of the model
        that was pruned (not the unpruned model's numbering).
        """
        removed = np.asarray(removed, dtype=bool)
        step = self.n_steps
        origin = self.component_origin[removed]
        removed_at_step = self.removed_at_step.copy()
        removed_weight = self.removed_weight.copy()
        removed_at_step[origin] = step
        removed_weight[origin] = np.asarray(weights)[removed]
        K = removed.size
        append = lambda a, v: np.append(a, np.asarray(v, dtype=a.dtype))
        return PruningHistory(
            iteration=append(self.iteration, iteration),
            threshold=append(self.threshold, threshold),
            n_components_before=append(self.n_components_before, K),
            n_components_after=append(self.n_components_after, K - int(removed.sum())),
            objective_before=append(self.objective_before, objective_before),
            objective_after=append(self.objective_after, objective_after),
            removed_at_step=removed_at_step,
            removed_weight=removed_weight,
            component_origin=self.component_origin[~removed],
        )

    def shifted(self, offset: int) -> PruningHistory:
        """The record with ``offset`` added to every step's iteration.

        A warm-started fit starts a new trace; shifting by minus the previous
        trace's length keeps iterations aligned with it (earlier steps negative).
        """
        return dataclasses.replace(self, iteration=self.iteration + offset)

    def to_variables(self) -> dict[str, xr.Variable]:
        """The record as Dataset variables (see the module docstring)."""
        variables = {
            name: xr.Variable(("pruning_step",), getattr(self, field), attrs={"long_name": doc})
            for name, (field, _, doc) in _STEP_FIELDS.items()
        }
        variables["pruning_removed_at_step"] = xr.Variable(
            ("initial_component",),
            self.removed_at_step,
            attrs={"long_name": "pruning step that removed the component (-1: kept)"},
        )
        variables["pruning_removed_weight"] = xr.Variable(
            ("initial_component",),
            self.removed_weight,
            attrs={"long_name": "weight of the component when removed (NaN: kept)"},
        )
        variables["pruning_component_origin"] = xr.Variable(
            ("component",),
            self.component_origin,
            attrs={"long_name": "index of the component in the model before pruning"},
        )
        return variables

    @classmethod
    def from_dataset(cls, ds: xr.Dataset, n_components: int) -> PruningHistory | None:
        """Read the record back; None if the Dataset has none.  Checks types and shapes."""
        if "pruning_iteration" not in ds.variables:
            return None
        names = [
            *_STEP_FIELDS,
            "pruning_removed_at_step",
            "pruning_removed_weight",
            "pruning_component_origin",
        ]
        missing = [name for name in names if name not in ds.variables]
        if missing:
            raise SavedFitError(f"the file's pruning record is incomplete: it lacks {missing}")
        n_steps = ds["pruning_iteration"].size
        initial = ds["pruning_removed_at_step"].size
        fields = {}
        for name, (field, kind, _) in _STEP_FIELDS.items():
            fields[field] = _checked(ds, name, kind, (n_steps,))
        fields["removed_at_step"] = _checked(ds, "pruning_removed_at_step", "i", (initial,))
        fields["removed_weight"] = _checked(ds, "pruning_removed_weight", "f", (initial,))
        fields["component_origin"] = _checked(ds, "pruning_component_origin", "i", (n_components,))
        _check_record(fields, n_components)
        return cls(**fields)


def _check_record(fields: dict[str, np.ndarray], n_components: int) -> None:
    """The steps chain from the unpruned model to the saved one, and every number is in range."""
    at_step, origin = fields["removed_at_step"], fields["component_origin"]
    before, after = fields["n_components_before"], fields["n_components_after"]
    kept = at_step == -1
    threshold, weight = fields["threshold"], fields["removed_weight"]
    checks = (  # in order: each may rely on the ones before it
        (
            "pruning_removed_at_step names a step that does not exist",
            lambda: np.all((at_step >= -1) & (at_step < before.size)),
        ),
        (
            "pruning_component_origin is not the list of components that survived",
            lambda: origin.size == n_components and np.array_equal(origin, np.flatnonzero(kept)),
        ),
        (
            "pruning_n_components_before/after do not chain from the unpruned model to this one",
            lambda: (
                np.array_equal(before, np.r_[at_step.size, after[:-1]][: before.size])
                and np.array_equal(
                    before - after, np.bincount(at_step[~kept], minlength=before.size)
                )
                and np.all(after >= 1)
            ),
        ),
        (
            "pruning_threshold holds a threshold outside (0, 1)",
            lambda: np.all(np.isnan(threshold) | ((threshold > 0) & (threshold < 1))),
        ),
        (
            "pruning_removed_weight is not NaN exactly for the survivors, or not in [0, 1]",
            lambda: (
                np.array_equal(np.isnan(weight), kept)
                and np.all((weight[~kept] >= 0) & (weight[~kept] <= 1))
            ),
        ),
        (
            "pruning_objective_before/after hold NaN or infinite values",
            lambda: (
                np.all(np.isfinite(fields["objective_before"]))
                and np.all(np.isfinite(fields["objective_after"]))
            ),
        ),
    )
    for problem, holds in checks:
        if not holds():
            raise SavedFitError(f"the file's pruning record is damaged: {problem}")


def _checked(ds: xr.Dataset, name: str, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    values = np.asarray(ds[name].values)
    if values.shape != shape or values.dtype.kind not in ({"i", "u"} if kind == "i" else {"f"}):
        raise SavedFitError(
            f"variable {name!r} has shape {values.shape} and dtype {values.dtype}; expected "
            f"{'integers' if kind == 'i' else 'floats'} of shape {shape}"
        )
    return values.astype(np.int64 if kind == "i" else np.float64)
