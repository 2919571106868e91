"""Side-by-side fits speak of the same clusters: align_components, permute_components, uses."""

import dataclasses

import numpy as np
import pytest
from conftest import make_mixture
from matplotlib.patches import Ellipse
from scipy import integrate, stats

import bayesgmm
from bayesgmm import GaussianMixture, VBPrior
from bayesgmm.data.standardize import Standardization
from bayesgmm.datasets import load_faithful
from bayesgmm.diagnostics.alignment import component_distances, match_components
from bayesgmm.report import component_orders, components_table, mixture_figure


@pytest.fixture(scope="module")
def demo_fits():
    """The demo's three fits (bayesgmm demo's settings): VB lists the clusters the other way round."""
    X = load_faithful()
    settings = dict(n_init=5, tol=1e-6, max_iter=1000, random_state=0)
    return X, {e: GaussianMixture(2, engine=e, **settings).fit(X) for e in ("em", "map", "vb")}


@pytest.fixture(scope="module")
def blobs():
    """Three clusters far apart, of unequal sizes, in 3-D."""
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0, 0.0], [12.0, 0.0, 3.0], [0.0, 14.0, -6.0]])
    sizes = (300, 200, 120)
    rows = [
        rng.normal(centre, 1.0 + i * 0.3, size=(n, 3))
        for i, (centre, n) in enumerate(zip(centres, sizes))
    ]
    return rng.permutation(np.vstack(rows)), centres


def test_the_demo_fits_come_out_in_one_order(demo_fits):
    X, fits = demo_fits
    em = fits["em"]
    # the bug this fixes: VB found the same two clusters and numbered them the other way round
    assert np.argmin(fits["vb"].means_[:, 0]) != np.argmin(em.means_[:, 0])
    orders = component_orders(fits)
    for label, model in fits.items():
        aligned = model.means_[orders[label]]
        np.testing.assert_allclose(aligned, em.means_, atol=0.25, err_msg=label)  # minutes
        assert list(np.argsort(aligned[:, 0])) == list(np.argsort(em.means_[:, 0]))
    np.testing.assert_array_equal(orders["vb"], [1, 0])

    table = components_table(fits)
    for label in fits:
        rows = table.loc[label]
        assert list(rows.index) == [0, 1]  # clusters, the reference's components
        np.testing.assert_allclose(rows["mean eruptions"], em.means_[:, 0], atol=0.05)
        np.testing.assert_array_equal(rows["component"], orders[label])
    assert (table["distance"] < 0.05).all()

    # the figure: each panel draws the same cluster in the same colour
    figure = mixture_figure(fits, X)
    colours = []
    for ax in figure.axes[:3]:
        ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
        short = [e for e in ellipses if e.center[0] < 3]  # the short eruptions' ellipses
        colours.append({tuple(np.round(e.get_edgecolor()[:3], 6)) for e in short})
        assert len(colours[-1]) == 1
    assert colours[0] == colours[1] == colours[2]


@pytest.mark.filterwarnings("ignore:PSIS-LOO")  # 50 draws: enough to see the table's shape
def test_combine_fits_and_compare_align_the_demo_fits(demo_fits):
    X, fits = demo_fits
    combined = bayesgmm.combine_fits(fits)
    np.testing.assert_allclose(
        combined.means.values, np.broadcast_to(fits["em"].means_, (3, 2, 2)), atol=0.25
    )
    np.testing.assert_array_equal(combined.source_component.sel(engine="vb"), [1, 0])
    vb = fits["vb"]
    np.testing.assert_array_equal(combined.weights.sel(engine="vb"), vb.weights_[[1, 0]])
    # the rest of VB's per-component variables moved with it
    np.testing.assert_array_equal(
        combined.mean_precision.sel(engine="vb"), vb.mean_precision_[[1, 0]]
    )
    np.testing.assert_array_equal(combined.alignment_distance.sel(engine="em"), [0, 0])
    own = bayesgmm.combine_fits(fits, align=False)
    np.testing.assert_array_equal(own.weights.sel(engine="vb"), vb.weights_)
    assert "source_component" not in own

    table = bayesgmm.compare(fits, X, draws=50, random_state=0, criterion="bic")
    assert table.attrs["aligned_to"] == "em"
    np.testing.assert_array_equal(table.source_component.sel(model="vb"), [1, 0])
    np.testing.assert_array_equal(table.source_component.sel(model="map"), [0, 1])
    assert set(table.bic.dims) == {"model"}  # the criteria stay one number per model


ENGINES_AND_FAMILIES = [
    dict(),
    dict(engine="map"),
    dict(engine="vb", prior=VBPrior("dirichlet_distribution")),
    dict(covariance_type="tied", engine="map"),
    dict(covariance_type="diag"),
    dict(covariance_type="spherical", engine="vb", prior=VBPrior("dirichlet_distribution")),
    dict(covariance_type="VEV"),
    dict(covariance_type="EII", engine="map"),
]


@pytest.mark.parametrize(
    "settings", ENGINES_AND_FAMILIES, ids=lambda s: "-".join(map(str, s.values())) or "em"
)
def test_a_permuted_fit_predicts_the_same_and_is_realigned_exactly(settings, blobs, tmp_path):
    X, _ = blobs
    gm = GaussianMixture(3, random_state=0, **settings).fit(X)
    order = np.array([2, 0, 1])
    permuted = bayesgmm.permute_components(gm, order)
    assert type(permuted) is type(gm) and permuted is not gm
    np.testing.assert_array_equal(permuted.means_, gm.means_[order])
    np.testing.assert_array_equal(permuted.weights_, gm.weights_[order])
    # labels permuted, probabilities' columns permuted, densities unchanged (to round-off:
    # the log-sum-exp adds the components in another order)
    np.testing.assert_array_equal(order[permuted.predict(X)], gm.predict(X))
    np.testing.assert_allclose(permuted.predict_proba(X), gm.predict_proba(X)[:, order], atol=1e-12)
    np.testing.assert_allclose(permuted.score_samples(X), gm.score_samples(X), rtol=1e-13)
    assert permuted.bic(X) == pytest.approx(gm.bic(X), rel=1e-13)
    assert permuted.result_.objective == gm.result_.objective

    (slots,) = bayesgmm.align_components(gm, permuted)
    np.testing.assert_array_equal(slots, np.argsort(order))
    back = bayesgmm.permute_components(permuted, slots)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(gm, name), err_msg=name)
    for name, (_, values) in gm.result_.engine_variables.items():
        np.testing.assert_array_equal(back.result_.engine_variables[name][1], values, err_msg=name)

    # saved and loaded, the relabelled fit is still the same fit
    bayesgmm.save(permuted, tmp_path / "permuted.nc")
    loaded = bayesgmm.load(tmp_path / "permuted.nc")
    np.testing.assert_array_equal(loaded.predict(X), permuted.predict(X))
    # a FitResult gives a FitResult
    result = bayesgmm.permute_components(gm.result_, order)
    assert isinstance(result, bayesgmm.FitResult)
    np.testing.assert_array_equal(result.parameters.means, gm.means_[order])


@pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")  # 5 iterations on purpose
def test_a_map_prior_per_component_and_a_pruning_record_move_with_the_components(blobs):
    X, _ = blobs
    prior = bayesgmm.MAPPrior(weight_concentration=[1.0, 2.0, 3.0])
    gm = GaussianMixture(3, engine="map", prior=prior, random_state=0).fit(X)
    permuted = bayesgmm.permute_components(gm, [1, 2, 0])
    np.testing.assert_array_equal(permuted.prior_.weight_concentration, [2.0, 3.0, 1.0])
    np.testing.assert_array_equal(permuted.prior.weight_concentration, [2.0, 3.0, 1.0])
    # a warm start continues the relabelled fit under its relabelled prior, as the original's
    same = bayesgmm.permute_components(gm, [0, 1, 2])
    for model in (permuted, same):
        model.set_params(warm_start=True, tol=0.0, max_iter=5).fit(X)
    np.testing.assert_allclose(permuted.means_, same.means_[[1, 2, 0]], rtol=1e-10)

    faithful = load_faithful().values
    faithful = (faithful - faithful.mean(axis=0)) / faithful.std(axis=0)
    pruned = GaussianMixture(10, covariance_type="tied", random_state=0, prune=0.05).fit(faithful)
    K = pruned.n_components_fitted
    assert K < 10
    order = np.roll(np.arange(K), 1)
    relabelled = bayesgmm.permute_components(pruned, order)
    np.testing.assert_array_equal(
        relabelled.result_.pruning.component_origin, pruned.result_.pruning.component_origin[order]
    )


def test_float32_fits_keep_their_dtype(blobs):
    X, _ = blobs
    gm = GaussianMixture(3, random_state=0).fit(X.astype(np.float32))
    permuted = bayesgmm.permute_components(gm, [1, 0, 2])
    assert permuted.means_.dtype == np.float32
    np.testing.assert_array_equal(permuted.means_, gm.means_[[1, 0, 2]])


def test_a_dirichlet_process_fit_is_aligned_in_tables_but_not_relabelled(demo_fits):
    _, fits = demo_fits
    vb = fits["vb"]  # the default VB prior: the truncated Dirichlet process
    with pytest.raises(ValueError, match="Dirichlet-process VB fit cannot be relabelled"):
        bayesgmm.permute_components(vb, [1, 0])
    bgm = bayesgmm.BayesianGaussianMixture(n_components=2, random_state=0).fit(load_faithful())
    with pytest.raises(ValueError, match="Dirichlet-process"):
        bayesgmm.permute_components(bgm, [1, 0])
    np.testing.assert_array_equal(bayesgmm.align_components(fits["em"], vb)[0], [1, 0])


def test_unequal_numbers_of_components(blobs):
    X, centres = blobs
    three = GaussianMixture(3, random_state=0).fit(X)
    five = GaussianMixture(5, random_state=0).fit(X)
    one = GaussianMixture(1, random_state=0).fit(X)

    # more components than the reference: every cluster matched, the others last, heaviest first
    (slots,) = bayesgmm.align_components(three, five)
    assert sorted(slots) == list(range(5))
    for i in range(3):
        cluster = np.argmin(np.linalg.norm(centres - three.means_[i], axis=1))
        assert np.linalg.norm(five.means_[slots[i]] - centres[cluster]) < 3
    extra = five.weights_[slots[3:]]
    assert extra[0] >= extra[1]
    assert np.array_equal(bayesgmm.permute_components(five, slots).means_, five.means_[slots])

    # fewer: -1 where the fit has no component for one of the reference's
    (slots,) = bayesgmm.align_components(five, three)
    assert slots.size == 5 and (slots == -1).sum() == 2
    assert sorted(slots[slots >= 0]) == [0, 1, 2]
    permuted = bayesgmm.permute_components(three, slots)  # the -1 entries are skipped
    np.testing.assert_array_equal(permuted.means_, three.means_[slots[slots >= 0]])
    slots, distances = match_components(three, one)
    assert (slots >= 0).sum() == 1 and np.isnan(distances[slots < 0]).all()

    combined = bayesgmm.combine_fits({"K=3": three, "K=5": five, "K=1": one}, dim="model")
    assert combined.sizes["component"] == 5
    assert np.isnan(combined.weights.sel(model="K=3", component=[3, 4])).all()
    assert np.isfinite(combined.weights.sel(model="K=1")).sum() == 1
    assert (combined.source_component.sel(model="K=1") >= 0).sum() == 1
    np.testing.assert_array_equal(combined.source_component.sel(model="K=3"), [0, 1, 2, -1, -1])


@pytest.mark.parametrize("family", ["diag", "spherical", "tied", "VEV", "EEI"])
def test_fits_of_other_covariance_families_are_matched_by_their_clusters(family, blobs):
    X, _ = blobs
    full = GaussianMixture(3, random_state=0).fit(X)
    other = GaussianMixture(3, covariance_type=family, random_state=1).fit(X)
    (slots,) = bayesgmm.align_components(full, other)
    assert sorted(slots) == [0, 1, 2]
    np.testing.assert_allclose(other.means_[slots], full.means_, atol=0.5)


def test_the_distance_is_bhattacharyyas_and_ignores_units_and_standardisation():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, 400), rng.normal(6, 2, 600)])[:, None]
    a = GaussianMixture(2, random_state=0).fit(X)
    b = GaussianMixture(2, covariance_type="spherical", random_state=0).fit(X[::2])
    distances = component_distances(a, b)
    np.testing.assert_allclose(distances, component_distances(b, a).T, rtol=1e-12)
    assert np.all(np.diag(component_distances(a, a)) == 0)
    # exp(-D) is the overlap of the two densities, integral of sqrt(p q)
    for i in range(2):
        for j in range(2):
            p = stats.norm(a.means_[i, 0], np.sqrt(a.covariances_[i, 0, 0]))
            q = stats.norm(b.means_[j, 0], np.sqrt(b.covariances_[j]))
            overlap = integrate.quad(lambda x: np.sqrt(p.pdf(x) * q.pdf(x)), -40, 60, limit=200)[0]
            assert distances[i, j] == pytest.approx(-np.log(overlap), rel=1e-6, abs=1e-9)

    # a fit made on standardised features is compared in the data's units
    scaling = Standardization.of(X)
    z = GaussianMixture(2, random_state=0).fit(scaling.transform(X)).result_
    z = dataclasses.replace(z, standardization=scaling)
    np.testing.assert_allclose(np.diag(component_distances(a, z)), 0, atol=1e-8)
    # the same affine map of the features applied to both fits leaves every distance as it was
    shift, A = np.array([3.0]), np.array([[1 / 60]])  # e.g. minutes to hours, and an offset
    moved = [_mapped(fit.result_, A, shift) for fit in (a, b)]
    np.testing.assert_allclose(component_distances(*moved), distances, rtol=1e-9, atol=1e-12)


def _mapped(result, A, shift):
    """The fit's Gaussians under x -> A x + shift (full storage; only what the distances read)."""
    D = result.n_features
    family, p = result.spec.family, result.parameters
    covariances = np.stack(
        [A @ family.dense_covariance(p.covariances, k, D) @ A.T for k in range(result.n_components)]
    )
    parameters = dataclasses.replace(p, means=p.means @ A.T + shift, covariances=covariances)
    spec = dataclasses.replace(result.spec, covariance_type="full")
    return dataclasses.replace(result, spec=spec, parameters=parameters)


def test_bad_arguments_are_refused(blobs):
    X, _ = blobs
    gm = GaussianMixture(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="not a permutation of the model's 3 components"):
        bayesgmm.permute_components(gm, [0, 0, 1])
    with pytest.raises(ValueError, match="not a permutation"):
        bayesgmm.permute_components(gm, [0, 1])
    with pytest.raises(ValueError, match="1-D sequence of component indices"):
        bayesgmm.permute_components(gm, [0.0, 1.0, 2.0])
    with pytest.raises(bayesgmm.NotFittedError):
        bayesgmm.permute_components(GaussianMixture(3), [0, 1, 2])
    with pytest.raises(TypeError, match="fitted GaussianMixture or a FitResult"):
        bayesgmm.permute_components(gm.to_dataset(), [0, 1, 2])
    with pytest.raises(TypeError, match="at least one other fit"):
        bayesgmm.align_components(gm)
    other = GaussianMixture(2, random_state=0).fit(make_mixture(200, 2, 2))
    with pytest.raises(ValueError, match="fitted on 2 features"):
        bayesgmm.align_components(gm, other)


def test_plots_take_an_order_with_empty_places(blobs):
    from matplotlib.figure import Figure

    from bayesgmm import plotting

    X, _ = blobs
    gm = GaussianMixture(3, random_state=0).fit(X)
    order = [2, -1, 0, 1]  # e.g. aligned to a reference with a cluster this fit lacks
    ax = plotting.plot_weights(gm, ax=Figure().subplots(), order=order)
    assert [bar.get_x() + bar.get_width() / 2 for bar in ax.patches] == [0, 2, 3]
    np.testing.assert_array_equal([bar.get_height() for bar in ax.patches], gm.weights_[[2, 0, 1]])
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["2", "0", "1"]
    palette = plotting.component_colors(4)
    np.testing.assert_allclose(ax.patches[0].get_facecolor()[:3], palette[0])
    np.testing.assert_allclose(ax.patches[1].get_facecolor()[:3], palette[2])
    ax = plotting.plot_mixture(gm, X, ax=Figure().subplots(), order=order)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert [label.split(" (")[0] for label in labels] == [
        "component 2",
        "component 0",
        "component 1",
    ]
    with pytest.raises(ValueError, match="must list each of the model's 3 components once"):
        plotting.plot_weights(gm, order=[0, 1])
    with pytest.raises(ValueError, match="must list each"):
        plotting.plot_density(gm, X, order=[0, 1, 1])
