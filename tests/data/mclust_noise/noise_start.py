"""The noise start both mclust and bayesgmm fit from: our nearest-neighbour guess.

prabclus's NNclean (mclust's documented start) is not installed here, so mclust
starts from the mask bayesgmm computes by the same rule (Byers & Raftery 1998,
k = 5), written to <name>_start.csv; see simulate.R for the order of the steps.
"""

from pathlib import Path

import numpy as np

from bayesgmm.data.noise import nearest_neighbour_noise

HERE = Path(__file__).parent

for name in ("full2d", "tied3d", "spherical2d"):
    table = np.loadtxt(HERE / f"{name}.csv", delimiter=",", skiprows=1)
    mask = nearest_neighbour_noise(table[:, :-1])
    np.savetxt(HERE / f"{name}_start.csv", mask.astype(int), fmt="%d", header="noise", comments="")
