"""Reading a replay for the monitoring engine: results from a file, and their episodes from an export folder.

``engraft monitor replay FILE`` reads the results of ``FILE`` and the episode facts the rules ask about from an
``engraft export`` folder (``FILE``'s own folder unless another is named): ``episodes.csv`` (day 0, graft source,
transplant type, cell therapy), ``patients.csv`` (birth date, hence the age at day 0; the medical record number
``mrn`` when the export was made with identity) and, when ``events.csv`` is there too, the engraftment days it
records (entered or imported, not derived), which the deadline rules read as the registry's evaluation does
(:func:`read_context`). Nothing is stored.

This module reads ``FILE`` in the registry's ``observations.csv`` format (:func:`read_replay`: the reader and
column declarations of the CSV import, :mod:`engraft.io.csv_read` and :mod:`engraft.io.csv_columns`); FHIR R4 and
HL7 v2 files are read by :mod:`engraft.io.monitoring_replay_feeds` into the same :class:`ReplayInput`. Every bad
row is reported with its file, row, column and reason; units are checked against the LOINC catalogue, never
guessed. An export holds no transfusion, so a CSV replay's episodes have no platelet transfusion record
(``platelet_transfusion_days`` ``None``: platelet engraftment is not asserted, as in the registry's evaluation of
an episode without one).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from engraft.io import csv_columns as cols
from engraft.io.csv_read import check_header, read_rows
from engraft.io.csv_report import BadRow
from engraft.measurements import UnitError, lookup_observation_kind
from engraft.monitoring import EpisodeContext, MonitoredObservation, age_in_years
from engraft.vocabulary import CellTherapy, EventSource, EventType, GraftSource, TransplantType

EpisodeKey = tuple[str, int]
"""(registry_id, episode sequence number)."""


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """Something wrong in a FHIR or HL7 replay file (or with the patient it names): where, what, what was expected."""

    where: str
    """E.g. ``results.hl7 message 2 (line 9, MSH-10 'C-2') OBX-3 (segment 2)`` or ``bundle.json entry[3]``."""
    value: str | int | float | None
    """The value at fault (``None`` when the problem is the place itself, e.g. a malformed message)."""
    reason: str
    """What was expected (``expected ...``) or what is wrong."""

    def describe(self) -> str:
        shown = "" if self.value is None else f"{self.value!r}: "
        return f"{self.where}: {shown}{self.reason}"


ReplayProblem = BadRow | FeedProblem


@dataclass(slots=True)
class ReplayEpisode:
    key: EpisodeKey
    context: EpisodeContext
    observations: list[MonitoredObservation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """What a FHIR or HL7 replay file held (the CLI prints it as one line)."""

    kind: str
    """``HL7 v2``, ``FHIR`` or ``FHIR NDJSON``."""
    messages: int
    """HL7 messages; FHIR documents (the file, or each NDJSON line)."""
    resent: int
    """Messages (HL7 MSH-3/4/10, FHIR Bundle.identifier) already read earlier in the file: counted once."""
    results: int
    """Distinct results kept (a duplicate counted once, a correction in place of what it corrects)."""
    duplicates: int
    """Results read again under the same source system and id with the same content."""
    corrections: int
    """Results that replaced an earlier one (HL7 OBX-11 ``C``, FHIR ``amended``/``corrected``)."""
    transfusions: int
    """Distinct platelet and red cell transfusions (FHIR MedicationAdministration)."""
    not_final: int
    """Results (and administrations) whose status is not final (HL7 OBX-11, FHIR status): skipped."""
    ignored: int
    """FHIR resources of types the replay does not read (DiagnosticReport, Specimen...)."""


@dataclass(slots=True)
class ReplayInput:
    """The episodes to replay, the rows that could not be read, and rows not tied to an episode."""

    episodes: dict[EpisodeKey, ReplayEpisode]
    problems: list[ReplayProblem]
    without_episode: int = 0
    read: FeedSummary | None = None
    """What a FHIR or HL7 file held; ``None`` for a CSV replay."""


@dataclass(slots=True)
class ReplayContext:
    """The episode facts of an export folder."""

    episodes: dict[EpisodeKey, ReplayEpisode]
    problems: list[ReplayProblem]
    mrns: dict[str, list[tuple[str, str]]] | None = None
    """Medical record number -> ``(centre, registry_id)`` of each patient with it; ``None`` when patients.csv has
    no ``mrn`` column (an export without identity)."""
    usable: bool = True
    """False when the folder's episode files are missing or their headers are wrong (no episode was read)."""

    def registry_ids(self) -> dict[str, list[tuple[dt.date, int]]]:
        """Each patient's episodes as (day 0, sequence number), latest day 0 first (the registry's order for
        :func:`engraft.registry.ingest.episode_for_result`)."""
        found: dict[str, list[tuple[dt.date, int]]] = {}
        for (registry_id, sequence), episode in self.episodes.items():
            found.setdefault(registry_id, []).append((episode.context.day0, sequence))
        return {registry_id: sorted(days, reverse=True) for registry_id, days in found.items()}


def read_context(directory: Path, results_file: str) -> ReplayContext:
    """The episodes (with birth dates and recorded engraftment days) and MRNs of the export folder ``directory``;
    ``results_file`` is named in the problem when the folder lacks its episode files."""
    problems: list[ReplayProblem] = []
    for spec in (cols.PATIENTS, cols.EPISODES):
        if not (directory / spec.name).is_file():
            problems.append(
                BadRow(
                    spec.name,
                    0,
                    "",
                    None,
                    f"not found in {directory} (the folder of the episode facts for {results_file}); expected "
                    "an engraft export folder (patients.csv, episodes.csv)",
                )
            )
    if problems:
        return ReplayContext({}, problems, usable=False)
    for spec in (cols.PATIENTS, cols.EPISODES):
        problems += check_header(directory, spec)
    if problems:
        return ReplayContext({}, problems, usable=False)
    birth_dates, mrns = _patients(directory, problems)
    episodes = _episodes(directory, birth_dates, problems)
    if (directory / cols.EVENTS.name).is_file():
        header = check_header(directory, cols.EVENTS)
        problems += header
        if not header:
            _recorded_engraftment(directory, episodes, problems)
    return ReplayContext(episodes, problems, mrns)


def read_replay(observations_file: Path, context_directory: Path | None = None) -> ReplayInput:
    """The episodes and observations of ``observations_file`` (registry CSV), the episode facts read from
    ``context_directory`` (default: the file's own folder)."""
    directory = observations_file.parent
    context = read_context(context_directory or directory, observations_file.name)
    problems = context.problems
    if not context.usable:
        return ReplayInput({}, problems)
    spec_file = _as_observations(observations_file)
    header = check_header(directory, spec_file)
    if header:
        return ReplayInput({}, [*problems, *header])
    episodes = context.episodes
    replay = ReplayInput(episodes, problems)
    for row in read_rows(directory, spec_file):
        if row.problems:
            problems += row.problems
            continue
        sequence = row.values.get("episode_sequence")
        if sequence is None:
            replay.without_episode += 1
            continue
        key = (str(row.values["registry_id"]), _int(sequence))
        episode = episodes.get(key)
        if episode is None:
            row.bad("episode_sequence", f"no episode {key[1]} of patient {key[0]} in {cols.EPISODES.name}")
            problems += row.problems
            continue
        loinc, unit, text = str(row.values["loinc"]), str(row.values["unit"]), str(row.values["value"])
        try:
            value = float(text)
            lookup_observation_kind(loinc).to_canonical(value, unit)
        except (ValueError, UnitError) as exc:
            row.bad("unit" if isinstance(exc, UnitError) else "value", str(exc))
            problems += row.problems
            continue
        episode.observations.append(
            MonitoredObservation(
                id=row.number, observed_at=row.values["observed_at"], loinc=loinc, value=value, unit=unit
            )
        )
    return replay


def _as_observations(path: Path) -> cols.CsvFile:
    """The observations spec under the file's own name (a replay file need not be called observations.csv)."""
    return cols.CsvFile(path.name, cols.OBSERVATIONS.meaning, cols.OBSERVATIONS.columns)


def _int(text: object) -> int:
    return int(str(text))


def _patients(
    directory: Path, problems: list[ReplayProblem]
) -> tuple[dict[str, dt.date], dict[str, list[tuple[str, str]]] | None]:
    """Birth date by registry id, and (when the file has an ``mrn`` column) the patients of each MRN."""
    with (directory / cols.PATIENTS.name).open(encoding="utf-8-sig", newline="") as handle:
        header = {name.strip() for name in next(csv.reader(handle), [])}
    dates: dict[str, dt.date] = {}
    mrns: dict[str, list[tuple[str, str]]] | None = {} if "mrn" in header else None
    for row in read_rows(directory, cols.PATIENTS):
        problems += row.problems
        if row.problems:
            continue
        registry_id = str(row.values["registry_id"])
        dates[registry_id] = row.values["birth_date"]
        mrn = row.values.get("mrn")
        if mrns is not None and mrn is not None:
            mrns.setdefault(str(mrn), []).append((str(row.values["centre"]), registry_id))
    return dates, mrns


_RECORDED_FIELDS: Final = {
    EventType.NEUTROPHIL_ENGRAFTMENT: "recorded_neutrophil_engraftment_day",
    EventType.PLATELET_ENGRAFTMENT: "recorded_platelet_engraftment_day",
}


def _recorded_engraftment(
    directory: Path, episodes: dict[EpisodeKey, ReplayEpisode], problems: list[ReplayProblem]
) -> None:
    """Each episode's first neutrophil and platelet engraftment day in events.csv (not derived), on its context."""
    for row in read_rows(directory, cols.EVENTS):
        if row.problems:
            problems += row.problems
            continue
        try:
            event_type = EventType(row.values["event_type"])
            source = EventSource(row.values.get("source") or EventSource.MANUAL)
        except ValueError as exc:
            row.bad("", str(exc))
            problems += row.problems
            continue
        sequence = row.values.get("episode_sequence")
        name = _RECORDED_FIELDS.get(event_type)
        if name is None or source is EventSource.DERIVED or sequence is None:
            continue
        episode = episodes.get((str(row.values["registry_id"]), _int(sequence)))
        if episode is None:
            continue  # an event of an episode not replayed
        day = (row.values["event_date"] - episode.context.day0).days
        known = getattr(episode.context, name)
        if known is None or day < known:
            episode.context = episode.context.model_copy(update={name: day})


def _episodes(
    directory: Path, birth_dates: dict[str, dt.date], problems: list[ReplayProblem]
) -> dict[EpisodeKey, ReplayEpisode]:
    episodes: dict[EpisodeKey, ReplayEpisode] = {}
    for row in read_rows(directory, cols.EPISODES):
        if not row.problems:
            try:
                graft = GraftSource(row.values["graft_source"])
                kind = TransplantType(row.values["transplant_type"])
                therapy = CellTherapy(row.values.get("cell_therapy", CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT))
                sequence = _int(row.values["sequence_number"])
            except ValueError as exc:
                row.bad("", str(exc))
        if row.problems:
            problems += row.problems
            continue
        registry_id = str(row.values["registry_id"])
        day0: dt.date = row.values["day0"]
        birth = birth_dates.get(registry_id)
        number = len(episodes) + 1
        context = EpisodeContext(
            patient_id=number,
            episode_id=number,
            day0=day0,
            age_at_day0=None if birth is None else age_in_years(birth, day0),
            graft_source=graft,
            transplant_type=kind,
            cell_therapy=therapy,
            platelet_transfusion_days=None,
        )
        episodes[(registry_id, sequence)] = ReplayEpisode((registry_id, sequence), context)
    return episodes
