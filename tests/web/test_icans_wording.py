"""The ICANS alert's explanation reads in Simplified Chinese (phrase, findings as a list, domains not recorded)."""

from __future__ import annotations

from engraft.web.core_text import core_wording
from tests.monitoring.series_builder import at
from tests.monitoring.test_icans_rule import ICE, SEIZURE, _cart, _icans, _obs


def test_the_graded_explanation_in_chinese() -> None:
    (detection,) = _icans([_obs(1, at(2, 8), ICE, 3), _obs(2, at(2, 9), SEIZURE, 1)])
    assert core_wording("zh_Hans")(detection.explanation) == (
        "ICANS 3 级：免疫效应细胞输注后第 +2 天，自 2026-03-03 08:00 UTC 起（ASTCT 共识（Lee 2019））："
        "2026-03-03 08:00 UTC ICE 评分 3/10（2 级）、"
        "2026-03-03 09:00 UTC 迅速缓解的癫痫发作（或经干预缓解的脑电图癫痫发作）（3 级）。"
        "未记录：意识水平、运动功能表现、颅内压增高或脑水肿；该分级为下限。"
        "请核实各项表现均不能归因于其他原因（如镇静）。"
    )
    assert core_wording("zh_Hans")(detection.rule_title).startswith(
        "免疫效应细胞治疗后的免疫效应细胞相关神经毒性综合征"
    )


def test_a_childs_findings_in_chinese_say_they_are_not_graded() -> None:
    (detection,) = _icans([_obs(1, at(2, 8), ICE, 3)], _cart(age=7))
    assert core_wording("zh_Hans")(detection.explanation) == (
        "免疫效应细胞输注后第 +2 天，自 2026-03-03 08:00 UTC 起的神经系统表现，患儿第 0 天年龄 7 岁："
        "2026-03-03 08:00 UTC ICE 评分 3/10。未分级：ICE 适用于 12 岁及以上，而儿童 CAPD 分级表在 Engraft 中未经核实；"
        "请用 CAPD 评估。"
    )


def test_an_item_with_commas_is_not_read_as_a_list() -> None:
    """An HCT-CI definition holds commas; read as a list its last piece ("or AST/ALT > ULN to 2.5 x ULN") stayed
    English. A list is taken only when every item translates without English left in it."""
    wording = core_wording("zh_Hans")
    text = (
        "Chronic hepatitis, bilirubin > ULN to 1.5 x ULN, or AST/ALT > ULN to 2.5 x ULN [weight 1]: reported item flag;"
        " superseded by hepatic_moderate_severe (mutually exclusive, higher scores)"
    )
    translated = wording(text)
    assert "慢性肝炎、胆红素 > 正常上限至 1.5 × 正常上限，或 AST/ALT > 正常上限至 2.5 × 正常上限" in translated
    assert "ULN" not in translated and " or " not in translated
