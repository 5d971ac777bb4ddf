"""Rendering matplotlib figures of the core to PNG and SVG: bytes for the API, files for the CLI."""

from __future__ import annotations

import io
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Final

from matplotlib.figure import Figure

from engraft.outcomes._validation import OutcomeInputError

DPI: Final = 150


class FigureFormat(StrEnum):
    """Image formats a figure is rendered in."""

    PNG = "png"
    SVG = "svg"


MEDIA_TYPES: Final[dict[FigureFormat, str]] = {FigureFormat.PNG: "image/png", FigureFormat.SVG: "image/svg+xml"}


def _format(value: str) -> FigureFormat:
    try:
        return FigureFormat(value)
    except ValueError:
        raise OutcomeInputError(f"formats: got {value!r}; expected 'png' or 'svg'") from None


def figure_bytes(fig: Figure, fmt: FigureFormat | str) -> bytes:
    """``fig`` rendered as PNG or SVG (150 dpi)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=_format(fmt).value, dpi=DPI)
    return buffer.getvalue()


def save_figure(
    fig: Figure, path: str | Path, formats: Sequence[FigureFormat | str] = (FigureFormat.PNG, FigureFormat.SVG)
) -> list[Path]:
    """Write ``fig`` as each of ``formats`` next to ``path`` (its suffix is replaced); returns the files."""
    checked = [_format(f) for f in formats]
    base = Path(path)
    written = []
    for fmt in checked:
        out = base.with_suffix(f".{fmt.value}")
        out.write_bytes(figure_bytes(fig, fmt))
        written.append(out)
    return written
