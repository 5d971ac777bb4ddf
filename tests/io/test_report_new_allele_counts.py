"""The coordinator's report writes a count with a NEW allele as unknown, never as matched (issue 13, point 4)."""

from __future__ import annotations

import pytest

from engraft.io.donor_search_report_match import count_label
from engraft.io.donor_search_report_render import catalogue
from engraft.reports.languages import ReportLanguage


def _t(language: ReportLanguage):  # type: ignore[no-untyped-def]
    words = catalogue(language)
    return lambda msgid: words.get(msgid) or msgid


@pytest.mark.parametrize(
    ("counts", "english", "chinese"),
    [
        pytest.param(
            {"matched": 9, "total": 10, "typed": 10, "potential": 0, "unknown": 1},
            "9/10 (1 unknown: NEW allele)",
            "9/10（1 个未知：新等位基因）",
            id="all-typed-one-new",
        ),
        pytest.param(
            {
                "matched": 6,
                "total": 10,
                "typed": 8,
                "potential": 1,
                "unknown": 2,
                "loci": ["A", "B", "C", "DRB1", "DQB1"],
                "per_locus": {"C": {"untyped": 2}},
            },
            "6/8 typed (C untyped; 2 unknown: NEW allele)",
            "已分型 6/8（C 未分型；2 个未知：新等位基因）",
            id="untyped-and-new",
        ),
        pytest.param(
            {"matched": 10, "total": 10, "typed": 10, "potential": 0},
            "10/10",
            "10/10",
            id="saved-before-unknown-existed",
        ),
    ],
)
def test_new_allele_counts_in_both_languages(counts: dict[str, object], english: str, chinese: str) -> None:
    assert count_label(counts, "", _t(ReportLanguage.EN)) == english
    assert count_label(counts, "", _t(ReportLanguage.ZH)) == chinese
