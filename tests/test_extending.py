"""A new engine (and a new family) is one class plus one registration line.

The toy engine below is defined and registered here, in the test, and nothing
else in the package is edited: fitting, saving and loading, model selection,
comparison tables and the plots must all serve it through the engine protocol.
It is a legitimate model: EM for a mixture whose weights are fixed equal, so
its M-step maximises the expected complete-data log-likelihood over the means
and covariances and its objective (the log-likelihood) never decreases.
"""

import warnings

import matplotlib
import numpy as np
import pytest
from conftest import make_mixture

import bayesgmm
from bayesgmm import GaussianMixture, plotting
from bayesgmm.engines import (
    ENGINES,
    EMEngine,
    MixtureParameters,
    register_engine,
    unregister_engine,
)
from bayesgmm.families import FAMILIES, Diag, register_family, unregister_family

matplotlib.use("Agg")


class EqualWeightsEM(EMEngine):
    """EM with the mixture weights held at 1 / K."""

    name = "toy"
    objective_name = "log-likelihood (equal weights)"

    def mstep(self, stats):
        point = super().mstep(stats)
        K = self.n_components
        return MixtureParameters(
            np.full(K, 1.0 / K), point.means, point.covariances, point.precisions_cholesky
        )


class SharedDiag(Diag):
    """A toy family: one diagonal covariance shared by every component ("tied diag").

    Storage (K, D) like diag, each row the same: the pooled scatter over all
    components divided by all points, repeated; it counts D free parameters.
    """

    name = "toy_tied_diag"

    def n_covariance_parameters(self, K, D):
        return D

    def pool(self, scatter, counts):
        total = np.broadcast_to(scatter.sum(axis=0), scatter.shape)
        return total.copy(), np.full(counts.shape, counts.sum())


@pytest.fixture
def toy_engine():
    register_engine(EqualWeightsEM)
    yield EqualWeightsEM
    unregister_engine(EqualWeightsEM.name)


@pytest.fixture
def toy_family():
    family = register_family(SharedDiag())
    yield family
    unregister_family(family.name)


@pytest.fixture(scope="module")
def X():
    return make_mixture(200, 2, 3, separation=4.0, seed=7)


def test_registration_is_undone(toy_engine):
    assert ENGINES["toy"] is EqualWeightsEM


def test_toy_engine_is_gone_after_its_fixture():
    assert "toy" not in ENGINES and "toy_tied_diag" not in FAMILIES


def test_toy_engine_fits_and_its_objective_never_decreases(toy_engine, X):
    gm = GaussianMixture(3, engine="toy", random_state=0, tol=0.0, max_iter=30, reg_covar=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 runs to max_iter
        gm.fit(X)
    np.testing.assert_array_equal(gm.weights_, np.full(3, 1.0 / 3.0))
    trace = np.asarray(gm.lower_bounds_)
    assert np.all(np.diff(trace) >= -1e-10 * np.abs(trace[1:]))
    # the objective is the log-likelihood of the fitted parameters
    assert gm.score(X) == pytest.approx(trace[-1], abs=1e-3)


def test_toy_engine_saves_and_loads(toy_engine, X, tmp_path):
    gm = GaussianMixture(3, engine="toy", random_state=0).fit(X)
    path = tmp_path / "toy.nc"
    bayesgmm.save(gm, path)
    loaded = bayesgmm.load(path)
    assert loaded.engine == "toy"
    np.testing.assert_array_equal(loaded.predict_proba(X), gm.predict_proba(X))


def test_toy_engine_in_selection_comparison_and_plots(toy_engine, X):
    sweep = bayesgmm.select(
        X, n_components=[2, 3], covariance_type=["full"], engine=["em", "toy"], random_state=0
    )
    assert list(sweep.engine.values) == ["em", "toy"]
    assert np.all(np.isfinite(sweep.bic.sel(engine="toy").values))
    axes = plotting.plot_criteria(sweep)
    assert len(axes) == 2

    fits = {
        engine: GaussianMixture(3, engine=engine, random_state=0).fit(X) for engine in ("em", "toy")
    }
    table = bayesgmm.criteria_table(fits, X)
    assert list(table.engine.values) == ["em", "toy"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compared = bayesgmm.compare(fits, X, criterion="bic")
    row = compared.sel(model="toy")
    assert str(row.posterior_kind.values) == "point_estimate" and int(row.draws) == 1
    assert "no posterior draws" in str(row.loo_note.values)

    ax = plotting.plot_trace(fits["toy"])
    assert ax.get_ylabel() == "log-likelihood (equal weights) per sample"
    assert plotting.weight_intervals(fits["toy"]) is None


def test_toy_family_fits_with_every_engine(toy_family, X):
    for engine in ("em", "map", "vb"):
        gm = GaussianMixture(3, covariance_type="toy_tied_diag", engine=engine, random_state=0).fit(
            X
        )
        assert gm.covariances_.shape == (3, 2)
        np.testing.assert_allclose(gm.covariances_, gm.covariances_[[0, 0, 0]])
        trace = np.asarray(gm.lower_bounds_)
        assert np.all(np.diff(trace) >= -1e-10 * np.abs(trace[1:])), engine
    assert gm.result_.n_parameters == 2 + 3 * 2 + 2
