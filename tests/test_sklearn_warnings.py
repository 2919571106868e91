"""scikit-learn's warning filters catch bayesgmm's ConvergenceWarning, and ours still do."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import sklearn.exceptions

import bayesgmm


def unconverged_fit():
    X = np.random.default_rng(0).normal(size=(200, 2))
    return bayesgmm.GaussianMixture(3, max_iter=1, random_state=0).fit(X)


def test_scikit_learns_filter_ignores_our_convergence_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=sklearn.exceptions.ConvergenceWarning)
        unconverged_fit()
    assert not [w for w in caught if "did not converge" in str(w.message)]


def test_scikit_learns_pytest_warns_sees_ours_and_so_does_ours():
    with pytest.warns(sklearn.exceptions.ConvergenceWarning) as caught:
        unconverged_fit()
    warning = caught.pop(sklearn.exceptions.ConvergenceWarning)
    assert isinstance(warning.message, bayesgmm.ConvergenceWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=bayesgmm.ConvergenceWarning)
        unconverged_fit()
    assert not [w for w in caught if "did not converge" in str(w.message)]


def test_bayesgmm_does_not_import_scikit_learn_and_warns_its_own_class():
    # importing scikit-learn would double ``import bayesgmm``'s time (measured in
    # docs/migration.md); without it loaded the warning is bayesgmm's class alone
    code = (
        "import sys, warnings, numpy as np, bayesgmm\n"
        "assert 'sklearn' not in sys.modules\n"
        "X = np.random.default_rng(0).normal(size=(200, 2))\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    bayesgmm.GaussianMixture(3, max_iter=1, random_state=0).fit(X)\n"
        "assert [w.category for w in caught] == [bayesgmm.ConvergenceWarning], caught\n"
        "assert 'sklearn' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
