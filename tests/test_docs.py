"""The documentation builds with every Sphinx warning treated as an error."""

import pathlib
import subprocess
import sys

DOCS = pathlib.Path(__file__).parents[1] / "docs"


def test_sphinx_build_has_no_warnings(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "api.html").stat().st_size > 0
    # the gallery: a page per example, each showing its kept figures
    examples = sorted(p.stem for p in (DOCS.parent / "examples").glob("*.py"))
    for name in examples:
        page = (tmp_path / "generated" / "gallery" / f"{name}.html").read_text()
        figures = sorted((DOCS / "gallery" / name).glob("*.png"))
        assert figures and all(f.name.split(".")[0] in page for f in figures), name
        assert page.count("<img") == len(figures), name
    index = (tmp_path / "generated" / "gallery" / "index.html").read_text()
    assert index.count("<img") == len(examples)
