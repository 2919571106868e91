"""The documentation builds with every Sphinx warning treated as an error."""

import pathlib
import subprocess
import sys

DOCS = pathlib.Path(__file__).parents[1] / "docs"


def test_sphinx_build_has_no_warnings(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "api.html").stat().st_size > 0
