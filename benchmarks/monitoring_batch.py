"""The batch half of the monitoring benchmark: the synthetic ward through the pure evaluator, and its peer.

The engine: :func:`engraft.monitoring.evaluate_columns` once per episode over the episode's whole series as
:class:`~engraft.monitoring.ObservationColumns` (built beforehand from the ward's arrays, timed apart), as of the
end of the last day, with the shipped rule set; :func:`engraft.monitoring.evaluate` over typed
:class:`~engraft.monitoring.MonitoredObservation` lists (what ``engraft monitor replay`` and the registry's
``evaluate_episode`` do today) is timed too. The peer: the four centre threshold rules of that rule set (ANC <
0.5, platelets < 10,
bilirubin >= 2 mg/dL with umol/L converted at 17.1, creatinine >= 2 x the last value before day 0), each a
run of consecutive results meeting the condition inside days 0-100, written directly in NumPy over the whole
ward at once (sort, mask, run starts): the strongest simple alternative for those rules. The engine is timed
on the same four rules too, and the occurrences both find are compared one by one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.monitoring import (
    EpisodeContext,
    Evaluation,
    MonitoredObservation,
    ObservationColumns,
    RuleSet,
    TransitionKind,
    evaluate,
    evaluate_columns,
    load_rule_set,
)
from engraft.monitoring.columns import NOT_RECORDED
from engraft.vocabulary import GraftSource, TransplantType
from monitoring_ward import (
    ANC,
    BILI_MG,
    BILI_UMOL,
    CODES,
    CREATININE,
    DAY0,
    GRAFT_SOURCES,
    PLATELETS,
    Ward,
)

PEER_RULES = ("anc-below-0-5", "platelets-below-10", "bilirubin-2-mg-dl", "creatinine-doubling")
_DAY0_US = int(dt.datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=dt.UTC).timestamp()) * 1_000_000
_US_PER_DAY = 86_400_000_000
BILIRUBIN_UMOL_PER_MG_DL = 17.1

Occurrence = tuple[int, str, int]
"""(episode index, rule id, first observed time in microseconds since the epoch)."""


@dataclass(frozen=True, slots=True)
class BatchInput:
    contexts: list[EpisodeContext]
    series: list[list[MonitoredObservation]]
    """Empty lists when only the columns were built."""
    columns: list[ObservationColumns]
    as_of: dt.datetime


def _as_of(ward: Ward) -> dt.datetime:
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    last = int(ward.observed_us.max())
    return epoch + dt.timedelta(microseconds=last - last % _US_PER_DAY + _US_PER_DAY - 1)


def build_contexts(ward: Ward) -> list[EpisodeContext]:
    return [
        EpisodeContext(
            patient_id=i + 1,
            episode_id=i + 1,
            day0=DAY0,
            age_at_day0=int(ward.age[i]),
            graft_source=GraftSource(GRAFT_SOURCES[ward.graft[i]]),
            transplant_type=TransplantType.ALLOGENEIC if ward.allogeneic[i] else TransplantType.AUTOLOGOUS,
            platelet_transfusion_days=ward.platelet_transfusion_days[i] or None,
        )
        for i in range(ward.patients)
    ]


def build_columns(ward: Ward) -> list[ObservationColumns]:
    """Each episode's results as columns, from the ward's arrays (ids as in :func:`build_input`): no typed model
    per result, as the registry can build them from a query's columns."""
    bounds = np.searchsorted(ward.episode, np.arange(ward.patients + 1))
    ids = np.arange(1, ward.size + 1, dtype=np.int64)
    codes = tuple(c for c, _ in CODES)
    units = tuple(dict.fromkeys(u for _, u in CODES))
    unit_of_code = np.array([units.index(u) for _, u in CODES], dtype=np.int64)
    code = ward.code.astype(np.int64)
    unit = unit_of_code[code]
    not_recorded = np.full(ward.size, NOT_RECORDED, dtype=np.int64)
    return [
        ObservationColumns(
            id=ids[a:b],
            observed_us=ward.observed_us[a:b],
            recorded_us=not_recorded[a:b],
            code=code[a:b],
            codes=codes,
            value=ward.value[a:b],
            unit=unit[a:b],
            units=units,
        )
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    ]


ResultRow = tuple[int, dt.datetime, None, str, float, str]


def ward_rows(ward: Ward) -> list[list[ResultRow]]:
    """Each episode's results as ``(id, observed_at, recorded_at, loinc, value, unit)`` rows of Python values (aware
    datetimes), as a database driver returns them."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    codes = [c for c, _ in CODES]
    units = [u for _, u in CODES]
    rows: list[list[ResultRow]] = [[] for _ in range(ward.patients)]
    for i, (episode, at, code, value) in enumerate(
        zip(ward.episode.tolist(), ward.observed_us.tolist(), ward.code.tolist(), ward.value.tolist(), strict=True)
    ):
        rows[episode].append((i + 1, epoch + dt.timedelta(microseconds=at), None, codes[code], value, units[code]))
    return rows


def build_columns_from_rows(
    rows: list[list[tuple[int, dt.datetime, None, str, float, str]]],
) -> list[ObservationColumns]:
    """The same columns through :meth:`ObservationColumns.from_rows`."""
    return [ObservationColumns.from_rows(r) for r in rows]


def build_input(ward: Ward, typed: bool = True) -> BatchInput:
    """The evaluator's inputs: one context per episode, its columns and (``typed``) its
    :class:`MonitoredObservation` list."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    contexts = build_contexts(ward)
    series: list[list[MonitoredObservation]] = [[] for _ in range(ward.patients)]
    if not typed:
        return BatchInput(contexts, series, build_columns(ward), _as_of(ward))
    codes = [c for c, _ in CODES]
    units = [u for _, u in CODES]
    for i, (episode, at, code, value) in enumerate(
        zip(ward.episode.tolist(), ward.observed_us.tolist(), ward.code.tolist(), ward.value.tolist(), strict=True)
    ):
        series[episode].append(
            MonitoredObservation(
                id=i + 1,
                observed_at=epoch + dt.timedelta(microseconds=at),
                loinc=codes[code],
                value=value,
                unit=units[code],
            )
        )
    return BatchInput(contexts, series, build_columns(ward), _as_of(ward))


@dataclass(frozen=True, slots=True)
class EngineRun:
    seconds: float
    cpu_seconds: float
    """The process's CPU time over the same run (less sensitive than wall time to other processes' load)."""
    evaluations: int
    detections: Counter[str]
    raised: int
    occurrences: set[Occurrence]
    digest: str
    """SHA-256 (first 16 hex digits) of every evaluation's repr, episode by episode: detections with their
    explanations, evidence ids and citations, and transitions (to compare two engines' results exactly)."""


def run_engine(rule_set: RuleSet, data: BatchInput, typed: bool = False, repeat: int = 1) -> EngineRun:
    """Evaluate every episode once (no alerts on file) and count what was found: from the columns
    (:func:`evaluate_columns`), or from the typed observations (:func:`evaluate`). With ``repeat`` > 1 the whole
    run is repeated and the shortest wall and CPU times are kept."""
    runs = [_run_engine(rule_set, data, typed) for _ in range(max(repeat, 1))]
    best = min(runs, key=lambda r: r.seconds)
    return EngineRun(
        best.seconds,
        min(r.cpu_seconds for r in runs),
        best.evaluations,
        best.detections,
        best.raised,
        best.occurrences,
        best.digest,
    )


def _run_engine(rule_set: RuleSet, data: BatchInput, typed: bool) -> EngineRun:
    detections: Counter[str] = Counter()
    occurrences: set[Occurrence] = set()
    raised = 0
    results: list[Evaluation]
    start = time.perf_counter()
    cpu_start = time.process_time()
    if typed:
        results = [
            evaluate(rule_set, context, observations, data.as_of)
            for context, observations in zip(data.contexts, data.series, strict=True)
        ]
    else:
        results = [
            evaluate_columns(rule_set, context, columns, data.as_of)
            for context, columns in zip(data.contexts, data.columns, strict=True)
        ]
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    for index, result in enumerate(results):
        for d in result.detections:
            detections[d.rule_id] += 1
            at = d.detected_at.astimezone(dt.UTC)
            occurrences.add((index, d.rule_id, int(at.timestamp()) * 1_000_000 + at.microsecond))
        raised += sum(t.kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED) for t in result.transitions)
    digest = hashlib.sha256("\n".join(repr(r) for r in results).encode()).hexdigest()[:16]
    return EngineRun(seconds, cpu_seconds, len(results), detections, raised, occurrences, digest)


def only(rule_set: RuleSet, rule_ids: tuple[str, ...]) -> RuleSet:
    return rule_set.model_copy(update={"rules": tuple(r for r in rule_set.rules if r.id in rule_ids)})


def _run_starts(
    episode: npt.NDArray[np.int32], at: npt.NDArray[np.int64], meets: npt.NDArray[np.bool_]
) -> npt.NDArray[np.intp]:
    """Positions (in the given order: by episode, then time) where a run of results meeting the rule starts."""
    previous = np.concatenate(([False], meets[:-1]))
    same_episode = np.concatenate(([False], episode[1:] == episode[:-1]))
    return np.flatnonzero(meets & ~(previous & same_episode))


def run_peer(ward: Ward, day_from: int = 0, day_to: int = 100) -> tuple[float, float, set[Occurrence]]:
    """The four threshold rules in NumPy over the whole ward; wall and CPU seconds and the occurrences found."""
    start = time.perf_counter()
    cpu_start = time.process_time()
    found: list[tuple[str, npt.NDArray[np.int32], npt.NDArray[np.int64]]] = []
    day = (ward.observed_us - _DAY0_US) // _US_PER_DAY
    in_window = (day >= day_from) & (day <= day_to)
    # the ward's columns are sorted by (episode, time): a boolean selection keeps that order
    for rule_id, codes, threshold in (("anc-below-0-5", ANC, 0.5), ("platelets-below-10", PLATELETS, 10.0)):
        pick = in_window & (ward.code == codes)
        e, t = ward.episode[pick], ward.observed_us[pick]
        s = _run_starts(e, t, ward.value[pick] < threshold)
        found.append((rule_id, e[s], t[s]))
    pick = in_window & ((ward.code == BILI_MG) | (ward.code == BILI_UMOL))
    mg = np.where(ward.code[pick] == BILI_UMOL, ward.value[pick] / BILIRUBIN_UMOL_PER_MG_DL, ward.value[pick])
    e, t = ward.episode[pick], ward.observed_us[pick]
    s = _run_starts(e, t, mg >= 2.0)
    found.append(("bilirubin-2-mg-dl", e[s], t[s]))
    creat = ward.code == CREATININE
    e_all, t_all, v_all, d_all = ward.episode[creat], ward.observed_us[creat], ward.value[creat], day[creat]
    before = d_all < 0
    # baseline: the last value before day 0 of each episode (positions sorted by episode and time)
    last_before = np.full(ward.patients, -1, np.int64)
    positions = np.flatnonzero(before)
    last_before[e_all[positions]] = positions  # later positions overwrite earlier ones
    has_baseline = last_before[e_all] >= 0
    baseline = np.where(has_baseline, v_all[np.maximum(last_before[e_all], 0)], np.nan)
    watched = (d_all >= day_from) & (d_all <= day_to) & has_baseline & (baseline > 0)
    e, t = e_all[watched], t_all[watched]
    s = _run_starts(e, t, v_all[watched] / baseline[watched] >= 2.0)
    found.append(("creatinine-doubling", e[s], t[s]))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    occurrences = {(int(ep), rule, int(at)) for rule, eps, ats in found for ep, at in zip(eps, ats, strict=True)}
    return seconds, cpu_seconds, occurrences


def default_rules() -> RuleSet:
    return load_rule_set()
