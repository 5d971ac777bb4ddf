"""The demo cohort yields a complete risk explanation for an autologous and an allogeneic episode: the demo records
each transplant's pre-transplant answers (engraft.demo.risk_answers), so its scores are there without further input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engraft.io.risk_report_render import ReportLanguage, Translator, render_html
from engraft.registry.models import Donor, EpisodeDonor, TransplantEpisode
from engraft.registry.risk_report_data import episode_risk_report
from engraft.vocabulary import DonorRelation, TransplantType
from tests.demo_cohort import DemoCohort
from tests.io.risk_report_pdf import pdf_or_skip, pdf_text, printed_numbers, save_first_pages, squeezed

SCORED_DONORS = (DonorRelation.MATCHED_SIBLING, DonorRelation.MATCHED_UNRELATED, DonorRelation.MISMATCHED_UNRELATED)


def _episode(cohort: DemoCohort, kind: TransplantType) -> int:
    with cohort.service.read_snapshot() as session:
        query = select(TransplantEpisode.id).where(TransplantEpisode.transplant_type == kind)
        if kind is TransplantType.ALLOGENEIC:
            query = query.join(EpisodeDonor).join(Donor).where(Donor.relation.in_(SCORED_DONORS))
        found = session.scalars(query.order_by(TransplantEpisode.id)).first()
    assert found is not None, f"the demo cohort has no {kind.value} episode"
    return found


@pytest.mark.slow
@pytest.mark.parametrize("kind", [TransplantType.AUTOLOGOUS, TransplantType.ALLOGENEIC], ids=lambda k: k.value)
def test_the_demo_cohort_yields_a_complete_report(demo_cohort_writable: DemoCohort, kind: TransplantType) -> None:
    cohort = demo_cohort_writable
    episode_id = _episode(cohort, kind)
    report = episode_risk_report(cohort.service, cohort.engine, episode_id)

    assessed = {s.key for s in report.instruments if s.assessed}
    assert {"hct-ci", "hct-ci-age"} <= assessed and assessed & {"karnofsky", "lansky"}
    if kind is TransplantType.ALLOGENEIC:
        assert report.transplant.purpose is not None
    assert len(report.timeline) == 7 and all(phase.risks for phase in report.timeline)
    assert bool(report.genomic) is (kind is TransplantType.ALLOGENEIC)
    assert report.references and report.versions.instruments
    if not report.centre.shown:  # the test cohort is small: too few peers, and the document says so
        assert report.centre.figures == () and any("not shown" in m.msgid for m in report.missing)
    for language in ReportLanguage:
        html = render_html(report, language)
        translate = Translator(language)
        assert all(translate(m) in html.replace("&#39;", "'") for m in report.messages())
    pdf = pdf_or_skip(report, ReportLanguage.EN)
    text = squeezed(pdf_text(pdf))
    assert sorted(n for n in printed_numbers(report, ReportLanguage.EN) if n not in text) == []
    save_first_pages(pdf, f"demo-{kind.value}.en")
