"""The README's python code blocks run as written, in order, as a reader would paste them."""

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_readme_has_python_blocks():
    assert len(python_blocks(README.read_text())) >= 2


def test_the_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the first block saves fit.nc
    namespace: dict = {"__name__": "readme"}
    with warnings.catch_warnings():
        # the README shows calls, not a tuned fit: a warning (e.g. PSIS-LOO's Pareto k) is fine
        warnings.simplefilter("ignore")
        for index, block in enumerate(python_blocks(README.read_text())):
            exec(compile(block, f"README.md python block {index + 1}", "exec"), namespace)
    assert (tmp_path / "fit.nc").exists()
