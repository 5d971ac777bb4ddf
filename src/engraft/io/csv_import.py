"""Import registry CSV files in one transaction, reporting every bad row.

Files are read in dependency order (centres, patients, diagnoses, donors with their markers,
episodes with their conditioning and donors, events, follow-ups, observations). Each row is
checked by the registry's pydantic input schema and written through the service (so the
service's cross-record rules and audit apply); each write runs in its own savepoint inside one
outer transaction (:meth:`RegistryService.batch`). Rows referring to a rejected row are
rejected too. Unless ``skip_bad_rows``, any bad row rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engraft.io import csv_columns as cols
from engraft.io.csv_read import Row, read_rows
from engraft.io.csv_report import ImportReport
from engraft.registry.episode_changes import engraftment_recorded
from engraft.registry.errors import DuplicateRecord, InvalidRecord, RecordNotFound
from engraft.registry.models import Centre, Donor, Patient, TransplantEpisode
from engraft.registry.schemas.clinical import EventIn, FollowUpIn
from engraft.registry.schemas.donor import DonorIn, MarkerIn
from engraft.registry.schemas.episode import ConditioningAgentIn, EpisodeIn
from engraft.registry.schemas.patient import CentreIn, DiagnosisIn, PatientIn
from engraft.registry.service import RegistryService

ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")
EpisodeKey = tuple[str, str]

_EVENT_FIELDS = frozenset(EventIn.model_fields)
_FOLLOW_UP_FIELDS = frozenset(FollowUpIn.model_fields)

# schema field -> CSV column, where they differ
_REFERENCES = {
    "patient_id": "registry_id",
    "episode_id": "episode_sequence",
    "diagnosis_id": "diagnosis_key",
    "identity.given_name": "given_name",
    "identity.family_name": "family_name",
    "identity.mrn": "mrn",
    "donor_ids": "donor_code (episode_donors.csv)",
    "conditioning": "conditioning.csv",
    "markers": "donor_markers.csv",
}


def expectation(expected: str) -> str:
    """A service problem's ``expected`` as a reason (some already read as a sentence)."""
    return expected if "expected" in expected else f"expected {expected}"


def sequence_key(text: str | None) -> str:
    """Episode sequence numbers compared as integers when they are integers ("01" is "1")."""
    if text is None:
        return ""
    stripped = text.strip()
    return str(int(stripped)) if stripped.isdigit() else stripped


class Importer:
    """One import run: key maps from file keys to new ids, rejected keys, the report."""

    def __init__(self, service: RegistryService, session: Session, report: ImportReport) -> None:
        self.service = service
        self.session = session
        self.report = report
        self.directory = report.directory
        self.centres: set[str] = set()
        self.patients: dict[str, int] = {}
        self.diagnoses: dict[str, int] = {}
        self.donors: dict[str, int] = {}
        self.episodes: dict[EpisodeKey, int] = {}
        self.rejected: dict[tuple[str, Any], tuple[str, int]] = {}
        self.unknown: set[tuple[str, Any]] = set()  # keys looked up in the database and not found

    # ---- bookkeeping ---------------------------------------------------------------------
    def present(self, spec: cols.CsvFile) -> bool:
        return (self.directory / spec.name).is_file()

    def reject(self, row: Row, entity: str | None = None, key: Any = None) -> None:
        """Record ``row`` as rejected (its problems go to the report) and remember its key."""
        if not row.problems:
            row.bad("", "rejected")
        self.report.bad_rows.extend(row.problems)
        self.report.count(row.file).rejected += 1
        if entity is not None and key is not None:
            self.rejected.setdefault((entity, key), (row.file, row.number))

    def imported(self, row: Row) -> None:
        self.report.count(row.file).imported += 1

    def because_of(self, entity: str, key: Any) -> str | None:
        origin = self.rejected.get((entity, key))
        if origin is None:
            return None
        shown = key if isinstance(key, str) else " / sequence ".join(key)
        return f"refers to {entity} {shown!r}, whose row {origin[1]} of {origin[0]} was rejected"

    def validate(self, row: Row, model: type[ModelT], data: dict[str, Any]) -> ModelT | None:
        try:
            return model.model_validate({k: v for k, v in data.items() if v is not None})
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                row.bad(self.column(row, loc), err["msg"])
            return None

    @staticmethod
    def column(row: Row, loc: list[str]) -> str:
        for candidate in (".".join(loc), loc[0] if loc else ""):
            if candidate in _REFERENCES:
                return _REFERENCES[candidate]
            if candidate in row.cells:
                return candidate
        return ".".join(loc)

    def call(self, row: Row, action: Callable[[], ResultT], shown: dict[str, str] | None = None) -> ResultT | None:
        """Run one service write; turn its refusal into problems of ``row``."""
        try:
            return action()
        except InvalidRecord as exc:
            for p in exc.problems:
                column = self.column(row, p.field.split("."))
                value = (shown or {}).get(column, row.cells.get(column, None if p.value is None else str(p.value)))
                row.bad(column, expectation(p.expected), value=value)
        except DuplicateRecord as exc:
            column = self.column(row, exc.field.split("."))
            row.bad(column, str(exc), value=str(exc.value))
        except RecordNotFound as exc:
            row.bad("", str(exc), value=str(exc.record_id))
        return None

    # ---- resolving references ------------------------------------------------------------
    def patient_id(self, row: Row, column: str = "registry_id") -> int | None:
        key = row.get(column)
        if key is None:
            return None
        if key in self.patients:
            return self.patients[key]
        reason = self.because_of("patient", key)
        if reason is None and ("patient", key) not in self.unknown:
            found = self.session.scalars(select(Patient.id).where(Patient.registry_id == key)).first()
            if found is not None:
                self.patients[key] = found
                return found
            self.unknown.add(("patient", key))
        if reason is None:
            reason = "the registry_id of a patient in patients.csv or already registered"
        row.bad(column, reason)
        return None

    def episode_id(self, row: Row, patient_id: int | None, column: str = "episode_sequence") -> int | None:
        registry_id, sequence = row.get("registry_id"), row.get(column)
        if registry_id is None or sequence is None or patient_id is None:
            return None
        key = (registry_id, sequence_key(sequence))
        if key in self.episodes:
            return self.episodes[key]
        reason = self.because_of("episode", key)
        if reason is None and ("episode", key) not in self.unknown:
            self.unknown.add(("episode", key))
            if sequence.isdigit():
                found = self.session.scalars(
                    select(TransplantEpisode.id).where(
                        TransplantEpisode.patient_id == patient_id,
                        TransplantEpisode.sequence_number == int(sequence),
                    )
                ).first()
                if found is not None:
                    self.episodes[key] = found
                    return found
        if reason is None:
            reason = f"the sequence_number of an episode of patient {registry_id!r} (episodes.csv or registered)"
        row.bad(column, reason)
        return None

    def donor_id(self, row: Row, column: str = "donor_code") -> int | None:
        code = row.get(column)
        if code is None:
            return None
        if code in self.donors:
            return self.donors[code]
        reason = self.because_of("donor", code)
        if reason is None and ("donor", code) not in self.unknown:
            self.unknown.add(("donor", code))
            found = self.session.scalars(select(Donor.id).where(Donor.donor_code == code)).first()
            if found is not None:
                self.donors[code] = found
                return found
        if reason is None:
            reason = "the donor_code of a donor in donors.csv or already registered"
        row.bad(column, reason)
        return None

    def centre_ok(self, row: Row, column: str = "centre") -> bool:
        reason = self.because_of("centre", row.get(column))
        if reason is not None:
            row.bad(column, reason)
        return reason is None

    # ---- files ---------------------------------------------------------------------------
    def rows(self, spec: cols.CsvFile) -> list[Row]:
        """All rows of a (small) file, counted as read."""
        if not self.present(spec):
            return []
        rows = list(read_rows(self.directory, spec))
        self.report.count(spec.name).read += len(rows)
        return rows

    def import_centres(self) -> None:
        for row in self.rows(cols.CENTRES):
            code = row.get("code")
            data = self.validate(row, CentreIn, dict(row.values)) if not row.problems else None
            if data is not None and code in self.centres:
                row.bad("code", "centre code appears more than once in centres.csv")
            elif data is not None:
                existing = self.session.scalars(select(Centre).where(Centre.code == data.code)).first()
                if existing is None:
                    self.call(row, partial(self.service.create_centre, data))
                elif (existing.name, existing.country) != (data.name, data.country):
                    row.bad("code", f"centre {data.code!r} is registered as {existing.name!r} ({existing.country})")
                else:
                    self.report.count(row.file).already_present += 1
                    self.centres.add(data.code)
                    continue
            if row.problems:
                self.reject(row, "centre", code)
            else:
                self.centres.add(str(code))
                self.imported(row)

    def import_patients(self) -> None:
        for row in self.rows(cols.PATIENTS):
            key = row.get("registry_id")
            values = dict(row.values)
            identity = {n: values.pop(n, None) for n in cols.IDENTITY_COLUMNS}
            if any(v is not None for v in identity.values()):
                values["identity"] = {k: v for k, v in identity.items() if v is not None}
            if not row.problems and self.centre_ok(row):
                data = self.validate(row, PatientIn, values)
                if data is not None:
                    out = self.call(row, partial(self.service.create_patient, data))
                    if out is not None:
                        self.patients[out.registry_id] = out.id
                        self.imported(row)
                        continue
            self.reject(row, "patient", None if key in self.patients else key)

    def import_diagnoses(self) -> None:
        for row in self.rows(cols.DIAGNOSES):
            key = row.get("diagnosis_key")
            if key in self.diagnoses or (key is not None and ("diagnosis", key) in self.rejected):
                row.bad("diagnosis_key", "diagnosis_key appears more than once in diagnoses.csv")
                self.reject(row)
                continue
            patient_id = None if row.problems else self.patient_id(row)
            if patient_id is not None:
                values = {**row.values, "patient_id": patient_id}
                values.pop("diagnosis_key")
                values.pop("registry_id")
                data = self.validate(row, DiagnosisIn, values)
                out = None if data is None else self.call(row, partial(self.service.create_diagnosis, data))
                if out is not None:
                    self.diagnoses[str(key)] = out.id
                    self.imported(row)
                    continue
            self.reject(row, "diagnosis", key)

    def import_donors(self) -> None:
        markers: dict[str, list[tuple[Row, MarkerIn | None]]] = {}
        for row in self.rows(cols.DONOR_MARKERS):
            values = {k: v for k, v in row.values.items() if k != "donor_code"}
            marker = None if row.problems else self.validate(row, MarkerIn, values)
            markers.setdefault(str(row.get("donor_code")), []).append((row, marker))
        for row in self.rows(cols.DONORS):
            code = row.get("donor_code")
            children = markers.pop(str(code), [])
            for child, marker in children:
                if marker is None:
                    row.bad("donor_code", f"its marker row {child.number} of donor_markers.csv was rejected")
            if not row.problems:
                data = self.validate(row, DonorIn, {**row.values, "markers": [m for _, m in children]})
                out = None if data is None else self.call(row, partial(self.service.create_donor, data))
                if out is not None:
                    self.donors[out.donor_code] = out.id
                    self.imported(row)
                    for child, _ in children:
                        self.imported(child)
                    continue
            self.reject(row, "donor", None if code in self.donors else code)
            for child, marker in children:
                if marker is not None:
                    child.bad("donor_code", f"its donor, row {row.number} of donors.csv, was rejected")
                self.reject(child)
        for orphans in markers.values():
            for child, _ in orphans:
                if not child.problems:
                    child.bad(
                        "donor_code", "markers are imported with their donor: expected a donor_code of donors.csv"
                    )
                self.reject(child)

    def _children(self, spec: cols.CsvFile, make: Callable[[Row], Any]) -> dict[EpisodeKey, list[tuple[int, Row, Any]]]:
        """Rows of conditioning.csv / episode_donors.csv grouped by episode, with ``make(row)`` (None: bad)."""
        groups: dict[EpisodeKey, list[tuple[int, Row, Any]]] = {}
        for row in self.rows(spec):
            key = (str(row.get("registry_id")), sequence_key(row.get("episode_sequence")))
            position = row.get("position")
            number = int(position) if position is not None and position.isdigit() else 0
            if position is not None and number < 1:
                row.bad("position", "expected a whole number >= 1")
            if any(number == n for n, _, _ in groups.get(key, [])):
                row.bad("position", "position appears more than once for this episode")
            item = None if row.problems else make(row)
            groups.setdefault(key, []).append((number, row, item))
        return groups

    def import_episodes(self) -> None:
        agents = self._children(
            cols.CONDITIONING,
            lambda r: self.validate(
                r, ConditioningAgentIn, {k: r.values.get(k) for k in ("drug", "total_dose", "unit")}
            ),
        )
        links = self._children(cols.EPISODE_DONORS, self.donor_id)
        for row in self.rows(cols.EPISODES):
            key = (str(row.get("registry_id")), sequence_key(row.get("sequence_number")))
            my_agents = sorted(agents.pop(key, []), key=lambda t: t[0])
            my_links = sorted(links.pop(key, []), key=lambda t: t[0])
            children = [(r, item) for _, r, item in my_agents + my_links]
            for child, item in children:
                if item is None:
                    row.bad("sequence_number", f"its row {child.number} of {child.file} was rejected")
            patient_id = None if row.problems else self.patient_id(row)
            diagnosis_id = None
            diagnosis_key = row.get("diagnosis_key")
            if diagnosis_key is not None:
                diagnosis_id = self.diagnoses.get(diagnosis_key)
                if diagnosis_id is None:
                    reason = self.because_of("diagnosis", diagnosis_key) or "a diagnosis_key of diagnoses.csv"
                    row.bad("diagnosis_key", reason)
            if patient_id is not None and self.centre_ok(row) and not row.problems:
                values = {k: v for k, v in row.values.items() if k not in ("registry_id", "diagnosis_key")}
                data = self.validate(
                    row,
                    EpisodeIn,
                    {
                        **values,
                        "patient_id": patient_id,
                        "diagnosis_id": diagnosis_id,
                        "conditioning": [item for _, _, item in my_agents],
                        "donor_ids": [item for _, _, item in my_links],
                    },
                )
                shown = {_REFERENCES["donor_ids"]: ", ".join(str(r.get("donor_code")) for _, r, _ in my_links)}
                out = None if data is None else self.call(row, partial(self.service.create_episode, data), shown)
                if out is not None:
                    self.episodes[key] = out.id
                    self.imported(row)
                    for child, _ in children:
                        self.imported(child)
                    continue
            self.reject(row, "episode", None if key in self.episodes else key)
            for child, item in children:
                if item is not None:
                    child.bad("episode_sequence", f"its episode, row {row.number} of episodes.csv, was rejected")
                self.reject(child)
        for orphans in (*agents.values(), *links.values()):
            for _, child, _ in orphans:
                if not child.problems:
                    child.bad("episode_sequence", "imported with its episode: expected an episode of episodes.csv")
                self.reject(child)

    def _patient_and_episode(self, row: Row) -> tuple[int, int | None] | None:
        if row.problems:
            return None
        patient_id = self.patient_id(row)
        episode_id = self.episode_id(row, patient_id)
        return None if patient_id is None or row.problems else (patient_id, episode_id)

    def import_events(self) -> None:
        for row in self.rows(cols.EVENTS):
            refs = self._patient_and_episode(row)
            if refs is not None:
                details = {k.removeprefix("details."): v for k, v in row.values.items() if k.startswith("details.")}
                values = {k: v for k, v in row.values.items() if k in _EVENT_FIELDS}
                values.update(patient_id=refs[0], episode_id=refs[1], details=details)
                data = self.validate(row, EventIn, values)
                created = None if data is None else self.call(row, partial(self.service.create_event, data))
                if created is not None:
                    self.imported(row)
                    change = engraftment_recorded(
                        created.patient_id, created.episode_id, created.event_type, created.source
                    )
                    if change is not None:  # the rules waiting for engraftment by a deadline read it: judged again
                        self.report.results.setdefault(change.episode_id, set())
                    continue
            self.reject(row)

    def import_follow_ups(self) -> None:
        for row in self.rows(cols.FOLLOW_UPS):
            refs = self._patient_and_episode(row)
            if refs is not None:
                values = {k: v for k, v in row.values.items() if k in _FOLLOW_UP_FIELDS}
                values.update(patient_id=refs[0], episode_id=refs[1])
                data = self.validate(row, FollowUpIn, values)
                if data is not None and self.call(row, partial(self.service.create_follow_up, data)) is not None:
                    self.imported(row)
                    continue
            self.reject(row)
