"""Choosing K and the covariance type of Old Faithful by BIC, with the curve.

``bayesgmm.select`` fits every covariance type with K = 1-6 components (EM,
``tol=1e-5`` and two initialisations each: criteria compare models reliably
only when the fits have converged tightly) and returns the criteria as an
xarray Dataset; ``best_model`` refits the winner.  BIC picks three components
with one shared (tied) covariance, as R's mclust picks EEE,3; ICL, which also
charges for overlapping components, picks two.  The numbers are those of
``docs/model-selection.md``.

Figures: BIC and ICL against K, one line per covariance type, each winner
circled; the BIC winner's three components on the data.

Run: python examples/old_faithful_bic.py
Figures go to $BAYESGMM_EXAMPLES_OUT/old_faithful_bic (default ./bayesgmm-examples).
"""

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt

import bayesgmm
from bayesgmm import plotting
from bayesgmm.datasets import load_faithful
from bayesgmm.model_selection import best

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "old_faithful_bic"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    X = load_faithful()
    with warnings.catch_warnings():  # counted below instead
        warnings.simplefilter("ignore", bayesgmm.ConvergenceWarning)
        sweep = bayesgmm.select(X, range(1, 7), tol=1e-5, n_init=2, random_state=0, progress=False)
    print(
        f"{int(sweep.converged.sum())} of {sweep.converged.size} fits converged within "
        f"max_iter={sweep.attrs['max_iter']} (the others stopped there; see 'converged')\n"
    )
    print("BIC in mclust's sign (higher is better), EM:")
    print((-sweep.bic.sel(engine="em")).to_pandas().T.round(3).to_string())
    print()
    for criterion in ("bic", "icl", "aic"):
        winner = best(sweep, criterion)
        print(
            f"best by {criterion.upper()}: {winner['covariance_type']} K={winner['n_components']} "
            f"({criterion.upper()} {winner['value']:.3f}, lower is better)"
        )
    model = bayesgmm.best_model(sweep, X, "bic")
    print()
    print(model.result_.summary())

    axes = plotting.plot_criteria(sweep, ["bic", "icl"])
    axes[0].figure.savefig(OUT / "bic_curve.png", dpi=110)
    plt.close(axes[0].figure)
    ax = plotting.plot_mixture(model, X)
    ax.figure.savefig(OUT / "bic_winner.png", dpi=110)
    plt.close(ax.figure)
    print(f"figures in {OUT}")


if __name__ == "__main__":
    main()
