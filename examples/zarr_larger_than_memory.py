"""Fit a Gaussian mixture to more data than the cluster can hold: float32 rows in Zarr, read chunk by chunk.

The script writes BAYESGMM_ZARR_GB gigabytes (default 4) of float32 rows drawn
from a known 4-component mixture in 8 dimensions to a Zarr store, starts a
LocalCluster of 2 worker processes with a 1 GB memory limit each (2 GB in all,
half the data), fits the mixture and reports the time, the peak memory of the
workers and of this (client) process, and how close the fit came to the truth.

Each iteration re-reads the store: the data never fit in the workers' memory, so
bayesgmm does not persist them, and only the statistics (a few hundred numbers
per chunk) travel to the client.

Figure: the first 20 000 rows of the store on two of the eight features,
coloured by the fitted responsibilities, with the fitted components' ellipses
and the true means marked.

Run: python examples/zarr_larger_than_memory.py            (4 GB; a few minutes)
     BAYESGMM_ZARR_GB=0.5 python examples/zarr_larger_than_memory.py   (under a minute)
The store goes to a temporary folder (BAYESGMM_ZARR_DIR chooses another) and is
deleted at the end.  The figure goes to $BAYESGMM_EXAMPLES_OUT/zarr_larger_than_memory
(default ./bayesgmm-examples).
"""

import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

OUT = Path(os.environ.get("BAYESGMM_EXAMPLES_OUT", "bayesgmm-examples")) / "zarr_larger_than_memory"

N_COMPONENTS, N_FEATURES = 4, 8
CHUNK_ROWS = 2_000_000  # 64 MB of float32 per chunk
WORKER_MEMORY = "1GB"
# A miniature run (the test suite's, 5 MB) keeps its workers: its memory figures are the
# workers' own imports either way, and a restart is the slowest step on a loaded machine.
RESTART_ABOVE_GB = 0.1
RESTART_TIMEOUT = 600  # seconds


def true_mixture():
    """Weights, means and covariance Cholesky factors of the mixture the data come from."""
    rng = np.random.default_rng(2024)
    weights = np.array([0.4, 0.3, 0.2, 0.1])
    means = rng.normal(scale=10.0, size=(N_COMPONENTS, N_FEATURES)) + 100.0  # far from the origin
    factors = []
    for _ in range(N_COMPONENTS):
        A = rng.normal(size=(N_FEATURES, N_FEATURES))
        factors.append(np.linalg.cholesky(A @ A.T / N_FEATURES + 0.2 * np.eye(N_FEATURES)))
    return weights, means, np.stack(factors)


def draw_rows(block_info=None):
    """The rows of one chunk, from a generator seeded by the chunk's position."""
    info = block_info[None]
    (start, stop), _ = info["array-location"]
    rng = np.random.default_rng([7, info["chunk-location"][0]])
    weights, means, factors = true_mixture()
    labels = rng.choice(N_COMPONENTS, p=weights, size=stop - start)
    rows = np.empty((stop - start, N_FEATURES), dtype=np.float32)
    for k in range(N_COMPONENTS):  # one component at a time keeps the chunk's memory small
        members = np.flatnonzero(labels == k)
        rows[members] = means[k] + rng.standard_normal((members.size, N_FEATURES)) @ factors[k].T
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kB


def main() -> None:
    # Imported here, not at the top: the worker processes are spawned and re-run this file's
    # top level, and Numba imported there, before the worker's NUMBA_NUM_THREADS=1 is set,
    # refuses to compile in the worker ("Cannot set NUMBA_NUM_THREADS ... once the threads
    # have been launched").
    import matplotlib.pyplot as plt

    from bayesgmm import GaussianMixture, plotting
    from bayesgmm.data.distributed import DaskData

    gigabytes = float(os.environ.get("BAYESGMM_ZARR_GB", "4"))
    n_rows = int(gigabytes * 1e9 / (4 * N_FEATURES))
    chunk_rows = min(CHUNK_ROWS, max(1000, n_rows // 8))
    folder = tempfile.mkdtemp(prefix="bayesgmm-zarr-", dir=os.environ.get("BAYESGMM_ZARR_DIR"))
    store = os.path.join(folder, "rows.zarr")
    # One Numba thread per worker process: the cluster's parallelism is its workers.
    with dask.config.set({"distributed.nanny.environ.NUMBA_NUM_THREADS": 1}):
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=WORKER_MEMORY,
            # ":0": any free port. None does not switch the dashboard off (dask/distributed
            # issue 8136) and warns when 8787 is taken
            dashboard_address=":0",
        )
    try:
        with Client(cluster) as client:
            started = time.perf_counter()
            rows = da.map_blocks(
                draw_rows,
                chunks=(_chunks(n_rows, chunk_rows), (N_FEATURES,)),
                dtype=np.float32,
                meta=np.empty((0, 0), dtype=np.float32),
            )
            rows.to_zarr(store, compressors=None)  # random floats barely compress
            written = time.perf_counter() - started
            if gigabytes >= RESTART_ABOVE_GB:
                # fresh worker processes: their peak memory counts the fit alone. Restarting
                # takes a worker's imports again, which on a busy machine can exceed
                # distributed's default of 2 minutes
                client.restart(timeout=RESTART_TIMEOUT)

            X = da.from_zarr(store)
            print(
                f"{X.shape[0]:,} rows x {X.shape[1]} float32 features = {X.nbytes / 1e9:.2f} GB "
                f"in {X.numblocks[0]} Zarr chunks, written in {written:.1f} s"
            )
            print(f"workers: 2 processes x 1 thread, memory limit {WORKER_MEMORY} each")
            persisted = DaskData(X).persisted  # what the fit will decide: persist only if it fits
            print(
                "the rows fit in half the workers' memory: persisted once"
                if persisted
                else "the rows exceed half the workers' memory: every pass re-reads them from Zarr"
            )

            started = time.perf_counter()
            gm = GaussianMixture(N_COMPONENTS, covariance_type="full", random_state=0).fit(X)
            fitted = time.perf_counter() - started
            worker_peak = max(client.run(peak_rss_mb).values())
            passes = gm.n_iter_ + 3  # + the sample, the initial assignment and the final pass
            print(
                f"fit: {fitted:.1f} s, {gm.n_iter_} EM iterations, converged={gm.converged_}, "
                f"{passes} passes over the data ({fitted / passes:.1f} s per pass)"
            )
            print(
                f"peak memory: {worker_peak:.0f} MB per worker (max), client process "
                f"{peak_rss_mb():.0f} MB"
            )

            weights, means, _ = true_mixture()
            order = [int(np.argmin(np.linalg.norm(gm.means_ - m, axis=1))) for m in means]
            print("true weights   ", np.round(weights, 4))
            print("fitted weights ", np.round(gm.weights_[order], 4))
            print(f"largest error of a fitted mean: {np.abs(gm.means_[order] - means).max():.4f}")

            OUT.mkdir(parents=True, exist_ok=True)
            first = X[:20_000].compute()
            ax = plotting.plot_mixture(gm, first, point_size=2)
            ax.plot(means[:, 0], means[:, 1], "k+", markersize=14, mew=1.5, label="true means")
            ax.legend(fontsize="small")
            ax.set_title(f"{X.shape[0]:,} rows fitted from Zarr; the first 20 000 shown")
            ax.figure.savefig(OUT / "fit.png", dpi=110)
            plt.close(ax.figure)
            print(f"figure in {OUT}")
    finally:
        cluster.close()
        shutil.rmtree(folder, ignore_errors=True)


def _chunks(n_rows: int, chunk_rows: int) -> tuple[int, ...]:
    full, rest = divmod(n_rows, chunk_rows)
    return (chunk_rows,) * full + ((rest,) if rest else ())


if __name__ == "__main__":
    main()
