"""Reading a replay for the monitoring engine from registry CSV files: observations and their episodes.

``engraft monitor replay FILE`` reads ``FILE`` in the registry's ``observations.csv`` format (the reader and
column declarations of the CSV import, :mod:`engraft.io.csv_read` and :mod:`engraft.io.csv_columns`) and
the episode facts the rules ask about from ``episodes.csv`` and ``patients.csv`` beside it (an
``engraft export`` folder has all three), and, when ``events.csv`` is there too, the engraftment days it records
(entered or imported, not derived), which the deadline rules read as the registry's evaluation does. Nothing is
stored. Every bad row is reported with its file,
row, column and reason; units are checked against the LOINC catalogue, never guessed.
"""

from __future__ import annotations

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


@dataclass(slots=True)
class ReplayEpisode:
    key: EpisodeKey
    context: EpisodeContext
    observations: list[MonitoredObservation] = field(default_factory=list)


@dataclass(slots=True)
class ReplayInput:
    """The episodes to replay, the rows that could not be read, and rows not tied to an episode."""

    episodes: dict[EpisodeKey, ReplayEpisode]
    problems: list[BadRow]
    without_episode: int = 0


def read_replay(observations_file: Path) -> ReplayInput:
    """The episodes and observations of ``observations_file`` (with episodes.csv and patients.csv beside it)."""
    directory = observations_file.parent
    problems: list[BadRow] = []
    for spec, path in (
        (cols.PATIENTS, directory / cols.PATIENTS.name),
        (cols.EPISODES, directory / cols.EPISODES.name),
    ):
        if not path.is_file():
            problems.append(
                BadRow(
                    spec.name,
                    0,
                    "",
                    None,
                    f"not found beside {observations_file.name}; expected the "
                    "episode facts in an engraft export folder (patients.csv, episodes.csv)",
                )
            )
    if problems:
        return ReplayInput({}, problems)
    spec_file = _as_observations(observations_file)
    for spec in (cols.PATIENTS, cols.EPISODES, spec_file):
        problems += check_header(directory, spec)
    if problems:
        return ReplayInput({}, problems)
    birth_dates = _birth_dates(directory, problems)
    episodes = _episodes(directory, birth_dates, problems)
    if (directory / cols.EVENTS.name).is_file():
        problems += check_header(directory, cols.EVENTS)
        if not problems:
            _recorded_engraftment(directory, episodes, problems)
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


def _birth_dates(directory: Path, problems: list[BadRow]) -> dict[str, dt.date]:
    dates: dict[str, dt.date] = {}
    for row in read_rows(directory, cols.PATIENTS):
        problems += row.problems
        if not row.problems:
            dates[str(row.values["registry_id"])] = row.values["birth_date"]
    return dates


_RECORDED_FIELDS: Final = {
    EventType.NEUTROPHIL_ENGRAFTMENT: "recorded_neutrophil_engraftment_day",
    EventType.PLATELET_ENGRAFTMENT: "recorded_platelet_engraftment_day",
}


def _recorded_engraftment(directory: Path, episodes: dict[EpisodeKey, ReplayEpisode], problems: list[BadRow]) -> None:
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
    directory: Path, birth_dates: dict[str, dt.date], problems: list[BadRow]
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
