"""The outcome figures in the page's language: the core draws them in English, the page translates the drawing.

The core's figures (:mod:`engraft.outcomes.plots`, the activity and benchmark figures) label their axes,
legends, titles and the numbers-at-risk table in English, partly through phrases ("Number at risk (time in
{unit})"). :func:`translate_figure` rewrites every text of a drawn figure with a :class:`CoreWording`
(titles, axis labels, legend entries, fixed tick labels such as the groups of the numbers-at-risk table,
free texts). Chinese needs a font with CJK glyphs: :func:`cjk_font` finds Noto Sans CJK (Debian's
``fonts-noto-cjk``, which ``.ci/run`` installs) through matplotlib's font manager, adding the system's font
files when matplotlib's cache predates them. Without one, :func:`localised_figure_bytes` leaves the
figure in English rather than draw empty boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import cache
from typing import Final

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator

from engraft.io.figures import FigureFormat, figure_bytes
from engraft.outcomes.plot_layout import settle
from engraft.web.core_text import core_wording
from engraft.web.i18n import ENGLISH, SIMPLIFIED_CHINESE

CJK_FAMILIES: Final = ("Noto Sans CJK SC", "Noto Sans SC", "Noto Sans CJK JP", "Noto Sans CJK TC")
"""Fonts that carry Simplified Chinese, best first (the SC face draws the mainland's glyph shapes)."""
CJK_FILE_MARKS: Final = ("NotoSansCJK", "NotoSansSC")
FALLBACK_FAMILY: Final = "DejaVu Sans"
NEEDS_CJK: Final = frozenset({SIMPLIFIED_CHINESE.code})

Translate = Callable[[str], str]


def _known_family(families: tuple[str, ...]) -> str | None:
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in families if family in names), None)


@cache
def cjk_font() -> str | None:
    """The family name of an installed font with Simplified Chinese glyphs, or None when there is none."""
    found = _known_family(CJK_FAMILIES)
    if found is not None:
        return found
    for path in font_manager.findSystemFonts():
        if any(mark in path for mark in CJK_FILE_MARKS):
            font_manager.fontManager.addfont(path)
    return _known_family(CJK_FAMILIES)


def _set(text: Text, translate: Translate) -> None:
    content = text.get_text()
    if content:
        text.set_text(translate(content))


def _translate_axes(ax: Axes, translate: Translate) -> None:
    for loc in ("center", "left", "right"):
        title = ax.get_title(loc=loc)
        if title:
            ax.set_title(translate(title), loc=loc)
    ax.set_xlabel(translate(ax.get_xlabel()) if ax.get_xlabel() else "")
    ax.set_ylabel(translate(ax.get_ylabel()) if ax.get_ylabel() else "")
    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_major_locator(), FixedLocator):
            # labels given with the ticks (the groups of the numbers-at-risk table): set them again, translated
            labels = [label.get_text() for label in axis.get_ticklabels()]
            if any(labels):
                axis.set_ticklabels([translate(label) for label in labels])
    legend = ax.get_legend()
    if legend is not None:
        for entry in (*legend.get_texts(), legend.get_title()):
            _set(entry, translate)
    for text in ax.texts:
        _set(text, translate)


def translate_figure(figure: Figure, translate: Translate) -> Figure:
    """Rewrite every text of ``figure`` with ``translate`` (in place; returns the figure)."""
    for ax in figure.axes:
        _translate_axes(ax, translate)
    for text in figure.texts:
        _set(text, translate)
    suptitle = figure.get_suptitle()
    if suptitle:
        figure.suptitle(translate(suptitle))
    return figure


def localised_figure_bytes(figure: Figure, fmt: FigureFormat, language: str) -> bytes:
    """``figure`` rendered in ``language``: its texts translated and, for Chinese, drawn with a CJK font.

    A language that needs CJK glyphs on a machine without such a font gets the English figure.
    """
    if language == ENGLISH.code:
        return figure_bytes(figure, fmt)
    font = cjk_font() if language in NEEDS_CJK else None
    if language in NEEDS_CJK and font is None:
        return figure_bytes(figure, fmt)
    translate_figure(figure, core_wording(language))
    fonts = (
        matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": [font, FALLBACK_FAMILY]})
        if font is not None
        else nullcontext()
    )
    with fonts:
        for text in figure.findobj(Text):
            text.set_fontfamily("sans-serif")
        settle(figure, [font, FALLBACK_FAMILY] if font is not None else FALLBACK_FAMILY)  # curves: fit the legend
        return figure_bytes(figure, fmt)
