"""The benchmark cases of issue 5, and their smaller ``--quick`` sizes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from bench.data import mixture, nearest_seed_responsibilities, starting_point


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "em" (per-iteration timing), "default_fit", "bic_sweep", "select_sweep", "memory"
    N: int
    D: int
    K: int
    covariance_type: str = "full"
    dtype: str = "float64"
    engine: str = "em"
    n_iter: int = 4  # timed iterations: fits of n1 and n1 + n_iter iterations
    n_iter_memory: int = 2  # iterations of the fit whose peak memory is measured
    target: float | None = None  # ratio sklearn / bayesgmm to reach
    quick_N: int | None = None
    description: str = ""

    def sized(self, quick: bool) -> Case:
        return dataclasses.replace(self, N=self.quick_N or self.N) if quick else self

    @property
    def flops_per_iteration(self) -> float | None:
        """4 N K D^2: the issue's count for a full-covariance EM iteration."""
        return 4.0 * self.N * self.K * self.D**2 if self.covariance_type == "full" else None


CASES = {
    case.name: case
    for case in [
        Case(
            "A",
            "em",
            1_000_000,
            2,
            8,
            n_iter=10,
            target=20,
            quick_N=100_000,
            description="N=1e6, D=2, K=8, full",
        ),
        Case(
            "B",
            "em",
            1_000_000,
            16,
            16,
            n_iter=4,
            target=6,
            quick_N=100_000,
            description="N=1e6, D=16, K=16, full",
        ),
        Case(
            "B32",
            "em",
            1_000_000,
            16,
            16,
            dtype="float32",
            n_iter=4,
            quick_N=100_000,
            description="B in float32",
        ),
        Case(
            "C",
            "em",
            200_000,
            64,
            32,
            n_iter=2,
            target=3,
            quick_N=20_000,
            description="N=2e5, D=64, K=32, full",
        ),
        Case(
            "D",
            "em",
            1_000_000,
            16,
            16,
            covariance_type="diag",
            n_iter=6,
            target=8,
            quick_N=100_000,
            description="N=1e6, D=16, K=16, diag",
        ),
        Case(
            "E",
            "em",
            100_000,
            16,
            16,
            engine="vb",
            n_iter=4,
            target=5,
            quick_N=20_000,
            description="N=1e5, D=16, K=16, full, VB vs BayesianGaussianMixture",
        ),
        Case(
            "F",
            "default_fit",
            1_000,
            2,
            3,
            target=1,
            description="N=1e3, D=2, K=3, whole default fit",
        ),
        Case(
            "G",
            "bic_sweep",
            10_000,
            4,
            10,
            target=5,
            description="BIC sweep K=1..10 x 4 covariance types, N=1e4, D=4, whole fits",
        ),
        Case(
            "T2",
            "select_sweep",
            2_000,
            6,
            9,
            target=20,
            description="BIC sweep K=1..9 x 4 covariance types, N=2e3, D=6, n_init=1, tol=1e-3: "
            "select() vs a scikit-learn loop",
        ),
        Case(
            "H",
            "memory",
            10_000_000,
            16,
            16,
            n_iter_memory=2,
            quick_N=1_000_000,
            description="memory: N=1e7, D=16, K=16 float64, 2 iterations",
        ),
    ]
}


def case_data(case: Case):
    """(X, start): the rows and the common start (``*_init`` dict, or VB responsibilities)."""
    X = mixture(case.N, case.D, case.K, seed=0, dtype=np.dtype(case.dtype))
    if case.kind in ("default_fit", "bic_sweep", "select_sweep"):
        return X, None
    if case.engine == "vb":
        return X, nearest_seed_responsibilities(X, case.K)
    return X, starting_point(X, case.K, case.covariance_type)
