"""``engraft monitor replay`` on FHIR R4 and HL7 v2 files: the same alerts table as for the CSV, a line of what was
read, problems named with where they are, and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engraft.cli import app
from engraft.cli.common import console, err_console
from tests.io.replay_folders import (
    anc_course,
    export_folder,
    fhir_observations,
    hl7_message,
    platelets_given,
    write_bundle,
    write_csv,
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide table, whatever width the console took when another test imported it first."""
    monkeypatch.setattr(console, "_width", 250)
    monkeypatch.setattr(err_console, "_width", 250)


def _replay(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["monitor", "replay", *args], env={"COLUMNS": "250"})
    assert "Traceback" not in result.output and "Error(" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _table(output: str) -> list[str]:
    """The alerts table's rows and the count line (what the CSV and the feed replays print alike)."""
    return [line for line in output.splitlines() if line.startswith(("│", "Alerts raised")) or "alert(s) from" in line]


def test_a_fhir_bundle_prints_the_alerts_of_the_equivalent_csv(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    series = [*anc_course(range(0, 16)), (5, "14631-6", 51.3, "umol/L")]
    code, from_csv = _replay(str(write_csv(folder, series)))
    assert code == 0, from_csv
    code, from_fhir = _replay(str(write_bundle(folder, fhir_observations(series))))
    assert code == 0, from_fhir
    assert _table(from_fhir) == _table(from_csv)
    for rule in ("anc-below-0-5 v1", "neutrophil-engraftment v2", "bilirubin-2-mg-dl v1", "sos-vod-ebmt-2016-adult"):
        assert rule in from_fhir
    assert "4 alert(s) from 1 episode(s)." in from_fhir
    assert (
        "Read 1 FHIR document(s): 17 result(s), 0 transfusion(s); skipped: 0 not final, 0 not tied to an episode."
        in from_fhir
    )


def test_an_hl7_file_with_a_re_sent_message_raises_the_engraftment_alert_once(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    first = hl7_message("CTL-1", anc_course(range(0, 8)))
    second = hl7_message("CTL-2", anc_course(range(8, 16)), first=8)
    path = folder / "results.hl7"
    path.write_bytes(b"".join(b"\x0b" + m.encode() + b"\x1c\r" for m in (first, second, first)))
    code, out = _replay(str(path))
    assert code == 0, out
    assert "Read 3 HL7 v2 message(s) (1 re-sent, counted once): 16 result(s)" in out
    assert out.count("neutrophil-engraftment v2") == 1 and "2025-03-15 06:00 (day +14)" in out
    assert "2 alert(s) from 1 episode(s)." in out


def test_an_mrn_not_in_patients_csv_is_named_and_nothing_is_evaluated(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    path = folder / "results.hl7"
    path.write_text(
        hl7_message("CTL-1", anc_course(range(0, 16))) + hl7_message("CTL-2", anc_course(range(0, 1)), mrn="MRN-999")
    )
    code, out = _replay(str(path))
    assert code == 1
    assert "1 problem(s); nothing was evaluated" in out
    assert "results.hl7 message 2 (line 35, MSH-10 'CTL-2') PID-3 (OBX[1]): 'MRN-999': expected a medical record" in out
    assert "Alerts raised" not in out and "alert(s) from" not in out


def test_an_export_without_mrns_is_refused_naming_the_column(tmp_path: Path) -> None:
    folder = export_folder(tmp_path, identity=False)
    code, out = _replay(str(write_bundle(folder, fhir_observations(anc_course(range(0, 3))))))
    assert code == 1 and "patients.csv: expected an mrn column (an export made with identity)" in out


def test_an_unknown_loinc_code_is_named_by_its_entry(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    resources = fhir_observations(anc_course(range(0, 3)))
    resources[2]["code"] = {"coding": [{"system": "http://loinc.org", "code": "12345-6"}]}
    code, out = _replay(str(write_bundle(folder, resources)))
    assert code == 1
    assert "bundle.json entry[3] Observation.code: 'http://loinc.org|12345-6': expected a LOINC coding" in out


def test_a_platelet_transfusion_in_the_file_delays_platelet_engraftment(tmp_path: Path) -> None:
    series = [(d, "777-3", 10.0 if d < 15 else 30.0, "10*9/L") for d in range(0, 31)]
    outputs = []
    for name, given in (
        ("early", [platelets_given("T-1", 2)]),
        ("late", [platelets_given("T-1", 2), platelets_given("T-2", 16)]),
    ):
        folder = export_folder(tmp_path / name)
        code, out = _replay(str(write_bundle(folder, [*fhir_observations(series), *given])))
        assert code == 0, out
        outputs.append(out)
    assert "Platelet engraftment on day +15" in outputs[0] and "2025-03-18 06:00 (day +17)" in outputs[0]
    assert "Platelet engraftment on day +23" in outputs[1] and "2025-03-26 06:00 (day +25)" in outputs[1]
    assert "2 transfusion(s)" in outputs[1]


def test_an_ndjson_file_is_read_line_by_line(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    lines = [json.dumps(r) for r in fhir_observations(anc_course(range(0, 16)))]
    path = folder / "results.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = _replay(str(path))
    assert code == 0, out
    assert "Read 16 FHIR NDJSON line(s): 16 result(s)" in out and "neutrophil-engraftment v2" in out


def test_a_malformed_hl7_message_is_named_by_segment_and_field(tmp_path: Path) -> None:
    path = export_folder(tmp_path) / "results.hl7"
    path.write_text(hl7_message("CTL-1", anc_course(range(0, 2))).replace("ORU^R01^ORU_R01", "ORU^R03"))
    code, out = _replay(str(path))
    assert code == 1
    assert "results.hl7 message 1 (line 1, MSH-10 'CTL-1') MSH-9: trigger event 'R03' is not R01" in out


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param(
            "x.json",
            '{"patients": []}',
            "x.json: not a FHIR document the replay reads (resourceType None: expected Bundle, Observation or "
            "MedicationAdministration)",
            id="non-fhir-json",
        ),
        pytest.param("x.json", "{", "x.json: not JSON (Expecting property name", id="broken-json"),
        pytest.param("x.txt", "hello", "x.txt: not a file the replay reads", id="unknown-format"),
    ],
)
def test_a_file_that_is_no_replay_input_is_refused_in_one_line(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = export_folder(tmp_path) / name
    path.write_text(content, encoding="utf-8")
    code, out = _replay(str(path))
    assert code == 2 and expected in out


def test_the_context_and_the_feed_options_are_read(tmp_path: Path) -> None:
    export = export_folder(tmp_path / "export")
    (tmp_path / "feed").mkdir()
    path = tmp_path / "feed" / "results.hl7"
    text = hl7_message("CTL-1", anc_course(range(0, 16))).replace("^HOSP^MR", "^LAB^MR")
    path.write_text(text.replace("751-8^Result 1^LN", "ANC^Result 1^L"), encoding="utf-8")
    codes = tmp_path / "codes.json"
    codes.write_text(json.dumps({"L|ANC": "751-8"}), encoding="utf-8")
    code, out = _replay(str(path))
    assert code == 1 and "patients.csv" in out and "not found in" in out
    code, out = _replay(str(path), "--context", str(export), "--codes", str(codes), "--mrn-authority", "LAB")
    assert code == 0, out
    assert "neutrophil-engraftment v2" in out
    code, out = _replay(str(path), "--context", str(export), "--codes", str(codes), "--mrn-authority", "HOSP")
    assert code == 1 and "PID-3 holds no medical record number (identifier type MR assigned by HOSP)" in out


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        pytest.param(
            ["--timezone", "Mars/Olympus"], "--timezone 'Mars/Olympus': not an IANA time zone name", id="zone"
        ),
        pytest.param(["--context", "/no/such/folder"], "--context /no/such/folder: no such folder", id="context"),
    ],
)
def test_a_bad_option_is_refused_in_one_line(tmp_path: Path, option: list[str], expected: str) -> None:
    path = export_folder(tmp_path) / "results.hl7"
    path.write_text(hl7_message("CTL-1", anc_course(range(0, 2))), encoding="utf-8")
    code, out = _replay(str(path), *option)
    assert code == 2 and expected in out
