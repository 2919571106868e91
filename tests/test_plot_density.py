"""plot_density draws the exact marginal densities of a fitted mixture."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import bayesgmm
from bayesgmm import plotting
from bayesgmm.datasets import load_faithful, load_galaxies


def curves(ax):
    return {line.get_label(): line.get_xydata() for line in ax.get_lines()}


def test_one_feature_curve_is_the_model_density():
    X = load_galaxies() / 1000
    model = bayesgmm.GaussianMixture(3, random_state=0).fit(X)
    ax = plotting.plot_density(model, X, ax=Figure().subplots())
    lines = curves(ax)
    x, y = lines["mixture density"].T
    np.testing.assert_allclose(y, np.exp(model.score_samples(x[:, None])), rtol=1e-10)
    parts = sum(lines[f"component {k} (weight {model.weights_[k]:.2f})"][:, 1] for k in range(3))
    np.testing.assert_allclose(parts, y, rtol=1e-12)
    assert ax.patches  # the histogram


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_marginal_of_a_two_feature_model_by_name(covariance_type):
    X = load_faithful()
    model = bayesgmm.GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    ax = plotting.plot_density(model, feature="waiting", ax=Figure().subplots(), grid=2000)
    x, y = curves(ax)["mixture density"].T
    assert ax.get_xlabel() == "waiting"
    assert np.trapezoid(y, x) == pytest.approx(
        1, abs=1e-3
    )  # the curves cover +-4 sd of every component
    # its mean is the mixture's mean of that feature
    assert np.trapezoid(x * y, x) == pytest.approx(
        float(model.weights_ @ model.means_[:, 1]), rel=1e-3
    )
