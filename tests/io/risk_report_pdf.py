"""Reading the risk explanation's PDFs back: text, numbers, embedded fonts, .notdef glyphs, page images.

PDFs need WeasyPrint's system libraries (pango) and, for Chinese, Debian's fonts-noto-cjk (installed by
``.ci/run``); without them the tests skip with the reason (a failure under CI, tests/conftest.py).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from engraft.io.risk_report_render import FONTS, ReportLanguage, format_number, render_pdf
from engraft.reports import RiskReport

ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "report-pages"
"""Page images of the first two pages per document and language (git-ignored), to look at."""


def _font_installed(family: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", f":family={family}", "family"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def pdf_or_skip(report: RiskReport, language: ReportLanguage) -> bytes:
    """The report as PDF, or a skip saying what this machine lacks."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint or its system libraries (pango) are missing: {exc}")
    missing = [family for family in FONTS[language] if not _font_installed(family)]
    if missing:
        pytest.skip(f"fonts {missing} are not installed (Debian: fonts-dejavu-core, fonts-noto-cjk)")
    return render_pdf(report, language)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    """Text without whitespace (lines break anywhere in CJK and between words in English)."""
    return re.sub(r"\s+", "", text)


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base font names (subset tag removed) used on any page."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def notdef_glyphs(pdf: bytes) -> int:
    """How many glyphs drawn with a composite (Identity-H) font are glyph 0, .notdef (a missing glyph)."""
    reader = PdfReader(io.BytesIO(pdf))
    count = 0
    for page in reader.pages:
        fonts = {name: font.get_object() for name, font in (page["/Resources"].get("/Font") or {}).items()}
        composite = False
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                composite = fonts[operands[0]].get("/Subtype") == "/Type0"
            elif operator in (b"Tj", b"TJ") and composite:
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for item in strings:
                    if isinstance(item, int | float):
                        continue
                    raw = getattr(item, "original_bytes", None) or bytes(item)
                    count += sum(1 for i in range(0, len(raw) - 1, 2) if raw[i : i + 2] == b"\x00\x00")
    return count


def save_first_pages(pdf: bytes, name: str) -> list[Path]:
    """PNG images of the first two pages as test artefacts (pypdfium2)."""
    import pypdfium2

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    paths = []
    for index in range(min(2, len(document))):
        path = ARTEFACTS / f"{name}.p{index + 1}.png"
        document[index].render(scale=1.4).to_pil().save(path)
        paths.append(path)
    return paths


def printed_numbers(report: RiskReport, language: ReportLanguage) -> set[str]:
    """Every number the report's content prints, formatted as the document prints it."""
    values: set[int | float] = set()
    for message in report.messages():
        values.update(message.numbers())
    for frequency in report.frequencies():
        values.update((frequency.percent, frequency.count))
        if frequency.range_counts:
            values.update(frequency.range_counts)
    return {format_number(v, language) for v in values}
