"""The figure options of ``engraft outcomes``: formats, size in millimetres, resolution, the time axis's unit.

``--figure-format`` (repeatable: png, svg, pdf; default png and svg), ``--width-mm``/``--height-mm``
(a journal's column: about 85 mm for one, 175 mm for two), ``--dpi`` (72 to 1200) and
``--figure-time-unit`` (days, months or years; default the results' unit) become one
:class:`~engraft.io.figures.FigureSpec` and a time unit, checked before anything is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from engraft.io.figures import MM_PER_INCH, FigureFormat, FigureSpec
from engraft.outcomes._validation import OutcomeQueryError, check_time_unit
from engraft.vocabulary import TimeUnit

FigureFormatOption = Annotated[
    list[FigureFormat] | None,
    typer.Option("--figure-format", help="png, svg or pdf (repeatable; default png and svg)", case_sensitive=False),
]
WidthOption = Annotated[
    float | None, typer.Option("--width-mm", help="figure width in millimetres (50-500; 85 one column, 175 two)")
]
HeightOption = Annotated[float | None, typer.Option("--height-mm", help="figure height in millimetres (50-500)")]
DpiOption = Annotated[int, typer.Option("--dpi", help="resolution of PNG figures, dots per inch (72-1200)")]
FigureTimeUnitOption = Annotated[
    str | None, typer.Option("--figure-time-unit", help="days, months or years on the time axis (default: results')")
]


@dataclass(frozen=True, slots=True)
class FigureChoice:
    """How the figure is drawn (time axis's unit, size) and saved (formats, size, resolution)."""

    spec: FigureSpec
    time_unit: TimeUnit | None

    @property
    def size_in(self) -> tuple[float, float] | None:
        """The size asked in inches, to lay the figure out at; None: the figure's own."""
        if self.spec.width_mm is None or self.spec.height_mm is None:
            return None
        return self.spec.width_mm / MM_PER_INCH, self.spec.height_mm / MM_PER_INCH


def figure_choice(
    formats: list[FigureFormat] | None, width_mm: float | None, height_mm: float | None, dpi: int, unit: str | None
) -> FigureChoice:
    """The options checked (an out-of-range value is an :class:`~engraft.outcomes.OutcomeQueryError`).

    Width and height come together (the figure is laid out at that size), or neither.
    """
    if (width_mm is None) != (height_mm is None):
        given, missing = ("--width-mm", "--height-mm") if height_mm is None else ("--height-mm", "--width-mm")
        raise OutcomeQueryError(missing, None, f"a size in millimetres too when {given} is given", rule=True)
    spec = FigureSpec(
        formats=tuple(formats) if formats else (FigureFormat.PNG, FigureFormat.SVG),
        width_mm=width_mm,
        height_mm=height_mm,
        dpi=dpi,
    )
    return FigureChoice(spec, None if unit is None else check_time_unit(unit))
