"""Choose the number of components and the covariance type of Old Faithful by BIC.

Run: python examples/old_faithful_bic.py
"""

import bayesgmm
from bayesgmm.datasets import load_faithful


def main() -> None:
    X = load_faithful()
    rows = []
    for covariance_type in ("full", "tied", "diag", "spherical"):
        for k in range(1, 7):
            model = bayesgmm.GaussianMixture(k, covariance_type=covariance_type, n_init=3, random_state=0)
            model.fit(X)
            rows.append((model.bic(X), covariance_type, k))
    rows.sort()
    print("BIC (lower is better), best five:")
    for bic, covariance_type, k in rows[:5]:
        print(f"  {covariance_type:>9}  K={k}  BIC={bic:9.2f}")
    best_bic, best_type, best_k = rows[0]
    best = bayesgmm.GaussianMixture(best_k, covariance_type=best_type, n_init=3, random_state=0).fit(X)
    print()
    print(best.result_.summary())


if __name__ == "__main__":
    main()
