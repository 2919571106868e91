"""Customer segmentation with soft memberships, on clearly simulated customers.

No customer data ship with bayesgmm, so this example **simulates** 2 000
customers of a shop from four known segments (occasional, regular, bulk
buyers, big spenders) with overlapping spending habits: three features, the
yearly spend (log10 of euros), the visits per month and the average basket in
euros.  Because the truth is known we can check what the mixture finds.

A Gaussian mixture gives every customer a *membership* in each segment
(``predict_proba``) instead of a hard label: customers between two segments
get split memberships, which is what a marketing team needs to know before
treating them as one or the other.  K and the covariance type are chosen by
BIC over K = 1-7 (full and diag).  Figures: the customers coloured by their
blended memberships with the segments' ellipses; the distribution of each
customer's largest membership; the memberships of the 12 least certain
customers.

Run: python examples/customer_segmentation.py
Figures go to $BAYESGMM_EXAMPLES_OUT/customer_segmentation (default ./bayesgmm-examples).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import bayesgmm
from bayesgmm import plotting

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "customer_segmentation"
FEATURES = ["log10_spend", "visits_per_month", "basket_eur"]
# the simulation: share, mean and standard deviations of each segment, and one correlation
SEGMENTS = {
    "occasional": (0.35, [2.3, 0.6, 25.0], [0.25, 0.35, 10.0]),
    "regular": (0.35, [3.0, 3.5, 30.0], [0.20, 1.00, 10.0]),
    "bulk": (0.20, [3.2, 1.2, 120.0], [0.20, 0.50, 30.0]),
    "big spender": (0.10, [3.8, 5.0, 90.0], [0.20, 1.50, 30.0]),
}


def simulate(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    names = list(SEGMENTS)
    labels = rng.choice(len(names), size=n, p=[s[0] for s in SEGMENTS.values()])
    rows = np.empty((n, 3))
    for k, (_, mean, sd) in enumerate(SEGMENTS.values()):
        members = labels == k
        correlation = np.array([[1, 0.5, 0.3], [0.5, 1, 0], [0.3, 0, 1]])  # spend goes with visits
        covariance = correlation * np.outer(sd, sd)
        rows[members] = rng.multivariate_normal(mean, covariance, size=members.sum())
    rows[:, 1:] = np.abs(rows[:, 1:])  # no negative visits or baskets
    return pd.DataFrame(rows, columns=FEATURES), np.asarray(names)[labels]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    customers, truth = simulate(2000, np.random.default_rng(7))
    sweep = bayesgmm.select(
        customers,
        range(1, 8),
        ("full", "diag"),
        tol=1e-5,
        max_iter=500,
        n_init=2,
        random_state=0,
        progress=False,
    )
    model = bayesgmm.best_model(sweep, customers, "bic")
    print(
        f"{len(customers)} simulated customers; BIC chooses {model.covariance_type} "
        f"K={model.n_components}\n"
    )

    membership = model.predict_proba(customers)
    segment = membership.argmax(axis=1)
    profile = pd.DataFrame(model.means_, columns=FEATURES)
    profile.insert(0, "share", model.weights_)
    profile["typical_spend_eur"] = 10 ** profile["log10_spend"]  # a geometric mean
    print("segments found (means):")
    print(profile.round(2).to_string(), "\n")
    print("simulated segment (rows) x segment found (columns):")
    print(
        pd.crosstab(
            pd.Series(truth, name="simulated"), pd.Series(segment, name="found")
        ).to_string()
    )

    certainty = membership.max(axis=1)
    for level in (0.9, 0.6):
        print(
            f"customers whose largest membership is below {level:.0%}: "
            f"{(certainty < level).sum()} ({(certainty < level).mean():.1%})"
        )
    unsure = np.argsort(certainty)[:12]
    table = pd.DataFrame(
        membership[unsure],
        index=unsure,
        columns=[f"segment {k}" for k in range(model.n_components)],
    )
    print("\nthe five least certain customers: their features and memberships")
    print(
        pd.concat(
            [customers.iloc[unsure[:5]].round(2), table.iloc[:5].round(2)], axis=1
        ).to_string()
    )

    ax = plotting.plot_mixture(model, customers, features=("log10_spend", "visits_per_month"))
    ax.set_title("customers coloured by their blended memberships")
    ax.figure.savefig(OUT / "segments.png", dpi=110)
    plt.close(ax.figure)

    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    ax.hist(certainty, bins=np.linspace(0.25, 1, 31), color="C0", edgecolor="white")
    ax.set_xlabel("largest membership of the customer")
    ax.set_ylabel("customers")
    ax.set_yscale("log")
    ax.set_title("most customers belong clearly to one segment; some are split")
    fig.savefig(OUT / "certainty.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    colors = plotting.component_colors(model.n_components)
    left = np.zeros(len(unsure))
    for k in range(model.n_components):
        ax.barh(
            np.arange(len(unsure)),
            table.iloc[:, k],
            left=left,
            color=colors[k],
            label=f"segment {k}",
        )
        left += table.iloc[:, k].to_numpy()
    ax.set_yticks(np.arange(len(unsure)), [f"customer {i}" for i in unsure])
    ax.invert_yaxis()
    ax.set_xlabel("membership")
    ax.set_title("the 12 least certain customers")
    ax.legend(fontsize="small", loc="lower right")
    fig.savefig(OUT / "memberships.png", dpi=110)
    plt.close(fig)
    print(f"\nfigures in {OUT}")


if __name__ == "__main__":
    main()
