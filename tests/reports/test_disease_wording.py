"""What the explanation says depends on the disease: the graft-versus-tumour sentence only for a neoplasm, the
refined DRI and the EBMT score said not to apply where they do not, a result from an unverified rule flagged, and
the centre's statement in the singular for one patient and with the disease group in plain, translated words."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.io.risk_report_render import ReportLanguage, Translator
from engraft.provenance import Citation
from engraft.reports import build_risk_report
from engraft.reports.centre_results import centre_results, disease_group_name
from engraft.reports.instruments import (
    NOT_A_NEOPLASM,
    NOT_AN_EBMT_DISEASE,
    RULE_NOT_CHECKED,
    instrument_sections,
)
from engraft.reports.wording import FIGHTS_THE_DISEASE, REPLACES_THE_CELLS, is_neoplasm
from tests.reports.report_cases import allogeneic_facts, outcome_table, stored


@pytest.mark.parametrize(
    ("icd10", "neoplasm"),
    [
        pytest.param("C00", True, id="C00-first-malignant-code"),
        pytest.param("C92.0", True, id="AML"),
        pytest.param("C90.0", True, id="myeloma"),
        pytest.param("D46.2", True, id="MDS-uncertain-behaviour-chapter-II"),
        pytest.param("D47.4", True, id="myelofibrosis"),
        pytest.param("D48.9", True, id="D48-last-code-of-chapter-II"),
        pytest.param("D50.0", False, id="D50-first-code-of-chapter-III"),
        pytest.param("D56.1", False, id="thalassaemia"),
        pytest.param("D61.3", False, id="aplastic-anaemia"),
        pytest.param("D81.9", False, id="SCID"),
        pytest.param("G35", False, id="multiple-sclerosis"),
        pytest.param("E85.8", False, id="amyloidosis-chapter-IV"),
        pytest.param(" c83.3 ", True, id="lower-case-and-spaces"),
        pytest.param("D", False, id="too-short"),
    ],
)
def test_neoplasm_is_icd10_chapter_II(icd10: str, neoplasm: bool) -> None:
    assert is_neoplasm(icd10) is neoplasm


@pytest.mark.parametrize(
    ("icd10", "purpose"),
    [
        pytest.param("C92.0", FIGHTS_THE_DISEASE, id="AML-graft-fights-the-disease"),
        pytest.param("D56.1", REPLACES_THE_CELLS, id="thalassaemia-cells-replaced"),
        pytest.param(None, None, id="no-diagnosis-nothing-said"),
    ],
)
def test_the_donor_cells_purpose_follows_the_disease(icd10: str | None, purpose: str | None) -> None:
    report = build_risk_report(
        allogeneic_facts(icd10=icd10), outcome_table([]), software_version="t", generated_on=dt.date(2026, 12, 4)
    )
    assert (report.transplant.purpose.msgid if report.transplant.purpose else None) == purpose
    assert (purpose is None) or report.transplant.purpose in list(report.messages())


def test_an_autologous_transplant_has_no_donor_purpose_sentence() -> None:
    facts = allogeneic_facts(transplant_type="autologous", donor_relation=None, donor_count=0)
    report = build_risk_report(facts, outcome_table([]), software_version="t", generated_on=dt.date(2026, 12, 4))
    assert report.transplant.purpose is None


def _section(facts_icd10: str, key: str) -> str:
    facts = allogeneic_facts(icd10=facts_icd10, findings=())
    return next(s for s in instrument_sections(facts) if s.key == key).yours.msgid


@pytest.mark.parametrize(
    ("icd10", "key", "said"),
    [
        pytest.param("D56.1", "refined-dri", NOT_A_NEOPLASM, id="DRI-thalassaemia-does-not-apply"),
        pytest.param("C92.0", "refined-dri", None, id="DRI-AML-not-assessed"),
        pytest.param("D81.9", "ebmt-risk", NOT_AN_EBMT_DISEASE, id="EBMT-SCID-not-one-of-its-diseases"),
        pytest.param("D61.3", "ebmt-risk", None, id="EBMT-aplastic-anaemia-is-one-of-its-diseases"),
    ],
)
def test_an_instrument_not_made_for_the_disease_is_said_not_to_apply(icd10: str, key: str, said: str | None) -> None:
    msgid = _section(icd10, key)
    if said is None:
        assert msgid.startswith("This was not assessed for you yet")
    else:
        assert msgid == said


def test_a_result_from_an_unverified_rule_carries_the_caveat_and_an_entered_score_does_not() -> None:
    dri = stored("refined-dri", {"disease": "aml_adverse_cytogenetics", "stage_risk": "low"})
    karnofsky = stored("karnofsky", {"score": 90, "age_years": 52})
    hct_ci = allogeneic_facts().findings[0]
    assert dri.verification.value == "unverified" and karnofsky.verification.value == "unverified"
    sections = {s.key: s for s in instrument_sections(allogeneic_facts(findings=(dri, karnofsky, hct_ci)))}
    assert sections["refined-dri"].rule_note is not None
    assert sections["refined-dri"].rule_note.msgid == RULE_NOT_CHECKED
    assert sections["karnofsky"].rule_note is None
    assert hct_ci.verification.value == "secondary" and sections["hct-ci"].rule_note is None


def test_a_stored_result_without_a_verification_level_is_read_as_unverified() -> None:
    payload = allogeneic_facts().findings[0].model_dump(mode="json")
    payload.pop("verification")
    from engraft.reports import InstrumentFinding

    assert InstrumentFinding.from_stored(payload).verification.value == "unverified"


@pytest.mark.parametrize(
    ("peers", "min_peers", "singular"),
    [
        pytest.param(1, 30, True, id="one-peer-too-few-singular"),
        pytest.param(2, 30, False, id="two-peers-too-few-plural"),
        pytest.param(1, 1, True, id="one-peer-shown-singular"),
        pytest.param(2, 2, False, id="two-peers-shown-plural"),
    ],
)
def test_the_centre_statement_agrees_with_the_number_of_peers(peers: int, min_peers: int, singular: bool) -> None:
    table = outcome_table([{"age_years": 45.0}] * peers)
    result = centre_results(table, allogeneic_facts(centre="C1"), min_peers=min_peers)
    text = Translator(ReportLanguage.EN)(result.statement)
    assert result.peers == peers
    assert (f"{peers} similar patient was treated" in text) is singular
    assert (f"{peers} similar patients were treated" in text) is not singular


def test_the_disease_group_is_plain_words_in_each_language() -> None:
    name = disease_group_name("AML")
    assert Translator(ReportLanguage.EN)(name) == "acute myeloid leukaemia"
    assert Translator(ReportLanguage.ZH)(name) == "急性髓系白血病"
    assert disease_group_name("Other").model_dump() == {"text": "Other"}


def test_the_studies_year_is_printed_as_a_year_not_a_grouped_number() -> None:
    report = build_risk_report(
        allogeneic_facts(), outcome_table([]), software_version="t", generated_on=dt.date(2026, 12, 4)
    )
    assert report.genomic_introduction is not None
    for language in ReportLanguage:
        text = Translator(language)(report.genomic_introduction)
        assert "2024" in text and "2,024" not in text


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        pytest.param("Ueda Oshima M, et al.", "Ueda Oshima M, et al. Sci Transl Med 2024", id="ends-with-full-stop"),
        pytest.param("Gratwohl A", "Gratwohl A. Sci Transl Med 2024", id="no-full-stop"),
    ],
)
def test_a_citation_line_never_doubles_the_full_stop(authors: str, expected: str) -> None:
    assert Citation(authors=authors, journal="Sci Transl Med", year=2024).text() == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [pytest.param(ReportLanguage.EN, "Your result: high.", id="en"), pytest.param(ReportLanguage.ZH, "高", id="zh")],
)
def test_a_risk_group_result_is_translated(language: ReportLanguage, expected: str) -> None:
    dri = stored("refined-dri", {"disease": "aml_intermediate_cytogenetics", "stage_risk": "high"})
    assert dri.value == "high"
    section = next(s for s in instrument_sections(allogeneic_facts(findings=(dri,))) if s.key == "refined-dri")
    text = Translator(language)(section.yours)
    assert expected in text and (language is ReportLanguage.EN or "high" not in text)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        pytest.param({"total": 10, "typed": 10, "matched": 9}, "matches yours at 9 of the 10 places", id="9-of-10"),
        pytest.param(
            {"total": 10, "typed": 6, "matched": 6, "untyped_loci": ("C", "DQB1")},
            "at 6 of the 10 places the team usually compares, and it matches at 6 of them. The other places "
            "(HLA-C, HLA-DQB1) have not been tested yet",
            id="6-typed-never-called-10-of-10",
        ),
        pytest.param(None, "are not both recorded here", id="no-typings"),
    ],
)
def test_the_donor_match_is_said_honestly(match: dict[str, object] | None, expected: str) -> None:
    facts = allogeneic_facts(donor_match=match)
    report = build_risk_report(facts, outcome_table([]), software_version="t", generated_on=dt.date(2026, 12, 4))
    assert report.transplant.match is not None
    text = Translator(ReportLanguage.EN)(report.transplant.match)
    assert expected in text
    assert report.transplant.match in list(report.messages())
    assert Translator(ReportLanguage.ZH)(report.transplant.match) != text


def test_an_autologous_transplant_says_nothing_about_a_match() -> None:
    facts = allogeneic_facts(transplant_type="autologous", donor_relation=None, donor_count=0)
    report = build_risk_report(facts, outcome_table([]), software_version="t", generated_on=dt.date(2026, 12, 4))
    assert report.transplant.match is None
