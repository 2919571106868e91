"""The examples gallery, built from the scripts in ``examples/`` and their saved figures.

sphinx-gallery would run every example again during the build, doubling the
test suite's time (the suite already runs each example).  Instead each
example saves its figures, and ``docs/refresh_gallery.py`` runs them all at
full size into ``docs/gallery/<name>/`` (figures and printed output, kept in
git).  At build time this extension writes one page per example into
``docs/generated/gallery/``: the script's docstring, its figures, what it
printed and its source, plus an index of thumbnails.  ``tests/test_examples.py``
checks that every example has its gallery folder and saves exactly the
figures kept there, so the gallery cannot silently fall behind the scripts.
"""

from __future__ import annotations

import ast
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
EXAMPLES = DOCS.parent / "examples"
FIGURES = DOCS / "gallery"
GENERATED = DOCS / "generated" / "gallery"
# the figure that stands for an example in the index (default: its first figure by name)
THUMBNAILS = {
    "anomaly_detection": "log_density.png",
    "customer_segmentation": "segments.png",
    "engines_faithful": "side_by_side.png",
    "image_segmentation": "segmentation.png",
    "old_faithful_bic": "bic_curve.png",
    "vb_pruning": "weights.png",
}


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.py"))


def _docstring(name: str) -> tuple[str, str]:
    """The script's title (first docstring line) and the rest of its docstring."""
    text = ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text(encoding="utf-8"))) or ""
    title, _, body = text.partition("\n")
    return title.strip().rstrip("."), body.strip()


def _page(name: str) -> str:
    title, body = _docstring(name)
    folder = FIGURES / name
    lines = [f"# {title}", "", f"`examples/{name}.py`", "", body, "", "## Figures", ""]
    for image in sorted(folder.glob("*.png")):
        lines += [
            f"```{{image}} ../../gallery/{name}/{image.name}",
            f":alt: {name}: {image.stem}",
            ":width: 100%",
            "```",
            "",
        ]
    output = folder / "output.txt"
    if output.exists():
        lines += [
            "## Output",
            "",
            "What the script printed when the gallery was last refreshed:",
            "",
            f"```{{literalinclude}} ../../gallery/{name}/output.txt",
            ":language: text",
            "```",
            "",
        ]
    lines += [
        "## Source",
        "",
        f"```{{literalinclude}} ../../../examples/{name}.py",
        ":language: python",
        "```",
        "",
    ]
    return "\n".join(lines)


def _index(names: list[str]) -> str:
    lines = [
        "# Examples gallery",
        "",
        "Each example is a script in `examples/` that runs in under a minute (the Zarr example "
        "with `BAYESGMM_ZARR_GB=0.5`; its default, 4 GB, takes minutes), prints its findings "
        "and saves its figures (into `$BAYESGMM_EXAMPLES_OUT/<name>`, default "
        "`./bayesgmm-examples`). The test suite runs them all. The figures and output shown here "
        "are from `python docs/refresh_gallery.py`, which runs every example at full size and keeps "
        "figures and output in `docs/gallery/`; a small Sphinx extension "
        "(`docs/_ext/examples_gallery.py`) builds these pages from them and from the scripts' "
        "docstrings. Why not sphinx-gallery, the usual choice: it would execute every example "
        "again in each docs build, which the test suite runs, doubling the examples' share of "
        "the suite's time. The price is that the kept figures must be refreshed by hand when an "
        "example changes; the examples test fails when an example saves other figures than "
        "those kept.",
        "",
        "```{toctree}",
        ":hidden:",
        "",
        *names,
        "```",
        "",
    ]
    for name in names:
        title, _ = _docstring(name)
        images = sorted(
            (FIGURES / name).glob("*.png"), key=lambda p: p.name != THUMBNAILS.get(name)
        )
        lines += [f"## [{title}]({name}.md)", ""]
        if images:
            lines += [
                f"```{{image}} ../../gallery/{name}/{images[0].name}",
                f":alt: {title.replace('`', '')}",
                ":width: 60%",
                f":target: {name}.html",
                "```",
                "",
            ]
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(app=None) -> None:
    GENERATED.mkdir(parents=True, exist_ok=True)
    names = example_names()
    for name in names:
        _write_if_changed(GENERATED / f"{name}.md", _page(name))
    _write_if_changed(GENERATED / "index.md", _index(names))


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
