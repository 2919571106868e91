"""scikit-learn's own estimator checks (``check_estimator``) pass for every engine.

bayesgmm does not depend on scikit-learn at runtime; it implements what the checks need
(``get_params``/``set_params``, clone-ability, ``n_features_in_``, ``__sklearn_tags__``,
``__sklearn_is_fitted__``, scikit-learn's error wording).  Exceptions, each with its reason:

* ``check_array_api_input`` is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set
  before SciPy is imported; bayesgmm converts any array-API input to NumPy on entry.

``check_sample_weight_equivalence_on_dense_data`` fits 15 rows of 30 features, whose
covariance is singular: the data-derived default priors of MAP and VB are regularised then
(docs/engines.md), so it passes for every engine with no expected failure.
"""

import warnings

import pytest
from conftest import ASCENT_ENGINES
from sklearn.utils.estimator_checks import parametrize_with_checks

from bayesgmm import GaussianMixture

# small fits keep the ~50 checks per engine at a few seconds (scikit-learn tests its own
# GaussianMixture with the same settings)
ESTIMATORS = [GaussianMixture(engine=engine, n_init=2, max_iter=20) for engine in ASCENT_ENGINES]


with warnings.catch_warnings():
    # scikit-learn notes that GaussianMixture does not inherit its BaseEstimator: on purpose,
    # bayesgmm does not depend on scikit-learn; the checks below are what matters
    warnings.filterwarnings("ignore", message="Estimator GaussianMixture does not inherit from")
    ESTIMATOR_CHECKS = parametrize_with_checks(ESTIMATORS)


@pytest.mark.filterwarnings("ignore:Estimator GaussianMixture does not inherit from")
@pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")
@ESTIMATOR_CHECKS
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
