"""Every script in examples/ runs to completion."""

import pathlib
import runpy

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, capsys, monkeypatch):
    monkeypatch.setenv("BAYESGMM_ZARR_GB", "0.005")  # the larger-than-memory example, in miniature
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()
