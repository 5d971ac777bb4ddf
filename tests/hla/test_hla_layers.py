"""The HLA sub-packages hold every module, import at module level only, without cycles between modules.

Which layer may import which (nomenclature < matching < prediction < search) is an import-linter contract
in pyproject.toml, checked by the test command; these tests add what a contract does not state.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

HLA = Path(__file__).resolve().parents[2] / "src" / "engraft" / "hla"
LAYERS = ("nomenclature", "matching", "prediction", "search")
SUBPACKAGES = [f"engraft.hla.{layer}" for layer in LAYERS]


def _module_name(path: Path) -> str:
    parts = path.relative_to(HLA.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, ast.AST]]:
    """Imported module names (``from a.b import c`` counts as ``a.b.c`` when that is a module)."""
    out: list[tuple[str, ast.AST]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (HLA.parent.parent / Path(*candidate.split("."))).with_suffix(".py").exists()
                out.append((candidate if is_module else node.module, node))
        elif isinstance(node, ast.Import):
            out.extend((alias.name, node) for alias in node.names)
    return out


def _sources() -> list[Path]:
    return sorted(HLA.rglob("*.py"))


def test_every_hla_module_belongs_to_a_layer() -> None:
    loose = [p.name for p in HLA.glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def test_no_function_level_imports() -> None:
    """Imports stand at module level: none hides a cycle inside a function."""
    offending = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                offending += [
                    f"{path.relative_to(HLA)}:{n.lineno}"
                    for n in ast.walk(func)
                    if isinstance(n, ast.Import | ast.ImportFrom)
                ]
    assert offending == []


def test_no_import_cycle_between_modules() -> None:
    """The module graph (package ``__init__`` re-exports left out) has no cycle."""
    graph: dict[str, set[str]] = {}
    for path in _sources():
        if path.name == "__init__.py":
            continue
        graph[_module_name(path)] = {
            name for name, _ in _imports(path) if name.startswith("engraft.hla.") and not name.endswith("__init__")
        }
    for deps in graph.values():
        deps.intersection_update(graph)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                return [*path, module, dep]
            if dep not in state and (cycle := visit(dep, [*path, module])):
                return cycle
        state[module] = 2
        return None

    cycles = [cycle for module in sorted(graph) if module not in state and (cycle := visit(module, []))]
    assert cycles == []


@pytest.mark.parametrize("package", [*SUBPACKAGES, "engraft.hla", "engraft.demo.donor_registry"])
def test_imports_first_in_a_fresh_interpreter(package: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {package}"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
