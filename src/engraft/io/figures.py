"""Rendering matplotlib figures of the core to PNG, SVG and PDF: bytes for the API, files for the CLI.

A journal asks for a figure at its column width (about 85 mm for one column, 175 mm for two) and a
resolution (300 dpi for photographs and line art alike, 600 or more for line art alone), as a raster
(PNG) or a vector (SVG, PDF) file. :class:`FigureSpec` names the formats, the size in millimetres and
the resolution; the figures' constrained layout re-flows at the new size (the numbers-at-risk table
stays under the ticks). PDFs embed TrueType fonts (type 42, which journals' checkers accept, not type
3) and neither PDF nor SVG carries a creation date, so the same figure gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import matplotlib
from matplotlib.figure import Figure

from engraft.outcomes._validation import OutcomeQueryError

DPI: Final = 150
MIN_DPI: Final = 72
MAX_DPI: Final = 1200
MIN_SIZE_MM: Final = 50.0
MAX_SIZE_MM: Final = 500.0
MM_PER_INCH: Final = 25.4
MAX_PIXELS: Final = 60_000_000
"""The largest raster rendered (width x height in pixels: 500 x 500 mm at 600 dpi is 13,950 x 13,950 = 195 M)."""


class FigureFormat(StrEnum):
    """Image formats a figure is rendered in."""

    PNG = "png"
    SVG = "svg"
    PDF = "pdf"


MEDIA_TYPES: Final[dict[FigureFormat, str]] = {
    FigureFormat.PNG: "image/png",
    FigureFormat.SVG: "image/svg+xml",
    FigureFormat.PDF: "application/pdf",
}
_METADATA: Final[dict[FigureFormat, dict[str, None]]] = {
    FigureFormat.PNG: {},
    FigureFormat.SVG: {"Date": None},
    FigureFormat.PDF: {"CreationDate": None, "ModDate": None},
}


def _format(value: str) -> FigureFormat:
    try:
        return FigureFormat(value)
    except ValueError:
        raise OutcomeQueryError("formats", value, f"one of {', '.join(FigureFormat)}") from None


def _check_pixels(width_in: float, height_in: float, dpi: int) -> None:
    if width_in * height_in * dpi**2 > MAX_PIXELS:
        pixels = f"{width_in * dpi:.0f} x {height_in * dpi:.0f} pixels"
        raise OutcomeQueryError("dpi", dpi, f"at most {MAX_PIXELS:,} pixels (got {pixels})", rule=True)


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """How to render a figure: ``formats``, ``width_mm`` x ``height_mm`` (None: the figure's own) and ``dpi``.

    Sizes are checked to lie in [50, 500] mm and ``dpi`` in [72, 1200]; a raster larger than
    :data:`MAX_PIXELS` is refused.
    """

    formats: tuple[FigureFormat, ...] = (FigureFormat.PNG, FigureFormat.SVG)
    width_mm: float | None = None
    height_mm: float | None = None
    dpi: int = DPI

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", tuple(_format(f) for f in self.formats))
        if not self.formats:
            raise OutcomeQueryError("formats", [], f"at least one of {', '.join(FigureFormat)}")
        for name in ("width_mm", "height_mm"):
            value = getattr(self, name)
            if value is not None and not MIN_SIZE_MM <= value <= MAX_SIZE_MM:
                raise OutcomeQueryError(name, value, f"{MIN_SIZE_MM:g} to {MAX_SIZE_MM:g} (millimetres)")
        if not MIN_DPI <= self.dpi <= MAX_DPI:
            raise OutcomeQueryError("dpi", self.dpi, f"{MIN_DPI} to {MAX_DPI} (dots per inch)")
        if self.width_mm is not None and self.height_mm is not None and FigureFormat.PNG in self.formats:
            _check_pixels(self.width_mm / MM_PER_INCH, self.height_mm / MM_PER_INCH, self.dpi)

    def size_in(self, fig: Figure) -> tuple[float, float]:
        """The (width, height) in inches to render ``fig`` at: the asked sizes, else the figure's."""
        width, height = (float(v) for v in fig.get_size_inches())
        if self.width_mm is not None:
            width = self.width_mm / MM_PER_INCH
        if self.height_mm is not None:
            height = self.height_mm / MM_PER_INCH
        return width, height


DEFAULT_SPEC: Final = FigureSpec()


def figure_bytes(fig: Figure, fmt: FigureFormat | str, spec: FigureSpec = DEFAULT_SPEC) -> bytes:
    """``fig`` rendered as ``fmt`` at ``spec``'s size and resolution (default: its own size, 150 dpi)."""
    chosen = _format(fmt)
    width, height = spec.size_in(fig)
    if chosen is FigureFormat.PNG:
        _check_pixels(width, height, spec.dpi)
    fig.set_size_inches(width, height)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42, "svg.hashsalt": "engraft"}):
        fig.savefig(buffer, format=chosen.value, dpi=spec.dpi, metadata=_METADATA[chosen])
    return buffer.getvalue()


def save_figure(
    fig: Figure,
    path: str | Path,
    formats: Sequence[FigureFormat | str] | None = None,
    spec: FigureSpec = DEFAULT_SPEC,
) -> list[Path]:
    """Write ``fig`` in each format (``formats``, else ``spec.formats``) next to ``path`` (suffix replaced)."""
    checked = spec.formats if formats is None else tuple(_format(f) for f in formats)
    base = Path(path)
    written = []
    for fmt in checked:
        out = base.with_suffix(f".{fmt.value}")
        out.write_bytes(figure_bytes(fig, fmt, spec))
        written.append(out)
    return written
