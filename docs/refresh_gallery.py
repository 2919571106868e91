"""Run every example at full size and keep its figures and output for the docs' gallery.

    python docs/refresh_gallery.py [NAME ...]

Each example runs in its own process with BAYESGMM_EXAMPLES_OUT=docs/gallery,
so its figures land in docs/gallery/<name>/; what it prints goes to
docs/gallery/<name>/output.txt.  The Zarr example runs at
BAYESGMM_ZARR_GB=0.5 (the measured 4 GB run is in docs/scaling.md).  Prints
each example's wall time.  Commit the changed files.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
EXAMPLES = DOCS.parent / "examples"
GALLERY = DOCS / "gallery"
SETTINGS = {"zarr_larger_than_memory": {"BAYESGMM_ZARR_GB": "0.5"}}


def refresh(name: str) -> float:
    folder = GALLERY / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "BAYESGMM_EXAMPLES_OUT": str(GALLERY), **SETTINGS.get(name, {})}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        env=env,
        capture_output=True,
        text=True,
        cwd=DOCS.parent,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{name} failed:\n{done.stderr}")
    # the last line names the folder the figures went to: machine-specific, not kept
    lines = [
        line
        for line in done.stdout.splitlines()
        if not line.startswith(("figures in", "figure in"))
    ]
    (folder / "output.txt").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return elapsed


def main(names: list[str]) -> None:
    for name in names or sorted(p.stem for p in EXAMPLES.glob("*.py")):
        print(f"{name}: {refresh(name):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
