"""The forms' check messages (pydantic's wording) are shown in Chinese on Chinese pages."""

from __future__ import annotations

import datetime as dt
import enum
import re

import pytest
from pydantic import BaseModel, Field, ValidationError

from engraft.web.core_text import core_wording
from engraft.web.form_messages import FIXED_MESSAGES


class _Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class _Form(BaseModel):
    at_least: int = Field(default=0, ge=0)
    above: float = Field(default=1, gt=0)
    at_most: int = Field(default=0, le=5)
    below: int = Field(default=0, lt=5)
    flag: bool = False
    colour: _Colour = _Colour.RED
    day: dt.date = dt.date(2026, 1, 1)
    short: str = Field(default="ab", min_length=2)
    long: str = Field(default="a", max_length=1)
    longer: str = Field(default="a", max_length=3)
    whole: int = 0
    number: float = 0.0
    needed: int


class _Strict(BaseModel, strict=True):
    whole: int
    number: float
    flag: bool


def _messages(model: type[BaseModel], data: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [str(item["msg"]) for item in caught.value.errors(include_url=False)]


BAD_INPUTS = [
    pytest.param(_Form, {"at_least": -1, "needed": 1}, id="greater-than-or-equal"),
    pytest.param(_Form, {"above": 0, "needed": 1}, id="greater-than"),
    pytest.param(_Form, {"at_most": 6, "needed": 1}, id="less-than-or-equal"),
    pytest.param(_Form, {"below": 5, "needed": 1}, id="less-than"),
    pytest.param(_Form, {"flag": "maybe", "needed": 1}, id="boolean"),
    pytest.param(_Form, {"colour": "green", "needed": 1}, id="choice"),
    pytest.param(_Form, {"day": "2026-02-30", "needed": 1}, id="day-out-of-range"),
    pytest.param(_Form, {"day": "x", "needed": 1}, id="date-too-short"),
    pytest.param(_Form, {"short": "a", "needed": 1}, id="too-short"),
    pytest.param(_Form, {"long": "ab", "needed": 1}, id="too-long-one"),
    pytest.param(_Form, {"longer": "abcd", "needed": 1}, id="too-long"),
    pytest.param(_Form, {"whole": "x", "needed": 1}, id="integer-text"),
    pytest.param(_Form, {"whole": 1.5, "needed": 1}, id="integer-fraction"),
    pytest.param(_Form, {"number": "y", "needed": 1}, id="number-text"),
    pytest.param(_Form, {}, id="missing"),
    pytest.param(_Strict, {"whole": "1", "number": "2", "flag": "yes"}, id="strict-types"),
]


@pytest.mark.parametrize(("model", "data"), BAD_INPUTS)
def test_every_check_message_reads_in_chinese(model: type[BaseModel], data: dict[str, object]) -> None:
    chinese = core_wording("zh_Hans")
    for message in _messages(model, data):
        shown = chinese(message)
        assert not re.search(r"[A-Za-z]{3,}", shown.replace("red", "").replace("blue", "")), (message, shown)


def test_english_pages_keep_the_message() -> None:
    english = core_wording("en")
    for message in _messages(_Form, {"at_least": -1}):
        assert english(message) == message


def test_the_figures_survive_translation() -> None:
    (message,) = _messages(_Form, {"at_least": -1, "needed": 1})
    assert core_wording("zh_Hans")(message) == "输入值应大于或等于 0"


def test_fixed_messages_are_pydantics_own_words() -> None:
    produced: set[str] = set()
    for param in BAD_INPUTS:
        model, data = param.values
        produced |= set(_messages(model, data))  # type: ignore[arg-type]
    reasons = {m.split(", ", 1)[1] for m in produced if m.startswith("Input should be a valid date or datetime, ")}
    assert reasons and reasons <= set(FIXED_MESSAGES)
    assert {m for m in FIXED_MESSAGES if m.startswith("Input should be")} <= produced
    assert "Field required" in produced
