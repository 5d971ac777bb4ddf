"""An episode's observations as columns: what the evaluator reads, built once, without a typed model per result.

:class:`ObservationColumns` holds one episode's stored results as NumPy arrays (registry id, observed and
recorded time in microseconds since 1970-01-01 UTC, LOINC code and UCUM unit as indexes into small tuples of
strings, value). It is the input of :func:`engraft.monitoring.evaluate_columns`;
:func:`engraft.monitoring.evaluate` builds it from :class:`MonitoredObservation` objects. Build it from database
rows with :meth:`ObservationColumns.from_rows` (or from arrays with the constructor): the checks
:class:`MonitoredObservation` makes per result (id >= 1, a finite value, aware timestamps) are made here once per
column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.monitoring.series import MonitoredObservation

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NOT_RECORDED: Final = np.iinfo(np.int64).min
"""``recorded_us`` of a result whose recording time is unknown (judged by the newest rule set)."""
_US: Final = dt.timedelta(microseconds=1)

Row = tuple[int, dt.datetime, dt.datetime | None, str, float, str]
"""(id, observed_at, recorded_at, loinc, value, unit), as the registry stores a result."""
EpochRow = tuple[int, int, int | None, str, float, str]
"""(id, observed_us, recorded_us, loinc, value, unit): a :data:`Row` with its times as microseconds from 1970-01-01
UTC."""


def microseconds(at: dt.datetime, field: str = "observed_at") -> int:
    """Microseconds from 1970-01-01 UTC to the aware ``at`` (ValueError naming ``field`` when naive)."""
    if at.tzinfo is None:
        raise ValueError(f"{field}={at.isoformat()} has no time zone; expected an aware datetime")
    return (at - EPOCH) // _US


def moment(us: int) -> dt.datetime:
    """The UTC datetime ``us`` microseconds after 1970-01-01 UTC."""
    return EPOCH + dt.timedelta(microseconds=us)


@dataclass(frozen=True, slots=True, eq=False)
class ObservationColumns:
    """One episode's results as columns, in any order (the evaluator sorts them by observed time, then id).

    ``code`` and ``unit`` index ``codes`` and ``units``. ``source``, when given, holds the typed observation
    of each row: the evaluator then hands those very objects to the alerts (their time zones kept);
    otherwise it builds an observation (times in UTC) only for the results an alert cites.
    """

    id: IntArray
    observed_us: IntArray
    recorded_us: IntArray
    code: IntArray
    codes: tuple[str, ...]
    value: FloatArray
    unit: IntArray
    units: tuple[str, ...]
    source: tuple[MonitoredObservation, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.id)
        for name in ("observed_us", "recorded_us", "code", "value", "unit"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} rows; expected {n} like id")
        if self.source is not None and len(self.source) != n:
            raise ValueError(f"source has {len(self.source)} observations; expected {n} like id")
        if n == 0:
            return
        bad = np.flatnonzero(self.id < 1)
        if bad.size:
            raise ValueError(f"id={int(self.id[bad[0]])} at row {int(bad[0])}; expected an id >= 1")
        bad = np.flatnonzero(~np.isfinite(self.value))
        if bad.size:
            raise ValueError(f"value={float(self.value[bad[0]])} at row {int(bad[0])} is not a finite number")
        for name, index, names in (("code", self.code, self.codes), ("unit", self.unit, self.units)):
            if int(index.min()) < 0 or int(index.max()) >= len(names):
                raise ValueError(f"{name} indexes outside {name}s (0 to {len(names) - 1})")

    def __len__(self) -> int:
        return len(self.id)

    @classmethod
    def from_observations(cls, observations: Iterable[MonitoredObservation]) -> ObservationColumns:
        """Columns of typed observations (kept as ``source``)."""
        typed = tuple(observations)
        n = len(typed)
        codes: dict[str, int] = {}
        units: dict[str, int] = {}
        # typed observations are checked already (aware times, finite values): straight into the columns
        return cls(
            id=np.fromiter((o.id for o in typed), np.int64, n),
            observed_us=np.fromiter(((o.observed_at - EPOCH) // _US for o in typed), np.int64, n),
            recorded_us=np.fromiter(
                (NOT_RECORDED if o.recorded_at is None else (o.recorded_at - EPOCH) // _US for o in typed), np.int64, n
            ),
            code=np.fromiter((codes.setdefault(o.loinc, len(codes)) for o in typed), np.int64, n),
            codes=tuple(codes),
            value=np.fromiter((o.value for o in typed), np.float64, n),
            unit=np.fromiter((units.setdefault(o.unit, len(units)) for o in typed), np.int64, n),
            units=tuple(units),
            source=typed,
        )

    @classmethod
    def from_rows(cls, rows: Iterable[Row]) -> ObservationColumns:
        """Columns of ``(id, observed_at, recorded_at, loinc, value, unit)`` rows (e.g. straight from SQL).

        Raises ValueError naming the field and value for a naive timestamp, an id below 1 or a value that is not
        finite, as :class:`MonitoredObservation` would.
        """
        return cls._build(list(rows), None)

    @classmethod
    def from_epoch_rows(cls, rows: Sequence[EpochRow]) -> ObservationColumns:
        """Columns of ``(id, observed_us, recorded_us, loinc, value, unit)`` rows whose times are already microseconds
        from 1970-01-01 UTC (``recorded_us`` ``None`` when not recorded), as a database can compute them: the rows
        are transposed once, with no datetime per row. Checked as :meth:`from_rows` checks (ids, finite values)."""
        n = len(rows)
        if n == 0:
            return cls._build((), None)
        ids, observed, recorded, loincs, values, unit_names = zip(*rows, strict=True)
        codes: dict[str, int] = {}
        units: dict[str, int] = {}
        return cls(
            id=np.array(ids, np.int64),
            observed_us=np.array(observed, np.int64),
            recorded_us=np.array([NOT_RECORDED if r is None else r for r in recorded], np.int64),
            code=np.array([codes.setdefault(c, len(codes)) for c in loincs], np.int64),
            codes=tuple(codes),
            value=np.array(values, np.float64),
            unit=np.array([units.setdefault(u, len(units)) for u in unit_names], np.int64),
            units=tuple(units),
        )

    @classmethod
    def _build(cls, rows: Sequence[Row], source: tuple[MonitoredObservation, ...] | None) -> ObservationColumns:
        n = len(rows)
        codes: dict[str, int] = {}
        units: dict[str, int] = {}
        try:
            observed = np.fromiter(((r[1] - EPOCH) // _US for r in rows), np.int64, n)
            recorded = np.fromiter((NOT_RECORDED if r[2] is None else (r[2] - EPOCH) // _US for r in rows), np.int64, n)
        except TypeError:  # a naive timestamp: name it
            for r in rows:
                microseconds(r[1])
                if r[2] is not None:
                    microseconds(r[2], "recorded_at")
            raise
        return cls(
            id=np.fromiter((r[0] for r in rows), np.int64, n),
            observed_us=observed,
            recorded_us=recorded,
            code=np.fromiter((codes.setdefault(r[3], len(codes)) for r in rows), np.int64, n),
            codes=tuple(codes),
            value=np.fromiter((r[4] for r in rows), np.float64, n),
            unit=np.fromiter((units.setdefault(r[5], len(units)) for r in rows), np.int64, n),
            units=tuple(units),
            source=source,
        )

    def observation(self, row: int) -> MonitoredObservation:
        """The typed observation of ``row``: the source object, else one built from the columns (UTC times)."""
        if self.source is not None:
            return self.source[row]
        recorded = int(self.recorded_us[row])
        return trusted_observation(
            {
                "id": int(self.id[row]),
                "observed_at": moment(int(self.observed_us[row])),
                "recorded_at": None if recorded == NOT_RECORDED else moment(recorded),
                "loinc": self.codes[int(self.code[row])],
                "value": float(self.value[row]),
                "unit": self.units[int(self.unit[row])],
            }
        )


_FIELDS: Final = frozenset(MonitoredObservation.model_fields)
_set = object.__setattr__


def trusted_observation(fields: dict[str, object]) -> MonitoredObservation:
    """A :class:`MonitoredObservation` of values the columns checked already (every field given): what
    ``MonitoredObservation.model_construct(**fields)`` makes for this model (no aliases, extra fields forbidden, no
    private attributes, no post-init; ``tests/monitoring/test_columnwise_evaluation.py`` compares the two), at a
    third of its cost: the evaluator builds one for each result an alert or a grading function reads."""
    found = MonitoredObservation.__new__(MonitoredObservation)
    _set(found, "__dict__", fields)
    _set(found, "__pydantic_fields_set__", set(_FIELDS))
    _set(found, "__pydantic_extra__", None)
    _set(found, "__pydantic_private__", None)
    return found
