"""The environment of Dask workers that run bayesgmm's kernels.

Decisions
---------
* **One Numba thread per task.** Dask already runs one task per worker thread,
  so each task runs the kernel single-threaded (a thread-local Numba setting,
  restored afterwards): 2 workers x 2 threads never means 8 busy threads on 4
  cores.  Importing :mod:`bayesgmm.data.distributed` also adds
  ``NUMBA_NUM_THREADS=1`` to the default ``distributed.nanny.environ``, so
  worker processes started afterwards do not create idle thread pools; a
  user's own setting wins.
  Not ``pre-spawn-environ``: a ``LocalCluster``'s nannies run in the client's
  process and write that setting into its ``os.environ``, and Numba, which
  re-reads its environment at every compilation, then refuses to compile
  anything in the client ("Cannot set NUMBA_NUM_THREADS to a different value
  once the threads have been launched").  ``environ`` is applied inside the
  worker process before it imports Numba, which is all that is needed.
* **Persist what fits.** :func:`_fits_in_worker_memory` tells whether the rows
  take at most :data:`PERSIST_MEMORY_FRACTION` of the workers' memory.
"""

from __future__ import annotations

from collections.abc import Callable

import numba

PERSIST_MEMORY_FRACTION = 0.5
"""Persist the rows when they take at most this fraction of the workers' memory."""


def _set_worker_defaults() -> None:
    import dask

    dask.config.update_defaults({"distributed": {"nanny": {"environ": {"NUMBA_NUM_THREADS": 1}}}})


def _apply_pending_numba_environment() -> None:
    """Let Numba read ``NUMBA_NUM_THREADS`` again while its thread pool has not started.

    A spawned worker re-imports the user's script, and with it bayesgmm and Numba,
    before the nanny applies ``distributed.nanny.environ``; Numba then still holds
    the machine's thread count.  Starting the pool with that count and compiling
    afterwards (a cold cache, a new array type) makes Numba re-read the changed
    environment and refuse ("Cannot set NUMBA_NUM_THREADS to a different value
    once the threads have been launched").  Re-reading it before the pool starts
    makes the worker's setting take effect instead.  (Numba's private
    ``_is_initialized`` and ``NUM_THREADS``: there is no public way to do this.)
    """
    from numba.np.ufunc import parallel

    if not parallel._is_initialized:
        numba.core.config.reload_config()
        # the pool's size was read when Numba was imported: read it again too
        parallel.NUM_THREADS = parallel.get_thread_count()


def _single_numba_thread(function: Callable, *args, **kwargs):
    """Run ``function`` with one Numba thread in this thread (Dask gives the parallelism)."""
    _apply_pending_numba_environment()
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return function(*args, **kwargs)
    finally:
        numba.set_num_threads(previous)


def _fits_in_worker_memory(nbytes: float) -> bool:
    """Whether ``nbytes`` is at most half the memory the active scheduler's workers have."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        client = None
    if client is not None:
        try:
            info = client.scheduler_info(n_workers=-1)  # newer distributed lists only 5 by default
        except TypeError:
            info = client.scheduler_info()
        workers = info["workers"].values()
        limits = [worker.get("memory_limit") or 0 for worker in workers]
        if limits and all(limits):
            return nbytes <= PERSIST_MEMORY_FRACTION * sum(limits)
    try:
        import psutil

        available = psutil.virtual_memory().available
    except ImportError:
        import os

        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return nbytes <= PERSIST_MEMORY_FRACTION * available
