"""Outliers absorbed by mclust's noise component (``noise=True``).

Three clusters of 150, 120 and 100 points, and 60 points scattered uniformly
over a box 1.5 times wider than the clusters span (the recipe of
``tests/data/mclust_noise/simulate.R``, whose data the tests fit with mclust
too).  Two fits with three full-covariance components:

1. Without a noise component every point must belong to a Gaussian: the
   scattered points stretch the clusters' covariances towards them.
2. With ``noise=True`` a uniform density ``1 / V`` over the data's region
   (``V`` as mclust's ``hypvol``) takes them: ``predict`` labels them -1, their
   probability is ``predict_proba``'s last column, and the clusters keep their
   shapes.  The start is mclust's documented practice, the points whose 5th
   nearest neighbour is far (Byers & Raftery 1998).

Printed: how many of the 60 noise points each fit sets apart (for the fit
without noise: the lowest 60 log-densities), and the clusters' covariance
determinants next to those of the true clusters' points.  Figure: the two fits
side by side, points coloured by label, noise labels in grey, each cluster's
95% ellipse.

Run: python examples/noise_component.py
Figures go to $BAYESGMM_EXAMPLES_OUT/noise_component (default ./bayesgmm-examples).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

import bayesgmm

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "noise_component"


def rotated(angle: float, variances) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    return rotation @ np.diag(variances) @ rotation.T


def simulate(rng) -> tuple[np.ndarray, np.ndarray]:
    """Points and labels (0: noise, 1-3: the cluster)."""
    means = [(0, 0), (6, 1), (2, 6)]
    covariances = [rotated(0.5, (2, 0.3)), rotated(-0.8, (1.2, 0.4)), np.diag((0.5, 0.5))]
    sizes = (150, 120, 100)
    clusters = np.vstack(
        [rng.multivariate_normal(m, c, size=n) for m, c, n in zip(means, covariances, sizes)]
    )
    low, high = clusters.min(axis=0), clusters.max(axis=0)
    centre, half = (low + high) / 2, 0.75 * (high - low)
    noise = rng.uniform(centre - half, centre + half, size=(60, 2))
    return np.vstack([clusters, noise]), np.repeat([1, 2, 3, 0], [*sizes, 60])


def ellipse(ax, mean, covariance, color) -> None:
    values, vectors = np.linalg.eigh(covariance)
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
    width, height = 2 * np.sqrt(5.991 * values[::-1])  # the chi-square(2) 95% quantile
    ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=color, linewidth=2))


def draw(ax, X, model, labels, title) -> None:
    colours = plt.get_cmap("tab10")
    noise = labels == -1
    if noise.any():
        ax.scatter(*X[noise].T, s=12, color="0.6", label="noise (label -1)")
    for k in range(model.n_components):
        ax.scatter(*X[labels == k].T, s=12, color=colours(k), label=f"component {k}")
        ellipse(ax, model.means_[k], model.covariances_[k], colours(k))
    ax.set_title(title)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(loc="upper left", fontsize=8)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    X, truth = simulate(np.random.default_rng(17))
    is_noise = truth == 0
    plain = bayesgmm.GaussianMixture(3, n_init=3, random_state=0).fit(X)
    noisy = bayesgmm.GaussianMixture(3, noise=True, random_state=0).fit(X)

    lowest = np.argsort(plain.score_samples(X))[: is_noise.sum()]
    caught_plain = is_noise[lowest].sum()
    labels = noisy.predict(X)
    caught = (labels == -1) & is_noise
    print(
        f"{is_noise.sum()} noise points among {len(X)}.  Without a noise component, the "
        f"{is_noise.sum()} lowest log-densities hold {caught_plain} of them and "
        f"{is_noise.sum() - caught_plain} cluster points."
    )
    print(
        f"With noise=True (weight {noisy.noise_weight_:.3f}, volume "
        f"{np.exp(noisy.noise_log_volume_):.1f}): {caught.sum()} of them labelled -1, and "
        f"{((labels == -1) & ~is_noise).sum()} cluster points; "
        f"log-likelihood {noisy.result_.log_likelihood:.2f} against {plain.result_.log_likelihood:.2f}, "
        f"BIC {noisy.bic(X):.1f} against {plain.bic(X):.1f} (lower is better)."
    )
    true_dets = sorted(np.linalg.det(np.cov(X[truth == k].T)) for k in (1, 2, 3))
    for name, model in (("without noise", plain), ("with noise", noisy)):
        dets = sorted(np.linalg.det(c) for c in model.covariances_)
        print(f"covariance determinants {name}: " + ", ".join(f"{d:.3f}" for d in dets))
    print("of the true clusters' points:     " + ", ".join(f"{d:.3f}" for d in true_dets))

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), sharex=True, sharey=True)
    draw(axes[0], X, plain, plain.predict(X), "3 Gaussians, no noise component")
    draw(axes[1], X, noisy, labels, "3 Gaussians + noise component (noise=True)")
    fig.tight_layout()
    path = OUT / "noise_component.png"
    fig.savefig(path, dpi=110)
    print(f"figure in {path}")


if __name__ == "__main__":
    main()
