"""What of a Chinese page is still Latin script, and the reviewed list of what may stay so.

:func:`latin_runs` reads a page's text (text nodes, ``title``, ``aria-label``, ``alt`` and ``placeholder``)
outside ``<code>``, ``<cite>``, ``<script>`` and ``<style>`` and returns its runs of Latin-script words.
:func:`untranslated` keeps the runs that are not allowed: a run may stay when it is part of a citation, or
every word in it is a name, code or unit that stays as it is in Chinese text (:data:`ALLOWED_WORDS`, each
group with its reason) or looks like a code (a word with a digit or an underscore, one letter, a Roman
numeral, an instrument's name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Final

from engraft.grading import sources as grading_sources
from engraft.outcomes import activity, benchmarking
from engraft.provenance import Citation
from engraft.scores import sources as score_sources
from engraft.scores.catalog import CATALOG

SKIPPED_ELEMENTS: Final = frozenset({"code", "cite", "script", "style", "kbd", "samp"})
VOID_ELEMENTS: Final = frozenset({"br", "input", "img", "meta", "link", "hr", "col", "source", "wbr", "area", "base"})
TEXT_ATTRIBUTES: Final = ("title", "aria-label", "alt", "placeholder")

_WORD = r"[A-Za-z][A-Za-z0-9_+\-'’/.*]*"
RUN: Final = re.compile(rf"{_WORD}(?:[ ,]+{_WORD})*")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ALLOWED_WORDS: Final[dict[str, frozenset[str]]] = {
    "units and number notation": _words(
        "mg kg g lb cm cGy Gy mL L dL mg/kg mg/m mg/m2 g/m kg/m kg/m2 mg/dL mol/L umol/L U/L copies/mL /kg e"
    ),
    "clinical abbreviations written so in Chinese clinical text": _words(
        """HLA HLA-A HLA-B HLA-C HLA-DRB1 HLA-DQB1 HLA-DPB1 HCT HCT-CI HSCT GVHD ANC CMV ABO AB O MAC RIC NMA TBI
        DRI TCI TCE AML ALL CML MDS NHL CLL MPN MDS/MPN CR PR LVEF AST ALT AST/ALT BMI FEV1 DLco TNC CD34 CD3 ULN
        HPC RhD NAT GvH HvG HBsAg HBc anti-HBc HBV HCV HIV HTLV-I/II Flu/Cy ICD-10 GL DPB1 DRB1 DQB1 SOP SLE RA CTD TIA
        EF c-statistic"""
    ),
    "HLA nomenclature (WMDA): codes and antigen names": _words("XX"),
    "registry codes of the test's synthetic donor registry": _words("REG-A REG-B REG-C"),
    "organisations, registries, standards and tools (proper names)": _words(
        """Engraft EBMT CIBMTR NMDP NMDP/CIBMTR WMDA IPD-IMGT/HLA IMGT FHCRC GITMO QxMD pmidcalc CFR US FDA
        PMID doi DOI PNG SVG CSV UCUM UTC"""
    ),
    "authors of scores and tests (names stay as published)": _words(
        "Sorror Karnofsky Lansky Gratwohl Armand Bacigalupo Giralt Dehn Raimondi ElSawy Spyridonidis Gray et al"
    ),
    "language names in the switcher": _words("English"),
}
"""Words that stay in Latin script on a Chinese page, by why they may."""

ALLOWED_RUNS: Final[dict[str, str]] = {
    "FOR AUTOLOGOUS USE ONLY": "the label wording 21 CFR 1271.90(c) requires, quoted after its translation",
    "NOT EVALUATED FOR INFECTIOUS SUBSTANCES": "the label wording 21 CFR 1271.60(d) requires, quoted",
    "WARNING: Advise patient of communicable disease risks": "the label wording 21 CFR 1271.65(b) requires, quoted",
    "Cancer": "a journal's name (Cancer 2009), in a note about a citation",
    "Test disease": "a diagnosis name of the test registry (data, not a text of Engraft)",
}
"""Whole runs that may stay, with the reason (regulatory label wording quoted after its translation, data)."""

ROMAN_NUMERAL: Final = re.compile(r"^(?:I|II|III|IV|V)$")


def _citation_texts() -> list[str]:
    texts = [benchmarking.CITATION, activity.SOURCE_LAYOUT]
    for module in (score_sources, grading_sources):
        for value in vars(module).values():
            if isinstance(value, Citation):
                texts += [value.text(), value.short(), value.title or "", value.journal or ""]
    return [text for text in texts if text]


CITATION_TEXTS: Final = tuple(_citation_texts())
CODES: Final = frozenset(CATALOG)


class _PageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value:
                self.texts.append(value)
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not any(tag in SKIPPED_ELEMENTS for tag in self.open):
            self.texts.append(data)


def page_texts(html: str) -> list[str]:
    """The texts a reader sees or hears of ``html`` (code, citations and scripts left out)."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    return parser.texts


def latin_runs(html: str) -> Iterator[str]:
    """Every run of Latin-script words in the page's texts."""
    for text in page_texts(html):
        yield from RUN.findall(text)


def _word_allowed(word: str, extra: frozenset[str]) -> bool:
    bare = word.strip(".,:;'’*+-/")
    if not bare or len(bare) == 1 or bare.lower() in extra or bare in CODES:
        return True
    if any(bare in words for words in ALLOWED_WORDS.values()):
        return True
    return bool(ROMAN_NUMERAL.match(bare)) or any(c.isdigit() or c == "_" for c in bare)


def allowed(run: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether ``run`` may stay in Latin script on a Chinese page (``extra``: names of this test's data)."""
    if any(run in text for text in (*ALLOWED_RUNS, *CITATION_TEXTS)):
        return True
    return all(_word_allowed(word, extra) for word in re.split(r"[ ,]+", run) if word)


def untranslated(html: str, extra: Iterable[str] = ()) -> list[str]:
    """The runs of ``html`` that are not allowed to stay in Latin script, each once, in page order."""
    names = frozenset(name.lower() for name in extra)
    found: list[str] = []
    for run in latin_runs(html):
        if run not in found and not allowed(run, names):
            found.append(run)
    return found
