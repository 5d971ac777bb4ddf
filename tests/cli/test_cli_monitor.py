"""``engraft monitor replay``: the alerts a CSV replay raises, as a table; bad rows and bad rule files named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engraft.cli import app
from engraft.cli.common import console, err_console

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide table, whatever width the console took when another test imported it first."""
    monkeypatch.setattr(console, "_width", 250)
    monkeypatch.setattr(err_console, "_width", 250)


PATIENTS = "registry_id,centre,sex,birth_date\nPT-001,C1,female,1980-02-03\n"
EPISODES = (
    "registry_id,sequence_number,centre,transplant_type,graft_source,day0\n"
    "PT-001,1,C1,allogeneic,peripheral blood,2025-03-01\n"
)
HEADER = "registry_id,episode_sequence,observed_at,loinc,value,unit,source_id\n"


def _folder(tmp_path: Path, observations: str) -> Path:
    (tmp_path / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (tmp_path / "episodes.csv").write_text(EPISODES, encoding="utf-8")
    path = tmp_path / "observations.csv"
    path.write_text(HEADER + observations, encoding="utf-8")
    return path


def _anc(day: int, value: float) -> str:
    return f"PT-001,1,2025-03-{1 + day:02d}T06:00:00Z,751-8,{value},10*9/L,anc-{day}\n"


def test_replay_prints_the_alerts_as_a_table(tmp_path: Path) -> None:
    rows = "".join(_anc(d, 0.1 if d < 12 else 1.5) for d in range(0, 16))
    rows += "PT-001,1,2025-03-06T06:00:00Z,14631-6,51.3,umol/L,bili-5\n"
    rows += "PT-001,,2025-03-06T06:00:00Z,751-8,2.0,10*9/L,loose-1\n"
    result = runner.invoke(app, ["monitor", "replay", str(_folder(tmp_path, rows))], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    out = result.output
    for rule in ("anc-below-0-5 v1", "neutrophil-engraftment v2", "bilirubin-2-mg-dl v1", "sos-vod-ebmt-2016-adult"):
        assert rule in out
    assert "(day +11)" not in out and "day +14" in out  # engraftment: first of three from day 12, known on day 14
    # bilirubin 3 mg/dL on day 5 of an adult also raises the possible SOS/VOD alert (EBMT 2016, lab criteria only)
    assert "4 alert(s) from 1 episode(s); 1 result(s) not tied to an episode were skipped." in out
    assert "Traceback" not in out and "MonitoredObservation(" not in out


def test_a_centre_rule_file_changes_the_thresholds(tmp_path: Path) -> None:
    rules = tmp_path / "centre.toml"
    rules.write_text('[rule_set]\nname = "C1 rules"\nversion = "7"\ndisable = ["anc-below-0-5"]\n', encoding="utf-8")
    path = _folder(tmp_path, "".join(_anc(d, 0.1) for d in range(0, 3)))
    result = runner.invoke(app, ["monitor", "replay", str(path), "--rules", str(rules)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "anc-below-0-5" not in result.output and "C1 rules 2026.12.4+7" in result.output


@pytest.mark.parametrize(
    ("row", "message"),
    [
        pytest.param("PT-001,1,2025-03-02T06:00:00Z,751-8,0.3,mg/dL,x-1\n", "column unit", id="foreign-unit"),
        pytest.param("PT-001,2,2025-03-02T06:00:00Z,751-8,0.3,10*9/L,x-1\n", "no episode 2", id="unknown-episode"),
        pytest.param("PT-001,1,2025-03-02 06:00,751-8,0.3,10*9/L,x-1\n", "column observed_at", id="bad-timestamp"),
        pytest.param("PT-001,1,2025-03-02T06:00:00Z,751-8,abc,10*9/L,x-1\n", "column value", id="bad-number"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_evaluated(tmp_path: Path, row: str, message: str) -> None:
    result = runner.invoke(app, ["monitor", "replay", str(_folder(tmp_path, row))], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "observations.csv row 1" in result.output and message in result.output
    assert "Traceback" not in result.output


def test_a_bad_rule_file_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "centre.toml"
    rules.write_text("[rule_set\n", encoding="utf-8")
    path = _folder(tmp_path, _anc(1, 0.1))
    result = runner.invoke(app, ["monitor", "replay", str(path), "--rules", str(rules)])
    assert result.exit_code == 2 and "not valid TOML" in result.output


def test_the_episode_files_must_be_beside_the_observations(tmp_path: Path) -> None:
    path = tmp_path / "observations.csv"
    path.write_text(HEADER + _anc(1, 0.1), encoding="utf-8")
    result = runner.invoke(app, ["monitor", "replay", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 1 and "patients.csv" in result.output and "episodes.csv" in result.output


@pytest.mark.parametrize(
    ("events", "deadline_alerts"),
    [
        pytest.param(None, True, id="no-events-file"),
        pytest.param("PT-001,1,neutrophil engraftment,2025-03-21,manual\n", False, id="recorded-day-20"),
        pytest.param("PT-001,1,neutrophil engraftment,2025-03-21,derived\n", True, id="a-derived-one-is-not-read"),
        pytest.param("PT-001,1,relapse,2025-03-21,manual\n", True, id="another-event"),
    ],
)
def test_the_replay_reads_the_recorded_engraftment_beside_it(
    tmp_path: Path, events: str | None, deadline_alerts: bool
) -> None:
    """ANC 0.1 every day to day +32 (the replay judges as at the last result): never engrafted in the results;
    events.csv may record engraftment on day +20."""
    day0 = dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC)
    rows = "".join(
        f"PT-001,1,{(day0 + dt.timedelta(days=d)).isoformat()},751-8,0.1,10*9/L,anc-{d}\n" for d in range(0, 33)
    )
    path = _folder(tmp_path, rows)
    if events is not None:
        (tmp_path / "events.csv").write_text(
            "registry_id,episode_sequence,event_type,event_date,source\n" + events, encoding="utf-8"
        )
    result = runner.invoke(app, ["monitor", "replay", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert ("no-neutrophil-engraftment-day-28" in result.output) is deadline_alerts
    assert ("primary-graft-failure" in result.output) is deadline_alerts
