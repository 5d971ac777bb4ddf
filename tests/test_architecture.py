"""Imports point inwards: the pure core never imports an adapter, and only the CLI prints or exits."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "engraft"
CORE = ("vocabulary", "scores", "grading", "hla", "outcomes", "genomics", "measurements")
ADAPTERS = ("registry", "api", "web", "io", "cli")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", CORE)
def test_core_never_imports_an_adapter(package: str) -> None:
    offending = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in (SRC / package).rglob("*.py")
        for name in _imports(path)
        if any(name == f"engraft.{a}" or name.startswith(f"engraft.{a}.") for a in ADAPTERS)
    ]
    assert offending == []


def test_only_the_cli_prints_or_exits() -> None:
    offending = []
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).parts[0] == "cli" or path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"print", "exit"}:
                offending.append(f"{path.relative_to(SRC)}:{node.lineno} {node.func.id}()")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"exit", "stdout", "stderr"}
                and (isinstance(node.value, ast.Name) and node.value.id == "sys")
            ):
                offending.append(f"{path.relative_to(SRC)}:{node.lineno} sys.{node.attr}")
    assert offending == []
