"""Streaming import of observations.csv through :func:`engraft.registry.observations.add_observations`.

Rows are validated by :class:`ObservationIn` and sent in chunks inside the import's transaction.
A chunk refused by ``add_observations`` is sent again without the rows it named, until it is
accepted, so every bad row is found (``add_observations`` names at most 200 per call). The episodes of an
accepted chunk that stored something new, with their codes, go to :attr:`ImportReport.results
<engraft.io.csv_report.ImportReport.results>`: the import's caller evaluates them once the import has committed
(:mod:`engraft.registry.monitoring_catch_up`).
"""

from __future__ import annotations

from sqlalchemy import text

from engraft.io import csv_columns as cols
from engraft.io.csv_import import Importer, expectation
from engraft.io.csv_read import Row, read_rows
from engraft.registry.errors import InvalidRecord
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.schemas.clinical import ObservationIn

CHUNK = 5_000

_FIELDS = frozenset(ObservationIn.model_fields)
_COLUMNS = {
    "patient_id": "registry_id",
    "episode_id": "episode_sequence",
}


def import_observations(importer: Importer, chunk_size: int | None = None) -> None:
    size = chunk_size or CHUNK
    if not importer.present(cols.OBSERVATIONS):
        return
    count = importer.report.count(cols.OBSERVATIONS.name)
    chunk: list[tuple[Row, ObservationRow]] = []
    for row in read_rows(importer.directory, cols.OBSERVATIONS):
        count.read += 1
        observation = _observation(importer, row)
        if observation is None:
            importer.reject(row)
            continue
        chunk.append((row, observation))
        if len(chunk) >= size:
            _send(importer, chunk)
            chunk = []
    if chunk:
        _send(importer, chunk)


def _observation(importer: Importer, row: Row) -> ObservationRow | None:
    if row.problems:
        return None
    patient_id = importer.patient_id(row)
    episode_id = importer.episode_id(row, patient_id)
    if patient_id is None or row.problems:
        return None
    values = {k: v for k, v in row.values.items() if k in _FIELDS}
    values.update(patient_id=patient_id, episode_id=episode_id)
    data = importer.validate(row, ObservationIn, values)
    return None if data is None else ObservationRow.from_input(data)


def _send(importer: Importer, chunk: list[tuple[Row, ObservationRow]]) -> None:
    """Store ``chunk``; rows ``add_observations`` refuses are rejected and the rest sent again."""
    count = importer.report.count(cols.OBSERVATIONS.name)
    postgres = importer.session.get_bind().dialect.name == "postgresql"
    while chunk:
        if postgres:
            # add_observations creates its staging table ON COMMIT DROP: inside one outer transaction
            # a second call would find the table of the first still there.
            importer.session.execute(text("DROP TABLE IF EXISTS pg_temp.obs_stage"))
        try:
            result = add_observations(importer.service, [observation for _, observation in chunk])
        except InvalidRecord as exc:
            refused: set[int] = set()
            for problem in exc.problems:
                indexes = range(len(chunk)) if problem.row is None else [problem.row - 1]
                for index in indexes:
                    row = chunk[index][0]
                    column = _COLUMNS.get(problem.field, problem.field)
                    row.bad(column, expectation(problem.expected))
                    refused.add(index)
            for index in sorted(refused):
                importer.reject(chunk[index][0])
            chunk = [item for i, item in enumerate(chunk) if i not in refused]
            continue
        count.imported += result.inserted
        count.already_present += result.already_present
        if result.inserted:
            for _, observation in chunk:
                if observation.episode_id is not None:
                    importer.report.results.setdefault(observation.episode_id, set()).add(observation.loinc)
        return
