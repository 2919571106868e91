"""Automatic pruning of an over-specified variational Bayes model: the diabetes data.

Reaven and Miller's 145 patients (glucose, insulin, sspg; standardised here)
were classified clinically as normal, chemical diabetes and overt diabetes.
We give variational Bayes far too many components, ten, with a sparse
Dirichlet prior on the weights (concentration 1e-3): the posterior then
empties the components the data do not need.

* Without pruning the fitted model still has ten components, most with
  weight 0 and one or two with a weight of a fraction of a percent, which
  ``predict_proba`` and every later computation carry along.
* With ``prune=1e-2`` the components whose weight falls below 1% are removed
  during the fit and the survivors refitted from where they stand; the record
  of what was removed and when is ``result_.pruning``, and ``plot_trace``
  marks the step.

The example prints both models' weights and ELBO per patient, the pruning
record, and how the surviving components line up with the clinical classes
(which the fit never saw).  Figures: both models' weights; the ELBO per
iteration with the pruning step; the pruned mixture on glucose and sspg.

Run: python examples/vb_pruning.py
Figures go to $BAYESGMM_EXAMPLES_OUT/vb_pruning (default ./bayesgmm-examples).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import bayesgmm
from bayesgmm import plotting
from bayesgmm.datasets import load_diabetes

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "vb_pruning"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    X = load_diabetes()
    Z = (X - X.mean("sample")) / X.std("sample", ddof=1)
    settings = dict(
        n_components=10,
        engine="vb",
        tol=1e-6,
        max_iter=2000,
        n_init=10,
        random_state=1,
        prior=bayesgmm.VBPrior("dirichlet_distribution", weight_concentration=1e-3),
    )
    full = bayesgmm.GaussianMixture(**settings).fit(Z)
    pruned = bayesgmm.GaussianMixture(prune=1e-2, **settings).fit(Z)

    with np.printoptions(precision=4, suppress=True):
        print(f"without pruning: {full.n_components_fitted} components, weights {full.weights_}")
        print(
            f"  ELBO per patient {full.lower_bound_:.4f}; components above 1%: "
            f"{(full.weights_ >= 1e-2).sum()}"
        )
        print(
            f"with prune=1e-2: {pruned.n_components_fitted} components, weights {pruned.weights_}"
        )
        print(f"  ELBO per patient {pruned.lower_bound_:.4f}")
    history = pruned.result_.pruning
    for step in range(history.n_steps):
        print(
            f"  step {step}: after iteration {history.iteration[step]}, K "
            f"{history.n_components_before[step]} -> {history.n_components_after[step]}"
        )
    print(f"  survivors were components {history.component_origin.tolist()} of the ten")
    print("\nclinical class (rows) x component of the pruned model (columns):")
    print(
        pd.crosstab(
            pd.Series(X["class"].values, name="class"),
            pd.Series(pruned.predict(Z), name="component"),
        ).to_string()
    )

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained", sharey=True)
    plotting.plot_weights(full, ax=axes[0])
    axes[0].set_title("VB, 10 components, no pruning")
    plotting.plot_weights(pruned, ax=axes[1])
    axes[1].set_title(f"VB with prune=1e-2: {pruned.n_components_fitted} components")
    fig.savefig(OUT / "weights.png", dpi=110)
    plt.close(fig)

    ax = plotting.plot_trace(pruned)
    ax.figure.savefig(OUT / "trace.png", dpi=110)
    plt.close(ax.figure)

    ax = plotting.plot_mixture(pruned, Z, features=("glucose", "sspg"))
    ax.set_xlabel("glucose (standardised)")
    ax.set_ylabel("sspg (standardised)")
    ax.figure.savefig(OUT / "mixture.png", dpi=110)
    plt.close(ax.figure)
    print(f"figures in {OUT}")


if __name__ == "__main__":
    main()
