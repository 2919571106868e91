"""scikit-learn's own estimator checks (``check_estimator``) pass for GaussianMixtureClassifier,
in both kinds, with their default (cheap) candidate sets."""

import warnings

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from bayesgmm import GaussianMixtureClassifier

ESTIMATORS = [GaussianMixtureClassifier(), GaussianMixtureClassifier("edda")]

with warnings.catch_warnings():
    # bayesgmm does not depend on scikit-learn, so it does not inherit its BaseEstimator
    warnings.filterwarnings(
        "ignore", message="Estimator GaussianMixtureClassifier does not inherit"
    )
    CHECKS = parametrize_with_checks(ESTIMATORS)


@pytest.mark.filterwarnings("ignore:Estimator GaussianMixtureClassifier does not inherit")
@pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")
@CHECKS
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
