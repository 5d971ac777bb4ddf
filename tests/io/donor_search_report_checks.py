"""Reading the donor search report's PDFs back (text, page images), with the skips the risk report's tests use."""

from __future__ import annotations

import pytest

from engraft.io.risk_report_render import FONTS, ReportLanguage
from tests.io.risk_report_pdf import _font_installed, notdef_glyphs, pdf_text, save_first_pages, squeezed

__all__ = ["checked_pdf", "pdf_text", "squeezed"]


def checked_pdf(pdf: bytes, language: ReportLanguage, name: str) -> bytes:
    """``pdf`` after the checks every document gets: fonts present (else skip), no missing glyph; page images
    are written to out/report-pages/ to look at."""
    missing = [family for family in FONTS[language] if not _font_installed(family)]
    if missing:
        pytest.skip(f"fonts {missing} are not installed (Debian: fonts-dejavu-core, fonts-noto-cjk)")
    assert pdf.startswith(b"%PDF-")
    assert notdef_glyphs(pdf) == 0
    save_first_pages(pdf, name)
    return pdf
