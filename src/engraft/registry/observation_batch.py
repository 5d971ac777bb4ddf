"""A batch of observations held column-wise, with every check that needs no database.

Lab feeds send results by the hundred thousand; checking them one object at a time cost more
than storing them. Here each rule runs over whole columns: the LOINC code is in the catalogue
and the UCUM unit converts to its canonical unit (looked up once per distinct pair), the value
is a finite number within the possible range, the time carries a time zone and is not in the future
(beyond :data:`MAX_CLOCK_SKEW`, the drift allowed between a sending system's clock and ours), the source is known,
and a ``(source_system, source_id)`` repeated inside the batch repeats the same content (identical repeats are
dropped, so re-sending is idempotent). Each bad row is reported once, with the first rule it
breaks, in the order above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from engraft.measurements import UnitError, lookup_observation_kind
from engraft.registry.binary_copy import POSTGRES_EPOCH
from engraft.registry.errors import Problem
from engraft.vocabulary import ObservationSource

MAX_PROBLEMS = 200
SOURCE_ID_MAX_LENGTH = 128
NO_EPISODE = -1
MAX_ID = 2**31 - 1
_SOURCES = {s.value for s in ObservationSource}
_MICROSECOND = dt.timedelta(microseconds=1)
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
EARLIEST_US = (EARLIEST - POSTGRES_EPOCH) // _MICROSECOND
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far in the future an observation time may lie: clocks of lab systems and devices drift a little."""


class ObservationLike(Protocol):
    @property
    def patient_id(self) -> int: ...
    @property
    def episode_id(self) -> int | None: ...
    @property
    def observed_at(self) -> dt.datetime: ...
    @property
    def loinc(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def source_system(self) -> str: ...
    @property
    def source_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ObservationBatch:
    """Valid, de-duplicated observations as columns; ``row_no`` is each row's 1-based input position.

    ``observed_us`` is microseconds since 2000-01-01 UTC (PostgreSQL's epoch); ``episode_id`` is
    ``NO_EPISODE`` where the observation belongs to no episode.
    """

    received: int
    row_no: npt.NDArray[np.int64]
    patient_id: npt.NDArray[np.int64]
    episode_id: npt.NDArray[np.int64]
    observed_us: npt.NDArray[np.int64]
    loinc: list[str]
    value: npt.NDArray[np.float64]
    unit: list[str]
    value_canonical: npt.NDArray[np.float64]
    source: list[str]
    source_system: list[str]
    source_id: list[str]

    def __len__(self) -> int:
        return len(self.row_no)

    def observed_at(self, i: int) -> dt.datetime:
        return POSTGRES_EPOCH + dt.timedelta(microseconds=int(self.observed_us[i]))

    def in_key_order(self) -> ObservationBatch:
        """The batch sorted by (source_system, source_id) in byte order.

        Concurrent loads that insert keys in one global order cannot deadlock on the unique index.
        """
        keys = np.array([f"{system}\x00{sid}" for system, sid in zip(self.source_system, self.source_id, strict=True)])
        order = np.argsort(keys, kind="stable")
        if not len(order) or bool(np.all(order[1:] > order[:-1])):
            return self
        ordered = order.tolist()
        return ObservationBatch(
            received=self.received,
            row_no=self.row_no[order],
            patient_id=self.patient_id[order],
            episode_id=self.episode_id[order],
            observed_us=self.observed_us[order],
            loinc=[self.loinc[i] for i in ordered],
            value=self.value[order],
            unit=[self.unit[i] for i in ordered],
            value_canonical=self.value_canonical[order],
            source=[self.source[i] for i in ordered],
            source_system=[self.source_system[i] for i in ordered],
            source_id=[self.source_id[i] for i in ordered],
        )


def _conversions(loincs: list[str], units: list[str]) -> tuple[npt.NDArray[np.int64], list[tuple[Any, ...]]]:
    """Index of each row's (LOINC, unit) pair and, per pair, (factor, offset, min, max) or an error."""
    index: dict[tuple[str, str], int] = {}
    codes = np.fromiter(
        (index.setdefault(k, len(index)) for k in zip(loincs, units, strict=True)), np.int64, len(loincs)
    )
    return codes, [conversion(loinc, unit) for loinc, unit in index]


@lru_cache(maxsize=4096)
def conversion(loinc: str, unit: str) -> tuple[Any, ...]:
    """(factor, offset, min, max) of a (LOINC, unit) pair to the canonical unit, or (field, value, error); the
    catalogue does not change while the process runs, so each pair is worked out once."""
    try:
        kind = lookup_observation_kind(loinc)
        zero = kind.to_canonical(0.0, unit)
        factor = kind.to_canonical(1.0, unit) - zero
    except UnitError as exc:
        field = "loinc" if "catalogue" in str(exc) else "unit"
        return (field, loinc if field == "loinc" else unit, str(exc))
    return (factor, zero, kind.minimum, kind.maximum)


def _numbers(values: list[Any]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Values as float64 and a mask of those that are not finite numbers (strings, None, NaN, inf)."""
    numeric = [type(v) is float or (type(v) is int) for v in values]
    if all(numeric):
        array = np.asarray(values, np.float64)
    else:
        array = np.asarray([v if ok else np.nan for v, ok in zip(values, numeric, strict=True)], np.float64)
    return array, ~np.isfinite(array)


def _timestamps(moments: list[dt.datetime]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Microseconds since 2000-01-01 UTC and a mask of naive (zone-less) times."""
    try:
        return (
            np.fromiter(((m - POSTGRES_EPOCH) // _MICROSECOND for m in moments), np.int64, len(moments)),
            np.zeros(len(moments), np.bool_),
        )
    except TypeError:
        naive = np.fromiter((m.utcoffset() is None for m in moments), np.bool_, len(moments))
        micros = np.fromiter(
            (0 if bad else (m - POSTGRES_EPOCH) // _MICROSECOND for m, bad in zip(moments, naive, strict=True)),
            np.int64,
            len(moments),
        )
        return micros, naive


def _identifier(text: Any, shortest: int) -> bool:
    """Text a database can store as an identifier: bounded length, no NUL, valid Unicode."""
    if not isinstance(text, str) or not shortest <= len(text) <= SOURCE_ID_MAX_LENGTH or "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _bad_identifiers(texts: list[Any], shortest: int) -> npt.NDArray[np.bool_]:
    """Mask of values that are not storable identifiers; whole-column checks first, row by row if needed."""
    n = len(texts)
    if all(type(t) is str for t in texts):
        lengths = np.fromiter(map(len, texts), np.int64, n)
        bad = (lengths < shortest) | (lengths > SOURCE_ID_MAX_LENGTH)
        joined = "".join(texts)
        try:
            joined.encode()
            clean = "\x00" not in joined
        except UnicodeEncodeError:
            clean = False
        if clean:
            return bad
    return np.fromiter((not _identifier(t, shortest) for t in texts), np.bool_, n)


def _ids(values: list[Any], optional: bool) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Record ids as int64 (``NO_EPISODE`` for an absent optional id) and a mask of invalid ones."""
    bad = [not (value is None and optional) and not (type(value) is int and 1 <= value <= MAX_ID) for value in values]
    ids = [NO_EPISODE if value is None or invalid else value for value, invalid in zip(values, bad, strict=True)]
    return np.asarray(ids, np.int64), np.asarray(bad, np.bool_)


def validate(rows: Sequence[ObservationLike], now: dt.datetime | None = None) -> tuple[ObservationBatch, list[Problem]]:
    """Check ``rows`` column-wise; return the valid, de-duplicated batch and the first problems.

    ``now`` (default: the current time) bounds the observation times: later than ``now`` plus
    :data:`MAX_CLOCK_SKEW` is refused.
    """
    latest = (now or dt.datetime.now(dt.UTC)) + MAX_CLOCK_SKEW
    latest_us = (latest - POSTGRES_EPOCH) // _MICROSECOND
    n = len(rows)
    loincs = [r.loinc for r in rows]
    units = [r.unit for r in rows]
    codes, table = _conversions(loincs, units)
    values, not_finite = _numbers([r.value for r in rows])
    observed_us, naive = _timestamps([r.observed_at for r in rows])
    patient_ids, bad_patient = _ids([r.patient_id for r in rows], optional=False)
    episode_ids, bad_episode = _ids([r.episode_id for r in rows], optional=True)
    sources = [r.source for r in rows]
    systems = [r.source_system for r in rows]
    source_ids = [r.source_id for r in rows]

    pair_error = np.array([len(t) == 3 for t in table], np.bool_)[codes] if n else np.zeros(0, np.bool_)
    params = np.array([t if len(t) == 4 else (np.nan,) * 4 for t in table], np.float64).reshape(-1, 4)[codes]
    with np.errstate(invalid="ignore", over="ignore"):
        canonical = values * params[:, 0] + params[:, 1]
        out_of_range = ~((params[:, 2] <= canonical) & (canonical <= params[:, 3]))
    unknown_source = np.fromiter((s not in _SOURCES for s in sources), np.bool_, n)
    bad_system = _bad_identifiers(systems, 0)
    bad_source_id = _bad_identifiers(source_ids, 1)
    too_early = ~naive & (observed_us < EARLIEST_US)
    in_future = ~naive & (observed_us > latest_us)

    checks: tuple[tuple[npt.NDArray[np.bool_], str, str], ...] = (
        (bad_patient, "patient_id", f"a record id from 1 to {MAX_ID}"),
        (bad_episode, "episode_id", f"empty or a record id from 1 to {MAX_ID}"),
        (pair_error, "", ""),
        (not_finite, "value", "a finite number"),
        (out_of_range, "value", ""),
        (naive, "observed_at", "a timestamp with a time zone"),
        (too_early, "observed_at", f"a time on or after {EARLIEST:%Y-%m-%d} (UTC)"),
        (
            in_future,
            "observed_at",
            f"a time not in the future (at most {MAX_CLOCK_SKEW.total_seconds() / 60:g} minutes after "
            f"{latest - MAX_CLOCK_SKEW:%Y-%m-%dT%H:%M:%SZ}, the server's clock)",
        ),
        (unknown_source, "source", f"one of {sorted(_SOURCES)}"),
        (bad_system, "source_system", f"text of at most {SOURCE_ID_MAX_LENGTH} characters, without NUL"),
        (bad_source_id, "source_id", f"text of 1 to {SOURCE_ID_MAX_LENGTH} characters, without NUL"),
    )
    failed = np.zeros(n, np.bool_)
    first_failure: dict[int, Problem] = {}
    for mask, field, expected in checks:
        for i in np.flatnonzero(mask & ~failed)[:MAX_PROBLEMS].tolist():
            first_failure[i] = _problem(rows[i], i, field, expected, table[codes[i]])
        failed |= mask

    kept = ~failed
    candidates = [(systems[i], source_ids[i]) for i in np.flatnonzero(kept).tolist()]
    if len(set(candidates)) < len(candidates):
        kept = _drop_repeats(rows, kept, observed_us, values, first_failure)
    problems = [first_failure[i] for i in sorted(first_failure)][:MAX_PROBLEMS]

    take = np.flatnonzero(kept)
    everything = len(take) == n
    batch = ObservationBatch(
        received=n,
        row_no=take + 1,
        patient_id=patient_ids[take],
        episode_id=episode_ids[take],
        observed_us=observed_us[take],
        loinc=loincs if everything else [loincs[i] for i in take.tolist()],
        value=values[take],
        unit=units if everything else [units[i] for i in take.tolist()],
        value_canonical=canonical[take],
        source=sources if everything else [sources[i] for i in take.tolist()],
        source_system=systems if everything else [systems[i] for i in take.tolist()],
        source_id=source_ids if everything else [source_ids[i] for i in take.tolist()],
    )
    return batch, problems


def _drop_repeats(
    rows: Sequence[ObservationLike],
    kept: npt.NDArray[np.bool_],
    observed_us: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    problems: dict[int, Problem],
) -> npt.NDArray[np.bool_]:
    """Keep the first row of each (source_system, source_id); a later row with other content is a problem."""
    kept = kept.copy()
    content: dict[tuple[str, str], tuple[Any, ...]] = {}
    for i in np.flatnonzero(kept).tolist():
        r = rows[i]
        row_content = (r.patient_id, r.episode_id, int(observed_us[i]), r.loinc, float(values[i]), r.unit)
        previous = content.setdefault((r.source_system, r.source_id), row_content)
        if previous is row_content:
            continue
        kept[i] = False
        if previous != row_content:
            problems[i] = Problem("source_id", r.source_id, "a source_id not re-used for other content", i + 1)
    return kept


def _problem(row: ObservationLike, i: int, field: str, expected: str, conversion: tuple[Any, ...]) -> Problem:
    if not field:
        field, value, reason = conversion
        return Problem(field, value, reason, i + 1)
    if field == "value" and not expected:
        low, high = conversion[2], conversion[3]
        return Problem(field, row.value, f"a value from {low} to {high} in the canonical unit", i + 1)
    value = getattr(row, field)
    return Problem(field, value.isoformat() if isinstance(value, dt.datetime) else value, expected, i + 1)
