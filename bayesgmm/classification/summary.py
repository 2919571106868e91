"""A classifier's summary (mclust's ``summary(MclustDA)``) and its cross-validated error
(mclust's ``cvMclustDA``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.init import as_generator
from ..data.validation import as_feature_matrix, as_sample_weight


def classifier_summary(classifier: Any) -> str:
    """Per class: rows, share, chosen model and components; the training confusion matrix and
    classification error; for EDDA the mixture's log-likelihood, parameters and BIC."""
    kind = "EDDA" if hasattr(classifier, "mixture_") else "MclustDA"
    classes = [str(c) for c in classifier.classes_]
    width = max(7, *(len(c) for c in classes))
    confusion = classifier.confusion_matrix_
    lines = [f"Gaussian mixture classifier ({kind})", ""]
    if kind == "EDDA":
        table = classifier.selection_
        chosen = table.sel(covariance_type=classifier.covariance_type_)
        result = classifier.mixture_.result_
        lines += [
            f"log-likelihood {result.log_likelihood:.3f}, n = {result.n_samples}, "
            f"parameters {int(chosen.n_parameters)}, BIC {float(chosen.bic):.3f}",
            "(BIC: lower is better; mclust's BIC is its negative)",
            "",
        ]
    lines.append(f"{'class':<{width}} {'n':>8} {'prior':>7}  model  G")
    models = np.broadcast_to(np.asarray(classifier.covariance_type_), len(classes))
    for c, name in enumerate(classes):
        n = "" if confusion is None else f"{confusion.values[c].sum():g}"
        lines.append(
            f"{name:<{width}} {n:>8} {classifier.class_prior_[c]:>7.4f}  "
            f"{models[c]:<5}  {classifier.n_components_[c]}"
        )
    if confusion is not None:
        lines += ["", "Training confusion matrix (rows: class, columns: predicted)"]
        column = max(8, width)
        lines.append(" " * width + "".join(f"{name:>{column}}" for name in classes))
        for c, name in enumerate(classes):
            lines.append(
                f"{name:<{width}}" + "".join(f"{v:>{column}g}" for v in confusion.values[c])
            )
        lines.append(f"Classification error = {classifier.training_error_:.4f}")
    return "\n".join(lines)


def cross_validated_error(
    classifier: Any, X, y, *, n_folds: int = 10, random_state: Any = None, sample_weight=None
) -> tuple[float, float]:
    """``n_folds``-fold cross-validated classification error and its standard error, as mclust's
    ``cvMclustDA``: rows are split into folds at random, each fold is predicted by a classifier
    of the same parameters fitted to the other folds.

    Returns ``(error, standard_error)``; the error is the (weighted) share of misclassified
    rows over all folds, the standard error that of the per-fold errors.
    """
    data, _ = as_feature_matrix(X)
    labels = np.asarray(y).reshape(-1)
    n = data.shape[0]
    if labels.shape[0] != n:
        raise ValueError(f"y has {labels.shape[0]} labels but X has {n} rows")
    if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    if n_folds > n:
        raise ValueError(f"n_folds={n_folds} is more than the {n} rows; use fewer folds")
    weights = as_sample_weight(sample_weight, n)
    weights = np.ones(n) if weights is None else weights
    folds = as_generator(random_state).permutation(n) % n_folds
    wrong = np.zeros(n_folds)
    total = np.zeros(n_folds)
    for fold in range(n_folds):
        test = folds == fold
        model = type(classifier)(**classifier.get_params())
        model.fit(data[~test], labels[~test], sample_weight=weights[~test])
        missed = model.predict(data[test]) != labels[test]
        wrong[fold] = np.sum(weights[test] * missed)
        total[fold] = np.sum(weights[test])
    per_fold = wrong / total
    error = float(wrong.sum() / total.sum())
    return error, float(np.std(per_fold, ddof=1) / np.sqrt(n_folds))
