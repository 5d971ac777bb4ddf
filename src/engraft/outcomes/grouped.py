"""Kaplan-Meier and cumulative incidence from a data frame and column names, by group.

The data-frame interface to the estimators, for researchers used to R or lifelines::

    km = kaplan_meier_frame(df, time="intxsurv", event="dead", by="graftype", time_unit="months")
    km.to_frame()          # every step of every curve, tidy (one row per group and time)
    km.summary_frame()     # n, events, median and its limits per group (R print(survfit))
    km.logrank()           # R survdiff
    km.plot()              # matplotlib Figure with bands and numbers at risk

``df`` is a pandas or polars DataFrame or an Arrow table (see :mod:`engraft.outcomes.frames`); tidy
results come back as the same kind of frame unless ``kind=`` says otherwise. The numbers are those
of :func:`~engraft.outcomes.kaplan_meier` and :func:`~engraft.outcomes.cumulative_incidence` fitted
on each group's rows, so they equal R ``survfit(Surv(time, event) ~ by, conf.type = "log-log")`` and
``cmprsk::cuminc(ftime, fstatus, group)`` per group.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike

from engraft.outcomes import frames
from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError, check_causes
from engraft.outcomes.cumulative_incidence import (
    CumulativeIncidenceResult,
    IncidenceAtTimes,
    cumulative_incidence,
    incidence_columns,
)
from engraft.outcomes.gray_test import GrayTestResult, gray_test
from engraft.outcomes.kaplan_meier import KaplanMeierResult, SurvivalAtTimes, curve_columns, kaplan_meier
from engraft.outcomes.logrank import LogRankResult, logrank_test
from engraft.outcomes.tidy import FrameKind, frame_kind, to_frame

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    return (by,) if isinstance(by, str) else tuple(by)


@dataclass(frozen=True, slots=True, eq=False)
class _Groups:
    """What both grouped results share: the grouping, the input's frame kind, lookup by key or label."""

    grouping: frames.Grouping
    frame_kind: FrameKind

    @property
    def by(self) -> tuple[str, ...]:
        """The columns the rows were grouped by (empty: one group, ``"All"``)."""
        return self.grouping.by

    @property
    def keys(self) -> tuple[tuple[Any, ...], ...]:
        """Each group's values of the ``by`` columns, in R factor order."""
        return self.grouping.keys

    @property
    def labels(self) -> tuple[str, ...]:
        """Each group's R strata name (``"dis=0"``)."""
        return self.grouping.labels

    def index(self, key: object) -> int:
        """Position of the group named by its label, its key tuple, or (one ``by`` column) its value."""
        if isinstance(key, str) and key in self.labels:
            return self.labels.index(key)
        wanted = key if isinstance(key, tuple) else (key,)
        if wanted in self.keys:
            return self.keys.index(wanted)
        shown = [k[0] if len(k) == 1 else k for k in self.keys]
        raise OutcomeInputError(f"group: got {key!r}; expected one of {shown} or {list(self.labels)}")

    def _kind(self, kind: FrameKind | str | None) -> FrameKind:
        return self.frame_kind if kind is None else frame_kind(kind)

    def _stack(self, parts: Sequence[dict[str, Any]], kind: FrameKind | str | None) -> Any:
        """Per-group tidy columns stacked, each row led by its group's ``by`` values."""
        tables = []
        for g, part in enumerate(parts):
            n = len(next(iter(part.values())))
            lead = {column: pa.array([self.keys[g][j]] * n) for j, column in enumerate(self.by)}
            tables.append(pa.table({**lead, **{k: pa.array(np.asarray(v)) for k, v in part.items()}}))
        return to_frame(pa.concat_tables(tables, promote_options="default"), self._kind(kind))


@dataclass(frozen=True, slots=True, eq=False)
class GroupedKaplanMeier(_Groups):
    """One Kaplan-Meier curve per group: R ``survfit(Surv(time, event) ~ by, conf.type = "log-log")``.

    ``fits[i]`` is the curve of group ``keys[i]`` (R stratum ``labels[i]``); ``km[value]`` or
    ``km["dis=1"]`` looks one up. Times are in ``time_unit``.
    """

    fits: tuple[KaplanMeierResult, ...]
    time_unit: str
    time: FloatArray = field(repr=False)
    event: IntArray = field(repr=False)

    def __getitem__(self, key: object) -> KaplanMeierResult:
        return self.fits[self.index(key)]

    def __iter__(self) -> Iterator[tuple[tuple[Any, ...], KaplanMeierResult]]:
        return iter(zip(self.keys, self.fits, strict=True))

    def __len__(self) -> int:
        return len(self.fits)

    def at(self, times: ArrayLike) -> dict[str, SurvivalAtTimes]:
        """Each group's survival at ``times`` (R ``summary(fit, times = times)``), by label."""
        return {label: fit.at(times) for label, fit in zip(self.labels, self.fits, strict=True)}

    def to_frame(self, kind: FrameKind | str | None = None, *, times: ArrayLike | None = None) -> Any:
        """Tidy curves: the ``by`` columns, then the curve's columns (:meth:`KaplanMeierResult.to_frame`).

        With ``times`` the rows are the survival at those times per group instead (R ``summary(fit,
        times = times)``: time, survival, std_error, lower, upper). ``kind`` defaults to the input's.
        """
        if times is None:
            return self._stack([curve_columns(f) for f in self.fits], kind)
        at = [f.at(times) for f in self.fits]
        cols = ("time", "survival", "std_error", "lower", "upper")
        return self._stack([{c: getattr(a, c) for c in cols} for a in at], kind)

    def summary_frame(self, kind: FrameKind | str | None = None) -> Any:
        """Per group: n, events, median survival and its limits (R ``summary(fit)$table``, ``time_unit``)."""
        medians = [f.median() for f in self.fits]
        return self._stack(
            [
                {
                    "n": [f.n_obs],
                    "events": [int(f.n_event.sum())],
                    "median": [m.estimate],
                    "lower": [m.lower],
                    "upper": [m.upper],
                }
                for f, m in zip(self.fits, medians, strict=True)
            ],
            kind,
        )

    def logrank(self, *, strata: ArrayLike | None = None) -> LogRankResult:
        """Log-rank test across the groups: R ``survdiff(Surv(time, event) ~ by [+ strata(s)])``.

        ``strata`` holds one label per row of the frame, in frame order (e.g. ``df["centre"]``); the
        result's groups are the group positions 0..k-1 of :attr:`keys`.
        """
        if len(self.fits) < 2:
            raise OutcomeInputError(f"by: got {len(self.fits)} group; expected at least 2 groups to compare")
        return logrank_test(self.time, self.event, self.grouping.code, strata=strata)

    def plot(self, **options: Any) -> Figure:
        """The curves, labelled by stratum, with bands and numbers at risk (see :func:`.plots.plot_survival`).

        With two groups or more the log-rank test's p-value is printed unless ``test`` is given (None: none).
        """
        from engraft.outcomes.plots import CurveTest, plot_survival

        if len(self.fits) > 1 and "test" not in options:
            options["test"] = CurveTest("log-rank", self.logrank().p_value)
        return plot_survival(dict(zip(self.labels, self.fits, strict=True)), **options)


@dataclass(frozen=True, slots=True, eq=False)
class GroupedCumulativeIncidence(_Groups):
    """Aalen-Johansen CIFs per group: R ``cmprsk::cuminc(ftime, fstatus, group, cencode)`` (``est``, ``var``).

    ``fits[i]`` holds every cause's CIF for group ``keys[i]``; ``cif[value]`` looks one up.
    """

    fits: tuple[CumulativeIncidenceResult, ...]
    causes: tuple[int, ...]
    censor_code: int
    time_unit: str
    time: FloatArray = field(repr=False)
    status: IntArray = field(repr=False)

    def __getitem__(self, key: object) -> CumulativeIncidenceResult:
        return self.fits[self.index(key)]

    def __iter__(self) -> Iterator[tuple[tuple[Any, ...], CumulativeIncidenceResult]]:
        return iter(zip(self.keys, self.fits, strict=True))

    def __len__(self) -> int:
        return len(self.fits)

    def at(self, times: ArrayLike, cause: int) -> dict[str, IncidenceAtTimes]:
        """Each group's CIF of ``cause`` at ``times`` (R ``timepoints``), by label."""
        return {label: fit.at(times, cause) for label, fit in zip(self.labels, self.fits, strict=True)}

    def to_frame(
        self, kind: FrameKind | str | None = None, *, times: ArrayLike | None = None, cause: int | None = None
    ) -> Any:
        """Tidy CIFs: the ``by`` columns, then cause, time, counts, incidence, std_error, variance, limits.

        ``cause`` keeps one cause; with ``times`` the rows are the CIFs at those times (R
        ``timepoints``). ``kind`` defaults to the input's.
        """
        chosen = self.causes if cause is None else (self.causes[self.fits[0].column(cause)],)
        parts: list[dict[str, Any]] = []
        for fit in self.fits:
            if times is None:
                cols = incidence_columns(fit)
                keep = np.isin(cols["cause"], chosen)
                parts.append({k: v[keep] for k, v in cols.items()})
            else:
                ats = [fit.at(times, c) for c in chosen]
                parts.append(
                    {
                        "cause": np.concatenate([np.full(a.time.size, a.cause) for a in ats]),
                        **{
                            c: np.concatenate([getattr(a, c) for a in ats])
                            for c in ("time", "incidence", "std_error", "variance", "lower", "upper")
                        },
                    }
                )
        return self._stack(parts, kind)

    def gray_test(self, *, strata: ArrayLike | None = None, rho: float = 0.0) -> GrayTestResult:
        """Gray's test across the groups for every cause: R ``cuminc(..., group, strata, rho)$Tests``.

        ``strata`` holds one label per row of the frame, in frame order; ``rho`` is the weight's power.
        """
        if len(self.fits) < 2:
            raise OutcomeInputError(f"by: got {len(self.fits)} group; expected at least 2 groups to compare")
        return gray_test(
            self.time,
            self.status,
            self.grouping.code,
            strata=strata,
            causes=self.causes,
            censor_code=self.censor_code,
            rho=rho,
        )

    def plot(self, cause: int | None = None, **options: Any) -> Figure:
        """One cause's CIF per group (default: the first cause), labelled by stratum, with numbers at risk.

        Without ``by`` and without ``cause`` every cause is drawn, as R ``plot(cuminc(...))``. With two
        groups or more Gray's test of the cause is printed unless ``test`` is given (None: none).
        """
        from engraft.outcomes.plots import CurveTest, plot_cumulative_incidence, plot_incidence_by_cause

        if cause is None and not self.by:
            return plot_incidence_by_cause(self.fits[0], **options)
        chosen = self.causes[0] if cause is None else cause
        if len(self.fits) > 1 and "test" not in options:
            options["test"] = CurveTest("Gray", self.gray_test().for_cause(chosen).p_value)
        return plot_cumulative_incidence(dict(zip(self.labels, self.fits, strict=True)), chosen, **options)


def _event_codes(event_codes: Sequence[int], censor_codes: Sequence[int]) -> tuple[int, ...]:
    codes = tuple(int(c) for c in event_codes)
    if not codes:
        raise OutcomeInputError("event_codes: got an empty sequence; expected at least one event code")
    shared = sorted(set(codes) & {int(c) for c in censor_codes})
    if shared:
        raise OutcomeInputError(f"event_codes: got {list(codes)} sharing {shared} with censor_codes; expected disjoint")
    return codes


def kaplan_meier_frame(
    frame: object,
    *,
    time: str,
    event: str,
    by: str | Sequence[str] | None = None,
    entry: str | None = None,
    event_codes: Sequence[int] | None = None,
    censor_codes: Sequence[int] = (0,),
    conf_level: float = 0.95,
    time_unit: str = "days",
) -> GroupedKaplanMeier:
    """Kaplan-Meier curves from the columns of a frame: R ``survfit(Surv(time, event) ~ by, data = frame)``.

    Parameters
    ----------
    frame:
        A pandas or polars DataFrame or an Arrow table, one row per subject (transplant).
    time:
        Column of follow-up times (>= 0), in ``time_unit``.
    event:
        Column of the status: 0/1 (or booleans) by default. With ``event_codes`` the column holds
        codes: those in ``event_codes`` are the event, those in ``censor_codes`` are censored, any
        other is refused (R ``Surv(time, status %in% event_codes)`` with the codes checked). In a
        relapse (1) / death (2) coding, ``event_codes=(1, 2)`` gives event-free survival and
        ``event_codes=(1,), censor_codes=(0, 2)`` relapse with death censored.
    by:
        Column or columns whose values define the groups (none: one curve, labelled ``"All"``).
    entry:
        Column of delayed-entry times (left truncation, R ``Surv(entry, time, event)``).
    conf_level, time_unit:
        As :func:`~engraft.outcomes.kaplan_meier`.

    Returns
    -------
    GroupedKaplanMeier
        One curve per group, in R factor order; its tidy frames are of the input's kind.

    Raises
    ------
    OutcomeInputError
        A missing column, or a cell that is missing or out of range (column, row from 0, value).
    """
    names = _by(by)
    wanted = [(time, "time"), (event, "event"), *((c, "by") for c in names)]
    if entry is not None:
        wanted.append((entry, "entry"))
    table = frames.arrow_columns(frame, wanted)
    t = frames.times(table, time)
    if event_codes is None:
        e = frames.codes(table, event, (0, 1))
    else:
        codes = _event_codes(event_codes, censor_codes)
        e = frames.is_member(frames.codes(table, event, (*censor_codes, *codes)), codes).astype(np.int64)
    ent = None if entry is None else frames.times(table, entry)
    groups = frames.grouping(table, names)
    fits = tuple(
        kaplan_meier(
            t[rows],
            e[rows],
            entry=None if ent is None else ent[rows],
            conf_level=conf_level,
            time_unit=time_unit,
        )
        for rows in groups.rows()
    )
    return GroupedKaplanMeier(groups, frames.kind_of(frame), fits, fits[0].time_unit, t, e)


def cumulative_incidence_frame(
    frame: object,
    *,
    time: str,
    status: str,
    by: str | Sequence[str] | None = None,
    causes: Sequence[int] = (1, 2),
    censor_code: int = 0,
    conf_level: float = 0.95,
    time_unit: str = "days",
) -> GroupedCumulativeIncidence:
    """Aalen-Johansen CIFs from the columns of a frame: R ``cuminc(df$time, df$status, df$by, cencode)``.

    Parameters
    ----------
    frame:
        A pandas or polars DataFrame or an Arrow table, one row per subject (transplant).
    time:
        Column of follow-up times (>= 0), in ``time_unit``.
    status:
        Column of codes: ``censor_code`` (censored) or one of ``causes`` (the competing events; the
        EBMT data's six causes are ``causes=(1, 2, 3, 4, 5, 6)``).
    by:
        Column or columns whose values define the groups (none: one fit, labelled ``"All"``).
    causes, censor_code, conf_level, time_unit:
        As :func:`~engraft.outcomes.cumulative_incidence`.

    Returns
    -------
    GroupedCumulativeIncidence
        Every cause's CIF per group, in R factor order; its tidy frames are of the input's kind.

    Raises
    ------
    OutcomeInputError
        A missing column, or a cell that is missing or out of range (column, row from 0, value).
    """
    names = _by(by)
    codes = check_causes(causes, censor_code)
    table = frames.arrow_columns(frame, [(time, "time"), (status, "status"), *((c, "by") for c in names)])
    t = frames.times(table, time)
    s = frames.codes(table, status, (censor_code, *codes))
    groups = frames.grouping(table, names)
    fits = tuple(
        cumulative_incidence(
            t[rows], s[rows], causes=codes, censor_code=censor_code, conf_level=conf_level, time_unit=time_unit
        )
        for rows in groups.rows()
    )
    return GroupedCumulativeIncidence(groups, frames.kind_of(frame), fits, codes, censor_code, fits[0].time_unit, t, s)
