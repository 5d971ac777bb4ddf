"""Evaluating results stored outside a running engine (an import): which episodes are still monitored, and one
episode's failure leaving the others judged (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from engraft.monitoring import AlertState
from engraft.registry import monitoring_catch_up
from engraft.registry.models import MonitoringAlert, TransplantEpisode
from engraft.registry.monitoring_catch_up import (
    current_episodes,
    evaluate_stored_results,
    monitoring_window_days,
    rules_not_in_force,
)
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.service import RegistryService

ANC = "751-8"
TODAY = dt.date(2026, 12, 5)


def _day0(engine: Engine, episode: int, day0: dt.date) -> None:
    with engine.begin() as connection:
        connection.execute(update(TransplantEpisode).where(TransplantEpisode.id == episode).values(day0=day0))


@pytest.mark.parametrize(
    ("days_before_today", "current"),
    [
        pytest.param(365, True, id="day0-exactly-the-window-before-today-is-current"),
        pytest.param(366, False, id="day0-one-day-earlier-is-historical"),
        pytest.param(0, True, id="day0-today"),
    ],
)
def test_the_monitoring_window_boundary(
    service: RegistryService, seeded: dict[str, int], engine: Engine, days_before_today: int, current: bool
) -> None:
    episode = seeded["episode"]
    _day0(engine, episode, TODAY - dt.timedelta(days=days_before_today))
    assert monitoring_window_days(None) == 365  # the shipped rules' longest window (graft failure, CMV, aGVHD)
    assert current_episodes(service, [episode], 365, TODAY) == ({episode} if current else set())


def test_an_unknown_episode_counts_as_current_and_is_reported_gone(service: RegistryService) -> None:
    assert current_episodes(service, [987654], 365, TODAY) == {987654}
    summary = evaluate_stored_results(service, {987654: {ANC}}, centre_rules=None)
    assert (summary.episodes, summary.evaluated, summary.gone, summary.failed) == (1, 0, 1, {})


def test_a_failing_episode_is_reported_and_the_others_are_judged(
    service: RegistryService, seeded: dict[str, int], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    episode = seeded["episode"]
    _day0(engine, episode, dt.datetime.now(dt.UTC).date() - dt.timedelta(days=5))
    observed = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    row = ObservationRow(seeded["patient"], episode, observed, ANC, 0.2, "10*9/L", "lab feed", "anc-1")
    assert add_observations(service, [row]).inserted == 1
    real = monitoring_catch_up.evaluate_episode
    broken = 424242

    def evaluate(svc: RegistryService, episode_id: int, **kwargs: Any) -> Any:
        if episode_id == broken:
            raise RuntimeError("the database went away")
        return real(svc, episode_id, **kwargs)

    monkeypatch.setattr(monitoring_catch_up, "evaluate_episode", evaluate)
    seen: list[tuple[int, int]] = []
    summary = evaluate_stored_results(
        service, {broken: {ANC}, episode: {ANC}}, centre_rules=None, progress=lambda d, t: seen.append((d, t))
    )
    assert summary.failed == {broken: "RuntimeError: the database went away"}
    assert (summary.evaluated, summary.raised, summary.still_open) == (1, 1, 1)
    assert seen == [(1, 2), (2, 2)]
    with engine.connect() as connection:
        states = connection.execute(
            select(MonitoringAlert.rule_id, MonitoringAlert.state).where(MonitoringAlert.episode_id == episode)
        ).all()
    assert states == [("anc-below-0-5", AlertState.OPEN)]


def test_only_limits_the_evaluations_and_counts_the_rest_historical(
    service: RegistryService, seeded: dict[str, int]
) -> None:
    summary = evaluate_stored_results(service, {seeded["episode"]: {ANC}}, centre_rules=None, only=set())
    assert (summary.episodes, summary.historical, summary.evaluated) == (1, 1, 0)


def test_rules_are_refused_only_when_no_version_on_record_has_them(
    service: RegistryService, seeded: dict[str, int]
) -> None:
    centre = '[rule_set]\nname = "C1 rules"\nversion = "7"\ndisable = ["anc-below-0-5"]\n'
    assert rules_not_in_force(service, None) is None  # nothing on record: the first evaluation records them
    evaluate_stored_results(service, {seeded["episode"]: {ANC}}, centre_rules=None)
    assert rules_not_in_force(service, None) is None
    conflict = rules_not_in_force(service, centre)
    assert conflict is not None and "C1 rules" in conflict and "not the rules in force" in conflict
    evaluate_stored_results(service, {seeded["episode"]: {ANC}}, centre_rules=centre)  # recorded: now in force
    assert rules_not_in_force(service, centre) is None
    assert rules_not_in_force(service, None) is None  # an older version on record: judging records nothing new
