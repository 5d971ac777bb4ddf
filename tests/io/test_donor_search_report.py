"""The donor search report's rendering: fields the search result gains later appear without a change, both
languages' catalogues are complete, and absent figures are said so."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla.search.rank_explanation import RANK_ATTRIBUTES
from engraft.io.donor_search_report_reasons import reason_msgids
from engraft.io.donor_search_report_render import (
    ReportLanguage,
    format_probability,
    missing_translations,
    render_html,
)
from engraft.registry.saved_donor_searches import content_hash
from engraft.registry.schemas.donor_search import SavedDonorSearchIn, SavedDonorSearchRecord


def _locus(name: str, **extra: Any) -> dict[str, Any]:
    position = {"patient_token": f"HLA-{name}*01:01", "donor_token": f"{name}*01:01:01G", "grade": "g_group"}
    return {
        "locus": name,
        "mismatch_count": 0,
        "direction": "none",
        "positions": [position, {**position, "grade": "allele"}],
        "crossed": False,
        **extra,
    }


def _record(donors: list[dict[str, Any]]) -> SavedDonorSearchRecord:
    return SavedDonorSearchRecord(
        id=3,
        patient_id=None,
        patient_typing="HLA-A*01:01+HLA-A*01:01^HLA-B*08:01+HLA-B*08:01",
        criteria={"loci": ["A", "B"], "max_mismatches": 1, "max_mismatches_per_locus": {}, "patient_abo": None},
        result={
            "loci": ["A", "B"],
            "filter_candidates": 12,
            "matching_donors": 3,
            "donors": donors,
            "release": "3.58.0",
            "donors_in_registry": 1000,
            "prediction_available": True,
        },
        hla_release="3.58.0",
        donors_in_registry=1000,
        content_hash="0" * 64,
        note=None,
        run_by="coordinator",
        run_at=dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC),
    )


def _donor(rank: int, **extra: Any) -> dict[str, Any]:
    donor = {
        "rank": rank,
        "donor_id": 100 + rank,
        "donor_type": "adult",
        "registry": "REG-A",
        "age": 30,
        "sex": "female",
        "cmv": "negative",
        "abo": None,
        "match_label": "4/4",
        "loci": {"A": _locus("A"), "B": _locus("B")},
        "untyped_loci": [],
        "potential_loci": [],
        "dpb1": None,
        "dpb1_tce": None,
        "reason": "4/4 (0 mismatches)",
        "prediction": None,
    }
    return donor | extra


def test_a_locus_field_the_result_gains_later_becomes_a_column() -> None:
    gained = {"A": _locus("A", match_confidence="definite", typed_positions=2), "B": _locus("B")}
    html = render_html(_record([_donor(1, loci=gained)]), ReportLanguage.EN)
    header = re.search(r'<table class="loci">\s*<thead><tr>(.*?)</tr>', html, re.S)
    assert header is not None
    columns = re.findall(r'<th scope="col">([^<]*)</th>', header.group(1))
    assert columns == ["Locus", "Mismatches", "Direction", "match confidence", "typed positions", "Positions"]
    assert "<td>definite</td><td>2</td>" in html and "<td>—</td><td>—</td>" in html  # B lacks both


def test_a_donor_field_the_result_gains_later_is_listed_in_its_section() -> None:
    donor = _donor(1, grade_summary={"A": "2/2 matched of 2 typed"}, match_confidence="potential")
    html = render_html(_record([donor]), ReportLanguage.EN)
    assert "<p>grade summary: A 2/2 matched of 2 typed</p>" in html
    assert "<p>match confidence: potential</p>" in html


def test_a_position_field_the_result_gains_later_is_listed_beside_its_tokens() -> None:
    locus = _locus("A")
    locus["positions"][0]["certainty_note"] = "exact"
    html = render_html(_record([_donor(1, loci={"A": locus, "B": _locus("B")})]), ReportLanguage.EN)
    assert "HLA-A*01:01 ↔ A*01:01:01G (Grade: g group; certainty note: exact)" in html


@pytest.mark.parametrize(
    ("prediction", "said"),
    [
        pytest.param(None, "not predicted (outside the top donors asked for)", id="not-asked"),
        pytest.param(
            {"p_mismatches": None, "p_more": None, "patient_unrepresented": True},
            "the patient&#39;s typing is not explained by the haplotype frequencies",
            id="patient-unrepresented",
        ),
        pytest.param(
            {"p_mismatches": [0.5, 0.25, 0.125], "p_more": 0.125, "patient_unrepresented": False},
            "P(0 mm) 50.0%, P(1 mm) 25.0%, P(2 mm) 12.5%, P(more than 2 mm) 12.5%",
            id="predicted",
        ),
    ],
)
def test_probabilities_or_why_there_are_none(prediction: dict[str, Any] | None, said: str) -> None:
    html = render_html(_record([_donor(1, prediction=prediction)]), ReportLanguage.EN)
    assert f"Probabilities: {said}" in html


def test_no_donor_and_unknown_values_are_said_so() -> None:
    html = render_html(_record([]), ReportLanguage.EN)
    assert "No donor within the mismatches allowed." in html
    assert '<th scope="row">Patient ABO group</th><td>not known</td>' in html
    assert '<th scope="row">Mismatches allowed per locus</th><td>no limit beyond the total</td>' in html


@pytest.mark.parametrize(
    ("p", "language", "text"),
    [
        pytest.param(0.9731, ReportLanguage.EN, "97.3%", id="en"),
        pytest.param(0.0004, ReportLanguage.EN, "0.0%", id="en-below-a-tenth"),
        pytest.param(1.0, ReportLanguage.ZH, "100.0%", id="zh"),
    ],
)
def test_probabilities_are_percentages_with_one_decimal(p: float, language: ReportLanguage, text: str) -> None:
    assert format_probability(p, language) == text


@settings(max_examples=40, deadline=None)
@given(
    ages=st.lists(st.integers(min_value=18, max_value=60), min_size=1, max_size=4),
    note=st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=20)),
)
def test_the_fingerprint_changes_with_any_figure_and_not_with_key_order(ages: list[int], note: str | None) -> None:
    donors = [_donor(rank, age=age) for rank, age in enumerate(ages, start=1)]
    data = SavedDonorSearchIn(
        patient_typing="HLA-A*01:01+HLA-A*02:01",
        criteria={"max_mismatches": 1, "loci": ["A"]},
        result={"donors": donors, "release": "3.58.0"},
        hla_release="3.58.0",
        donors_in_registry=100,
        note=note,
    )
    reordered = data.model_copy(
        update={"result": {"release": "3.58.0", "donors": [dict(reversed(d.items())) for d in donors]}}
    )
    assert content_hash(reordered) == content_hash(data)
    older = [{**d, "age": d["age"] + 1} if d["rank"] == 1 else d for d in donors]
    assert content_hash(data.model_copy(update={"result": {**data.result, "donors": older}})) != content_hash(data)
    assert content_hash(data.model_copy(update={"note": "other"})) == content_hash(data)  # a note is not a figure


def test_the_chinese_catalogue_translates_every_label_and_value() -> None:
    assert missing_translations(ReportLanguage.ZH) == []
    html = render_html(_record([_donor(1)]), ReportLanguage.ZH)
    assert "供者检索报告" in html and "女" in html and "阴性" in html and "G 组" in html


def _keyed(rank: int, donor_id: int, **values: float) -> dict[str, Any]:
    """A saved donor with its sort keys (RANK_ATTRIBUTES order); unnamed keys 0."""
    names = [a.key for a in RANK_ATTRIBUTES]
    key = [float(values.get(name, 0.0)) for name in names]
    key[names.index("donor_id")] = float(donor_id)
    return _donor(rank, donor_id=donor_id, rank_key=key, reason="ENGLISH ENGINE SENTENCE")


RANKED = [_keyed(1, 40, cmv=0.0, age=1), _keyed(2, 7, cmv=2.0, age=1), _keyed(3, 9, cmv=2.0, age=1, sex=2.0)]
CRITERIA = {"loci": ["A", "B"], "max_mismatches": 1, "patient_cmv": "negative", "patient_abo": None}


def _ranked_record(donors: list[dict[str, Any]]) -> SavedDonorSearchRecord:
    return _record(donors).model_copy(update={"criteria": CRITERIA})


def test_the_reason_for_each_rank_is_rendered_from_the_sort_keys_in_english() -> None:
    html = render_html(_ranked_record(RANKED), ReportLanguage.EN)
    assert "ENGLISH ENGINE SENTENCE" not in html
    reasons = re.findall(r'<p class="reason"><strong>Reason for the rank:</strong> (.*?)</p>', html)
    assert reasons == [
        "Ranked first.",
        "Placed below donor 40 (rank 1), decided by CMV serostatus against the patient&#39;s: this donor differs "
        "from the patient&#39;s, that donor same as the patient&#39;s.",
        "Placed below donor 7 (rank 2), decided by Donor sex (male first): this donor female, that donor male.",
    ]
    assert "<li>Donor age (younger first, in age bands): 23–27</li>" in html
    assert '<li class="decisive">Donor sex (male first): female</li>' in html
    assert "<li>ABO group against the patient&#39;s: not compared (the patient&#39;s is not known)</li>" in html


def test_the_reason_for_each_rank_is_chinese_in_the_chinese_report() -> None:
    html = render_html(_ranked_record(RANKED), ReportLanguage.ZH)
    assert "ENGLISH ENGINE SENTENCE" not in html and "Ranked first" not in html and "Placed below" not in html
    assert "排名第一。" in html
    assert (
        "排在供者 40（第 1 名）之后，决定因素：CMV 血清学状态与患者比较——本供者 与患者不同，该供者 与患者相同。" in html
    )
    assert "<li>供者年龄（年轻者优先，按年龄段）: 23–27</li>" in html
    assert '<li class="decisive">供者性别（男性优先）: 女</li>' in html
    steps = re.findall(r"<li(?: class=\"decisive\")?>([^<]*)</li>", html)
    assert steps and not [s for s in steps if re.search(r"[a-z]{3,}", s)], steps  # no English word left


@pytest.mark.parametrize(
    "donors",
    [
        pytest.param([_donor(1, reason="4/4 (0 mismatches); age 30")], id="saved-before-rank-key"),
        pytest.param([{**RANKED[0], "rank_key": [0.0, 1.0]}], id="keys-of-another-ranking"),
    ],
)
@pytest.mark.parametrize("language", list(ReportLanguage))
def test_a_search_saved_without_usable_sort_keys_shows_the_english_sentence_marked(
    donors: list[dict[str, Any]], language: ReportLanguage
) -> None:
    html = render_html(_ranked_record(donors), language)
    marker = {
        ReportLanguage.EN: "As the engine wrote it, in English (this search was saved before the ranking was kept "
        "as data):",
        ReportLanguage.ZH: "以下为检索引擎生成的英文原文（此检索保存于排序数据被记录之前）：",
    }[language]
    assert f'{marker} <span class="english">{donors[0]["reason"]}</span>' in html
    assert 'class="rank-why"' not in html


def test_the_reasons_catalogue_entries_hold_no_number() -> None:
    for msgid in reason_msgids():
        assert not re.search(r"\d", re.sub(r"\{[a-z_]+\}|\b(?:DPB1|CD34)\b", "", msgid)), msgid


def _counts(per_locus: dict[str, tuple[int, int, int]]) -> dict[str, Any]:
    """Counts as the API saves them from (typed, matched, potential) per locus."""
    rows = {
        name: {"typed": t, "matched": m, "potential": p, "mismatched": t - m, "untyped": 2 - t}
        for name, (t, m, p) in per_locus.items()
    }
    total = 2 * len(rows)
    typed = sum(r["typed"] for r in rows.values())
    return {
        "loci": list(rows),
        "per_locus": rows,
        "total": total,
        "typed": typed,
        "matched": sum(r["matched"] for r in rows.values()),
        "potential": sum(r["potential"] for r in rows.values()),
        "complete": typed == total,
    }


FIVE = ("A", "B", "C", "DRB1", "DQB1")


@pytest.mark.parametrize(
    ("per_locus", "en", "zh"),
    [
        pytest.param(dict.fromkeys(FIVE, (2, 2, 0)), "10/10", "10/10", id="full-match"),
        pytest.param({**dict.fromkeys(FIVE, (2, 2, 0)), "A": (2, 1, 0)}, "9/10", "9/10", id="one-mismatch"),
        pytest.param(
            {**dict.fromkeys(FIVE, (2, 2, 0)), "B": (2, 2, 2)},
            "10/10 (2 potential)",
            "10/10（2 个可能匹配）",
            id="potential",
        ),
        pytest.param(
            {**dict.fromkeys(FIVE, (2, 2, 0)), "C": (0, 0, 0), "DQB1": (0, 0, 0)},
            "6/6 typed (C, DQB1 untyped)",
            "已分型 6/6（C, DQB1 未分型）",
            id="untyped-loci-never-n-of-n",
        ),
    ],
)
def test_the_count_is_written_from_its_numbers_in_the_reports_language(
    per_locus: dict[str, tuple[int, int, int]], en: str, zh: str
) -> None:
    counts = _counts(per_locus)
    donor = _donor(1, counts=counts, match_label="saved label")
    assert f"<td>{en}</td>" in render_html(_record([donor]), ReportLanguage.EN)
    assert f"<td>{zh}</td>" in render_html(_record([donor]), ReportLanguage.ZH)


def test_per_locus_counts_reported_loci_and_genotype_sources_are_chinese() -> None:
    counts = _counts({"A": (2, 2, 0), "B": (2, 1, 0)})
    with_dpb1 = _counts({"A": (2, 2, 0), "B": (2, 1, 0), "DPB1": (0, 0, 0)})
    locus_counts = {
        "A": {"status": "matched", "typed": 2, "matched": 2, "potential": 0, "mismatched": 0, "untyped": 0},
        "B": {"status": "mismatched", "typed": 2, "matched": 1, "potential": 0, "mismatched": 1, "untyped": 0},
        "DPB1": {"status": "donor_untyped", "typed": 0, "matched": 0, "potential": 0, "mismatched": 0, "untyped": 2},
        "DQA1": {"status": "matched", "typed": 2, "matched": 2, "potential": 0, "mismatched": 0, "untyped": 0},
        "DRB4": {"status": "untyped", "typed": 0, "matched": 0, "potential": 0, "mismatched": 0, "untyped": 2},
    }
    prediction = {
        "p_mismatches": None,
        "p_more": None,
        "patient_unrepresented": True,
        "patient_genotype": "unexplained",
        "donor_genotype": "typed",
        "patient_unexplained": "allele_not_in_set",
        "patient_unexplained_tokens": ["A*01:99"],
        "patient_frequency_set": "EUR set; registries REG-A, REG-B; any ethnicity",
        "donor_frequency_set": "",
    }
    donor = _donor(
        1,
        counts=counts,
        counts_with_dpb1=with_dpb1,
        locus_counts=locus_counts,
        reported_loci={"DQA1": _locus("DQA1")},
        prediction=prediction,
    )
    html = render_html(_record([donor]), ReportLanguage.ZH)
    rows = re.findall(r'<tr><th scope="row">(\w+)</th><td>([^<]*)</td>', html.split('class="counts"')[1])
    assert rows == [("A", "匹配"), ("B", "错配"), ("DPB1", "供者未分型"), ("DQA1", "匹配")]  # DRB4: typed nowhere
    assert "仅报告，不计入" in html and "仅在含 DPB1 的匹配数中计入" in html
    assert "含 DPB1 的匹配数: 已分型 3/4（DPB1 未分型）" in html
    assert (
        "患者基因型: 无法由单倍型频率解释：不计算概率 (某个已分型的等位基因不在该数据集的任何单倍型中: "
        '<span class="mono">A*01:99</span>); 频率数据集: EUR set; 登记库 REG-A, REG-B; 任何族群'
    ) in html
    assert "供者基因型: 已分型：无歧义，即为其本身的基因型（确定）</p>" in html


@pytest.mark.parametrize(
    ("language", "donor", "shown"),
    [
        pytest.param("en", {"ethnicity": "EUR"}, "EUR", id="known"),
        pytest.param("en", {"ethnicity": None}, "not known", id="not-known"),
        pytest.param("zh", {"ethnicity": None}, "未知", id="not-known-chinese"),
        pytest.param(
            "en", {}, "not recorded (saved before donor ethnicity was reported)", id="saved-before-it-was-reported"
        ),
        pytest.param("zh", {}, "未记录（保存于报告供者族群之前）", id="saved-before-chinese"),
    ],
)
def test_each_donors_ethnicity_is_in_the_table_and_its_section(
    language: ReportLanguage, donor: dict[str, Any], shown: str
) -> None:
    html = render_html(_record([_donor(1, **donor)]), language)
    assert f"<td>{shown}</td>" in html
    label = (
        "供者族群（据此选择该供者的单倍型频率数据集）"
        if language == "zh"
        else ("Donor ethnicity (chooses the donor&#39;s haplotype frequency set)")
    )
    assert f'<p class="meta">{label}: {shown}</p>' in html
    assert "rank reason" not in html and ">ethnicity<" not in html  # not listed again as a later field
