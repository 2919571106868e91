"""Probabilistic diagnosis with mixture discriminant analysis, on the diabetes and thyroid data.

Both shipped data sets come with a clinical diagnosis: Reaven & Miller's 145 patients
(Normal, Chemical or Overt diabetes, from three measurements of a glucose tolerance test)
and the 215 patients of the UCI new-thyroid data (Normal, Hyper, Hypo, from five laboratory
tests).  A ``GaussianMixtureClassifier`` learns each diagnosis' distribution and gives every
patient a *probability* of each diagnosis, as R mclust's ``MclustDA`` does:

1. EDDA (one Gaussian per diagnosis, one covariance model shared by all, chosen by BIC over
   mclust's 14) and MclustDA (a mixture of 1 to 3 components per diagnosis, chosen by BIC
   over four of mclust's models) are compared by their 5-fold cross-validated error,
   mclust's ``cvMclustDA``.
2. Every patient's probabilities are taken *out of fold* (from the classifier fitted to the
   other four fifths), so they are what a new patient would get.  A patient whose largest
   probability is below 0.8 (uncertainty ``1 - max p`` above 0.2) is borderline: a
   diagnosis to confirm by other means rather than to read off the model.  The
   misclassified patients are mostly among them.

Figures: the patients on two of the measurements, shaded by their uncertainty, the
borderline ones circled, for each data set.

Run: python examples/probabilistic_diagnosis.py
Figures go to $BAYESGMM_EXAMPLES_OUT/probabilistic_diagnosis (default ./bayesgmm-examples).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bayesgmm import GaussianMixtureClassifier
from bayesgmm.datasets import load_diabetes, load_thyroid
from bayesgmm.plotting import plot_uncertainty

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "probabilistic_diagnosis"
BORDERLINE = 0.2  # uncertainty above which a diagnosis is flagged for confirmation
FOLDS = 5  # mclust's cvMclustDA uses 10; 5 keeps the example quick
CLOSED_FORM = ("VII", "VVI", "EEE", "VVV")


def out_of_fold_probabilities(classifier, X, y, seed=0):
    """Each row's class probabilities from the classifier fitted without its fold."""
    folds = np.random.default_rng(seed).permutation(len(X)) % FOLDS
    probabilities = np.empty((len(X), np.unique(y).size))
    for fold in range(FOLDS):
        test = folds == fold
        model = GaussianMixtureClassifier(**classifier.get_params()).fit(X[~test], y[~test])
        probabilities[test] = model.predict_proba(X[test])
    return probabilities


def diagnose(name, data, label, features):
    X, y = data.values, data[label].values
    candidates = {
        "EDDA": GaussianMixtureClassifier("edda", covariance_type="all"),
        # four of mclust's closed-form models, to keep the cross-validation quick
        "MclustDA": GaussianMixtureClassifier(
            n_components=range(1, 4), covariance_type=CLOSED_FORM, random_state=0
        ),
    }
    print(f"{name}: {len(X)} patients, {', '.join(f'{c} {(y == c).sum()}' for c in np.unique(y))}")
    errors, out_of_fold = {}, {}
    for kind, classifier in candidates.items():
        classifier.fit(X, y)
        # the folds of cross_validated_error(classifier, X, y, n_folds=FOLDS, random_state=0),
        # mclust's cvMclustDA; each row's probabilities come from the fit without its fold
        out_of_fold[kind] = out_of_fold_probabilities(classifier, X, y)
        errors[kind] = np.mean(classifier.classes_[out_of_fold[kind].argmax(axis=1)] != y)
        models = ", ".join(
            f"{c} {m} K={k}"
            for c, m, k in zip(
                classifier.classes_,
                np.broadcast_to(classifier.covariance_type_, len(classifier.classes_)),
                classifier.n_components_,
            )
        )
        print(
            f"  {kind:<8} ({models}): training error {classifier.training_error_:.3f}, "
            f"{FOLDS}-fold cross-validated error {errors[kind]:.3f}"
        )
    kind = min(errors, key=errors.get)
    classifier = candidates[kind]
    print(f"  {kind} has the smaller cross-validated error; its out-of-fold probabilities:")
    probabilities = out_of_fold[kind]
    predicted = classifier.classes_[probabilities.argmax(axis=1)]
    uncertainty = 1 - probabilities.max(axis=1)
    borderline = uncertainty > BORDERLINE
    wrong = predicted != y
    print(
        f"  {borderline.sum()} borderline patients (uncertainty > {BORDERLINE}); "
        f"{(wrong & borderline).sum()} of the {wrong.sum()} misdiagnosed are among them"
    )
    table = pd.DataFrame(probabilities, columns=[f"p({c})" for c in classifier.classes_])
    table.insert(0, "diagnosis", y)
    table.insert(1, "predicted", predicted)
    table["uncertainty"] = uncertainty
    shown = table[borderline].sort_values("uncertainty", ascending=False).head(8)
    print(shown.to_string(float_format=lambda v: f"{v:.3f}"), "\n")

    fig, ax = plt.subplots(figsize=(6.8, 4.8), layout="constrained")
    plot_uncertainty(
        probabilities,
        data.to_pandas(),
        features,
        ax=ax,
        threshold=BORDERLINE,
        title=f"{name}: out-of-fold uncertainty of the {kind} diagnosis",
    )
    fig.savefig(OUT / f"{name}_uncertainty.png", dpi=110)
    plt.close(fig)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    diagnose("diabetes", load_diabetes(), "class", ("glucose", "sspg"))
    diagnose("thyroid", load_thyroid(), "Diagnosis", ("T3", "TSH"))
    print(f"figures in {OUT}")


if __name__ == "__main__":
    main()
