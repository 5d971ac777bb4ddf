"""``engraft import`` runs the monitoring rules over the results it stored, once committed (SQLite and PostgreSQL).

Before: the import stored its results inside one outer transaction in a process with no monitoring worker, so no
rule judged them until each episode's next result. Now each episode that received results is evaluated after the
commit: a condition still present is an open alert, one the series shows over is stored resolved.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from engraft.cli import app
from engraft.config.monitoring_rules import RULES_ENV
from engraft.monitoring import AlertState
from engraft.registry import monitoring_catch_up
from engraft.registry.models import (
    AuditEntry,
    ClinicalEvent,
    MonitoringAlert,
    Observation,
    Patient,
    TransplantEpisode,
)
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventSource, EventType

runner = CliRunner()
ANC = "751-8"
TODAY = dt.datetime.now(dt.UTC).date()
RECENT_DAY0 = TODAY - dt.timedelta(days=6)
PAST_DAY0 = dt.date(2024, 5, 1)


def _at(day0: dt.date, day: int) -> str:
    return f"{(day0 + dt.timedelta(days=day)).isoformat()}T06:00:00Z"


def _folder(tmp_path: Path) -> Path:
    """Two patients: one neutropenic now (day 0 six days ago, ANC 0.2 on days 3 and 4), one whose neutropenia of
    2024 ended (ANC 0.2 on day 2, then at least 1.5 on days 12 to 14: engrafted on day 12)."""
    folder = tmp_path / "csv"
    folder.mkdir(parents=True)
    (folder / "centres.csv").write_text("code,name,country\nC1,Centre One,GB\n", encoding="utf-8")
    (folder / "patients.csv").write_text(
        "registry_id,centre,sex,birth_date\nENG-NOW,C1,female,1970-02-03\nENG-PAST,C1,male,1965-07-08\n",
        encoding="utf-8",
    )
    (folder / "episodes.csv").write_text(
        "registry_id,sequence_number,centre,transplant_type,graft_source,day0\n"
        f"ENG-NOW,1,C1,autologous,peripheral blood,{RECENT_DAY0.isoformat()}\n"
        f"ENG-PAST,1,C1,autologous,peripheral blood,{PAST_DAY0.isoformat()}\n",
        encoding="utf-8",
    )
    rows = [
        ("ENG-NOW", RECENT_DAY0, 3, 0.2),
        ("ENG-NOW", RECENT_DAY0, 4, 0.2),
        ("ENG-PAST", PAST_DAY0, 2, 0.2),
        ("ENG-PAST", PAST_DAY0, 12, 1.5),
        ("ENG-PAST", PAST_DAY0, 13, 1.6),
        ("ENG-PAST", PAST_DAY0, 14, 1.8),
    ]
    lines = ["registry_id,episode_sequence,observed_at,loinc,value,unit,source_system,source_id"]
    lines += [
        f"{patient},1,{_at(day0, day)},{ANC},{value},10*9/L,urn:lab,{patient}-{day}"
        for patient, day0, day, value in rows
    ]
    (folder / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _alerts(engine: Engine) -> dict[str, list[tuple[str, AlertState]]]:
    """Registry id -> (rule, state) of its alerts."""
    stmt = (
        select(Patient.registry_id, MonitoringAlert.rule_id, MonitoringAlert.state)
        .join(Patient, Patient.id == MonitoringAlert.patient_id)
        .order_by(MonitoringAlert.id)
    )
    found: dict[str, list[tuple[str, AlertState]]] = {}
    with engine.connect() as connection:
        for registry_id, rule_id, state in connection.execute(stmt):
            found.setdefault(registry_id, []).append((rule_id, state))
    return found


def test_the_import_judges_the_episodes_still_monitored(tmp_path: Path, engine: Engine, database_url: str) -> None:
    result = runner.invoke(app, ["import", str(_folder(tmp_path)), "--database", database_url])
    assert result.exit_code == 0, result.output
    assert "committed" in result.output and "Monitoring rules over the imported results" in result.output
    assert "CatchUpSummary(" not in result.output  # never a raw repr
    assert _alerts(engine) == {"ENG-NOW": [("anc-below-0-5", AlertState.OPEN)]}  # 2024 is past every rule window
    assert _table_row(result.output, "past their monitoring window") == 1
    with engine.connect() as connection:
        actors = set(connection.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "monitoring evaluation")))
    assert actors and all(actor.startswith("monitoring") for actor in actors)

    results_again = _folder(tmp_path / "again")
    for name in ("centres.csv", "patients.csv", "episodes.csv"):
        (results_again / name).unlink()
    again = runner.invoke(app, ["import", str(results_again), "--database", database_url])
    assert again.exit_code == 0, again.output
    assert "Monitoring rules" not in again.output  # every row already present: nothing new to judge


def test_evaluate_all_stores_a_past_condition_resolved_and_derives_its_event(
    tmp_path: Path, engine: Engine, database_url: str
) -> None:
    result = runner.invoke(app, ["import", str(_folder(tmp_path)), "--database", database_url, "--evaluate", "all"])
    assert result.exit_code == 0, result.output
    alerts = _alerts(engine)
    assert alerts["ENG-NOW"] == [("anc-below-0-5", AlertState.OPEN)]
    # the neutropenia of 2024 is stored over; the engraftment it ended in is the engine's notice of a detected event
    assert alerts["ENG-PAST"] == [
        ("anc-below-0-5", AlertState.RESOLVED),
        ("neutrophil-engraftment", AlertState.OPEN),
    ]
    assert _table_row(result.output, "still present") == 2
    with engine.connect() as connection:
        engrafted = connection.execute(
            select(ClinicalEvent.event_date, ClinicalEvent.source)
            .join(TransplantEpisode, TransplantEpisode.id == ClinicalEvent.episode_id)
            .join(Patient, Patient.id == TransplantEpisode.patient_id)
            .where(Patient.registry_id == "ENG-PAST", ClinicalEvent.event_type == EventType.NEUTROPHIL_ENGRAFTMENT)
        ).all()
    assert engrafted == [(PAST_DAY0 + dt.timedelta(days=12), EventSource.DERIVED)]


def test_evaluate_none_stores_the_results_and_raises_nothing(tmp_path: Path, engine: Engine, database_url: str) -> None:
    result = runner.invoke(app, ["import", str(_folder(tmp_path)), "--database", database_url, "--evaluate", "none"])
    assert result.exit_code == 0, result.output
    assert "2 episodes received results or a recorded engraftment; not judged now" in result.output
    assert _alerts(engine) == {}
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Observation)) == 6


def test_an_unusable_centre_rule_file_stops_the_import_before_it_writes(
    tmp_path: Path, engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RULES_ENV, str(tmp_path / "missing.toml"))
    unreadable = runner.invoke(app, ["import", str(_folder(tmp_path)), "--database", database_url])
    assert unreadable.exit_code == 2 and RULES_ENV in unreadable.output
    rules = tmp_path / "bad.toml"
    rules.write_text("[rule_set]\nname = 1\n", encoding="utf-8")
    monkeypatch.setenv(RULES_ENV, str(rules))
    invalid = runner.invoke(app, ["import", str(_folder(tmp_path / "b")), "--database", database_url])
    assert invalid.exit_code == 2 and "Traceback" not in invalid.output
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(TransplantEpisode)) == 0


def _table_row(output: str, label: str) -> int:
    """The count of the summary table's row starting with ``label``."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == 2 and cells[0].startswith(label):
            return int(cells[1].replace(",", ""))
    raise AssertionError(f"no row {label!r} in:\n{output}")


def test_an_imported_engraftment_answers_the_deadline_rules(tmp_path: Path, engine: Engine, database_url: str) -> None:
    """Counts measured to day +30 never show engraftment; the registry then imports the engraftment of day +20
    (measured elsewhere): the episode is judged again, and the "not engrafted by day +28" and primary graft failure
    alerts are resolved."""
    day0 = TODAY - dt.timedelta(days=40)
    folder = tmp_path / "late"
    folder.mkdir()
    (folder / "centres.csv").write_text("code,name,country\nC1,Centre One,GB\n", encoding="utf-8")
    (folder / "patients.csv").write_text(
        "registry_id,centre,sex,birth_date\nENG-LATE,C1,female,1970-02-03\n", encoding="utf-8"
    )
    (folder / "episodes.csv").write_text(
        "registry_id,sequence_number,centre,transplant_type,graft_source,day0\n"
        f"ENG-LATE,1,C1,autologous,peripheral blood,{day0.isoformat()}\n",
        encoding="utf-8",
    )
    lines = ["registry_id,episode_sequence,observed_at,loinc,value,unit,source_system,source_id"]
    lines += [f"ENG-LATE,1,{_at(day0, day)},{ANC},0.05,10*9/L,urn:lab,late-{day}" for day in range(31)]
    (folder / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = runner.invoke(app, ["import", str(folder), "--database", database_url])
    assert first.exit_code == 0, first.output
    before = _alerts(engine)["ENG-LATE"]
    assert ("no-neutrophil-engraftment-day-28", AlertState.OPEN) in before
    assert ("primary-graft-failure", AlertState.OPEN) in before  # no recovery by the day +30 limit

    events = tmp_path / "events"
    events.mkdir()
    engrafted = (day0 + dt.timedelta(days=20)).isoformat()
    (events / "events.csv").write_text(
        "registry_id,episode_sequence,event_type,event_date,source\n"
        f"ENG-LATE,1,neutrophil engraftment,{engrafted},registry import\n",
        encoding="utf-8",
    )
    second = runner.invoke(app, ["import", str(events), "--database", database_url])
    assert second.exit_code == 0, second.output
    assert _table_row(second.output, "episodes with new results or a recorded engraftment") == 1
    assert _table_row(second.output, "alerts on file resolved") == 2  # both deadline rules
    after = _alerts(engine)["ENG-LATE"]
    assert ("no-neutrophil-engraftment-day-28", AlertState.RESOLVED) in after
    assert ("primary-graft-failure", AlertState.RESOLVED) in after


def test_rules_other_than_those_in_force_stop_the_import_before_it_writes(
    tmp_path: Path, engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped rules are in force (the first import recorded them); a shell whose centre file differs would put
    its rules in force for every process by judging with them: refused, nothing written."""
    first = runner.invoke(app, ["import", str(_folder(tmp_path / "a")), "--database", database_url])
    assert first.exit_code == 0, first.output
    rules = tmp_path / "centre.toml"
    rules.write_text('[rule_set]\nname = "C1 rules"\nversion = "7"\ndisable = ["anc-below-0-5"]\n', encoding="utf-8")
    monkeypatch.setenv(RULES_ENV, str(rules))
    more = _folder(tmp_path / "b")
    for name in ("centres.csv", "patients.csv", "episodes.csv"):
        (more / name).unlink()
    (more / "observations.csv").write_text(
        "registry_id,episode_sequence,observed_at,loinc,value,unit,source_system,source_id\n"
        f"ENG-NOW,1,{_at(RECENT_DAY0, 5)},{ANC},0.3,10*9/L,urn:lab,ENG-NOW-5\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["import", str(more), "--database", database_url])
    assert refused.exit_code == 2, refused.output
    assert "not the rules in force" in refused.output and "nothing was written" in refused.output
    assert "Traceback" not in refused.output
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Observation)) == 6
    unjudged = runner.invoke(app, ["import", str(more), "--database", database_url, "--evaluate", "none"])
    assert unjudged.exit_code == 0, unjudged.output


def test_an_episode_that_cannot_be_evaluated_is_named_without_a_traceback(
    tmp_path: Path, engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = monitoring_catch_up.evaluate_episode

    def evaluate(service: RegistryService, episode_id: int, **kwargs: Any) -> Any:
        if episode_id == 1:
            raise RuntimeError("the database went away")
        return real(service, episode_id, **kwargs)

    monkeypatch.setattr(monitoring_catch_up, "evaluate_episode", evaluate)
    result = runner.invoke(app, ["import", str(_folder(tmp_path)), "--database", database_url, "--evaluate", "all"])
    assert result.exit_code == 1, result.output
    assert "not evaluated: episode 1: RuntimeError: the database went away" in result.output
    assert "the import is committed" in result.output and "Traceback" not in result.output
    assert _table_row(result.output, "evaluated") == 1
