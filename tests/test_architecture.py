"""The package's shape: layers import only downward, no import cycles, no module too long.

Imports are read from the source (also those inside functions, which is where a
cycle would hide); imports under ``if TYPE_CHECKING:`` are annotations only and
do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bayesgmm"

# bottom to top: a module may import from its own layer and the layers below
LAYERS = (
    ("_version", "_lazy", "exceptions", "kernels"),
    ("families",),
    ("stats",),
    ("densities",),
    ("data", "datasets"),
    ("engines",),
    ("diagnostics",),
    ("spec", "fitting"),
    ("estimator", "bayesian"),
    ("model_selection", "classification", "io"),
    ("plotting", "report"),
    ("cli",),
)
FLOOR = {name: floor for floor, names in enumerate(LAYERS) for name in names}
MAX_MODULE_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imported_modules(path: Path, modules: set[str]) -> set[str]:
    """bayesgmm modules that ``path`` imports at run time (module level or in functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _is_type_checking_block(node):
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & modules
            found.update(submodules)  # `from . import loop` imports a module
            if target in modules and len(submodules) < len(node.names):
                found.add(target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    return {_module_name(path): _imported_modules(path, modules) for path in paths}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return FLOOR.get(parts[1]) if len(parts) > 1 else None


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in _graph() if m != "bayesgmm" and _layer(m) is None)
    assert not unplaced, f"add these to LAYERS (and docs/architecture.md): {unplaced}"


def test_layers_import_only_downward():
    upward = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if module != "bayesgmm" and _layer(target) is not None and _layer(target) > _layer(module)
    ]
    assert not upward, "imports into a higher layer:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = _graph()
    # importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer is inside them
    for module, targets in graph.items():
        for target in list(targets):
            parts = target.split(".")
            for n in range(2, len(parts)):
                parent = ".".join(parts[:n])
                if not module.startswith(parent + ".") and module != parent:
                    targets.add(parent)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(module: str, stack: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                walk(target, stack + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_modules_stay_short(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{n} lines: split it by the jobs it does"
