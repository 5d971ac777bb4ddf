"""The architecture rules that import-linter cannot state, and the completeness of its contracts.

Which package may import which is declared as import-linter contracts in pyproject.toml and checked by
``lint-imports`` in the test command (scripts/test). Here: every package of engraft is placed in those
contracts (a new package cannot slip past them), and only the CLI prints or exits.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src" / "engraft"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _contract(name_start: str) -> dict[str, Any]:
    return next(c for c in _contracts() if c["name"].startswith(name_start))


def _top_level_packages() -> set[str]:
    return {
        f"engraft.{p.stem if p.is_file() else p.name}"
        for p in SRC.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and not p.name.startswith("_"))
    }


def test_every_package_is_core_or_adapter() -> None:
    core = set(_contract("The pure core imports no adapter")["source_modules"])
    adapters = set(_contract("The pure core imports no adapter")["forbidden_modules"])
    assert core.isdisjoint(adapters)
    assert _top_level_packages() <= core | adapters, sorted(_top_level_packages() - core - adapters)


def test_every_adapter_is_in_the_adapter_layers() -> None:
    adapters = set(_contract("The pure core imports no adapter")["forbidden_modules"])
    layered = {m.strip() for layer in _contract("Adapters are layered")["layers"] for m in layer.split("|")}
    assert adapters <= layered


def test_only_the_cli_imports_the_demo() -> None:
    contract = _contract("Only the CLI imports the synthetic demo package")
    assert contract["type"] == "protected"
    assert contract["protected_modules"] == ["engraft.demo"] and contract["allowed_importers"] == ["engraft.cli"]


def test_cycles_are_checked_everywhere() -> None:
    contract = _contract("No import cycles")
    assert contract["type"] == "acyclic_siblings" and "engraft.**" in contract["ancestors"]


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
