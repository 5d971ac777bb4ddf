"""``engraft demo``, ``export``, ``import`` and ``risk-profile`` as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from engraft.cli import app
from tests.demo_cohort import CAR_T_COURSES

runner = CliRunner()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_demo_export_import_and_risk_profile(tmp_path: Path, hla_release: str) -> None:
    source = f"sqlite:///{tmp_path / 'demo.db'}"
    demo = runner.invoke(app, ["demo", "--database", source, "--transplants", "6", "--seed", "5"])
    assert demo.exit_code == 0, demo.output
    assert "Synthetic demo cohort" in demo.output and "observations" in demo.output
    assert "DemoSummary(" not in demo.output and "datetime.date(" not in demo.output  # never a raw repr
    again = runner.invoke(app, ["demo", "--database", source, "--transplants", "6"])
    assert again.exit_code == 1 and "empty" in again.output

    research = tmp_path / "research"
    exported = runner.invoke(app, ["export", str(research), "--database", source])
    assert exported.exit_code == 0, exported.output
    assert "Exported to" in exported.output and "ExportSummary(" not in exported.output
    patients = _rows(research / "patients.csv")
    assert len(patients) == 6 + len(CAR_T_COURSES)  # the transplants and the demo's CAR-T patients
    assert "mrn" not in patients[0] and "family_name" not in patients[0]
    assert sum(e["cell_therapy"] == "immune effector cell therapy" for e in _rows(research / "episodes.csv")) == len(
        CAR_T_COURSES
    )
    full = tmp_path / "full"
    assert runner.invoke(app, ["export", str(full), "--database", source, "--include-identity"]).exit_code == 0
    assert "mrn" in _rows(full / "patients.csv")[0]

    target = f"sqlite:///{tmp_path / 'copy.db'}"
    imported = runner.invoke(app, ["import", str(full), "--database", target])
    assert imported.exit_code == 0, imported.output
    assert "committed" in imported.output and "ImportReport(" not in imported.output
    round_trip = tmp_path / "round-trip"
    assert runner.invoke(app, ["export", str(round_trip), "--database", target, "--include-identity"]).exit_code == 0
    for name in ("patients.csv", "episodes.csv", "events.csv", "observations.csv"):
        assert _rows(round_trip / name) == _rows(full / name), name

    extras = tmp_path / "extras.json"
    extras.write_text(json.dumps({"performance_score": 80}))
    profile = runner.invoke(app, ["risk-profile", "1", "--input", str(extras), "--database", source])
    assert profile.exit_code == 0, profile.output
    assert any(a["instrument"] in {"karnofsky", "lansky"} for a in json.loads(profile.output)["assessments"])
    missing = runner.invoke(app, ["risk-profile", "1", "--input", str(tmp_path / "nope.json"), "--database", source])
    assert missing.exit_code == 1
    unknown = runner.invoke(app, ["risk-profile", "999", "--database", source])
    assert unknown.exit_code == 1


def test_import_refuses_bad_files_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "centres.csv").write_text("code,name,country\nC1,One,GB\n", encoding="utf-8")
    (folder / "patients.csv").write_text(
        "registry_id,centre,sex,birth_date\nENG-P1,C1,female,1970-02-30\n", encoding="utf-8"
    )
    target = f"sqlite:///{tmp_path / 'r.db'}"
    result = runner.invoke(app, ["import", str(folder), "--database", target])
    assert result.exit_code == 1
    assert "nothing written" in result.output
    research = tmp_path / "out"
    assert runner.invoke(app, ["export", str(research), "--database", target]).exit_code == 0
    assert _rows(research / "centres.csv") == []
