"""The `bayesgmm` command, run as a user would: in a subprocess."""

import subprocess
import sys


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "bayesgmm.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_demo_prints_a_readable_summary_of_old_faithful():
    done = run("demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Old Faithful" in out and "2 components" in out
    for word in ("log-likelihood", "BIC", "iterations", "weight", "mean", "covariance", "eruptions", "waiting"):
        assert word in out
    # the well-known two-cluster answer: short eruptions ~2 min after ~54 min, long ~4.3 after ~80
    assert "2.0365" in out and "4.2898" in out


def test_demo_reports_bad_options_in_one_line():
    done = run("demo", "--components", "0")
    assert done.returncode == 2
    assert "n_components must be >= 1" in done.stderr and "Traceback" not in done.stderr
