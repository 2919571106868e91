"""``bayesgmm score``'s anomaly flags: which threshold, and where it came from.

``--anomaly-percentile P`` takes the P-th percentile of the *training* rows'
log-density, stored in the fit's file (:mod:`bayesgmm.fitting.score_quantiles`);
``--threshold VALUE`` a log-density given outright; ``--batch-percentile P`` the
P-th percentile of the rows being scored, which flags P% of any batch (what
``--anomaly-percentile`` did before the fit stored its training quantiles).
Every threshold is in the data's own units, as the ``log_density`` column: a
standardised fit's training quantiles are shifted by the standardisation's log-Jacobian.

A fit with a noise component (``bayesgmm fit --noise``) gets a ``noise_probability``
column, and without any of those options its ``anomaly`` column flags the rows the
noise component explains better than every cluster (probability above 1/2, mclust's
classification as noise).
"""

from __future__ import annotations

import argparse

import numpy as np

from ..fitting.score_quantiles import check_percentile, ordinal


class NoThreshold(ValueError):
    """The fit's file holds no training quantiles (bad input: exit code 2)."""


def anomaly_threshold(
    args: argparse.Namespace, model, log_density: np.ndarray, log_jacobian: float
) -> tuple[float, str] | None:
    """The threshold the options ask for and a sentence saying where it came from; None
    if no anomaly option was given.  ``log_density`` is the scored rows' (data units)."""
    if args.threshold is not None:
        if np.isnan(args.threshold):
            raise ValueError("--threshold must be a log-density (a number)")
        return float(args.threshold), "given by --threshold"
    if args.batch_percentile is not None:
        percentile = _percentile(args.batch_percentile, "--batch-percentile")
        value = float(np.percentile(log_density, percentile))
        return value, (
            f"the {ordinal(percentile)} percentile of the log-density of the "
            f"{log_density.size} rows scored here (--batch-percentile)"
        )
    if args.anomaly_percentile is None:
        return None
    percentile = _percentile(args.anomaly_percentile, "--anomaly-percentile")
    quantiles = model.result_.score_quantiles
    if quantiles is None:
        raise NoThreshold(
            f"{args.result} holds no training log-density quantiles (saved by an older "
            "bayesgmm, or by partial_fit), so --anomaly-percentile has no training threshold; "
            "refit it with 'bayesgmm fit', or give --threshold VALUE or --batch-percentile P"
        )
    value = quantiles.threshold(percentile) + log_jacobian
    return value, f"{quantiles.describe(percentile)}, stored in {args.result}"


def _percentile(value: float, option: str) -> float:
    try:
        return check_percentile(value)
    except ValueError:
        raise ValueError(f"{option} must lie between 0 and 100, got {value:g}") from None


def noise_anomalies(model, X) -> np.ndarray | None:
    """Each row's probability under the model's noise component, or None without one."""
    if not model.has_noise_component:
        return None
    return model.noise_probability(X)
