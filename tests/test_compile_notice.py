"""The one-line notice before the kernels' first compile."""

import os
import subprocess
import sys

import numpy as np

from bayesgmm import GaussianMixture
from bayesgmm.kernels import cache


def test_an_empty_numba_cache_is_cold_and_this_ones_is_not(tmp_path):
    GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(50, 2)))
    assert not cache.cache_is_cold()  # the kernels just ran: their cache is written
    # a fresh process with an empty cache directory only looks, it compiles nothing
    code = "from bayesgmm.kernels import cache; print(cache.cache_is_cold())"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "True"
    assert run.stderr == ""  # importing prints nothing; only a kernel call would
    assert len(cache.kernel_dispatchers()) > 10


def test_a_fit_on_a_cold_cache_prints_the_notice_once_before_its_kernels(monkeypatch, capsys):
    monkeypatch.setattr(cache, "_announced", False)
    monkeypatch.setattr(cache, "cache_is_cold", lambda: True)
    X = np.random.default_rng(1).normal(size=(60, 2))
    GaussianMixture(2, random_state=0).fit(X)
    GaussianMixture(3, init_params="random", random_state=0).fit(X).predict(X)
    assert capsys.readouterr().err.splitlines() == [cache.NOTICE]


def test_a_warm_cache_prints_nothing(monkeypatch, capsys):
    monkeypatch.setattr(cache, "_announced", False)
    GaussianMixture(2, random_state=0).fit(np.random.default_rng(2).normal(size=(60, 2)))
    assert capsys.readouterr().err == ""


SMALL_FIT = """
import numpy as np
from bayesgmm import GaussianMixture
from bayesgmm.kernels.forms import FULL
X = np.random.default_rng(3).normal(size=(300, 2))
GaussianMixture(2, random_state=0).fit(X).predict(X)
print(len(FULL.estep_stats.serial.signatures), len(FULL.estep_stats.parallel.signatures),
      len(FULL.log_rho.serial.signatures), len(FULL.log_rho.parallel.signatures))
"""


def test_small_fits_never_load_or_compile_the_parallel_kernels():
    # the parallel entries are separate functions so that small passes, which always run
    # serially, never pay for their compile (the demo's compiling: 32 s with it, 25 s without)
    run = subprocess.run(
        [sys.executable, "-c", SMALL_FIT], capture_output=True, text=True, check=True
    )
    serial, parallel, serial_rho, parallel_rho = map(int, run.stdout.split())
    assert serial >= 1 and serial_rho >= 1
    assert parallel == parallel_rho == 0
