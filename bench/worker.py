"""One library, one case, in a process of its own: peak memory (and time) of a fit.

``python -m bench.worker CASE LIBRARY [--quick]`` prints one JSON line.  The
peak resident set is reset after the data are made (Linux ``clear_refs``),
so ``fit_peak_mb`` is what the fit itself added and ``peak_rss_mb`` the
process's whole peak (interpreter, imports and data included).
"""

from __future__ import annotations

import json
import sys
import time


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field} not in /proc/self/status")


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    name, library = argv[0], argv[1]
    quick = "--quick" in argv
    import numpy as np  # noqa: F401  (imported before the baseline like the libraries)

    from bench.cases import CASES, case_data
    from bench.libs import fit_em, fit_vb

    if library == "bayesgmm":
        import bayesgmm  # noqa: F401
    else:
        import sklearn.mixture  # noqa: F401
    case = CASES[name].sized(quick)
    X, start = case_data(case)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak RSS to the current RSS
    before = _status_mb("VmRSS")
    begin = time.perf_counter()
    if case.engine == "vb":
        fit_vb(library, X, start, case.n_iter_memory)
    else:
        fit_em(library, X, case.K, case.covariance_type, case.n_iter_memory, start)
    seconds = time.perf_counter() - begin
    peak = _status_mb("VmHWM")
    print(
        json.dumps(
            dict(
                case=name,
                library=library,
                rss_before_fit_mb=before,
                peak_rss_mb=peak,
                fit_peak_mb=peak - before,
                data_mb=X.nbytes / 2**20,
                seconds=seconds,
                n_iter=case.n_iter_memory,
            )
        )
    )


if __name__ == "__main__":
    main()
