import re

import numpy as np
import pytest

from bayesgmm.datasets import load_faithful
from bayesgmm.engines import ENGINES, ITERATE_ASCENT

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
# The engines that iterate to an optimum (EM, MAP, VB), in registry order.  The tests of a
# deterministic fit (invariants, restarts, mini-batches, Dask, scikit-learn's checks, sweeps)
# run over these; the Gibbs sampler's fits are chains of random draws, tested in test_gibbs.py.
ASCENT_ENGINES = [name for name, engine in ENGINES.items() if engine.iteration == ITERATE_ASCENT]

# The suite must pass on a 2-core machine with both cores taken by other processes, where
# starting a process that imports NumPy, Numba and Dask takes several times as long as on a
# quiet one: waits for worker processes are this many times Dask's defaults (connections 30 s,
# a restart 120 s), and the other waits are sized likewise.
LOADED_MACHINE_FACTOR = 4
DASK_TIMEOUTS = {
    "distributed.comm.timeouts.connect": f"{30 * LOADED_MACHINE_FACTOR}s",
    "distributed.comm.timeouts.tcp": f"{30 * LOADED_MACHINE_FACTOR}s",
}
WORKER_WAIT = 60 * LOADED_MACHINE_FACTOR  # seconds for a killed worker to be back


def dask_timeouts_environment() -> dict[str, str]:
    """:data:`DASK_TIMEOUTS` as environment variables, for a script run as a subprocess."""
    return {
        "DASK_" + key.upper().replace(".", "__").replace("-", "_"): value
        for key, value in DASK_TIMEOUTS.items()
    }


_TIMING = re.compile(r"\b\d+(?:\.\d+)? s\b")


def mask_timings(text: str) -> str:
    """``text`` with every wall-clock time ("fitted in 0.1 s") replaced by "<t> s".

    Timings differ from run to run, and a loaded machine makes "0.0 s" "0.1 s": compare
    outputs that print them only through this.
    """
    return _TIMING.sub("<t> s", text)


def make_mixture(n_samples=600, n_features=5, n_components=3, separation=4.0, seed=0):
    """Rows from a random Gaussian mixture with correlated components."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=separation, size=(n_components, n_features))
    sizes = rng.multinomial(n_samples, np.full(n_components, 1 / n_components))
    blocks = []
    for center, size in zip(centers, sizes):
        A = rng.normal(size=(n_features, n_features))
        cov = A @ A.T / n_features + 0.1 * np.eye(n_features)
        blocks.append(rng.multivariate_normal(center, cov, size=size))
    return rng.permutation(np.vstack(blocks))


@pytest.fixture(scope="session")
def faithful():
    return load_faithful().values


@pytest.fixture(scope="session")
def mixture5d():
    return make_mixture()
