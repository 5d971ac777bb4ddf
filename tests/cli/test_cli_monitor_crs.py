"""``engraft monitor replay`` reads an episode's cell therapy from episodes.csv: a CAR-T episode's fever is a
possible CRS, the same fever in a transplant episode (the column empty) is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engraft.cli import app
from engraft.cli.common import console, err_console

runner = CliRunner()
PATIENTS = "registry_id,centre,sex,birth_date\nPT-001,C1,female,1980-02-03\n"
HEADER = "registry_id,episode_sequence,observed_at,loinc,value,unit,source_id\n"
VITALS = "PT-001,1,2025-03-03T08:00:00Z,8310-5,38.4,Cel,t-1\nPT-001,1,2025-03-03T12:00:00Z,8480-6,84,mm[Hg],sbp-1\n"


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 250)
    monkeypatch.setattr(err_console, "_width", 250)


@pytest.mark.parametrize(
    ("therapy", "alerted"),
    [
        pytest.param("immune effector cell therapy", True, id="car-t-episode"),
        pytest.param("", False, id="empty-cell-is-a-transplant"),
    ],
)
def test_replay_raises_possible_crs_for_a_car_t_episode(tmp_path: Path, therapy: str, alerted: bool) -> None:
    (tmp_path / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (tmp_path / "episodes.csv").write_text(
        "registry_id,sequence_number,centre,transplant_type,graft_source,cell_therapy,day0\n"
        f"PT-001,1,C1,autologous,peripheral blood,{therapy},2025-03-01\n",
        encoding="utf-8",
    )
    path = tmp_path / "observations.csv"
    path.write_text(HEADER + VITALS, encoding="utf-8")
    result = runner.invoke(app, ["monitor", "replay", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert ("possible-crs-iec" in result.output) is alerted
    if alerted:
        assert "critical" in result.output
