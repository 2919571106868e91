"""scikit-learn's own estimator checks (``check_estimator``) pass for every engine.

bayesgmm does not depend on scikit-learn at runtime; it implements what the checks need
(``get_params``/``set_params``, clone-ability, ``n_features_in_``, ``__sklearn_tags__``,
``__sklearn_is_fitted__``, scikit-learn's error wording).  Exceptions, each with its reason:

* ``check_array_api_input`` is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set
  before SciPy is imported; bayesgmm converts any array-API input to NumPy on entry.
* ``check_sample_weight_equivalence_on_dense_data`` for MAP and VB: it fits 15 rows of 30
  features, whose covariance is singular; the default priors (mclust's for MAP,
  scikit-learn's BayesianGaussianMixture's for VB) are built from that covariance, so the fit
  refuses with an error naming the cause. The equivalence itself is tested in
  tests/test_sample_weight.py for every engine.
"""

import warnings

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from bayesgmm import GaussianMixture
from bayesgmm.engines import ENGINES

# small fits keep the ~50 checks per engine at a few seconds (scikit-learn tests its own
# GaussianMixture with the same settings)
ESTIMATORS = [GaussianMixture(engine=engine, n_init=2, max_iter=20) for engine in ENGINES]


with warnings.catch_warnings():
    # scikit-learn notes that GaussianMixture does not inherit its BaseEstimator: on purpose,
    # bayesgmm does not depend on scikit-learn; the checks below are what matters
    warnings.filterwarnings("ignore", message="Estimator GaussianMixture does not inherit from")
    ESTIMATOR_CHECKS = parametrize_with_checks(
        ESTIMATORS,
        expected_failed_checks=lambda estimator: (
            {
                "check_sample_weight_equivalence_on_dense_data": "15 rows x 30 features: the data-derived default prior scale is singular"
            }
            if estimator.engine in ("map", "vb")
            else {}
        ),
    )


@pytest.mark.filterwarnings("ignore:Estimator GaussianMixture does not inherit from")
@pytest.mark.filterwarnings("ignore::bayesgmm.ConvergenceWarning")
@ESTIMATOR_CHECKS
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
