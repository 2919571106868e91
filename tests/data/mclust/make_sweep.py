"""Write sweep_1000x6.csv: 1000 draws in 6-D from a fixed 4-component Gaussian mixture.

The components have different covariance shapes (spherical, diagonal, two full ones of
different volume and orientation), so mclust's BIC sweep over its 14 models has a real choice
to make. The CSV (6 decimals) is the artefact the R reference and the tests read; this script
only documents how it was made:

    PYTHONPATH=. python tests/data/mclust/make_sweep.py
"""

from pathlib import Path

import numpy as np

SEED = 20240611
N, D = 1000, 6


def _rotation(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def main() -> None:
    rng = np.random.default_rng(SEED)
    weights = np.array([0.35, 0.25, 0.25, 0.15])
    means = np.array(
        [
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [5.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 6.0, 0.0, 1.0, 0.0, 0.0],
            [-5.0, -4.0, 3.0, 0.0, 1.0, 0.0],
        ]
    )
    covs = [
        0.5**2 * np.eye(D),  # spherical
        np.diag([4.0, 1.0, 0.25, 1.0, 2.0, 0.5]),  # diagonal, axis-aligned
    ]
    for scale in ([3.0, 1.0, 0.5, 0.3, 0.2, 0.1], [6.0, 2.0, 2.0, 1.0, 0.5, 0.5]):
        rot = _rotation(rng, D)
        covs.append(rot @ np.diag(scale) @ rot.T)  # full, two orientations and volumes
    labels = np.sort(rng.choice(len(weights), size=N, p=weights))
    x = np.empty((N, D))
    for k in range(len(weights)):
        rows = labels == k
        x[rows] = rng.multivariate_normal(means[k], covs[k], size=int(rows.sum()))
    out = Path(__file__).with_name("sweep_1000x6.csv")
    header = ",".join(f"x{j + 1}" for j in range(D))
    np.savetxt(out, x, fmt="%.6f", delimiter=",", header=header, comments="")


if __name__ == "__main__":
    main()
