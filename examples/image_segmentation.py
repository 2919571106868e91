"""Colour-image segmentation: a mixture of Gaussians in RGB space.

Every pixel is a point (red, green, blue) in [0, 1]^3.  A mixture of eight
full-covariance Gaussians fitted to a random sample of 20 000 pixels finds the
image's main colours; ``predict`` then gives every pixel its most probable
component, and painting it with that component's mean colour segments the
image into eight colour regions.  ``predict_proba`` tells where a pixel lies
between two colours: the uncertainty map (1 - the largest membership) lights
up along edges and in gradients.

The picture is ``china.jpg``, a sample image that scikit-learn ships inside
its package (``sklearn.datasets.load_sample_image``; no download), so this
example needs scikit-learn (``pip install scikit-learn``).  Figures: the
image, its segmentation and the uncertainty map side by side; the palette
found with each colour's share of the pixels.

Run: python examples/image_segmentation.py
Figures go to $BAYESGMM_EXAMPLES_OUT/image_segmentation (default ./bayesgmm-examples).
"""

import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image

import bayesgmm

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "image_segmentation"
N_COLOURS = 8


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    image = load_sample_image("china.jpg").astype(np.float64) / 255
    height, width, _ = image.shape
    pixels = image.reshape(-1, 3)
    rng = np.random.default_rng(0)
    sample = pixels[rng.choice(len(pixels), size=20_000, replace=False)]

    started = time.perf_counter()
    model = bayesgmm.GaussianMixture(
        N_COLOURS, covariance_type="full", tol=1e-4, max_iter=300, random_state=0
    ).fit(sample)
    fitted = time.perf_counter() - started
    started = time.perf_counter()
    membership = model.predict_proba(pixels)
    labels = membership.argmax(axis=1)
    labelled = time.perf_counter() - started
    print(
        f"china.jpg: {height} x {width} = {len(pixels):,} pixels; {N_COLOURS} components fitted "
        f"to {len(sample):,} of them in {fitted:.1f} s ({model.n_iter_} iterations, converged "
        f"{model.converged_}); every pixel labelled in {labelled:.1f} s"
    )

    order = np.argsort(-model.weights_)
    share = np.bincount(labels, minlength=N_COLOURS) / len(labels)
    print("\npalette (mean RGB 0-255), weight and share of the pixels:")
    for k in order:
        rgb = np.round(np.clip(model.means_[k], 0, 1) * 255).astype(int)
        print(
            f"  component {k}: RGB {tuple(rgb.tolist())}  weight {model.weights_[k]:.3f}  "
            f"pixels {share[k]:.3f}"
        )
    uncertainty = 1 - membership.max(axis=1)
    print(f"\npixels whose largest membership is below 90%: {(uncertainty > 0.1).mean():.1%}")

    segmented = np.clip(model.means_[labels], 0, 1).reshape(image.shape)
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.9), layout="constrained")
    axes[0].imshow(image)
    axes[0].set_title("china.jpg")
    axes[1].imshow(segmented)
    axes[1].set_title(f"{N_COLOURS} colours: each pixel painted with its component's mean")
    shown = axes[2].imshow(uncertainty.reshape(height, width), cmap="magma", vmin=0, vmax=0.5)
    axes[2].set_title("uncertainty: 1 - largest membership")
    fig.colorbar(shown, ax=axes[2], shrink=0.8)
    for ax in axes:
        ax.set_axis_off()
    fig.savefig(OUT / "segmentation.png", dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
    ax.bar(
        np.arange(N_COLOURS),
        share[order],
        color=np.clip(model.means_[order], 0, 1),
        edgecolor="black",
        linewidth=0.5,
    )
    ax.set_xticks(np.arange(N_COLOURS), [f"{k}" for k in order])
    ax.set_xlabel("component (bars in its mean colour)")
    ax.set_ylabel("share of the pixels")
    ax.set_title("the palette the mixture found")
    fig.savefig(OUT / "palette.png", dpi=110)
    plt.close(fig)
    print(f"figures in {OUT}")


if __name__ == "__main__":
    main()
