"""CSV export/import of the registry: round trip, identity, bad rows, skip mode, idempotent observations."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engraft.io import csv_columns as cols
from engraft.io import csv_observations
from engraft.io.csv_dictionary import render_data_dictionary
from engraft.io.registry_csv import BadRow, CsvImportError, export_registry, import_registry
from engraft.measurements import OBSERVATION_CATALOGUE
from engraft.registry.models import Base
from engraft.registry.service import RegistryService
from tests.conftest import REPO_ROOT
from tests.io.conftest import populate


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.csv"))}


def row_counts(service: RegistryService) -> dict[str, int]:
    """Rows in every registry table except the audit log."""
    with service.transaction() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name != "audit_entry"
        }


def test_round_trip_reproduces_every_file(
    service: RegistryService, other_service: RegistryService, tmp_path: Path
) -> None:
    populate(service)
    first = export_registry(service, tmp_path / "a", include_identity=True)
    report = import_registry(other_service, tmp_path / "a")
    assert report.ok and report.committed, report.describe()
    second = export_registry(other_service, tmp_path / "b", include_identity=True)
    assert first.rows == second.rows
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert row_counts(service) == row_counts(other_service)


def write(directory: Path, name: str, header: str, *lines: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def bad_directory(directory: Path) -> None:
    """Files with one good record per table and bad rows of every kind the issue names."""
    write(directory, "centres.csv", "code,name,country", "C1,Centre One,GB")
    write(
        directory,
        "patients.csv",
        "registry_id,centre,sex,birth_date",
        "ENG-P1,C1,female,1970-05-17",
        "ENG-P2,C1,male,2024-02-30",  # row 2: impossible date
        "ENG-P3,C1,femme,1980-01-01",  # row 3: unknown enumeration value
        "ENG-P1,C1,male,1981-01-01",  # row 4: duplicate registry_id
    )
    write(
        directory,
        "episodes.csv",
        "registry_id,sequence_number,centre,transplant_type,graft_source,day0",
        "ENG-P1,1,C1,autologous,peripheral blood,2024-05-01",
    )
    write(
        directory,
        "events.csv",
        "registry_id,episode_sequence,event_type,event_date",
        "ENG-P1,1,neutrophil engraftment,2024-05-15",
        "ENG-P1,1,platelet engraftment,2024-04-20",  # row 2: before day 0
    )
    write(
        directory,
        "observations.csv",
        "registry_id,episode_sequence,observed_at,loinc,value,unit,source_id",
        "ENG-P1,1,2024-05-02T08:00:00Z,751-8,0.4,10*9/L,L-1",
        "ENG-P1,1,2024-05-03T08:00:00Z,751-8,0.5,cells/uL,L-2",  # row 2: unknown unit
        "ENG-P1,1,2024-05-04T08:00:00Z,751-8,-1,10*9/L,L-3",  # row 3: negative count
        "ENG-P2,,2024-05-04T08:00:00Z,751-8,1,10*9/L,L-4",  # row 4: patient of a rejected row
    )


EXPECTED_BAD = [
    ("patients.csv", 2, "birth_date", "2024-02-30", "not a valid calendar date"),
    ("patients.csv", 3, "sex", "femme", "'male', 'female', 'other' or 'unknown'"),
    ("patients.csv", 4, "registry_id", "ENG-P1", "already exists"),
    ("events.csv", 2, "event_date", "2024-04-20", "on or after day 0"),
    ("observations.csv", 2, "unit", "cells/uL", "not a supported UCUM code"),
    ("observations.csv", 3, "value", "-1", "a value from 0"),
    ("observations.csv", 4, "registry_id", "ENG-P2", "row 2 of patients.csv was rejected"),
]


def assert_reports_expected(bad_rows: list[BadRow]) -> None:
    found = [(b.file, b.row, b.column, b.value, b.reason) for b in bad_rows]
    assert len(found) == len(EXPECTED_BAD), found
    for (file, row, column, value, reason), (e_file, e_row, e_column, e_value, e_reason) in zip(
        found, EXPECTED_BAD, strict=True
    ):
        assert (file, row, column, value) == (e_file, e_row, e_column, e_value)
        assert e_reason in reason, reason


def test_bad_rows_are_all_reported_and_nothing_is_written(service: RegistryService, tmp_path: Path) -> None:
    bad_directory(tmp_path)
    with pytest.raises(CsvImportError) as caught:
        import_registry(service, tmp_path)
    report = caught.value.report
    assert not report.committed
    assert_reports_expected(report.bad_rows)
    assert set(row_counts(service).values()) == {0}


def test_skip_bad_rows_commits_the_good_rows(service: RegistryService, tmp_path: Path) -> None:
    bad_directory(tmp_path)
    report = import_registry(service, tmp_path, skip_bad_rows=True)
    assert report.committed
    assert_reports_expected(report.bad_rows)
    counts = {name: (c.read, c.imported, c.rejected) for name, c in report.counts.items()}
    assert counts == {
        "centres.csv": (1, 1, 0),
        "patients.csv": (4, 1, 3),
        "episodes.csv": (1, 1, 0),
        "events.csv": (2, 1, 1),
        "observations.csv": (4, 1, 3),
    }
    stored = row_counts(service)
    assert (stored["centre"], stored["patient"], stored["transplant_episode"]) == (1, 1, 1)
    assert (stored["clinical_event"], stored["observation"]) == (1, 1)


def test_export_without_identity_has_no_identifying_columns(service: RegistryService, tmp_path: Path) -> None:
    populate(service)
    summary = export_registry(service, tmp_path)
    assert not summary.include_identity
    assert sorted(summary.rows) == sorted(spec.name for spec in cols.FILES)
    with (tmp_path / "patients.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert not set(header) & {"given_name", "family_name", "mrn"}
    everything = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.csv"))
    for identifying in ("MRN-1", "Z-9", "Ann", "Example"):
        assert identifying not in everything
    with_identity = export_registry(service, tmp_path / "full", include_identity=True)
    assert with_identity.include_identity
    patients = read(tmp_path / "full" / "patients.csv")
    assert [p["mrn"] for p in patients] == ["MRN-1", "", "Z-9"]


def test_round_trip_keeps_values(service: RegistryService, other_service: RegistryService, tmp_path: Path) -> None:
    populate(service)
    export_registry(service, tmp_path, include_identity=True)
    import_registry(other_service, tmp_path)

    def comparable(registry: RegistryService) -> list[object]:
        drop = {"id", "patient_id", "episode_id", "diagnosis_id", "donor_ids", "created_at", "updated_at"}
        patients = {p.id: p.registry_id for p in registry.list_patients(limit=100).items}
        return [
            [p.model_dump(exclude=drop) for p in registry.list_patients(limit=100).items],
            [registry.get_patient(i, include_identity=True).identity for i in patients],
            [d.model_dump(exclude=drop) for d in registry.list_donors(limit=100).items],
            [e.model_dump(exclude=drop) for e in registry.list_episodes(limit=100).items],
            [(patients[e.patient_id], e.model_dump(exclude=drop)) for e in registry.list_events(limit=100).items],
            [(patients[f.patient_id], f.model_dump(exclude=drop)) for f in registry.list_follow_ups(limit=100).items],
            [(patients[o.patient_id], o.model_dump(exclude=drop)) for o in registry.list_observations(limit=100).items],
        ]

    assert comparable(service) == comparable(other_service)


def test_reimporting_observations_is_idempotent(service: RegistryService, tmp_path: Path) -> None:
    populate(service)
    export_registry(service, tmp_path / "all")
    only = tmp_path / "observations-only"
    only.mkdir()
    (only / "observations.csv").write_bytes((tmp_path / "all" / "observations.csv").read_bytes())
    before = row_counts(service)
    for _ in range(2):
        report = import_registry(service, only)
        assert report.committed and report.ok
        count = report.counts["observations.csv"]
        assert (count.read, count.imported, count.already_present, count.rejected) == (6, 0, 6, 0)
    assert row_counts(service) == before


def test_observations_in_many_chunks_share_one_transaction(
    service: RegistryService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_observations, "CHUNK", 2)
    write(tmp_path, "centres.csv", "code,name,country", "C1,Centre One,GB")
    write(tmp_path, "patients.csv", "registry_id,centre,sex,birth_date", "ENG-P1,C1,female,1970-05-17")
    lines = [f"ENG-P1,,2024-05-{d:02d}T08:00:00Z,751-8,{d / 10},10*9/L,S-{d}" for d in range(1, 8)]
    lines.append("ENG-P1,,2024-05-01T08:00:00Z,751-8,9.9,10*9/L,S-1")  # row 8: S-1 sent with other content
    write(tmp_path, "observations.csv", "registry_id,episode_sequence,observed_at,loinc,value,unit,source_id", *lines)
    with pytest.raises(CsvImportError) as caught:
        import_registry(service, tmp_path)
    assert [(b.row, b.column) for b in caught.value.report.bad_rows] == [(8, "source_id")]
    assert set(row_counts(service).values()) == {0}
    report = import_registry(service, tmp_path, skip_bad_rows=True)
    assert report.counts["observations.csv"].imported == 7
    assert row_counts(service)["observation"] == 7


def test_every_bad_observation_is_reported_beyond_the_service_limit(service: RegistryService, tmp_path: Path) -> None:
    write(tmp_path, "centres.csv", "code,name,country", "C1,Centre One,GB")
    write(tmp_path, "patients.csv", "registry_id,centre,sex,birth_date", "ENG-P1,C1,female,1970-05-17")
    before_birth = [f"ENG-P1,,1969-01-01T08:{i // 60:02d}:{i % 60:02d}Z,751-8,1,10*9/L,B-{i}" for i in range(250)]
    write(
        tmp_path,
        "observations.csv",
        "registry_id,episode_sequence,observed_at,loinc,value,unit,source_id",
        *before_birth,
        "ENG-P1,,2024-01-01T08:00:00Z,751-8,1,10*9/L,OK-1",
    )
    report = import_registry(service, tmp_path, skip_bad_rows=True)
    assert [b.row for b in report.bad_rows] == list(range(1, 251))
    assert {b.column for b in report.bad_rows} == {"observed_at"}
    assert row_counts(service)["observation"] == 1


def test_rows_depending_on_a_bad_row_are_skipped(service: RegistryService, tmp_path: Path) -> None:
    write(tmp_path, "centres.csv", "code,name,country", "C1,Centre One,GB")
    write(tmp_path, "patients.csv", "registry_id,centre,sex,birth_date", "ENG-P1,C1,female,1970-05-17")
    write(tmp_path, "donors.csv", "donor_code,relation", "AUTO-1,autologous")
    write(tmp_path, "donor_markers.csv", "donor_code,test,result,result_date", "AUTO-1,HBsAg,maybe,2024-01-01")
    write(
        tmp_path,
        "episodes.csv",
        "registry_id,sequence_number,centre,transplant_type,graft_source,day0",
        "ENG-P1,1,C1,autologous,peripheral blood,2024-05-01",
        "ENG-P1,2,C1,autologous,peripheral blood,2024-09-01",
    )
    write(
        tmp_path,
        "conditioning.csv",
        "registry_id,episode_sequence,position,drug,total_dose,unit",
        "ENG-P1,1,1,melphalan,200,mg/m2",
        "ENG-P1,2,1,melphalan,-5,mg/m2",
    )
    write(tmp_path, "episode_donors.csv", "registry_id,episode_sequence,position,donor_code", "ENG-P1,1,1,AUTO-1")
    write(
        tmp_path,
        "follow_ups.csv",
        "registry_id,episode_sequence,visit_date,vital_status",
        "ENG-P1,2,2024-10-01,alive",
        "ENG-P1,,2024-10-01,alive",
    )
    report = import_registry(service, tmp_path, skip_bad_rows=True)
    found = [(b.file, b.row, b.column) for b in report.bad_rows]
    assert found == [
        ("donors.csv", 1, "donor_code"),
        ("donor_markers.csv", 1, "result"),
        ("episodes.csv", 1, "sequence_number"),
        ("episodes.csv", 2, "sequence_number"),
        ("conditioning.csv", 1, "episode_sequence"),
        ("conditioning.csv", 2, "total_dose"),
        ("episode_donors.csv", 1, "donor_code"),
        ("follow_ups.csv", 1, "episode_sequence"),
    ]
    stored = row_counts(service)
    assert (stored["patient"], stored["donor"], stored["transplant_episode"], stored["follow_up_visit"]) == (1, 0, 0, 1)


@pytest.mark.parametrize(
    ("header", "column", "reason"),
    [
        pytest.param("registry_id,centre,sex,birth_date,nickname", "nickname", "unknown column", id="unknown-column"),
        pytest.param("registry_id,centre,birth_date", "sex", "required column is missing", id="missing-column"),
        pytest.param("registry_id,centre,sex,sex,birth_date", "sex", "more than once", id="repeated-column"),
    ],
)
def test_bad_headers_stop_the_import_even_when_skipping(
    service: RegistryService, tmp_path: Path, header: str, column: str, reason: str
) -> None:
    write(tmp_path, "patients.csv", header)
    with pytest.raises(CsvImportError) as caught:
        import_registry(service, tmp_path, skip_bad_rows=True)
    [problem] = caught.value.report.bad_rows
    assert (problem.file, problem.row, problem.column) == ("patients.csv", 0, column)
    assert reason in problem.reason


def test_an_empty_directory_is_refused(service: RegistryService, tmp_path: Path) -> None:
    with pytest.raises(CsvImportError, match="no registry CSV file"):
        import_registry(service, tmp_path)


def test_data_dictionary_is_generated_from_the_code() -> None:
    on_disk = (REPO_ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert on_disk == render_data_dictionary(), (
        "regenerate: python -m engraft.io.csv_dictionary docs/data-dictionary.md"
    )


def test_data_dictionary_lists_every_catalogue_code_and_column() -> None:
    on_disk = (REPO_ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    for code, kind in OBSERVATION_CATALOGUE.items():
        assert f"| {code} | {kind.name} | `{kind.canonical_unit}` |" in on_disk, code
    for spec in cols.FILES:
        section = on_disk.split(f"### {spec.name}\n", 1)[1].split("\n### ", 1)[0]
        for column in spec.columns:
            assert f"| `{column.name}` |" in section, (spec.name, column.name)


VALID: dict[str, dict[str, str]] = {
    "centres.csv": {"code": "C1", "name": "Centre One", "country": "GB"},
    "patients.csv": {"registry_id": "ENG-P1", "centre": "C1", "sex": "female", "birth_date": "1970-05-17",
                     "given_name": "Ann", "family_name": "Example", "mrn": "MRN-1"},
    "diagnoses.csv": {"diagnosis_key": "d1", "registry_id": "ENG-P1", "who_name": "Acute myeloid leukaemia",
                      "icd10": "C92.0", "diagnosis_date": "2024-01-10"},
    "donors.csv": {"donor_code": "D-1", "relation": "matched unrelated"},
    "episodes.csv": {"registry_id": "ENG-P1", "sequence_number": "1", "diagnosis_key": "d1", "centre": "C1",
                     "transplant_type": "allogeneic", "graft_source": "bone marrow", "day0": "2024-05-01",
                     "gvhd_prophylaxis": '["tacrolimus"]'},
    "episode_donors.csv": {"registry_id": "ENG-P1", "episode_sequence": "1", "position": "1", "donor_code": "D-1"},
    "events.csv": {"registry_id": "ENG-P1", "episode_sequence": "1", "event_type": "acute GVHD",
                   "event_date": "2024-06-01", "details.grade": "2", "details.organism": ""},
    "follow_ups.csv": {"registry_id": "ENG-P1", "episode_sequence": "1", "visit_date": "2024-08-01",
                       "vital_status": "alive", "performance_scale": "karnofsky", "performance_score": "90"},
    "observations.csv": {"registry_id": "ENG-P1", "episode_sequence": "1", "observed_at": "2024-05-02T08:00:00Z",
                         "loinc": "751-8", "value": "0.4", "unit": "10*9/L", "source_id": "L-1"},
}  # fmt: skip


def write_valid(directory: Path, file: str | None = None, column: str | None = None, value: str = "") -> None:
    """VALID as files, with ``column`` of ``file`` set to ``value``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, row in VALID.items():
        cells = {**row, **({column: value} if name == file and column is not None else {})}
        with (directory / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(cells)
            writer.writerow(cells.values())


def test_the_valid_sample_imports(service: RegistryService, tmp_path: Path) -> None:
    write_valid(tmp_path)
    report = import_registry(service, tmp_path)
    assert report.ok and all(c.imported == 1 for c in report.counts.values()), report.describe()


@pytest.mark.parametrize(
    ("file", "column", "value", "reported_column", "reason"),
    [
        pytest.param("patients.csv", "mrn", "", "mrn", "Field required", id="partial-identity"),
        pytest.param("diagnoses.csv", "icd10", "XYZ", "icd10", "should match pattern", id="bad-icd10"),
        pytest.param("diagnoses.csv", "diagnosis_date", "2999-01-01", "diagnosis_date", "future", id="future-date"),
        pytest.param("episodes.csv", "gvhd_prophylaxis", "tacrolimus", "gvhd_prophylaxis", "JSON array", id="not-json"),
        pytest.param("episodes.csv", "day0", "01/05/2024", "day0", "YYYY-MM-DD", id="not-iso-date"),
        pytest.param("donors.csv", "relation", "autologous", "donor_code (episode_donors.csv)",
                     "no autologous donor in an allogeneic HCT", id="donor-unfit-for-transplant-type"),
        pytest.param("episode_donors.csv", "donor_code", "NOPE", "donor_code", "donor_code of a donor",
                     id="unknown-donor"),
        pytest.param("events.csv", "details.grade", "7", "details.grade", "less than or equal to 4",
                     id="grade-out-of-range"),
        pytest.param("events.csv", "details.organism", "E. coli", "details.organism", "Extra inputs",
                     id="detail-of-another-event-type"),
        pytest.param("follow_ups.csv", "performance_scale", "", "", "go together", id="score-without-scale"),
        pytest.param("observations.csv", "observed_at", "2024-05-02T08:00:00", "observed_at", "offset",
                     id="timestamp-without-offset"),
        pytest.param("observations.csv", "loinc", "1234-5", "loinc", "not in Engraft's observation catalogue",
                     id="unknown-loinc"),
        pytest.param("observations.csv", "value", "abc", "value", "valid number", id="not-a-number"),
        pytest.param("observations.csv", "unit", "mmol/L", "unit", "does not fit LOINC 751-8", id="foreign-unit"),
        pytest.param("observations.csv", "episode_sequence", "9", "episode_sequence", "sequence_number of an episode",
                     id="unknown-episode"),
    ],
)  # fmt: skip
def test_one_bad_cell_is_reported_where_it_is(
    service: RegistryService, tmp_path: Path, file: str, column: str, value: str, reported_column: str, reason: str
) -> None:
    write_valid(tmp_path, file, column, value)
    with pytest.raises(CsvImportError) as caught:
        import_registry(service, tmp_path)
    expected_file = "episodes.csv" if file == "donors.csv" else file
    first = next(b for b in caught.value.report.bad_rows if b.file == expected_file)
    assert (first.file, first.row, first.column) == (expected_file, 1, reported_column), first
    assert reason in first.reason
    assert set(row_counts(service).values()) == {0}


def test_empty_registry_exports_headers_and_imports_cleanly(
    service: RegistryService, other_service: RegistryService, tmp_path: Path
) -> None:
    summary = export_registry(service, tmp_path)
    assert set(summary.rows.values()) == {0}
    for spec in cols.FILES:
        with (tmp_path / spec.name).open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle))[:2] == list(spec.names[:2])
    report = import_registry(other_service, tmp_path)
    assert report.committed and report.ok
    assert set(row_counts(other_service).values()) == {0}


@pytest.mark.parametrize(
    ("name", "imported", "bad_column"),
    [
        pytest.param("Centre One", 0, None, id="same-centre-is-reused"),
        pytest.param("Another Centre", 0, "code", id="same-code-other-name-is-refused"),
    ],
)
def test_registered_centre(
    service: RegistryService, tmp_path: Path, name: str, imported: int, bad_column: str | None
) -> None:
    write(tmp_path / "first", "centres.csv", "code,name,country", "C1,Centre One,GB")
    import_registry(service, tmp_path / "first")
    write(tmp_path / "again", "centres.csv", "code,name,country", f"C1,{name},GB")
    write(tmp_path / "again", "patients.csv", "registry_id,centre,sex,birth_date", "ENG-P9,C1,male,1990-01-01")
    report = import_registry(service, tmp_path / "again", skip_bad_rows=True)
    assert report.counts["centres.csv"].imported == imported
    assert [b.column for b in report.bad_rows if b.file == "centres.csv"] == ([bad_column] if bad_column else [])
    assert report.counts["patients.csv"].imported == (0 if bad_column else 1)


def test_a_file_that_is_not_utf8_is_refused(service: RegistryService, tmp_path: Path) -> None:
    (tmp_path / "centres.csv").write_bytes("code,name,country\nC1,Hôpital Un,FR\n".encode("latin-1"))
    with pytest.raises(CsvImportError) as caught:
        import_registry(service, tmp_path, skip_bad_rows=True)
    [problem] = caught.value.report.bad_rows
    assert (problem.file, problem.row) == ("centres.csv", 0)
    assert "not UTF-8" in problem.reason
