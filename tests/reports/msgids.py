"""Every msgid the report can print, read from the source (each ``N_("...")`` call)."""

from __future__ import annotations

import ast
from pathlib import Path

import engraft.io.risk_report_render as render_module
import engraft.reports as reports_package


def source_msgids() -> set[str]:
    files = [*Path(reports_package.__file__).parent.glob("*.py"), Path(render_module.__file__)]
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found
