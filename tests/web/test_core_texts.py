"""The core's texts on Chinese pages: every one the pages can show has a translation, and it is used.

The core answers in English (unchanged for the API and the CLI); the pages translate its texts through the
``core`` catalogue (engraft.web.core_text). Collected statically (engraft.web.core_texts) and by running
every instrument through its branches (tests/web/core_examples.py).
"""

from __future__ import annotations

import string

import pytest

from engraft.outcomes.answers import CENTRE, NO_ACTIVITY
from engraft.outcomes.summaries import SINGLE_GROUP
from engraft.scores.conditioning import MAC_TBI_RULE, REACHES_MAC
from engraft.scores.hctci import WEIGHTED_RULE
from engraft.scores.hctci_facts import MET_BY
from engraft.web.catalogue_check import as_po_entries
from engraft.web.core_text import CoreWording, core_phrases, core_wording, parse_core_text
from engraft.web.core_texts import core_text_translated, core_texts, missing_core_translations, result_texts
from engraft.web.i18n import LANGUAGES, merged_catalogue, translations_for
from engraft.web.pages.risk_view import result_view
from tests.web.core_examples import instrument_results

OTHER_LANGUAGES = [pytest.param(lang.code, id=lang.code) for lang in LANGUAGES if lang.code != "en"]


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_core_text_found_without_running_is_translated(code: str) -> None:
    missing = missing_core_translations(code)
    assert not missing, (
        f"{len(missing)} core text(s) without a {code} translation; add them to "
        f"locale/{code}/LC_MESSAGES/core.po (python -m engraft.web {code} prints them):\n{as_po_entries(missing)}"
    )


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_text_of_every_instrument_result_is_translated(code: str) -> None:
    messages = merged_catalogue(code)
    missing: dict[str, str] = {}
    for result in instrument_results():
        for text in result_texts(result_view(result)):
            if not core_text_translated(text, messages):
                missing.setdefault(text, result.instrument)
    assert not missing, "untranslated texts of instrument results:\n" + "\n".join(
        f"{instrument}: {text!r}" for text, instrument in missing.items()
    )


def test_the_collection_finds_each_kind_of_core_text() -> None:
    found = core_texts()
    assert found["Karnofsky performance status, age >= 16"] == "instrument karnofsky"  # a description
    assert found["Dead"] == "engraft.scores.performance.KARNOFSKY"  # a descriptive table
    assert found["GITMO prospective validation, Italy"].endswith("(cohort)")  # a published outcome
    assert found[MAC_TBI_RULE.template] == "phrase"
    assert found["reduced intensity"].startswith("ConditioningIntensity")


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_a_phrase_translation_has_the_same_slots(code: str) -> None:
    translations = translations_for(code, "core")
    for phrase in core_phrases():
        translated = str(translations.gettext(phrase.template))
        slots = {name for _, name, _, _ in string.Formatter().parse(translated) if name is not None}
        assert slots == set(phrase.slots), f"{phrase.template!r} -> {translated!r}"


def test_english_is_left_as_the_core_wrote_it() -> None:
    english = core_wording("en")
    text = MAC_TBI_RULE(limit=800, fractionation="fractionated")
    assert english(text) == text and english("Dead") == "Dead"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Dead", "死亡", id="catalogue"),
        pytest.param("myeloablative", "清髓", id="result-enum"),
        pytest.param(
            MAC_TBI_RULE(limit=800, fractionation="fractionated"),
            "≥ 800 cGy 为清髓（分次）；仅当 ≤ 200 cGy 时为非清髓",
            id="phrase-with-translated-word",
        ),
        pytest.param(
            REACHES_MAC(component="TBI 1200 cGy in 6 fraction(s)"),
            "全身照射 1200 cGy，分 6 次 达到清髓阈值",
            id="nested",
        ),
        pytest.param(
            WEIGHTED_RULE(
                definition="Requiring treatment", weight=1, finding=MET_BY(criteria="cirrhosis, LVEF <= 50%")
            ),
            "需要治疗 [权重 1]：符合：肝硬化、LVEF ≤ 50%",
            id="list-parameter",
        ),
        pytest.param(MET_BY(criteria="coronary_artery_disease"), "符合：冠状动脉疾病", id="field-name-parameter"),
        pytest.param(
            MET_BY(criteria="LVEF <= 50%, shortening fraction < 26% (paediatric, CIBMTR)"),
            "符合：LVEF ≤ 50%、短轴缩短率 < 26%（儿童，CIBMTR）",
            id="list-item-with-a-comma-in-parentheses",
        ),
        pytest.param("years", "年", id="core-sense-of-a-word-pages-translate-otherwise"),
        pytest.param(
            SINGLE_GROUP(field="transplant_type", groups="['allogeneic']", count=4),
            "移植类型：4 例移植中只有一个组 ['allogeneic']；至少需要 2 个组才能比较",
            id="outcome-problem-with-a-field-name",
        ),
        pytest.param(
            NO_ACTIVITY(where=CENTRE(centre="C9")), "移植例数：中心 C9 没有可统计的移植", id="outcome-problem-nested"
        ),
        pytest.param("Test disease", "Test disease", id="unknown-text-unchanged"),
        pytest.param("", "", id="empty"),
    ],
)
def test_simplified_chinese_wording(text: str, expected: str) -> None:
    assert core_wording("zh_Hans")(text) == expected


def test_a_phrase_whose_template_is_not_translated_stays_english() -> None:
    wording = CoreWording(translations_for("en"))
    text = REACHES_MAC(component="busulfan 12.8 mg/kg iv")
    assert wording(text) == text
    assert parse_core_text(text) is not None


def test_a_component_item_reads_as_its_form_label() -> None:
    wording = core_wording("zh_Hans")
    assert wording.item("inflammatory_bowel_disease") != "inflammatory_bowel_disease"
    assert wording.item("disease_stage") == "疾病分期"
    assert wording.item("busulfan") == "白消安"
