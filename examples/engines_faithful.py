"""EM, MAP-EM and variational Bayes on Old Faithful, side by side.

Six components on standardised data: EM uses all six, MAP shrinks them
towards the data's moments, and VB with a sparse Dirichlet prior (weight
concentration 1e-3) switches the superfluous ones off.

Figures: the three fits side by side on the data (points coloured by their
responsibilities, 1-2-3 sigma ellipses), and their weights.  combine_fits
lists every fit's components in the order of EM's clusters they match
(bayesgmm.align_components), and the figures colour them that way: the same
colour is the same cluster in every panel.

Run: python examples/engines_faithful.py
Figures go to $BAYESGMM_EXAMPLES_OUT/engines_faithful (default ./bayesgmm-examples).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import bayesgmm
from bayesgmm import plotting
from bayesgmm.datasets import load_faithful

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "engines_faithful"


def main() -> None:
    X = load_faithful()
    Z = (X - X.mean("sample")) / X.std("sample", ddof=1)
    common = dict(n_components=6, tol=1e-6, max_iter=1000, random_state=0)
    fits = {
        "em": bayesgmm.GaussianMixture(**common),
        "map": bayesgmm.GaussianMixture(engine="map", **common),
        "vb": bayesgmm.GaussianMixture(
            engine="vb",
            prior=bayesgmm.VBPrior("dirichlet_distribution", weight_concentration=1e-3),
            **common,
        ),
    }
    for model in fits.values():
        model.fit(Z)
    combined = bayesgmm.combine_fits(fits)  # aligned: column i is EM's component i's cluster
    orders = dict(zip(fits, combined.source_component.values))

    with np.printoptions(precision=4, suppress=True):
        print("weights (engine x component, in the order of EM's components they match):")
        print(combined.weights.to_pandas().round(4).to_string())
        print()
        print("each fit's own component in each column (what its predict returns):")
        print(combined.source_component.to_pandas().to_string())
        print()
        print("effective components (weight > 1%):")
        print((combined.weights > 0.01).sum("component").to_pandas().to_string())
        print()
        summary = combined[["log_likelihood", "objective", "n_iter", "converged"]].to_dataframe()
        print(summary.drop(columns="engine_name").round(3).to_string())
        vb = fits["vb"]
        kept = np.flatnonzero(vb.weights_ > 0.01)
        print()
        print(
            "VB: components kept, their weights, means (standardised) and summed responsibilities:"
        )
        for k in kept:
            print(
                f"  component {k}: weight {vb.weights_[k]:.4f}  mean {vb.means_[k]}  "
                f"n_k = alpha_k - alpha_0 = {vb.weight_concentration_[k] - 1e-3:.1f}"
            )

    OUT.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained", sharey=True)
    for ax, (label, model) in zip(axes, fits.items()):
        plotting.plot_mixture(model, Z, ax=ax, order=orders[label])
        ax.set_xlabel("eruptions (standardised)")
    axes[0].set_ylabel("waiting (standardised)")
    fig.savefig(OUT / "side_by_side.png", dpi=100)
    plt.close(fig)
    fig, axes = plt.subplots(1, 3, figsize=(16, 3.6), layout="constrained", sharey=True)
    for ax, (label, model) in zip(axes, fits.items()):
        plotting.plot_weights(model, ax=ax, order=orders[label])
    fig.savefig(OUT / "weights.png", dpi=100)
    plt.close(fig)
    print(f"\nfigures in {OUT}")


if __name__ == "__main__":
    main()
