"""Which transplant episode a fed result belongs to (registry.ingest.episode_for_result)."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.registry.ingest import PRE_TRANSPLANT_DAYS, episode_for_result

FIRST = (dt.date(2026, 1, 10), 1)
SECOND = (dt.date(2026, 6, 1), 2)
EPISODES = sorted([FIRST, SECOND], reverse=True)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        pytest.param(at(dt.date(2025, 12, 1)), None, id="long-before-any-episode"),
        pytest.param(at(FIRST[0] - dt.timedelta(days=PRE_TRANSPLANT_DAYS + 1)), None, id="just-outside-work-up"),
        pytest.param(at(FIRST[0] - dt.timedelta(days=PRE_TRANSPLANT_DAYS)), 1, id="first-day-of-work-up"),
        pytest.param(at(FIRST[0] - dt.timedelta(days=1)), 1, id="conditioning-baseline"),
        pytest.param(at(FIRST[0]), 1, id="day-0"),
        pytest.param(at(dt.date(2026, 3, 1)), 1, id="follow-up-of-first"),
        pytest.param(at(SECOND[0] - dt.timedelta(days=PRE_TRANSPLANT_DAYS + 1)), 1, id="before-second-work-up"),
        pytest.param(at(SECOND[0] - dt.timedelta(days=3)), 2, id="second-transplant-conditioning"),
        pytest.param(at(SECOND[0] + dt.timedelta(days=20)), 2, id="after-second"),
    ],
)
def test_result_belongs_to_the_episode_in_force(observed: dt.datetime, expected: int | None) -> None:
    assert episode_for_result(EPISODES, observed) == expected


def test_utc_date_decides() -> None:
    # 23:30 at UTC-05:00 on 1 May is 2 May in UTC: the first day of the second transplant's work-up.
    late = dt.datetime(2026, 5, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert late.astimezone(dt.UTC).date() == dt.date(2026, 5, 2)
    assert episode_for_result(EPISODES, late) == 2


def test_no_episode() -> None:
    assert episode_for_result([], at(dt.date(2026, 1, 1))) is None
