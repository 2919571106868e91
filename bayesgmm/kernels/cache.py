"""A one-line notice on stderr before the kernels are first compiled.

The kernels are compiled with ``cache=True``: the first process to call them
(in a fresh clone, or after ``NUMBA_CACHE_DIR`` points somewhere new) spends
20-60 s compiling (bench/README.md, "First compile"), and every later one
loads them from Numba's cache at once.  Without a word, that first fit looks
hung.  :func:`announce_first_compile` prints one line, once per process, when
no kernel has a fresh cache index yet; callers run it before their first
kernel call.

A cache that only some kernels have (another covariance family or dtype
used before, or one kernel file edited since) prints nothing: what is left to
compile then takes seconds, not a minute, and a rule that printed until every
kernel were cached would repeat the line in every run of a user who never
fits, say, float32 data.
"""

import sys

from numba.core.registry import CPUDispatcher

NOTICE = "bayesgmm: compiling kernels once (about 20-60 s); later runs start at once"

_announced = False


def kernel_dispatchers() -> list:
    """Every cached Numba function of the kernel modules."""
    from . import (
        blocks,
        estep,
        estep32,
        hierarchical,
        kmeans,
        linalg,
        logprob,
        orientation,
        vecmath,
        vecmath32,
    )

    found = []
    modules = (
        estep,
        estep32,
        logprob,
        kmeans,
        hierarchical,
        linalg,
        orientation,
        blocks,
        vecmath,
        vecmath32,
    )
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, CPUDispatcher)
                and value.__module__ == module.__name__  # not one imported from another module
                and getattr(value, "_cache", None) is not None
            ):
                found.append(value)
    return found


def _has_fresh_index(dispatcher) -> bool:
    """Whether Numba's cache holds an index for ``dispatcher`` matching its source file."""
    # Numba's own reader: it returns {} for a missing index, one written by
    # another Numba version, or one whose source file has changed since.
    return bool(dispatcher._cache._cache_file._load_index())


def cache_is_cold() -> bool:
    """True when no kernel has a fresh entry in Numba's cache (so all of them will compile).

    Found from Numba's cache index files (``bayesgmm/kernels/__pycache__/*.nbi``,
    or under ``NUMBA_CACHE_DIR``), through Numba internals; if those change
    shape, the cache is reported warm, so that no notice is printed wrongly.
    """
    try:
        return not any(_has_fresh_index(d) for d in kernel_dispatchers())
    except Exception:
        return False


def announce_first_compile() -> None:
    """Print :data:`NOTICE` to stderr if the kernel cache is cold; once per process."""
    global _announced
    if _announced:
        return
    _announced = True
    if cache_is_cold():
        print(NOTICE, file=sys.stderr, flush=True)
