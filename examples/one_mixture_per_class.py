"""One Gaussian mixture per class with diagonal covariances: the classic speech-recognition
recipe, here on handwritten digits.

Before neural networks, isolated-word and speaker recognisers modelled each word (or speaker)
by its own Gaussian mixture of decorrelated features (MFCCs) with *diagonal* covariances,
several components per class, and labelled a new utterance by the class of highest
likelihood times prior.  ``GaussianMixtureClassifier(covariance_type="diag")`` is that
recognizer, with the number of components of each class chosen by BIC (R mclust's MclustDA).

No speech corpus ships with Python packages, so this example uses the stand-in that does:
scikit-learn's bundled 8x8 handwritten digits (1797 images, ten classes, installed with
scikit-learn, no download).  As MFCCs decorrelate a spectrum, the 64 pixels are projected
on their first 20 principal components (fitted on the training images only), which makes
diagonal covariances a fair approximation.  A digit, like a word, comes in several styles
(a 7 with or without a bar, a 1 with or without a foot), which a single Gaussian per class
(EDDA with diagonal covariances, i.e. Gaussian naive Bayes) cannot represent.

The classifiers are trained on 1200 images and tested on the other 597: the per-class
mixture of diagonal Gaussians makes fewer errors than one diagonal Gaussian per class.
Figures: the number of components BIC gives each digit, and the confusion matrix on the
test images.  Needs scikit-learn (for its data only: ``pip install scikit-learn``).

Run: python examples/one_mixture_per_class.py
Figures go to $BAYESGMM_EXAMPLES_OUT/one_mixture_per_class (default ./bayesgmm-examples).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from bayesgmm import GaussianMixtureClassifier

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "one_mixture_per_class"
N_TRAIN = 1200
N_FEATURES = 20  # principal components kept, the example's "cepstral coefficients"


def principal_components(train, test, n):
    """Project both sets on the first ``n`` principal axes of the training set."""
    centre = train.mean(axis=0)
    _, _, axes = np.linalg.svd(train - centre, full_matrices=False)
    return (train - centre) @ axes[:n].T, (test - centre) @ axes[:n].T


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    train, test = order[:N_TRAIN], order[N_TRAIN:]
    X_train, X_test = principal_components(digits.data[train], digits.data[test], N_FEATURES)
    y_train, y_test = digits.target[train], digits.target[test]
    print(
        f"digits: {len(train)} training and {len(test)} test images, {N_FEATURES} principal "
        "components of the 64 pixels"
    )

    one_gaussian = GaussianMixtureClassifier("edda", covariance_type="diag")
    mixtures = GaussianMixtureClassifier(
        n_components=range(1, 7), covariance_type="diag", n_init=2, random_state=0
    )
    for name, classifier in (
        ("one diagonal Gaussian per digit (EDDA diag)", one_gaussian),
        ("a mixture of diagonal Gaussians per digit (MclustDA diag)", mixtures),
    ):
        classifier.fit(X_train, y_train)
        accuracy = classifier.score(X_test, y_test)
        errors = int(np.sum(classifier.predict(X_test) != y_test))
        print(f"  {name}: test accuracy {accuracy:.3f} ({errors} of {len(test)} wrong)")
    print(
        "  components per digit (BIC, at most 6 tried): "
        + ", ".join(f"{d}: {k}" for d, k in zip(mixtures.classes_, mixtures.n_components_))
    )
    uncertainty = mixtures.uncertainty(X_test)
    wrong = mixtures.predict(X_test) != y_test
    print(
        f"  the mixture's uncertainty (1 - largest class probability): median "
        f"{np.median(uncertainty[~wrong]):.3f} on the {(~wrong).sum()} images it gets right, "
        f"{np.median(uncertainty[wrong]):.3f} on the {wrong.sum()} it gets wrong"
    )

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    left.bar(mixtures.classes_, mixtures.n_components_, color="C0")
    left.set_xticks(mixtures.classes_)
    left.set_xlabel("digit")
    left.set_ylabel("components chosen by BIC")
    left.set_title("a mixture per digit: its number of styles")
    predicted = mixtures.predict(X_test)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test, predicted), 1)
    image = right.imshow(confusion, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if confusion[i, j]:
                right.text(
                    j,
                    i,
                    confusion[i, j],
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if confusion[i, j] > confusion.max() / 2 else "black",
                )
    right.set_xticks(range(10))
    right.set_yticks(range(10))
    right.set_xlabel("predicted digit")
    right.set_ylabel("true digit")
    right.set_title("test images, mixture per digit")
    fig.colorbar(image, ax=right, label="images")
    fig.savefig(OUT / "digits.png", dpi=110)
    plt.close(fig)
    print(f"figures in {OUT}")


if __name__ == "__main__":
    main()
