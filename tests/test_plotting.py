"""Plots render headless to PNG, draw what they claim, and take an optional Axes."""

import dataclasses
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # before pyplot: tests never need a display

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import ASCENT_ENGINES, COVARIANCE_TYPES, make_mixture
from matplotlib.patches import Ellipse
from scipy.stats import beta as scipy_beta

import bayesgmm
from bayesgmm import GaussianMixture, plotting
from bayesgmm.datasets import load_faithful

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def save_png(ax, path):
    figure = np.atleast_1d(ax)[0].figure
    figure.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 2000
    return path


@pytest.fixture(scope="module")
def sweep():
    return bayesgmm.select(
        load_faithful(),
        range(1, 5),
        COVARIANCE_TYPES,
        sorted(ASCENT_ENGINES),
        random_state=0,
        progress=False,
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_mixture_plot_draws_three_ellipses_per_component(covariance_type, tmp_path):
    X = load_faithful()
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    ax = plotting.plot_mixture(gm, X)
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 9
    assert ax.get_xlabel() == "eruptions" and ax.get_ylabel() == "waiting"
    # the 1-sigma ellipse of each component has the axes of its covariance's eigenvalues
    covariance = gm.covariances_ if covariance_type == "tied" else None
    for k in range(3):
        if covariance_type == "full":
            covariance = gm.covariances_[k]
        elif covariance_type == "diag":
            covariance = np.diag(gm.covariances_[k])
        elif covariance_type == "spherical":
            covariance = np.eye(2) * gm.covariances_[k]
        widths = sorted([ellipses[3 * k].width, ellipses[3 * k].height])
        np.testing.assert_allclose(widths, 2 * np.sqrt(np.linalg.eigvalsh(covariance)), rtol=1e-10)
        np.testing.assert_allclose(ellipses[3 * k].center, gm.means_[k])
        assert ellipses[3 * k + 2].width == pytest.approx(3 * ellipses[3 * k].width)
    # soft-assignment colours: each point mixes the component colours by responsibility
    colours = ax.collections[0].get_facecolors()[:, :3]
    expected = gm.predict_proba(X) @ plotting.component_colors(3)
    np.testing.assert_allclose(colours, expected, atol=1e-6)
    save_png(ax, tmp_path / f"mixture_{covariance_type}.png")


def test_mixture_plot_of_a_chosen_feature_pair_into_a_given_axes(tmp_path):
    X = make_mixture(300, 4, 2, seed=1)
    result = GaussianMixture(2, covariance_type="full", random_state=0).fit(X).result_
    figure, (left, right) = plt.subplots(1, 2)
    assert plotting.plot_mixture(result, X, features=(1, 3), ax=right) is right
    centres = sorted(tuple(e.center) for e in right.patches[::3])
    np.testing.assert_allclose(centres, sorted(map(tuple, result.parameters.means[:, [1, 3]])))
    assert right.get_xlabel() == "x1" and right.get_ylabel() == "x3" and not left.patches
    save_png(right, tmp_path / "pair.png")


def test_mixture_plot_refuses_bad_features():
    X = load_faithful()
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="'height' is not one of the model's features"):
        plotting.plot_mixture(gm, X, features=("eruptions", "height"))
    with pytest.raises(ValueError, match="two different features"):
        plotting.plot_mixture(gm, X, features=(0, 0))
    with pytest.raises(ValueError, match="X has 3 features"):
        plotting.plot_mixture(gm, np.ones((5, 3)))
    one_feature = GaussianMixture(2, random_state=0).fit(X.values[:, :1])
    with pytest.raises(ValueError, match="at least two features"):
        plotting.plot_mixture(one_feature, X.values[:, :1])
    with pytest.raises(TypeError, match="fitted GaussianMixture or a FitResult"):
        plotting.plot_trace(GaussianMixture(2))


def test_criteria_plot_has_a_panel_per_engine_and_a_line_per_covariance_type(sweep, tmp_path):
    axes = plotting.plot_criteria(sweep, ["bic", "aic"])
    assert len(axes) == len(ASCENT_ENGINES)
    for panel, engine in zip(axes, sorted(ASCENT_ENGINES)):
        curves = [line for line in panel.lines if len(line.get_xdata()) == 4]
        assert len(curves) == 2 * 4
        bic_tied = sweep.bic.sel(engine=engine, covariance_type="tied").values
        assert any(np.array_equal(line.get_ydata(), bic_tied) for line in curves)
        assert "best BIC" in panel.texts[0].get_text()
    save_png(axes, tmp_path / "criteria.png")


def test_criteria_plot_checks_its_axes_and_criteria(sweep):
    figure, axes = plt.subplots(1, len(ASCENT_ENGINES) + 1)
    with pytest.raises(ValueError, match="pass one Axes per engine"):
        plotting.plot_criteria(sweep, ax=axes)
    with pytest.raises(ValueError, match="'loo' is not one of"):
        plotting.plot_criteria(sweep, ["bic", "loo"])
    one = sweep.sel(engine=["em"])
    assert plotting.plot_criteria(one, "icl", ax=axes[0])[0] is axes[0]


def test_trace_plot_marks_pruning_steps(tmp_path):
    X = load_faithful().values
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    gm = GaussianMixture(10, covariance_type="tied", random_state=0, prune=0.05).fit(X)
    ax = plotting.plot_trace(gm)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), gm.lower_bounds_)
    markers = [line for line in ax.lines[1:] if line.get_linestyle() == "--"]
    assert len(markers) == gm.result_.pruning.n_steps
    assert ax.get_ylabel() == "log-likelihood per sample"
    save_png(ax, tmp_path / "trace.png")


def test_weights_plot_without_and_with_posterior_intervals(tmp_path):
    gm = GaussianMixture(3, covariance_type="tied", random_state=0).fit(load_faithful())
    ax = plotting.plot_weights(gm)
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], gm.weights_)
    assert plotting.weight_intervals(gm) is None and not ax.collections  # a point estimate
    save_png(ax, tmp_path / "weights.png")

    # what a Bayesian engine stores: the Dirichlet posterior concentration
    alpha = gm.weights_ * 272 + 1.0
    bayesian = dataclasses.replace(
        gm.result_, engine_variables={"weight_concentration": (("component",), alpha)}
    )
    lower, upper = plotting.weight_intervals(bayesian, level=0.9)
    draws = np.random.default_rng(0).dirichlet(alpha, size=200_000)
    np.testing.assert_allclose(lower, np.quantile(draws, 0.05, axis=0), atol=3e-3)
    np.testing.assert_allclose(upper, np.quantile(draws, 0.95, axis=0), atol=3e-3)
    ax = plotting.plot_weights(bayesian, level=0.9)
    assert len(ax.collections) == 1  # the error bars
    save_png(ax, tmp_path / "weights_interval.png")
    with pytest.raises(ValueError, match="level"):
        plotting.weight_intervals(bayesian, level=95)


def test_weight_intervals_of_the_dirichlet_process_and_of_map(tmp_path):
    X = load_faithful()
    vb = GaussianMixture(3, engine="vb", random_state=0).fit(X)  # the default prior: a process
    lower, upper = plotting.weight_intervals(vb, level=0.9, draws=20000, random_state=1)
    # an independent simulation of the normalised stick-breaking weights
    a, b = vb.weight_concentration_
    sticks = np.random.default_rng(5).beta(a, b, size=(20000, 3))
    broken = sticks * np.column_stack([np.ones(20000), np.cumprod(1 - sticks, axis=1)[:, :-1]])
    broken /= broken.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(lower, np.quantile(broken, 0.05, axis=0), atol=3e-3)
    np.testing.assert_allclose(upper, np.quantile(broken, 0.95, axis=0), atol=3e-3)
    assert np.all(lower < vb.weights_) and np.all(vb.weights_ < upper)
    ax = plotting.plot_weights(vb)
    assert len(ax.collections) == 1
    save_png(ax, tmp_path / "weights_process.png")

    # MAP: Dirichlet(alpha + n_k) given the responsibilities, so it needs the data
    gm = GaussianMixture(2, engine="map", random_state=0).fit(X)
    assert plotting.weight_intervals(gm) is None
    assert not plotting.plot_weights(gm).collections
    alpha = 1.0 + gm.predict_proba(X).sum(axis=0)
    lower, upper = plotting.weight_intervals(gm, 0.95, X)
    np.testing.assert_allclose(
        lower, [scipy_beta.ppf(0.025, a, alpha.sum() - a) for a in alpha], rtol=1e-8
    )
    np.testing.assert_allclose(
        upper, [scipy_beta.ppf(0.975, a, alpha.sum() - a) for a in alpha], rtol=1e-8
    )
    ax = plotting.plot_weights(gm, X)
    assert len(ax.collections) == 1
    save_png(ax, tmp_path / "weights_map.png")


def test_criteria_table_plot_ranks_models(sweep, tmp_path):
    ax = plotting.plot_criteria_table(sweep, "bic", top=5)
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert len(labels) == 5
    bic = sweep.bic
    flat = sorted(
        (float(bic.sel(engine=e, covariance_type=c, n_components=k)), f"{e} {c} K={k}")
        for e in bic.engine.values
        for c in bic.covariance_type.values
        for k in bic.n_components.values
    )
    assert labels == [label for _, label in flat[:5]]
    np.testing.assert_allclose(ax.lines[0].get_xdata()[0], 0.0)
    save_png(ax, tmp_path / "table.png")

    X = load_faithful()
    table = bayesgmm.criteria_table(
        {
            "tied K=3": GaussianMixture(3, covariance_type="tied", random_state=0).fit(X),
            "full K=2": GaussianMixture(2, random_state=0).fit(X),
        },
        X,
    )
    ax = plotting.plot_criteria_table(table, "icl")
    assert len(ax.get_yticklabels()) == 2
    save_png(ax, tmp_path / "table_models.png")


@pytest.fixture(scope="module")
def compare_table():
    X = load_faithful()
    models = {
        "em full K=2": GaussianMixture(2, random_state=0).fit(X),
        "map full K=2": GaussianMixture(2, engine="map", random_state=0).fit(X),
        "vb full K=4": GaussianMixture(4, engine="vb", random_state=0).fit(X),
    }
    return bayesgmm.compare(models, X, draws=300, random_state=0)


def test_compare_plot_draws_elpd_loo_and_lists_the_models_without(compare_table, tmp_path):
    ax = plotting.plot_compare(compare_table)
    loo = compare_table.isel(model=np.flatnonzero(np.isfinite(compare_table.elpd_loo.values)))
    order = np.argsort(-loo.elpd_loo.values)
    points, triangles = (container.lines[0] for container in ax.containers)
    np.testing.assert_array_equal(points.get_xdata(), loo.elpd_loo.values[order])
    # the one standard-error bars of the best model
    best_bar = ax.collections[0].get_segments()[0]
    best = loo.isel(model=order[0])
    np.testing.assert_allclose(
        sorted(best_bar[:, 0]), [best.elpd_loo - best.se, best.elpd_loo + best.se]
    )
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels == [str(m) for m in loo.model.values[order]] + ["em full K=2"]
    assert any("no PSIS-LOO: point estimate" in text.get_text() for text in ax.texts)
    # the triangle of the second model: the best elpd_loo plus its elpd_diff
    second = loo.isel(model=order[1])
    assert triangles.get_xdata()[0] == pytest.approx(float(best.elpd_loo + second.elpd_diff))
    save_png(ax, tmp_path / "compare.png")
    figure, (left, right) = plt.subplots(1, 2)
    assert plotting.plot_compare(compare_table, ax=right) is right and not left.lines
    with pytest.raises(ValueError, match="no model in the table has PSIS-LOO"):
        plotting.plot_compare(compare_table.sel(model=["em full K=2"]))
    with pytest.raises(ValueError, match="expected a bayesgmm.compare"):
        plotting.plot_compare(compare_table.drop_vars("elpd_loo"))


def test_arviz_plot_compare_renders_our_table_headless(compare_table, tmp_path):
    import arviz as az

    from bayesgmm.diagnostics import compare_frame

    collection = az.plot_compare(compare_frame(compare_table), backend="matplotlib")
    figure = collection.viz["figure"].item()
    path = tmp_path / "arviz_compare.png"
    figure.savefig(path, dpi=60)
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    ticks = [tick.get_text() for tick in collection.viz["plot"].item().get_yticklabels()]
    assert set(ticks) == {"map full K=2", "vb full K=4"}


def test_importing_bayesgmm_imports_neither_matplotlib_nor_arviz():
    # one interpreter for both checks: each start costs seconds; arviz takes 2 s to import,
    # and neither bayesgmm nor bayesgmm.plotting may pay for it before it is used
    code = (
        "import sys, bayesgmm; m = 'matplotlib' in sys.modules; import bayesgmm.plotting; "
        "print(m, 'arviz' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False False"
