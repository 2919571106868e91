"""Every script in examples/ runs to completion, prints its findings and saves the figures
that the documentation's gallery shows (docs/gallery/<name>/, see docs/_ext/examples_gallery.py)."""

import pathlib
import runpy

import dask
import matplotlib
import pytest
from conftest import DASK_TIMEOUTS

ROOT = pathlib.Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
GALLERY = ROOT / "docs" / "gallery"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_saves_the_gallery_figures(script, capsys, monkeypatch, tmp_path):
    matplotlib.use("Agg")
    monkeypatch.setenv("BAYESGMM_ZARR_GB", "0.005")  # the larger-than-memory example, in miniature
    monkeypatch.setenv("BAYESGMM_EXAMPLES_OUT", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # nothing may land in the repository
    with dask.config.set(DASK_TIMEOUTS):  # the Zarr example's workers start slowly when loaded
        runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()
    saved = sorted(p.name for p in (tmp_path / script.stem).glob("*.png"))
    assert saved, f"{script.name} saved no figure"
    for name in saved:
        assert (tmp_path / script.stem / name).read_bytes()[:4] == b"\x89PNG"
    kept = sorted(p.name for p in (GALLERY / script.stem).glob("*.png"))
    assert saved == kept, "refresh the gallery: python docs/refresh_gallery.py " + script.stem
    assert (GALLERY / script.stem / "output.txt").stat().st_size > 0


def test_every_example_has_a_docstring_saying_what_it_shows():
    for script in EXAMPLES:
        text = script.read_text()
        assert text.startswith('"""') and "Run: python examples/" in text, script.name
        assert "BAYESGMM_EXAMPLES_OUT" in text, script.name
