"""Anomaly detection by a ``score_samples`` percentile, on the UCI new-thyroid data.

The usual Gaussian-mixture recipe: fit a mixture, compute each row's
log-density with ``score_samples`` and flag the rows at or below a low
percentile (here the 5th) of the *training* rows' log-density as anomalies:
``anomaly_threshold`` and ``is_anomaly``, from percentiles every fit stores.  The thyroid data (215 patients, 5 laboratory
tests) come with a diagnosis, so we can see what the flags catch:

1. Fitted to all 215 rows, the mixture gives the 65 patients with a thyroid
   disorder components of their own, and the lowest 5% of the log-density are
   the odd rows of every group, not the diseased patients.
2. Fitted to the 150 normal patients only (novelty detection), with the
   threshold at the 5th percentile of *their* log-density, the flags catch
   almost every hyper- and hypothyroid patient while flagging 5% of the
   normal ones by construction.

The model of each recipe is chosen by BIC over K = 1-4 and all four
covariance types.  Figures: the log-density of every patient by diagnosis with
the threshold, and two of the tests with the flagged patients circled.

Run: python examples/anomaly_detection.py
Figures go to $BAYESGMM_EXAMPLES_OUT/anomaly_detection (default ./bayesgmm-examples).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import bayesgmm
from bayesgmm.datasets import load_thyroid

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "anomaly_detection"
PERCENTILE = 5
GROUPS = ("Normal", "Hyper", "Hypo")


def fit_by_bic(X):
    sweep = bayesgmm.select(
        X, range(1, 5), tol=1e-5, max_iter=500, n_init=3, random_state=0, progress=False
    )
    return bayesgmm.best_model(sweep, X, "bic")


def flag_table(flagged, diagnosis) -> pd.DataFrame:
    rows = {g: (int(flagged[diagnosis == g].sum()), int((diagnosis == g).sum())) for g in GROUPS}
    return pd.DataFrame(rows, index=["flagged", "patients"]).T


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    X = load_thyroid()
    diagnosis = X.Diagnosis.values

    everyone = fit_by_bic(X)
    flagged_all = everyone.is_anomaly(X, PERCENTILE)  # at or below its training percentile
    print(
        f"1. model of all {len(X)} patients (BIC): {everyone.engine} {everyone.covariance_type} "
        f"K={everyone.n_components}; lowest {PERCENTILE}% of its log-density flagged:"
    )
    print(flag_table(flagged_all, diagnosis).to_string(), "\n")

    normal = X[diagnosis == "Normal"]
    novelty = fit_by_bic(normal)
    # the threshold comes from the rows the model was fitted to, and is saved with it
    threshold = novelty.anomaly_threshold(PERCENTILE)
    log_density = novelty.score_samples(X)
    flagged = novelty.is_anomaly(X, PERCENTILE)
    print(
        f"2. model of the {len(normal)} normal patients (BIC): {novelty.engine} "
        f"{novelty.covariance_type} K={novelty.n_components}; threshold = {PERCENTILE}th percentile "
        f"of their log-density = {threshold:.3f}"
    )
    print(flag_table(flagged, diagnosis).to_string())
    sick = diagnosis != "Normal"
    print(
        f"   caught {flagged[sick].sum()} of {sick.sum()} patients with a thyroid disorder "
        f"({flagged[sick].mean():.0%}); {flagged[~sick].sum()} of {(~sick).sum()} normal "
        "patients flagged"
    )

    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    bins = np.linspace(max(log_density.min(), threshold - 40), log_density.max(), 40)
    for group, color in zip(GROUPS, ("C0", "C3", "C2")):
        ax.hist(
            np.clip(log_density[diagnosis == group], bins[0], None),
            bins=bins,
            alpha=0.6,
            color=color,
            label=f"{group} ({(diagnosis == group).sum()})",
        )
    ax.axvline(
        threshold,
        color="black",
        linestyle="--",
        label=f"{PERCENTILE}th percentile of the normal patients",
    )
    ax.set_xlabel("log-density under the model of normal patients (clipped at the left)")
    ax.set_ylabel("patients")
    ax.set_title("thyroid: rows left of the line are flagged")
    ax.legend(fontsize="small")
    fig.savefig(OUT / "log_density.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    t3, tsh = X.sel(feature="T3").values, X.sel(feature="TSH").values
    for group, color in zip(GROUPS, ("C0", "C3", "C2")):
        ax.scatter(t3[diagnosis == group], tsh[diagnosis == group], s=14, color=color, label=group)
    ax.scatter(
        t3[flagged],
        tsh[flagged],
        s=90,
        facecolors="none",
        edgecolors="black",
        label="flagged (recipe 2)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("T3 (log scale)")
    ax.set_ylabel("TSH (log scale)")
    ax.set_title("two of the five tests; the flags use all five")
    ax.legend(fontsize="small")
    fig.savefig(OUT / "flagged.png", dpi=110)
    plt.close(fig)
    print(f"figures in {OUT}")


if __name__ == "__main__":
    main()
