"""Dask fits: the same numbers as in memory, on the threaded scheduler and on a LocalCluster.

Tests on the threaded scheduler come first; one LocalCluster (2 worker processes,
1 thread each) is shared by the tests after them.
"""

import os
import signal
import subprocess
import sys

import dask
import dask.array as da
import numba
import numpy as np
import pytest
import xarray as xr
from conftest import (
    ASCENT_ENGINES,
    COVARIANCE_TYPES,
    DASK_TIMEOUTS,
    LOADED_MACHINE_FACTOR,
    WORKER_WAIT,
    dask_timeouts_environment,
    make_mixture,
)
from distributed import Client, LocalCluster

from bayesgmm import GaussianMixture, ModelSpec, fitting
from bayesgmm.data.distributed import DaskData
from bayesgmm.data.moments import data_moments
from bayesgmm.kernels.forms import KERNEL_FORMS
from bayesgmm.stats import GaussianTerms

pytestmark = pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")  # tol=0 runs

UNEVEN = (700, 1000, 13, 1287)  # rows per chunk, one chunk far smaller than the others
FITTED = ("weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_")


@pytest.fixture(scope="module")
def data():
    return make_mixture(sum(UNEVEN), 3, 3, seed=1) + 1e3  # offset: precision matters


def start(X, covariance_type, K=3):
    init = GaussianMixture(K, covariance_type=covariance_type, max_iter=0, random_state=0).fit(X)
    return dict(
        weights_init=init.weights_, means_init=init.means_, precisions_init=init.precisions_
    )


def assert_same_fit(a, b, rtol=1e-10):
    for name in FITTED:
        expected = np.asarray(getattr(b, name))
        np.testing.assert_allclose(
            getattr(a, name), expected, rtol=rtol, atol=rtol * np.abs(expected).max(), err_msg=name
        )
    assert a.result_.log_likelihood == pytest.approx(b.result_.log_likelihood, rel=rtol)


def threaded():
    return dask.config.set(scheduler="threads")


# ------------------------------------------------------------ threaded scheduler
def test_importing_bayesgmm_does_not_import_dask():
    code = "import sys, bayesgmm; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threaded_fit_equals_in_memory_fit(data, dtype):
    X = data.astype(dtype)
    settings = dict(tol=0, max_iter=10, **start(X, "full"))
    with threaded():
        on_dask = GaussianMixture(3, **settings).fit(da.from_array(X, chunks=(UNEVEN, 3)))
    # float32 chunks are computed in float32: other chunk boundaries, other float32
    # tile sums (measured 3e-8 apart); float64 ones give the in-memory bits to 1e-10
    assert_same_fit(
        on_dask, GaussianMixture(3, **settings).fit(X), rtol=1e-10 if dtype == np.float64 else 1e-6
    )


def test_dask_backed_dataarray_keeps_feature_names_and_chunks_columns(data):
    array = xr.DataArray(
        da.from_array(data, chunks=(500, 2)),
        dims=("row", "feature"),
        coords={"feature": ["a", "b", "c"]},
    )
    with threaded():
        gm = GaussianMixture(3, random_state=0).fit(array)
        labels = gm.predict(array)
    assert list(gm.feature_names_in_) == ["a", "b", "c"]
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), gm.predict(data))


def test_float32_dask_predictions_are_float32_as_in_memory(data):
    """float32 rows give float32 probabilities and log-densities, lazily too (scikit-learn's
    dtypes, issue 13); labels stay integers."""
    X = data.astype(np.float32)
    with threaded():
        gm = GaussianMixture(3, random_state=0).fit(X)
        lazy = da.from_array(X, chunks=(UNEVEN, 3))
        proba, density, labels = gm.predict_proba(lazy), gm.score_samples(lazy), gm.predict(lazy)
        assert proba.dtype == density.dtype == np.float32  # before compute, as declared
        np.testing.assert_array_equal(proba.compute(), gm.predict_proba(X))
        np.testing.assert_array_equal(density.compute(), gm.score_samples(X))
        assert labels.compute().dtype.kind == "i"


@pytest.mark.parametrize("init", ["kmeans", "given"])
def test_nonfinite_values_are_located_only_after_a_pass_shows_them(data, init):
    X = data.copy()
    X[1703, 1] = np.nan  # in the third chunk
    X[2500, 0] = np.inf
    settings = start(data, "full") if init == "given" else dict(random_state=0)
    gm = GaussianMixture(3, **settings)
    with (
        threaded(),
        pytest.raises(ValueError, match=r"NaN or infinite values in 2 rows \(first: 1703\)"),
    ):
        gm.fit(da.from_array(X, chunks=(UNEVEN, 3)))
    assert not hasattr(gm, "result_")


@pytest.mark.parametrize(
    "X, weights, error, message",
    [
        (da.zeros(10), None, ValueError, "must be 2-D"),
        (da.zeros((10, 2), dtype=bool), None, TypeError, "boolean"),
        (
            da.zeros((10, 2), dtype=complex),
            None,
            ValueError,
            "X is complex. Complex data not supported",
        ),
        (da.zeros((0, 2)), None, ValueError, "0 samples"),
        (da.ones((10, 2))[da.arange(10) > 4], None, ValueError, "unknown chunk sizes"),
        (da.ones((10, 2)), np.ones(3), ValueError, "3 entries for 10 samples"),
        (da.ones((10, 2)), -da.ones(10), ValueError, "finite and non-negative"),
        (da.ones((10, 2)), np.zeros(10), ValueError, "sums to zero"),
    ],
)
def test_invalid_dask_input(X, weights, error, message):
    with threaded(), pytest.raises(error, match=message):
        GaussianMixture(2).fit(X, sample_weight=weights)


def test_weighted_reservoir_sample_never_draws_zero_weight_rows(data):
    weights = np.ones(len(data))
    weights[::3] = 0.0
    with threaded():
        source = DaskData(da.from_array(data, chunks=(UNEVEN, 3)), weights)
        rows, values = source.sample_rows(len(data), np.random.default_rng(0))
        np.testing.assert_array_equal(rows, np.flatnonzero(weights))
        np.testing.assert_array_equal(values, data[rows])
        small = [source.sample_rows(50, np.random.default_rng(seed))[0] for seed in (1, 1, 2)]
    assert len(np.unique(small[0])) == 50 and np.all(weights[small[0]] > 0)
    np.testing.assert_array_equal(small[0], small[1])
    assert not np.array_equal(small[0], small[2])


def test_moments_of_a_dask_array_equal_the_in_memory_moments(data):
    weights = np.random.default_rng(3).uniform(0, 2, size=len(data))
    with threaded():
        on_dask = DaskData(da.from_array(data, chunks=(UNEVEN, 3)), weights).moments()
    in_memory = data_moments(data, weights)
    np.testing.assert_allclose(on_dask.mean, in_memory.mean, rtol=1e-13)
    np.testing.assert_allclose(on_dask.covariance, in_memory.covariance, rtol=1e-10)
    assert on_dask.total_weight == pytest.approx(in_memory.total_weight, rel=1e-14)


def test_persist_can_be_chosen(data):
    X = da.from_array(data, chunks=(UNEVEN, 3))
    settings = dict(covariance_type="diag", tol=0, max_iter=5, **start(data, "diag"))
    with threaded():
        assert DaskData(X).persisted  # small data fit in memory
        streamed = DaskData(X, persist=False)
        assert not streamed.persisted
        streamed_fit = GaussianMixture(3, **settings).fit(streamed)
        with pytest.raises(TypeError, match="give sample_weight to the DataSource itself"):
            GaussianMixture(3, **settings).fit(streamed, sample_weight=np.ones(len(data)))
    in_memory = GaussianMixture(3, **settings).fit(data)
    np.testing.assert_allclose(streamed_fit.means_, in_memory.means_, rtol=1e-12)
    with pytest.raises(ValueError, match="persist must be 'auto', True or False"):
        DaskData(X, persist="sometimes")


def test_graphs_name_a_kernel_form_by_its_name_not_by_pickling_its_kernels():
    # Dask names every pass's graph by tokenising its arguments; cloudpickling the
    # compiled kernels in the terms cost 0.2 s a pass, ten times the pass itself
    for form in KERNEL_FORMS.values():
        assert dask.base.normalize_token(form) == ("bayesgmm.KernelForm", form.name)
    terms = GaussianTerms(np.zeros((2, 3)), np.ones((2, 3)), np.zeros(2), KERNEL_FORMS["diag"])
    same = GaussianTerms(np.zeros((2, 3)), np.ones((2, 3)), np.zeros(2), KERNEL_FORMS["diag"])
    assert dask.base.tokenize(terms) == dask.base.tokenize(same)


def test_minibatch_em_over_dask_chunks():
    separated = make_mixture(3000, 3, 3, separation=10.0, seed=3)
    X = da.from_array(separated, chunks=300)
    batch = GaussianMixture(3, random_state=0, tol=1e-8).fit(separated)
    with threaded():
        online = GaussianMixture(
            3, learning_method="online", max_iter=10, tol=0, random_state=0
        ).fit(X)
        chunked = GaussianMixture(3, random_state=0)
        for block in X.blocks:
            chunked.partial_fit(block)
    batch_ll = batch.result_.log_likelihood
    assert abs(online.result_.log_likelihood - batch_ll) <= 0.01 * abs(batch_ll)
    assert abs(chunked.score(separated) - batch.score(separated)) <= 0.01 * abs(
        batch.score(separated)
    )
    assert online.n_iter_ == 10 and chunked.n_iter_ == 10


# ------------------------------------------------------------------ LocalCluster
USER_SCRIPT = """
import numba
import numpy as np
import bayesgmm  # at the top, as in users' scripts: spawned workers import it again
from bayesgmm.data.distributed import _single_numba_thread
from distributed import Client, LocalCluster


@numba.njit(parallel=True)
def total(x):  # defined here, so each worker must compile it
    s = 0.0
    for i in numba.prange(x.shape[0]):
        s += x[i]
    return s


if __name__ == "__main__":
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        print(client.submit(_single_numba_thread, total, np.ones(10)).result())
        print(list(client.run(numba.get_num_threads).values()))
"""


def test_a_script_that_imports_bayesgmm_can_compile_on_its_workers(tmp_path):
    # Workers re-import the script (and Numba) before the nanny applies NUMBA_NUM_THREADS=1;
    # a compilation on a worker after its thread pool started then used to be refused.
    script = tmp_path / "user_script.py"
    script.write_text(USER_SCRIPT)
    run = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **dask_timeouts_environment()},
        timeout=60 * LOADED_MACHINE_FACTOR + 240,  # a cluster's start, and a compile on it
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["10.0", "[1]"]


@pytest.fixture(scope="module")
def client():
    # no NUMBA_NUM_THREADS here: importing bayesgmm.distributed made 1 the default
    with dask.config.set(DASK_TIMEOUTS):  # worker processes start slowly on a loaded machine
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit="1GiB",
        )
        with Client(cluster.scheduler_address) as client:  # by address, as to a remote scheduler
            yield client
        cluster.close()


def test_cluster_workers_run_one_numba_thread(client):
    threads = client.run(numba.get_num_threads)
    assert list(threads.values()) == [1, 1]


def test_starting_a_cluster_leaves_the_client_able_to_compile(client):
    # The nannies of a LocalCluster run in this process; had the worker setting been a
    # pre-spawn one it would sit in this process's environment, and Numba would refuse
    # every later compilation here.
    assert os.environ.get("NUMBA_NUM_THREADS") != "1" or numba.config.NUMBA_NUM_THREADS == 1

    @numba.njit  # a new function: compiling it re-reads Numba's environment
    def add_one(x):
        return x + 1

    assert add_one(1) == 2


# every engine and every covariance type with and without weights, in half the cross
# product (each cell costs a 10-iteration fit on the cluster, about 1.6 s)
def _cluster_case(e: int, engine: str, c: int, covariance_type: str):
    weighted = (e + c) % 2 == 0  # a checkerboard over engines x covariance types
    label = "weighted" if weighted else "unweighted"
    return pytest.param(engine, covariance_type, weighted, id=f"{engine}-{covariance_type}-{label}")


CLUSTER_CASES = [
    _cluster_case(e, engine, c, covariance_type)
    for e, engine in enumerate(ASCENT_ENGINES)
    for c, covariance_type in enumerate(COVARIANCE_TYPES)
]


@pytest.mark.parametrize(("engine", "covariance_type", "weighted"), CLUSTER_CASES)
def test_cluster_fit_equals_in_memory_fit(client, data, engine, covariance_type, weighted):
    weights = (
        np.random.default_rng(2).integers(0, 4, size=len(data)).astype(float) if weighted else None
    )
    settings = dict(
        engine=engine,
        covariance_type=covariance_type,
        tol=0,
        max_iter=10,
        **start(data, covariance_type),
    )
    X = da.from_array(data, chunks=(UNEVEN, 3))
    dask_weights = None if weights is None else da.from_array(weights, chunks=(UNEVEN,))
    on_cluster = GaussianMixture(3, **settings).fit(X, sample_weight=dask_weights)
    assert_same_fit(on_cluster, GaussianMixture(3, **settings).fit(data, sample_weight=weights))


def test_fit_survives_the_loss_of_a_worker(client, data):
    spec = ModelSpec(3, tol=0, max_iter=8, **start(data, "full"))
    source = DaskData(da.from_array(data, chunks=(UNEVEN, 3)))
    assert source.persisted
    killed = []

    def kill_a_worker_holding_data(run, iteration, objective):
        if iteration == 3:
            holders = {
                worker for workers in client.who_has(source.X).values() for worker in workers
            }
            victim = sorted(holders)[0]
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    survived = fitting.fit(spec, source, on_iteration=kill_a_worker_holding_data)
    in_memory = fitting.fit(spec, data)
    assert killed
    np.testing.assert_allclose(survived.trace, in_memory.trace, rtol=1e-10)
    np.testing.assert_allclose(survived.parameters.means, in_memory.parameters.means, rtol=1e-10)
    np.testing.assert_allclose(
        survived.parameters.covariances, in_memory.parameters.covariances, rtol=1e-10
    )
    client.wait_for_workers(2, timeout=WORKER_WAIT)  # the nanny restarts the killed worker
    assert killed[0] not in client.run(os.getpid).values()


def test_predictions_on_the_cluster_are_lazy_dask_arrays(client, data):
    gm = GaussianMixture(3, random_state=0).fit(data)
    X = da.from_array(data, chunks=(UNEVEN, 3))
    proba, labels, density = gm.predict_proba(X), gm.predict(X), gm.score_samples(X)
    for lazy in (proba, labels, density):
        assert isinstance(lazy, da.Array) and lazy.chunks[0] == UNEVEN
    np.testing.assert_allclose(proba.compute(), gm.predict_proba(data), rtol=1e-13, atol=1e-300)
    np.testing.assert_array_equal(labels.compute(), gm.predict(data))
    np.testing.assert_allclose(density.compute(), gm.score_samples(data), rtol=1e-13)
    assert gm.score(X) == pytest.approx(gm.score(data), rel=1e-13)
    assert gm.bic(X) == pytest.approx(gm.bic(data), rel=1e-13)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data", "hc"])
def test_initialisation_on_a_sample_finds_the_in_memory_optimum(client, init_params):
    X = make_mixture(4000, 2, 3, separation=12.0, seed=2) - 5e3
    best = GaussianMixture(3, n_init=3, random_state=1, tol=1e-8).fit(X)
    spec = ModelSpec(3, init_params=init_params, n_init=2, random_state=0, tol=1e-8, max_iter=300)
    source = DaskData(da.from_array(X, chunks=1000), init_sample_size=300)
    result = fitting.fit(spec, source)
    assert result.lower_bound == pytest.approx(best.lower_bound_, rel=1e-6)


def test_hc_on_dask_data_below_the_subset_size_is_the_in_memory_start(client):
    # every row is in the sample, so the tree, the start and the fit are the in-memory ones
    X = make_mixture(600, 3, 3, seed=4)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, 600)
    weights[::9] = 0.0
    for max_iter in (0, 100):  # the start, and the fit
        memory = GaussianMixture(3, init_params="hc", max_iter=max_iter)
        chunked = GaussianMixture(3, init_params="hc", max_iter=max_iter)
        memory.fit(X, sample_weight=weights)
        chunked.fit(da.from_array(X, chunks=150), sample_weight=weights)
        np.testing.assert_allclose(chunked.means_, memory.means_, rtol=1e-10)
        np.testing.assert_allclose(chunked.weights_, memory.weights_, rtol=1e-10)
