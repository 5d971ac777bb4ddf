"""Timestamps on the clinical screens (the ward board's "detected", token expiry, lockout) are never ambiguous:
the month in words, the 24-hour clock and the zone, in each offered language."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.web.i18n import ENGLISH, SIMPLIFIED_CHINESE, Language
from engraft.web.templating import ENVIRONMENT

MOMENT = dt.datetime(2026, 12, 5, 11, 4, 30, tzinfo=dt.UTC)


def _short(value: dt.datetime, language: Language) -> str:
    return ENVIRONMENT.from_string('{{ value|datetime("short") }}').render(value=value, language=language)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(ENGLISH, "Dec 5, 2026 11:04 UTC", id="english-month-in-words"),
        pytest.param(SIMPLIFIED_CHINESE, "2026年12月5日 11:04 UTC", id="chinese"),
    ],
)
def test_the_short_form_names_the_month_the_24_hour_time_and_the_zone(language: Language, expected: str) -> None:
    assert _short(MOMENT, language) == expected
    assert "12/5" not in _short(MOMENT, language) and "AM" not in _short(MOMENT, language)


def test_an_afternoon_time_is_on_the_24_hour_clock_in_its_own_zone() -> None:
    cet = dt.timezone(dt.timedelta(hours=1), "CET")
    assert _short(dt.datetime(2026, 5, 12, 15, 30, tzinfo=cet), ENGLISH) == "May 12, 2026 15:30 CET"


def test_a_timestamp_without_a_zone_is_read_as_utc() -> None:
    assert _short(dt.datetime(2026, 12, 5, 23, 59), ENGLISH) == "Dec 5, 2026 23:59 UTC"
