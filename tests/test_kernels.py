"""Every kernel against the plain NumPy/SciPy reference, all four covariance types."""

import numpy as np
import pytest
from conftest import COVARIANCE_TYPES
from reference import estep_statistics, full_covariances, log_rho

from bayesgmm import GaussianMixture
from bayesgmm.data.moments import data_moments
from bayesgmm.densities import log_responsibilities
from bayesgmm.densities import log_rho as kernel_log_rho
from bayesgmm.families import FAMILIES
from bayesgmm.kernels import (
    estep_stats_diag,
    estep_stats_full,
    log_rho_diag,
    log_rho_full,
    read_only,
)
from bayesgmm.kernels.kmeans import lloyd
from bayesgmm.stats import GaussianTerms, accumulate


def random_model(covariance_type, K, D, rng):
    weights = rng.dirichlet(np.ones(K) * 2)
    means = rng.normal(scale=2.0, size=(K, D))
    if covariance_type == "full":
        A = rng.normal(size=(K, D, D))
        cov = A @ np.swapaxes(A, 1, 2) / D + 0.3 * np.eye(D)
    elif covariance_type == "tied":
        A = rng.normal(size=(D, D))
        cov = A @ A.T / D + 0.3 * np.eye(D)
    elif covariance_type == "diag":
        cov = rng.uniform(0.3, 2.0, size=(K, D))
    else:
        cov = rng.uniform(0.3, 2.0, size=K)
    return weights, means, cov


def terms_of(covariance_type, weights, means, cov):
    family = FAMILIES[covariance_type]
    return GaussianTerms.gaussian(family, np.log(weights), means, family.precision_cholesky(cov))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_samples", [7, 5000])  # one block, and several blocks in parallel
def test_estep_statistics_match_reference(covariance_type, weighted, n_samples):
    rng = np.random.default_rng(42)
    K, D = 4, 3
    weights, means, cov = random_model(covariance_type, K, D, rng)
    X = rng.normal(scale=2.5, size=(n_samples, D))
    sample_weight = rng.uniform(0, 3, size=n_samples) if weighted else None
    stats = accumulate(X, terms_of(covariance_type, weights, means, cov), sample_weight)
    diagonal = covariance_type in ("diag", "spherical")
    expected = estep_statistics(
        X, weights, means, full_covariances(covariance_type, cov, K, D), sample_weight, diagonal
    )
    for got, want in zip((stats.nk, stats.sx, stats.sxx, stats.loglik), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)
    assert stats.total_weight == pytest.approx(n_samples if not weighted else sample_weight.sum())


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_rho_matches_scipy_densities(covariance_type):
    rng = np.random.default_rng(7)
    K, D = 3, 4
    weights, means, cov = random_model(covariance_type, K, D, rng)
    X = rng.normal(scale=3.0, size=(300, D))
    got = kernel_log_rho(X, terms_of(covariance_type, weights, means, cov))
    want = log_rho(X, weights, means, full_covariances(covariance_type, cov, K, D))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-10)


def assert_float32_statistics_close(stats32, stats64, rtol=1e-6):
    """float32-computed statistics against the float64 ones of the same values.

    Measured (kernels/estep32.py, D = 1..33, offsets 0 and 1e4, weighted or not): nk
    within 5e-8 of the total, sx within 9e-8 and sxx within 3.1e-7 of their scale,
    the log-likelihood within 6e-8 relative.  Deviations taken in float32 from a
    float32-rounded mean (no correction) are 2e-4 off at offset 1e4: this fails.
    """
    scale = np.abs(stats64.sxx).max()
    np.testing.assert_allclose(stats32.nk, stats64.nk, rtol=0, atol=rtol * stats64.nk.sum())
    np.testing.assert_allclose(
        stats32.sx, stats64.sx, rtol=0, atol=rtol * np.sqrt(scale * stats64.nk.sum())
    )
    np.testing.assert_allclose(stats32.sxx, stats64.sxx, rtol=0, atol=rtol * scale)
    assert stats32.loglik == pytest.approx(stats64.loglik, rel=rtol)
    assert stats32.sxx.dtype == np.float64 and stats32.nk.dtype == np.float64


@pytest.mark.parametrize("offset", [0.0, 1e4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_features", [1, 2, 3, 4, 5, 7, 8, 9, 16, 20])  # every blocking remainder
def test_float32_full_statistics_are_computed_in_float32_within_1e6(n_features, weighted, offset):
    rng = np.random.default_rng(n_features)
    K, D = 3, n_features
    weights, means, cov = random_model("full", K, D, rng)
    X32 = (rng.normal(scale=2.0, size=(5000, D)) + means[0] + offset).astype(np.float32)
    sample_weight = rng.uniform(0, 3, size=5000) if weighted else None
    terms = terms_of("full", weights, means + offset, cov)
    stats32 = accumulate(X32, terms, sample_weight)
    stats64 = accumulate(X32.astype(np.float64), terms, sample_weight)
    assert_float32_statistics_close(stats32, stats64)
    # the documented behaviour: computed in float32, so not the float64 bits
    assert not np.array_equal(stats32.sxx, stats64.sxx)
    # and allow_float32=False is the float64 computation of the same values
    exact = accumulate(X32, terms, sample_weight, allow_float32=False)
    for name in ("nk", "sx", "sxx"):
        np.testing.assert_array_equal(getattr(exact, name), getattr(stats64, name))


def test_float32_diag_statistics_are_still_computed_in_float64():
    rng = np.random.default_rng(3)
    weights, means, cov = random_model("diag", 3, 2, rng)
    X32 = rng.normal(size=(2000, 2)).astype(np.float32)
    terms = terms_of("diag", weights, means, cov)
    stats32 = accumulate(X32, terms)
    stats64 = accumulate(X32.astype(np.float64), terms)
    np.testing.assert_array_equal(stats32.nk, stats64.nk)
    np.testing.assert_array_equal(stats32.sxx, stats64.sxx)


@pytest.mark.parametrize("scale", [1e-12, 1e12])
def test_float32_data_at_extreme_scales_are_computed_in_float64(scale):
    # squared deviations of 1e-24 or 1e24 are beyond what float32 sums comfortably
    rng = np.random.default_rng(4)
    weights, means, cov = random_model("full", 2, 3, rng)
    X32 = (rng.normal(size=(3000, 3)) * scale).astype(np.float32)
    terms = terms_of("full", weights, means * scale, cov * scale**2)
    stats32 = accumulate(X32, terms)
    stats64 = accumulate(X32.astype(np.float64), terms)
    np.testing.assert_array_equal(stats32.sxx, stats64.sxx)
    assert stats32.loglik == stats64.loglik


def test_float32_rows_overflowing_float32_are_redone_in_float64():
    # a row 1e30 standard deviations away: its squared distance overflows float32
    # (not float64), which the float32 pass reports as non-finite
    rng = np.random.default_rng(5)
    weights, means, cov = random_model("full", 2, 3, rng)
    X32 = np.vstack([rng.normal(size=(3000, 3)), [[1e30, -1e30, 1e30]]]).astype(np.float32)
    terms = terms_of("full", weights, means, cov)
    stats32 = accumulate(X32, terms)
    stats64 = accumulate(X32.astype(np.float64), terms)
    np.testing.assert_array_equal(stats32.nk, stats64.nk)
    np.testing.assert_array_equal(stats32.sxx, stats64.sxx)


def test_statistics_of_chunks_add_up_to_the_whole():
    rng = np.random.default_rng(5)
    weights, means, cov = random_model("full", 3, 3, rng)
    X = rng.normal(size=(9000, 3))
    terms = terms_of("full", weights, means, cov)
    whole = accumulate(X, terms)
    parts = (
        accumulate(X[:2500], terms) + accumulate(X[2500:7000], terms) + accumulate(X[7000:], terms)
    )
    for name in ("nk", "sx", "sxx"):
        np.testing.assert_allclose(getattr(parts, name), getattr(whole, name), rtol=1e-12)
    assert parts.loglik == pytest.approx(whole.loglik, rel=1e-13)
    assert parts.total_weight == whole.total_weight


def test_far_outliers_keep_finite_responsibilities():
    rng = np.random.default_rng(9)
    weights, means, cov = random_model("full", 3, 2, rng)
    X = np.vstack([rng.normal(size=(10, 2)), [[1e6, -1e6], [3e7, 2e7]]])
    norm, log_resp = log_responsibilities(X, terms_of("full", weights, means, cov))
    resp = np.exp(log_resp)
    assert np.all(np.isfinite(norm)) and np.all(np.isfinite(resp))
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)


def test_data_moments_match_numpy():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(500, 3)) @ rng.normal(size=(3, 3)) + 1e6
    w = rng.uniform(0.5, 2, size=500)
    unweighted = data_moments(X)
    np.testing.assert_allclose(unweighted.mean, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(unweighted.covariance, np.cov(X.T), rtol=1e-9)
    weighted = data_moments(X, w)
    np.testing.assert_allclose(weighted.mean, np.average(X, axis=0, weights=w), rtol=1e-14)
    np.testing.assert_allclose(
        weighted.covariance * (w.sum() - 1), np.cov(X.T, aweights=w, ddof=0) * w.sum(), rtol=1e-9
    )


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_a_zero_weight_component_and_far_components_get_nothing(covariance_type):
    # log weight -inf, and a component so far that every responsibility of it is floored
    rng = np.random.default_rng(13)
    K, D = 4, 3
    weights, means, cov = random_model(covariance_type, K, D, rng)
    weights = np.array([0.0, 0.5, 0.3, 0.2])
    means[3] += 1e3
    X = rng.normal(scale=2.0, size=(3000, D))
    family = FAMILIES[covariance_type]
    with np.errstate(divide="ignore"):
        terms = GaussianTerms.gaussian(
            family, np.log(weights), means, family.precision_cholesky(cov)
        )
    stats = accumulate(X, terms)
    assert stats.nk[0] == 0.0 and stats.nk[3] == 0.0
    assert np.all(stats.sxx[[0, 3]] == 0.0)
    live = [1, 2]
    expected = estep_statistics(
        X,
        weights[live] / weights[live].sum(),
        means[live],
        full_covariances(covariance_type, cov, K, D)[live],
        None,
        covariance_type == "diag",
    )
    np.testing.assert_allclose(stats.nk[live], expected[0], rtol=1e-10)
    np.testing.assert_allclose(stats.sxx[live], expected[2], rtol=1e-10)
    log_norm = np.log(weights[live].sum())
    assert stats.loglik == pytest.approx(expected[3] + X.shape[0] * log_norm, rel=1e-12)


_STATS_SCRIPT = """
import sys, numpy as np
from bayesgmm import GaussianMixture
from bayesgmm.families import FAMILIES
from bayesgmm.kernels import estep_stats_diag, estep_stats_full, log_rho_diag, log_rho_full, read_only
from bayesgmm.kernels.kmeans import lloyd
from bayesgmm.stats import GaussianTerms, accumulate
for name in ("full", "diag"):
    for dtype in ("float64", "float32"):
        rng = np.random.default_rng(21)
        K, D = 4, 3
        means = rng.normal(scale=2.0, size=(K, D))
        family = FAMILIES[name]
        cov = np.repeat(np.eye(D)[None], K, axis=0) * 1.5 if name == "full" else np.full((K, D), 1.5)
        terms = GaussianTerms.gaussian(
            family, np.log(np.full(K, 0.25)), means, family.precision_cholesky(cov)
        )
        X = rng.normal(scale=2.5, size=(200_000, D)).astype(dtype)
        stats = accumulate(X, terms)
        sys.stdout.buffer.write(b"".join(np.ascontiguousarray(a).tobytes() for a in
                                         (stats.nk, stats.sx, stats.sxx, np.array(stats.loglik))))
"""


def test_statistics_are_the_same_bits_whatever_the_thread_count():
    """full and diag kernels, float64 and float32, under 1, 2 and 3 Numba threads.

    One interpreter per thread count runs all four cases (importing bayesgmm
    costs more than the kernels).
    """
    import os
    import subprocess
    import sys

    outputs = []
    for threads in ("1", "2", "3"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        done = subprocess.run(
            [sys.executable, "-c", _STATS_SCRIPT], env=env, capture_output=True, check=True
        )
        outputs.append(done.stdout)
    assert len(outputs[0]) > 0
    assert outputs[0] == outputs[1] == outputs[2]


def test_kernels_see_the_data_read_only_so_each_compiles_once():
    """A read-only X (a memory map, a pandas copy-on-write column) and a writeable one fit
    alike, and every kernel that read them was compiled for read-only data only."""
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(size=(150, 3)), rng.normal(6.0, size=(150, 3))])
    frozen = X.copy()
    frozen.flags.writeable = False
    fits = [GaussianMixture(2, covariance_type=c, random_state=0) for c in ("full", "diag")] * 2
    for model, data in zip(fits, (X, X, frozen, frozen)):
        model.fit(data).predict(data)
    for writeable, frozen_fit in zip(fits[:2], fits[2:]):
        np.testing.assert_array_equal(writeable.means_, frozen_fit.means_)
    kernels = (estep_stats_full, estep_stats_diag, log_rho_full, log_rho_diag, lloyd)
    for kernel in kernels:
        assert kernel.signatures, kernel
        assert all(not signature[0].mutable for signature in kernel.signatures), kernel


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_serial_and_parallel_passes_are_the_same_bits(covariance_type):
    """A small pass runs its row blocks on the calling thread (stats.run_kernel): the same
    blocks in the same order as the parallel loop, so the same sums, for every kernel."""
    rng = np.random.default_rng(3)
    K, D, N = 3, 4, 5000  # two row blocks
    terms = terms_of(covariance_type, *random_model(covariance_type, K, D, rng))
    X = read_only(rng.normal(scale=2.5, size=(N, D)))  # as stats.run_kernel passes it
    weights = rng.uniform(0, 3, size=N)
    uniforms = rng.random(N)
    no_labels = np.zeros(0, dtype=np.int64)
    form = terms.kernel
    arguments = (terms.means, terms.factor, terms.log_offset)
    for kernel, args in (
        (form.estep_stats, (X, weights, *arguments)),
        (form.log_rho, (X, *arguments)),
        (form.allocate_stats, (X, weights, uniforms, *arguments, no_labels, no_labels)),
    ):
        serial, parallel = kernel.serial(*args), kernel.parallel(*args)
        if isinstance(serial, np.ndarray):
            serial, parallel = (serial,), (parallel,)
        assert all(np.array_equal(a, b) for a, b in zip(serial, parallel, strict=True))
    if form.estep_stats32 is not None:
        X32 = read_only(X.astype(np.float32))
        hi = terms.means.astype(np.float32)
        lo = (terms.means - hi).astype(np.float32)
        args32 = (X32, weights, hi, lo, terms.factor.astype(np.float32),
                  terms.log_offset.astype(np.float32))  # fmt: skip
        kernel32 = form.estep_stats32
        serial, parallel = kernel32.serial(*args32), kernel32.parallel(*args32)
        assert all(np.array_equal(a, b) for a, b in zip(serial, parallel, strict=True))


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
@pytest.mark.parametrize("n_features", [1, 2, 5, 6, 7, 9, 20])
def test_every_column_blocking_remainder_matches_the_reference(covariance_type, n_features):
    # the full kernel walks columns in fours, then twos, then ones; diag in twos
    rng = np.random.default_rng(n_features)
    K, D = 3, n_features
    weights, means, cov = random_model(covariance_type, K, D, rng)
    X = rng.normal(scale=2.0, size=(700, D)) + means[0]
    stats = accumulate(X, terms_of(covariance_type, weights, means, cov))
    expected = estep_statistics(
        X,
        weights,
        means,
        full_covariances(covariance_type, cov, K, D),
        None,
        covariance_type == "diag",
    )
    for got, want in zip((stats.nk, stats.sx, stats.sxx, stats.loglik), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)
