"""The possible CRS alert's explanation reads in Simplified Chinese (phrase, signs as a list, age group, version)."""

from __future__ import annotations

import pytest

from engraft.web.core_text import core_wording
from tests.monitoring.test_possible_crs_rule import SYSTOLIC, TEMPERATURE, _cart, _crs, _obs, at


@pytest.mark.parametrize(
    ("age", "group"),
    [pytest.param(40, "成人", id="adult"), pytest.param(None, "成人或年龄未知", id="age-unknown")],
)
def test_the_escalated_explanation_in_chinese(age: int | None, group: str) -> None:
    observations = [_obs(1, at(2, 8), TEMPERATURE, 100.8, "[degF]"), _obs(2, at(2, 9), SYSTOLIC, 85.0, "mm[Hg]")]
    (detection,) = _crs(observations, _cart(age=age))
    assert core_wording("zh_Hans")(detection.explanation) == (
        "可能的 CRS：免疫效应细胞输注后第 +2 天，自 2026-03-03 08:00 UTC 起发热 >= 38.0 °C（100.8 [degF]），伴 "
        f"2026-03-03 09:00 UTC 收缩压 85 mm[Hg]，低于 90 mm[Hg]（{group}；本中心阈值，未经核实，并非 ASTCT 标准）："
        "请核查升压药和氧疗需求。至少 2 级（ASTCT 共识（Lee 2019））："
        "仅凭生命体征无法确定分级（升压药和给氧装置不属于观测结果）。"
    )
    assert core_wording("zh_Hans")(detection.rule_title).startswith("免疫效应细胞治疗后可能的细胞因子释放综合征")
