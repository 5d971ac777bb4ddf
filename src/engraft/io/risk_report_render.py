"""The risk explanation as an HTML or PDF document, in English or Simplified Chinese.

Texts are the report's English msgids, translated from the ``reports`` message catalogue
(``io/report_locale/<language>/LC_MESSAGES/reports.po``, read at first use; no ``.mo``, no build step) and
filled in with their parameters, numbers formatted for the language by Babel. HTML is rendered by Jinja2
from ``io/report_templates/risk_report.html``; PDF by WeasyPrint from that HTML, with Noto Sans CJK (Debian's
fonts-noto-cjk) for the Chinese text. :func:`missing_translations` lists msgids a catalogue lacks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from engraft.reports import Message, RiskReport
from engraft.reports.frequencies import icon_array_svg
from engraft.reports.languages import ReportLanguage
from engraft.reports.messages import N_, Verbatim, msg

_HERE: Final = Path(__file__).parent
TEMPLATES: Final = _HERE / "report_templates"
LOCALE: Final = _HERE / "report_locale"
DOMAIN: Final = "reports"

__all__ = [
    "FONTS",
    "ReportFormat",
    "ReportLanguage",
    "Translator",
    "catalogue",
    "format_number",
    "missing_translations",
    "render",
    "render_html",
    "render_pdf",
    "template_msgids",
]


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


_CATALOGUE_LOCALE: Final = {ReportLanguage.EN: None, ReportLanguage.ZH: "zh_Hans"}
_BABEL_LOCALE: Final = {ReportLanguage.EN: "en", ReportLanguage.ZH: "zh_Hans_CN"}
_HTML_LANG: Final = {ReportLanguage.EN: "en", ReportLanguage.ZH: "zh-Hans"}
FONTS: Final = {
    ReportLanguage.EN: ("DejaVu Sans",),
    ReportLanguage.ZH: ("Noto Sans CJK SC", "DejaVu Sans"),
}
"""The fonts each language's document asks for, first choice first (Debian: fonts-dejavu-core, fonts-noto-cjk)."""


@functools.cache
def catalogue(language: ReportLanguage) -> dict[str, str]:
    """msgid -> translation of ``language`` (empty for English, whose msgids are the text)."""
    folder = _CATALOGUE_LOCALE[language]
    if folder is None:
        return {}
    with (LOCALE / folder / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        parsed = read_po(handle, locale=folder)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string and not m.fuzzy}


def format_number(value: int | float, language: ReportLanguage) -> str:
    """A number as the document prints it in ``language`` (Babel, at most 3 decimals, grouping)."""
    return format_decimal(value, locale=_BABEL_LOCALE[language])


class Translator:
    """Translates a report's messages into one language."""

    def __init__(self, language: ReportLanguage) -> None:
        self.language = language
        self._catalogue = catalogue(language)

    def gettext(self, msgid: str) -> str:
        return self._catalogue.get(msgid, msgid)

    def __call__(self, message: Message) -> str:
        values: dict[str, str] = {}
        for name, value in message.params.items():
            if isinstance(value, Message):
                values[name] = self(value)
            elif isinstance(value, Verbatim):
                values[name] = value.text
            else:
                values[name] = format_number(value, self.language)
        return self.gettext(message.msgid).format(**values)


def missing_translations(msgids: Iterable[str], language: ReportLanguage) -> list[str]:
    """The msgids ``language``'s catalogue does not translate (none for English)."""
    if _CATALOGUE_LOCALE[language] is None:
        return []
    known = catalogue(language)
    return sorted({m for m in msgids if m not in known})


_ICON_LABEL: Final = N_("{count} out of 100 people")
_PERCENT: Final = N_("{percent}%")
_RANGE: Final = N_("Range: {low} to {high} out of 100.")


def template_msgids() -> tuple[str, ...]:
    """The msgids the template and this module use besides the report's own messages."""
    return (*_LABELS, _ICON_LABEL, _PERCENT, _RANGE)


_LABELS: Final = (
    N_("Your transplant: the risks explained"),
    N_("Transplant episode {episode}, made on {date}."),
    N_("Your transplant"),
    N_("Your own risk scores"),
    N_("Results at this centre for patients like you"),
    N_("Risks over time"),
    N_("What the team does"),
    N_("What you and your family can do"),
    N_("Long-term safety of the donor's cells"),
    N_("What is missing"),
    N_("Nothing is missing."),
    N_("References"),
    N_("Versions"),
    N_("Software: Engraft {version}"),
    N_("Report wording: version {version}"),
    N_("Registry data read on: {date}"),
    N_("Risk score versions: {versions}"),
    N_("Document fingerprint (SHA-256): {hash}"),
    N_("How to read the figures"),
    N_(
        "Each figure is shown as a number of people out of 100, with a picture of 100 people. The figures are "
        "about groups of people, not a promise about you. Ranges show how sure the study could be."
    ),
)


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
    )


@functools.cache
def _template_environment() -> Environment:
    return _environment()


def render_html(report: RiskReport, language: ReportLanguage) -> str:
    """The document as one HTML page (styles inline, icon arrays as inline SVG)."""
    t = Translator(language)

    def icon_array(count: int) -> Markup:
        return Markup(icon_array_svg(count, label=t(msg(_ICON_LABEL, count=count))))

    template = _template_environment().get_template("risk_report.html")
    return template.render(
        report=report,
        t=t,
        _=t.gettext,
        msg=msg,
        number=lambda v: format_number(v, language),
        icon_array=icon_array,
        percent_label=_PERCENT,
        range_label=_RANGE,
        lang=_HTML_LANG[language],
        fonts=", ".join(f'"{name}"' for name in FONTS[language]) + ", sans-serif",
        language=language.value,
        content_hash=report.content_hash(language.value),
        versions=", ".join(f"{v.instrument} {v.version}" for v in report.versions.instruments) or "-",
    )


def render_pdf(report: RiskReport, language: ReportLanguage) -> bytes:
    """The document as PDF (WeasyPrint); ImportError/OSError when WeasyPrint or its system libraries are missing."""
    from weasyprint import HTML  # imported here: pango and its fonts are only needed for PDF

    pdf: bytes = HTML(string=render_html(report, language), base_url=str(TEMPLATES)).write_pdf(hinting=True)
    return pdf


def render(report: RiskReport, language: ReportLanguage, document_format: ReportFormat) -> bytes:
    """The document's bytes in the format asked for (HTML as UTF-8)."""
    if document_format is ReportFormat.PDF:
        return render_pdf(report, language)
    return render_html(report, language).encode("utf-8")
