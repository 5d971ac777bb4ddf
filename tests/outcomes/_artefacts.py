"""Figures rendered by the outcome tests, kept as artefacts to look at (``out/outcome-figures``, git-ignored)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from engraft.io.figures import save_figure

ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "outcome-figures"


def save_artefact(fig: Figure, name: str) -> Path:
    """``fig`` written as ``out/outcome-figures/NAME.png``; the PNG's path (checked to be a PNG)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (path,) = save_figure(fig, ARTEFACTS / name, formats=("png",))
    assert path.read_bytes().startswith(b"\x89PNG")
    return path
