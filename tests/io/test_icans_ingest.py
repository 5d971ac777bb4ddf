"""The ICANS findings come in through every feed: the ICE score (local code ENGRAFT-ICE, unit ``{score}``) and the
other findings as FHIR Observations under Engraft's local code system, HL7 v2 OBX segments under its local coding
system, and rows of a CSV replay, which raises the ICANS alert. A code or unit Engraft does not know is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engraft.cli import app
from engraft.cli.common import console
from engraft.io.fhir_results import read_fhir
from engraft.io.hl7_oru import Hl7Settings, read_oru
from engraft.measurements import LOCAL_CODE_SYSTEM, LOCAL_CODE_SYSTEM_HL7, local_code
from tests.io.feeds import LOINC, bundle, observation, obx, oru

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide table, whatever width the console took when another test imported it first."""
    monkeypatch.setattr(console, "_width", 250)


def _local(resource: dict[str, object], code: str, system: str = LOCAL_CODE_SYSTEM) -> dict[str, object]:
    return {**resource, "code": {"coding": [{"system": system, "code": code}]}}


@pytest.mark.parametrize(
    ("system", "code", "found"),
    [
        pytest.param(LOCAL_CODE_SYSTEM, "ENGRAFT-ICE", "ENGRAFT-ICE", id="fhir-local-system"),
        pytest.param(LOCAL_CODE_SYSTEM_HL7, "ENGRAFT-SEIZURE", "ENGRAFT-SEIZURE", id="hl7-local-system"),
        pytest.param(LOCAL_CODE_SYSTEM, "ENGRAFT-NOPE", None, id="unknown-local-code"),
        pytest.param(LOCAL_CODE_SYSTEM, "751-8", None, id="a-loinc-code-is-not-local"),
        pytest.param("urn:other", "ENGRAFT-ICE", None, id="another-system"),
    ],
)
def test_a_local_code_is_known_only_under_engrafts_own_system(system: str, code: str, found: str | None) -> None:
    assert local_code(system, code) == found


def test_fhir_observations_under_the_local_code_system_are_read() -> None:
    document = bundle(
        _local(observation("n-1", value=6, unit="{score}"), "ENGRAFT-ICE"),
        _local(observation("n-2", value=1, unit="1"), "ENGRAFT-SEIZURE"),
        observation("n-3", "8310-5", 38.4, "Cel"),
    )
    results = read_fhir(document)
    assert results.problems == ()
    assert [(o.loinc, o.value, o.unit) for o in results.observations] == [
        ("ENGRAFT-ICE", 6.0, "{score}"),
        ("ENGRAFT-SEIZURE", 1.0, "1"),
        ("8310-5", 38.4, "Cel"),
    ]


@pytest.mark.parametrize(
    ("resource", "says"),
    [
        pytest.param(_local(observation("n-1", value=6, unit="%"), "ENGRAFT-ICE"), "{score}", id="ice-in-percent"),
        pytest.param(
            _local(observation("n-1", value=11, unit="{score}"), "ENGRAFT-ICE"),
            None,
            id="ice-11-left-to-the-registry",
        ),
        pytest.param(_local(observation("n-1", value=6, unit="{score}"), "ENGRAFT-ICE", "urn:x"), "urn:x", id="system"),
    ],
)
def test_fhir_refuses_a_local_code_in_a_wrong_unit_or_system(resource: dict[str, object], says: str | None) -> None:
    results = read_fhir(bundle(resource))
    if says is None:  # the plausible range is checked when the registry stores it, as for every code
        assert [o.value for o in results.observations] == [11.0]
        return
    assert not results.observations
    assert any(says in f"{p}" for p in results.problems), results.problems


def test_hl7_obx_under_the_local_coding_system_is_read_with_its_score_unit() -> None:
    message = oru(
        "M-ICE",
        obx(1, "ENGRAFT-ICE", "4", "{score}", system=LOCAL_CODE_SYSTEM_HL7),
        obx(2, "ENGRAFT-ICANSLOC", "2", "1", system=LOCAL_CODE_SYSTEM_HL7),
    )
    results = read_oru(message)
    assert results.problems == ()
    assert [(o.loinc, o.value, o.unit) for o in results.observations] == [
        ("ENGRAFT-ICE", 4.0, "{score}"),
        ("ENGRAFT-ICANSLOC", 2.0, "1"),
    ]
    wrong = read_oru(oru("M-ICE2", obx(1, "ENGRAFT-ICE", "4", "mg", system=LOCAL_CODE_SYSTEM_HL7)))
    assert [p.field for _, _, p in wrong.problems] == ["OBX-6"]
    unknown = read_oru(oru("M-ICE3", obx(1, "ENGRAFT-ICE", "4", "{score}", system="L")), Hl7Settings())
    assert [p.field for _, _, p in unknown.problems] == ["OBX-3"]


def test_the_fhir_loinc_system_still_comes_first() -> None:
    document = bundle(observation("n-1", "8310-5", 38.4, "Cel"))
    assert document["entry"][0]["resource"]["code"]["coding"][0]["system"] == LOINC
    assert [o.loinc for o in read_fhir(document).observations] == ["8310-5"]


def test_a_csv_replay_of_ice_scores_raises_the_icans_alert(tmp_path: Path) -> None:
    (tmp_path / "patients.csv").write_text(
        "registry_id,centre,sex,birth_date\nPT-001,C1,female,1980-02-03\n", encoding="utf-8"
    )
    (tmp_path / "episodes.csv").write_text(
        "registry_id,sequence_number,centre,transplant_type,graft_source,cell_therapy,day0\n"
        "PT-001,1,C1,autologous,peripheral blood,immune effector cell therapy,2025-03-01\n",
        encoding="utf-8",
    )
    path = tmp_path / "observations.csv"
    path.write_text(
        "registry_id,episode_sequence,observed_at,loinc,value,unit,source_id\n"
        "PT-001,1,2025-03-05T08:00:00Z,ENGRAFT-ICE,8,{score},ice-1\n"
        "PT-001,1,2025-03-05T16:00:00Z,ENGRAFT-ICE,2,{score},ice-2\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["monitor", "replay", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "icans-iec v1" in result.output and "ICANS grade 3" in result.output
