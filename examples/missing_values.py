"""Clustering data with missing values: marginalising them against dropping rows or mean imputation.

A mixture of three correlated Gaussians in four dimensions (600 rows); a
share of the values is deleted completely at random.  Three ways to fit a
3-component full-covariance mixture:

* ``missing="marginalize"``: every row is used through the marginal density
  of its observed values; the M-step uses the conditional expectations of the
  missing ones (Ghahramani & Jordan 1994);
* complete rows only: every row that lost a value is dropped (with 20% of
  the values missing, about 59% of the rows go);
* mean imputation: each missing value is replaced by its feature's mean,
  which pulls rows towards the centre and shrinks the covariances.

For each, the Frobenius error of the means and of the covariances against
the truth (components matched), the share of all 600 rows given their true
component (the two models fitted without NaN label the mean-filled rows), and for the missing values themselves the root-mean-square error
of ``impute`` (the conditional mean under the fitted mixture) against that of
the feature means.  Figures: the three fits' 95% ellipses on two features
with 20% missing, and the errors as the missing share grows from 10% to 40%.

Run: python examples/missing_values.py
Figures go to $BAYESGMM_EXAMPLES_OUT/missing_values (default ./bayesgmm-examples).
"""

import itertools
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from bayesgmm import GaussianMixture

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "missing_values"
MEANS = np.array([[0.0, 0, 0, 0], [4, 4, 0, 2], [0, 4, 4, -2]])
FRACTIONS = (0.1, 0.2, 0.3, 0.4)
METHODS = ("marginalize", "complete rows", "mean imputation")
COLORS = {"marginalize": "C0", "complete rows": "C1", "mean imputation": "C3", "truth": "k"}


def mixture(seed: int, n_samples: int = 600):
    rng = np.random.default_rng(seed)
    covariances = []
    for _ in range(3):
        A = rng.normal(size=(4, 4))
        covariances.append(A @ A.T / 4 + 0.5 * np.eye(4))
    labels = rng.choice(3, n_samples, p=[0.3, 0.3, 0.4])
    X = np.stack([rng.multivariate_normal(MEANS[k], covariances[k]) for k in labels])
    return X, labels, np.array(covariances)


def delete_at_random(X, fraction: float, seed: int):
    holes = X.copy()
    holes[np.random.default_rng(seed).random(X.shape) < fraction] = np.nan
    return holes


def fit_three_ways(holes):
    settings = dict(n_components=3, random_state=0, n_init=3, tol=1e-5, max_iter=500)
    complete = ~np.isnan(holes).any(axis=1)
    filled = np.where(np.isnan(holes), np.nanmean(holes, axis=0), holes)
    return {
        "marginalize": GaussianMixture(missing="marginalize", **settings).fit(holes),
        "complete rows": GaussianMixture(**settings).fit(holes[complete]),
        "mean imputation": GaussianMixture(**settings).fit(filled),
    }


def matched(gm, covariances):
    """The permutation of the fitted components closest to the true ones, and the errors."""
    return min(
        (
            np.linalg.norm(gm.means_[list(order)] - MEANS)
            + np.linalg.norm(gm.covariances_[list(order)] - covariances),
            order,
            np.linalg.norm(gm.means_[list(order)] - MEANS),
            np.linalg.norm(gm.covariances_[list(order)] - covariances),
        )
        for order in itertools.permutations(range(3))
    )[1:]


def labels_of(name, gm, holes):
    # a model fitted without missing values predicts the mean-filled rows
    rows = (
        holes if name == "marginalize" else np.where(np.isnan(holes), np.nanmean(holes, 0), holes)
    )
    return gm.predict(rows)


def ellipse(ax, mean, cov, color, style):
    values, vectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
    width, height = 2 * np.sqrt(5.991 * values[::-1])  # 95% of a 2-D Gaussian
    ax.add_patch(
        Ellipse(mean, width, height, angle=angle, fill=False, color=color, ls=style, lw=1.6)
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    X, labels, covariances = mixture(seed=0)
    table = {}
    for fraction in FRACTIONS:
        holes = delete_at_random(X, fraction, seed=1)
        fits = fit_three_ways(holes)
        for name, gm in fits.items():
            order, mean_error, cov_error = matched(gm, covariances)
            relabel = np.argsort(order)  # fitted component -> true component
            accuracy = float(np.mean(relabel[labels_of(name, gm, holes)] == labels))
            table[fraction, name] = (mean_error, cov_error, accuracy)
        missing = np.isnan(holes)
        rmse_model = np.sqrt(
            np.mean((fits["marginalize"].impute(holes)[missing] - X[missing]) ** 2)
        )
        filled = np.where(missing, np.nanmean(holes, axis=0), holes)
        rmse_mean = np.sqrt(np.mean((filled[missing] - X[missing]) ** 2))
        complete_share = float(np.mean(~missing.any(axis=1)))
        print(
            f"{fraction:.0%} of the values missing ({complete_share:.0%} of the rows complete); "
            f"RMSE of the missing values: impute {rmse_model:.3f}, feature means {rmse_mean:.3f}"
        )
        for name in METHODS:
            mean_error, cov_error, accuracy = table[fraction, name]
            print(
                f"  {name:16s} means error {mean_error:.3f}  covariances error {cov_error:.3f}  "
                f"rows labelled right {accuracy:.1%}"
            )
        if fraction == 0.2:
            shown, shown_holes = fits, holes

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.3), sharex=True, sharey=True)
    complete = ~np.isnan(shown_holes[:, :2]).any(axis=1)
    for ax, name in zip(axes, METHODS):
        ax.scatter(*X[complete, :2].T, s=5, c="0.7", linewidths=0)
        for k in range(3):
            ellipse(ax, MEANS[k, :2], covariances[k][:2, :2], COLORS["truth"], "--")
        gm = shown[name]
        for k in range(3):
            ellipse(ax, gm.means_[k, :2], gm.covariances_[k][:2, :2], COLORS[name], "-")
        mean_error, cov_error, _ = table[0.2, name]
        ax.set_title(f"{name}\nmeans error {mean_error:.2f}, covariances {cov_error:.2f}")
        ax.set_xlabel("x0")
    axes[0].set_ylabel("x1")
    fig.suptitle(
        "20% of the values missing at random: fitted (solid) and true (dashed) 95% ellipses"
    )
    fig.tight_layout()
    fig.savefig(OUT / "ellipses.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for column, (ax, what) in enumerate(zip(axes, ("means", "covariances"))):
        for name in METHODS:
            ax.plot(
                [100 * f for f in FRACTIONS],
                [table[f, name][column] for f in FRACTIONS],
                "o-",
                color=COLORS[name],
                label=name,
            )
        ax.set_xlabel("values missing (%)")
        ax.set_ylabel(f"Frobenius error of the {what}")
        ax.set_ylim(bottom=0)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(OUT / "errors.png", dpi=110)
    plt.close(fig)
    print(f"figures in {OUT}")


if __name__ == "__main__":
    main()
