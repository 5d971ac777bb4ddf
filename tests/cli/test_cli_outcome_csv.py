"""``engraft outcomes survival|cif --csv``: event-code maps, six competing causes, rows without ids, error lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli_outcomes import invoke

STATUSES = (0, 1, 2, 3, 4, 5, 6, 0, 1, 2)  # the EBMT data's six causes, and censored rows


def _cohort(path: Path, *, with_ids: bool = True, bad_line: int | None = None) -> Path:
    lines = ["transplant_id,t,s,arm" if with_ids else "t,s,arm"]
    for k in range(60):
        time = "-1" if bad_line == k + 2 else str(1 + (k * 7) % 40)
        row = f"{time},{STATUSES[k % len(STATUSES)]},{'A' if k % 2 else 'B'}"
        lines.append(f"T{k},{row}" if with_ids else row)
    path.write_text("\n".join(lines) + "\n")
    return path


def _args(data: Path, out: Path) -> list[str]:
    return ["--csv", str(data), "--time", "t", "--status", "s", "--time-unit", "months", "--out", str(out)]


@pytest.mark.parametrize(
    ("event", "events"),
    [
        pytest.param("1", 12, id="code-1"),
        pytest.param("1,2,3", 30, id="codes-1-2-3"),
        pytest.param("any", 48, id="any-non-zero"),
    ],
)
def test_survival_event_code_map(tmp_path: Path, event: str, events: int) -> None:
    result = invoke("survival", *_args(_cohort(tmp_path / "c.csv"), tmp_path), "--event", event)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "os.json").read_text())["groups"][0]["events"] == events


def test_cif_with_six_competing_causes(tmp_path: Path) -> None:
    result = invoke("cif", *_args(_cohort(tmp_path / "c.csv"), tmp_path), "--endpoint", "ebmt", "--cause", "6")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "ebmt.json").read_text())
    assert doc["cause"] == 6 and doc["groups"][0]["events"] == 6


def test_rows_without_an_id_column_are_numbered_by_line(tmp_path: Path) -> None:
    data = _cohort(tmp_path / "c.csv", with_ids=False)
    result = invoke("survival", *_args(data, tmp_path), "--group-column", "arm", "--event", "any")
    assert result.exit_code == 0, result.output
    assert {g["group"]: g["n"] for g in json.loads((tmp_path / "os.json").read_text())["groups"]} == {"A": 30, "B": 30}


def test_errors_name_the_csv_line_and_column(tmp_path: Path) -> None:
    result = invoke("survival", *_args(_cohort(tmp_path / "c.csv", bad_line=7), tmp_path))
    assert result.exit_code == 1
    assert "c.csv line 7, t: got -1.0; expected a time >= 0" in result.output
