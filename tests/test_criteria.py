"""BIC, AIC and ICL: scikit-learn's counts and values, mclust's sign and definition."""

import warnings

import numpy as np
import pytest
from conftest import ASCENT_ENGINES, COVARIANCE_TYPES, make_mixture
from reference import full_covariances, log_rho
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from bayesgmm import GaussianMixture, NotFittedError

SKLEARN_COUNTS_D5_K2 = {"full": 41, "tied": 26, "diag": 21, "spherical": 13}


def sklearn_fit(X, covariance_type, K=2):
    return SkGaussianMixture(K, covariance_type=covariance_type, random_state=0).fit(X)


def ours_at(theirs, X):
    """bayesgmm holding scikit-learn's fitted parameters exactly (no iteration)."""
    return GaussianMixture(
        theirs.n_components,
        covariance_type=theirs.covariance_type,
        max_iter=0,
        weights_init=theirs.weights_,
        means_init=theirs.means_,
        precisions_init=theirs.precisions_,
    ).fit(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parameter_counts_match_scikit_learn(covariance_type, mixture5d):
    theirs = sklearn_fit(mixture5d, covariance_type)
    ours = ours_at(theirs, mixture5d)
    assert ours._n_parameters() == theirs._n_parameters() == SKLEARN_COUNTS_D5_K2[covariance_type]
    assert ours.result_.n_parameters == theirs._n_parameters()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_bic_and_aic_match_scikit_learn_on_the_same_parameters(covariance_type, mixture5d):
    theirs = sklearn_fit(mixture5d, covariance_type)
    ours = ours_at(theirs, mixture5d)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-12)
    assert ours.bic(mixture5d) == pytest.approx(theirs.bic(mixture5d), rel=1e-10)
    assert ours.aic(mixture5d) == pytest.approx(theirs.aic(mixture5d), rel=1e-10)
    # the result's criteria come from the fit's own final pass over the same data
    assert ours.result_.bic() == pytest.approx(theirs.bic(mixture5d), rel=1e-10)
    assert ours.result_.aic() == pytest.approx(theirs.aic(mixture5d), rel=1e-10)
    assert ours.bic(mixture5d, convention="mclust") == -ours.bic(mixture5d)


def reference_criteria(gm, X, sample_weight=None):
    """BIC, AIC, ICL from scipy densities, ICL as mclust's icl() computes it."""
    K, D = gm.means_.shape
    w = np.ones(len(X)) if sample_weight is None else sample_weight
    rho = log_rho(
        X, gm.weights_, gm.means_, full_covariances(gm.covariance_type, gm.covariances_, K, D)
    )
    norm = logsumexp(rho, axis=1)
    z = np.exp(rho - norm[:, None])
    hard = np.zeros_like(z)
    hard[np.arange(len(X)), z.argmax(axis=1)] = 1.0
    log_likelihood = w @ norm
    p, n = gm._n_parameters(), w.sum()
    bic_mclust = 2 * log_likelihood - p * np.log(n)
    icl_mclust = bic_mclust + 2 * np.sum(w[:, None] * hard * np.where(z > 0, np.log(z), 0.0))
    return {"bic": -bic_mclust, "aic": -2 * log_likelihood + 2 * p, "icl": -icl_mclust}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("engine", sorted(ASCENT_ENGINES))
def test_criteria_of_every_engine_match_a_scipy_reference(engine, covariance_type):
    X = make_mixture(300, 3, 3, separation=2.0, seed=5)  # overlapping: the ICL's entropy matters
    gm = GaussianMixture(3, covariance_type=covariance_type, engine=engine, random_state=0).fit(X)
    expected = reference_criteria(gm, X)
    assert gm.bic(X) == pytest.approx(expected["bic"], rel=1e-10)
    assert gm.aic(X) == pytest.approx(expected["aic"], rel=1e-10)
    assert gm.icl(X) == pytest.approx(expected["icl"], rel=1e-10)
    assert gm.icl(X) > gm.bic(X) + 1.0  # overlapping components cost classification entropy
    assert gm.icl(X, convention="mclust") == pytest.approx(-expected["icl"], rel=1e-10)
    assert gm.result_.icl(X) == pytest.approx(gm.icl(X), rel=1e-12)
    assert gm.result_.bic() == pytest.approx(gm.bic(X), rel=1e-10)


def test_icl_equals_bic_when_every_row_is_assigned_with_certainty():
    X = make_mixture(300, 2, 3, separation=40.0, seed=1)
    gm = GaussianMixture(3, random_state=0).fit(X)
    assert gm.icl(X) == pytest.approx(gm.bic(X), abs=1e-8)
    assert gm.icl(X) >= gm.bic(X)


@pytest.mark.parametrize("covariance_type", ["full", "spherical"])
def test_sample_weights_count_as_repeated_rows(covariance_type):
    X = make_mixture(200, 2, 2, separation=2.0, seed=3)
    repeats = np.random.default_rng(0).integers(1, 4, size=len(X))
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(
        X, sample_weight=repeats
    )
    expected = reference_criteria(gm, np.repeat(X, repeats, axis=0))
    assert gm.result_.bic() == pytest.approx(expected["bic"], rel=1e-10)
    assert gm.result_.icl(X, sample_weight=repeats) == pytest.approx(expected["icl"], rel=1e-10)
    assert gm.icl(np.repeat(X, repeats, axis=0)) == pytest.approx(expected["icl"], rel=1e-10)


def test_tied_three_components_on_old_faithful_matches_mclust_eee_3(faithful):
    # mclust 6 (Mclust(faithful, G = 3, modelNames = "EEE")) reports BIC -2314.386; mclust
    # stops EM on a relative log-likelihood change of 1e-5, so the converged optimum lies
    # slightly higher
    gm = GaussianMixture(3, covariance_type="tied", tol=1e-8, max_iter=1000, random_state=1).fit(
        faithful
    )
    assert gm.bic(faithful, convention="mclust") == pytest.approx(-2314.386, abs=0.1)
    assert gm.bic(faithful, convention="mclust") >= -2314.386
    assert gm._n_parameters() == 11


def test_bad_convention_and_unfitted_model_give_clear_errors(faithful):
    with pytest.raises(NotFittedError, match="not fitted"):
        GaussianMixture(2).icl(faithful)
    gm = GaussianMixture(2, random_state=0).fit(faithful)
    for method in (gm.bic, gm.icl):
        with pytest.raises(ValueError, match="convention='R' is not one of"):
            method(faithful, convention="R")
    with pytest.raises(ValueError, match="convention"):
        gm.result_.bic(convention="lower")
    with pytest.raises(
        ValueError, match=r"X has 3 features, but the model is expecting 2 features"
    ):
        gm.result_.icl(np.ones((5, 3)))


def test_criteria_need_no_warnings(faithful):
    gm = GaussianMixture(2, random_state=0).fit(faithful)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gm.bic(faithful), gm.aic(faithful), gm.icl(faithful)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_bic_and_aic_from_the_fused_pass_equal_the_row_by_row_sum(covariance_type, mixture5d):
    # bic() and aic() need only the log-likelihood and take it from the E-step kernel;
    # icl() sums the rows' log densities one by one: both must agree
    from bayesgmm.diagnostics import criteria

    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(mixture5d)
    family, parameters = gm.result_.spec.family, gm.result_.parameters
    fused, n = criteria.log_likelihood(mixture5d, family, parameters)
    by_rows, _, n_rows = criteria.data_fit(mixture5d, family, parameters)
    assert fused == pytest.approx(by_rows, rel=1e-12)
    assert n == n_rows == mixture5d.shape[0]
    weights = np.random.default_rng(0).uniform(0, 2, size=mixture5d.shape[0])
    assert criteria.log_likelihood(mixture5d, family, parameters, weights)[0] == pytest.approx(
        criteria.data_fit(mixture5d, family, parameters, weights)[0], rel=1e-12
    )


def test_bic_of_a_row_beyond_float64_is_infinite_not_nan(faithful):
    gm = GaussianMixture(2, random_state=0).fit(faithful)
    far = np.vstack([faithful, [[1e160, 1e160]]])
    with np.errstate(over="ignore"):
        assert gm.bic(far) == np.inf
        assert gm.aic(far) == np.inf


@pytest.mark.parametrize(
    ("covariance_type", "dtype", "weighted", "noise"),
    [
        ("full", np.float64, False, False),
        ("diag", np.float64, True, False),
        ("tied", np.float32, True, False),
        ("full", np.float64, False, True),
    ],
)
def test_icl_from_the_final_pass_equals_the_row_by_row_entropy(
    covariance_type, dtype, weighted, noise, mixture5d
):
    """The E-step kernel's by-product (each row's largest log density) gives ICL's entropy
    without another pass; it equals data_fit's row-by-row log-sum-exp."""
    from bayesgmm.diagnostics.criteria import data_fit, result_criteria

    X = np.ascontiguousarray(mixture5d, dtype=dtype)
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 2.0, X.shape[0]) if weighted else None
    gm = GaussianMixture(3, covariance_type=covariance_type, noise=noise, random_state=0)
    gm.fit(X, sample_weight=weights)
    result = gm.result_
    _, entropy, _ = data_fit(X, result.spec.family, result.parameters, weights)
    if dtype == np.float32:  # float32 sums leave the small difference too coarse: not used
        assert result.classification_entropy is None
    else:
        assert result.classification_entropy == pytest.approx(entropy, rel=1e-9, abs=1e-9)
    with_pass = result_criteria(result, X, weights)
    from_fit = result_criteria(result, X, weights, fitting_data=True)
    assert from_fit["icl"] == pytest.approx(with_pass["icl"], rel=1e-9)
