"""Started from identical parameters, bayesgmm's EM equals scikit-learn's to 1e-8.

scikit-learn is the reference on Old Faithful and a 5-D synthetic mixture.  On
data offset 1e6 from the origin its tied, diag and spherical M-steps and
diag/spherical densities expand ``(x - m)^2`` as ``x^2 - 2xm + m^2`` and lose up
to 2% of the covariance to cancellation, while bayesgmm accumulates about the
current means.  A mixture fit is translation-equivariant, so there the
reference is scikit-learn on the *unshifted* data, with the means shifted back.
"""

import warnings

import numpy as np
import pytest
from conftest import COVARIANCE_TYPES, make_mixture
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from bayesgmm import GaussianMixture

RTOL = 1e-8
OFFSET = 1e6


def starting_parameters(X, covariance_type, K=3):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = SkGaussianMixture(
            K, covariance_type=covariance_type, max_iter=1, random_state=1
        ).fit(X)
    return dict(
        weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_
    )


def fit_both(X_sklearn, X_ours, covariance_type, n_iter, init, shift=0.0):
    common = dict(covariance_type=covariance_type, max_iter=n_iter, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SkGaussianMixture(3, **common, **init).fit(X_sklearn)
        ours_init = dict(init, means_init=init["means_init"] + shift)
        ours = GaussianMixture(3, **common, **ours_init).fit(X_ours)
    return theirs, ours


def assert_same_fit(theirs, ours, shift=0.0):
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=RTOL)
    # means are compared on the data's scale: relative to 1e6 a shift hides everything
    scale = np.abs(theirs.means_).max()
    np.testing.assert_allclose(ours.means_ - shift, theirs.means_, rtol=0, atol=RTOL * scale)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=RTOL)
    np.testing.assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=RTOL)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=RTOL)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=RTOL)
    assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_iter", [1, 10, 100])
@pytest.mark.parametrize("dataset", ["faithful", "mixture5d"])
def test_em_matches_scikit_learn(dataset, covariance_type, n_iter, request):
    X = request.getfixturevalue(dataset)
    init = starting_parameters(X, covariance_type)
    assert_same_fit(*fit_both(X, X, covariance_type, n_iter, init))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_iter", [1, 10, 100])
def test_em_on_data_offset_1e6_matches_scikit_learn_on_centred_data(covariance_type, n_iter):
    X = make_mixture(300, 3, 3, seed=4)
    init = starting_parameters(X, covariance_type)
    theirs, ours = fit_both(X, X + OFFSET, covariance_type, n_iter, init, shift=OFFSET)
    assert_same_fit(theirs, ours, shift=OFFSET)


@pytest.mark.parametrize("n_iter", [1, 10, 100])
def test_full_covariance_on_offset_data_matches_scikit_learn_directly(n_iter):
    X = make_mixture(300, 3, 3, seed=4) + OFFSET
    init = starting_parameters(X, "full")
    assert_same_fit(*fit_both(X, X, "full", n_iter, init))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_predictions_match_scikit_learn(covariance_type, mixture5d):
    init = starting_parameters(mixture5d, covariance_type)
    theirs, ours = fit_both(mixture5d, mixture5d, covariance_type, 20, init)
    np.testing.assert_allclose(
        ours.score_samples(mixture5d), theirs.score_samples(mixture5d), rtol=1e-9
    )
    np.testing.assert_allclose(
        ours.predict_proba(mixture5d), theirs.predict_proba(mixture5d), atol=1e-9
    )
    np.testing.assert_array_equal(ours.predict(mixture5d), theirs.predict(mixture5d))
    assert ours.bic(mixture5d) == pytest.approx(theirs.bic(mixture5d), rel=1e-10)
    assert ours.aic(mixture5d) == pytest.approx(theirs.aic(mixture5d), rel=1e-10)
    np.testing.assert_allclose(ours.precisions_, theirs.precisions_, rtol=1e-8)
