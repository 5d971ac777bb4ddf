"""ICANS (immune effector cell-associated neurotoxicity syndrome) after immune effector cells as a rule kind.

The ASTCT consensus (Lee 2019; :func:`engraft.grading.grade_icans`) grades ICANS 1-4 by the most severe of five
domains: the ICE score (patients >= 12 years), depressed consciousness, seizure, motor findings and raised
intracranial pressure / cerebral oedema. Each finding arrives as an observation of its own, under a local Engraft
code (no LOINC code was found for any of them; :data:`ICANS_CODES`, listed in the observation catalogue):

- ``ENGRAFT-ICE`` the ICE score, 0-10 ``{score}``;
- ``ENGRAFT-ICANSLOC`` depressed consciousness 0-4 (not depressed, awakens spontaneously, to voice, only to
  tactile stimulus, unarousable), ``ENGRAFT-SEIZURE`` 0-2 (none, resolving rapidly, life-threatening),
  ``ENGRAFT-MOTORWK`` deep focal motor weakness, ``ENGRAFT-OEDEMA`` 0-2 (none, focal, diffuse on imaging),
  ``ENGRAFT-POSTURE``, ``ENGRAFT-CN6PALSY``, ``ENGRAFT-PAPILLOE``, ``ENGRAFT-CUSHING`` (1 present / 0 absent),
  all in ``1``. A value between two levels counts as the worse of them (never better than recorded).

For an episode whose rule applies (the shipped rule: immune effector cell episodes, day 0 to +30):

- Every observation that alone gives a grade >= 1 (an ICE score below 10, any finding above 0) starts an ICANS
  episode, unless it comes within ``new_after_hours`` of the previous one (then it belongs to it). One alert per
  ICANS episode, open until a clinician resolves it: an ICE back to 10 on treatment does not end ICANS.
- Its grade is :func:`~engraft.grading.grade_icans` of the worst finding of each domain so far (the grade is the
  most severe domain, so the worst of each domain gives the worst grade reached). A domain with no observation in
  the episode counts as no finding, so the grade is a lower bound and the explanation names the domains missing;
  attribution to another cause (e.g. sedation) is not an observation and is left to the clinician. A missing ICE
  stands in as a full score (10, no encephalopathy grade), the ICE total as an assessment with that many items.
- Its severity is the rule's ``severity_by_grade`` for the grade (never below the rule's own severity): a worse
  grade of a higher severity escalates the open alert of the same key, with the new explanation.
- Children under 12 at day 0 are not graded: the ICE does not apply to them, and the paediatric CAPD table is
  unverified (``engraft.grading.ASTCT_ICANS_CAPD_RULE``). Their neurological findings give one alert per episode
  at ``not_graded_severity`` saying so. An unknown age is graded as the ICE path (>= 12 years), which the
  explanation says.

An ICANS episode is judged by the rule set in force when its first finding was recorded (its key is that time).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from functools import lru_cache
from typing import Final

import numpy as np
from pydantic import Field, field_validator

from engraft.grading import (
    ASTCT_ICANS_RULE,
    ConsciousnessLevel,
    EncephalopathyTool,
    GradingRule,
    IcansDomain,
    IcansFindings,
    IceAssessment,
    MotorFinding,
    RaisedIcpFinding,
    Seizure,
    grade_icans,
)
from engraft.grading.icans import ICE_MIN_AGE_YEARS
from engraft.grading.ice_score import ICE_MAX
from engraft.monitoring.episode_series import EpisodeSeries, Rows
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters, Severity
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.vocabulary.phrases import Phrase

ICE: Final = "ENGRAFT-ICE"
CONSCIOUSNESS: Final = "ENGRAFT-ICANSLOC"
SEIZURE: Final = "ENGRAFT-SEIZURE"
MOTOR: Final = "ENGRAFT-MOTORWK"
OEDEMA: Final = "ENGRAFT-OEDEMA"
POSTURING: Final = "ENGRAFT-POSTURE"
CN_VI_PALSY: Final = "ENGRAFT-CN6PALSY"
PAPILLOEDEMA: Final = "ENGRAFT-PAPILLOE"
CUSHINGS_TRIAD: Final = "ENGRAFT-CUSHING"
ICANS_CODES: Final = (ICE, CONSCIOUSNESS, SEIZURE, MOTOR, OEDEMA, POSTURING, CN_VI_PALSY, PAPILLOEDEMA, CUSHINGS_TRIAD)
"""The codes the kind reads, whatever its parameters say."""
US_PER_HOUR: Final = 3_600_000_000

_LEVELS: Final = tuple(ConsciousnessLevel)
_SEIZURES: Final = (Seizure.NONE, Seizure.RAPIDLY_RESOLVING, Seizure.LIFE_THREATENING)
_OEDEMA: Final = (None, RaisedIcpFinding.FOCAL_OEDEMA, RaisedIcpFinding.DIFFUSE_OEDEMA)
_ICP_SIGNS: Final = {
    POSTURING: RaisedIcpFinding.DECEREBRATE_OR_DECORTICATE_POSTURING,
    CN_VI_PALSY: RaisedIcpFinding.CRANIAL_NERVE_VI_PALSY,
    PAPILLOEDEMA: RaisedIcpFinding.PAPILLOEDEMA,
    CUSHINGS_TRIAD: RaisedIcpFinding.CUSHINGS_TRIAD,
}
DOMAIN_OF: Final = {
    ICE: IcansDomain.ENCEPHALOPATHY,
    CONSCIOUSNESS: IcansDomain.CONSCIOUSNESS,
    SEIZURE: IcansDomain.SEIZURE,
    MOTOR: IcansDomain.MOTOR,
    **dict.fromkeys((OEDEMA, *_ICP_SIGNS), IcansDomain.RAISED_ICP),
}

ICANS_GRADED: Final = Phrase(
    "ICANS grade {grade} from {onset} UTC, day {day} after immune effector cell infusion ({version}): {findings}. "
    "{completeness} Check that no finding is attributable to another cause (e.g. sedation)."
)
ICANS_GRADED_AGE_UNKNOWN: Final = Phrase(
    "ICANS grade {grade} from {onset} UTC, day {day} after immune effector cell infusion ({version}): {findings}. "
    "{completeness} Age at day 0 unknown: graded by the ICE, which applies from 12 years. Check that no finding is "
    "attributable to another cause (e.g. sedation)."
)
ICANS_NOT_GRADED_CHILD: Final = Phrase(
    "Neurological findings from {onset} UTC, day {day} after immune effector cell infusion, in a child of {age} "
    "years at day 0: {findings}. Not graded: the ICE applies from 12 years, and the paediatric CAPD table is "
    "unverified in Engraft; assess with the CAPD."
)
LOWER_BOUND: Final = Phrase("Not recorded: {missing}; the grade is a lower bound.")
EVERY_DOMAIN: Final = Phrase("Every ICANS domain was recorded.")
ICE_FINDING: Final = Phrase("ICE score {value} at {at} UTC (grade {grade})")
GRADED_FINDING: Final = Phrase("{finding} at {at} UTC (grade {grade})")
ICE_SEEN: Final = Phrase("ICE score {value} at {at} UTC")
FINDING_SEEN: Final = Phrase("{finding} at {at} UTC")
DOMAIN_LABELS: Final = {
    IcansDomain.ENCEPHALOPATHY: Phrase("ICE score"),
    IcansDomain.CONSCIOUSNESS: Phrase("level of consciousness"),
    IcansDomain.SEIZURE: Phrase("seizure"),
    IcansDomain.MOTOR: Phrase("motor findings"),
    IcansDomain.RAISED_ICP: Phrase("raised intracranial pressure or cerebral oedema"),
}
"""How the explanation names a domain (short, no comma outside parentheses: the list reads as a list)."""
FINDING_LABELS: Final = {
    ConsciousnessLevel.AWAKENS_SPONTANEOUSLY: Phrase("depressed consciousness (awakens spontaneously)"),
    ConsciousnessLevel.AWAKENS_TO_VOICE: Phrase("depressed consciousness (awakens to voice)"),
    ConsciousnessLevel.AWAKENS_ONLY_TO_TACTILE_STIMULUS: Phrase(
        "depressed consciousness (awakens only to tactile stimulus)"
    ),
    ConsciousnessLevel.UNAROUSABLE: Phrase("depressed consciousness (unarousable, stupor or coma)"),
    Seizure.RAPIDLY_RESOLVING: Phrase("seizure resolving rapidly (or EEG seizures resolving with intervention)"),
    Seizure.LIFE_THREATENING: Phrase("life-threatening seizure (prolonged > 5 min, or repetitive)"),
    MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS: Phrase("deep focal motor weakness"),
    RaisedIcpFinding.FOCAL_OEDEMA: Phrase("focal cerebral oedema on neuroimaging"),
    RaisedIcpFinding.DIFFUSE_OEDEMA: Phrase("diffuse cerebral oedema on neuroimaging"),
    RaisedIcpFinding.DECEREBRATE_OR_DECORTICATE_POSTURING: Phrase("decerebrate or decorticate posturing"),
    RaisedIcpFinding.CRANIAL_NERVE_VI_PALSY: Phrase("cranial nerve VI palsy"),
    RaisedIcpFinding.PAPILLOEDEMA: Phrase("papilloedema"),
    RaisedIcpFinding.CUSHINGS_TRIAD: Phrase("Cushing's triad"),
}
SEPARATOR: Final = ", "
"""Findings are listed as the pages read a list (no comma outside parentheses inside a finding)."""

Reading = ConsciousnessLevel | Seizure | MotorFinding | RaisedIcpFinding | int | None
"""What one observation says: an ICE score (int), one finding of the grading module, or no ICP finding (None)."""


class IcansParameters(RuleParameters):
    new_after_hours: int = Field(
        default=72, ge=1, le=24 * 14, strict=True, description="A finding this long after the last starts a new one."
    )
    severity_by_grade: tuple[Severity, Severity, Severity, Severity] = Field(
        default=(Severity.INFO, Severity.WARNING, Severity.CRITICAL, Severity.CRITICAL),
        description="The alert's severity at ICANS grade 1, 2, 3 and 4 (a centre's choice; ASTCT sets none).",
    )
    not_graded_severity: Severity = Field(
        default=Severity.WARNING, description="The severity of a child's findings (under 12: not graded)."
    )

    @field_validator("severity_by_grade")
    @classmethod
    def _never_quieter(cls, value: tuple[Severity, ...]) -> tuple[Severity, ...]:
        ranks = [s.rank for s in value]
        if ranks != sorted(ranks):
            raise ValueError(
                f"severity_by_grade={[s.value for s in value]}; expected a severity per grade 1-4 never lower than "
                "the grade below's"
            )
        return value


def reading(code: str, value: float) -> Reading:
    """What an observation of ``code`` with ``value`` says (a value between two levels: the worse of them)."""
    if code == ICE:
        return min(max(math.floor(value), 0), ICE_MAX)
    level = max(math.ceil(value), 0)
    if code == CONSCIOUSNESS:
        return _LEVELS[min(level, len(_LEVELS) - 1)]
    if code == SEIZURE:
        return _SEIZURES[min(level, len(_SEIZURES) - 1)]
    if code == MOTOR:
        return MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS if level else MotorFinding.NONE
    if code == OEDEMA:
        return _OEDEMA[min(level, len(_OEDEMA) - 1)]
    if code in _ICP_SIGNS:
        return _ICP_SIGNS[code] if level else None
    raise ValueError(f"code={code!r} is not an ICANS finding; expected one of {', '.join(ICANS_CODES)}")


def ice_assessment(total: int) -> IceAssessment:
    """An ICE assessment with ``total`` points (the first ``total`` items done): the ICE grade reads the total only."""
    if not 0 <= total <= ICE_MAX:
        raise ValueError(f"ICE total={total}; expected 0-{ICE_MAX}")
    return IceAssessment(**{name: i < total for i, name in enumerate(IceAssessment.model_fields)})


def findings_of(readings: list[Reading], age_years: int) -> IcansFindings:
    """The grading input of ``readings`` (the worst of each domain; a missing ICE as a full score)."""
    ice = min((r for r in readings if type(r) is int), default=ICE_MAX)
    levels = [r for r in readings if isinstance(r, ConsciousnessLevel)]
    seizures = [r for r in readings if isinstance(r, Seizure)]
    return IcansFindings(
        age_years=age_years,
        tool=EncephalopathyTool.ICE,
        ice=ice_assessment(ice),
        consciousness=max(levels, key=_LEVELS.index, default=ConsciousnessLevel.NOT_DEPRESSED),
        seizure=max(seizures, key=_SEIZURES.index, default=Seizure.NONE),
        motor=MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS
        if MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS in readings
        else MotorFinding.NONE,
        raised_icp=frozenset(r for r in readings if isinstance(r, RaisedIcpFinding)),
    )


@lru_cache(maxsize=4096)
def reading_grade(code: str, value: float) -> int:
    """The ICANS grade one observation alone gives (0: no finding)."""
    return grade_icans(findings_of([reading(code, value)], ICE_MIN_AGE_YEARS)).value


class IcansAdapter:
    kind = RuleKind.ICANS_GRADE
    parameters = IcansParameters
    published: GradingRule | None = ASTCT_ICANS_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, IcansParameters)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, IcansParameters)
        rows = series.rows_of(ICANS_CODES)
        days = series.day[rows]
        rows = rows[(days >= rule.applies.day_from) & (days <= rule.applies.day_to)]
        if not len(rows):
            return []
        codes = [series.code_of(int(r)) for r in rows]
        grades = np.array(
            [reading_grade(code, float(v)) for code, v in zip(codes, series.value[rows].tolist(), strict=True)]
        )
        abnormal = rows[grades > 0]
        if not len(abnormal):
            return []
        gap_us = p.new_after_hours * US_PER_HOUR
        times = series.observed_us[abnormal]
        starts = np.flatnonzero(np.concatenate(([True], np.diff(times) > gap_us)))
        bounds = [*starts.tolist(), len(abnormal)]
        episode = _Episode(rule, context, series, p, rows)
        findings = []
        for number, (a, b) in enumerate(itertools.pairwise(bounds)):
            end_us = int(times[b - 1]) + gap_us
            if number + 1 < len(starts):
                end_us = min(end_us, int(times[b]) - 1)
            findings.append(episode.finding(abnormal[a:b], end_us))
        return findings


def _moment(at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M}"


class _Episode:
    """The ICANS observations of one rule evaluation, and the finding of each ICANS episode."""

    def __init__(
        self, rule: MonitoringRule, context: EpisodeContext, series: EpisodeSeries, p: IcansParameters, rows: Rows
    ) -> None:
        self.rule, self.context, self.series, self.p, self.rows = rule, context, series, p, rows

    def finding(self, abnormal: Rows, end_us: int) -> Finding:
        series, context = self.series, self.context
        onset = series.observation(int(abnormal[0]))
        at = series.observed_us[self.rows]
        during = self.rows[(at >= int(series.observed_us[abnormal[0]])) & (at <= end_us)]
        shown = _worst_of_each(series, abnormal)
        params = {"onset": _moment(onset.observed_at), "day": f"{context.day_of(onset.observed_at):+d}"}
        age = context.age_at_day0
        if age is not None and age < ICE_MIN_AGE_YEARS:
            items = [_seen(o, r) for o, r, _ in shown]
            explanation = ICANS_NOT_GRADED_CHILD(**params, age=str(age), findings=SEPARATOR.join(items))
            severity = self.p.not_graded_severity
            graded: int | None = None
        else:
            grade = grade_icans(findings_of([r for _, r, _ in shown], ICE_MIN_AGE_YEARS if age is None else age))
            recorded = {DOMAIN_OF[series.code_of(int(r))] for r in during}
            missing = [DOMAIN_LABELS[d]() for d in IcansDomain if d not in recorded]
            phrase = ICANS_GRADED if age is not None else ICANS_GRADED_AGE_UNKNOWN
            explanation = phrase(
                **params,
                grade=str(grade.value),
                version=grade.rule.version,
                findings=SEPARATOR.join(_graded(o, r, g) for o, r, g in shown),
                completeness=LOWER_BOUND(missing=SEPARATOR.join(missing)) if missing else EVERY_DOMAIN(),
            )
            severity = self.p.severity_by_grade[grade.value - 1]
            graded = grade.value
        if severity.rank < self.rule.severity.rank:
            severity = self.rule.severity
        used = [onset, *(o for o, _, _ in shown)]
        return Finding(
            key="icans-" + onset.observed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            triggering=tuple(dict.fromkeys(o.id for o in used)),
            detected_at=onset.observed_at,
            result_time=onset.result_time,
            explanation=explanation,
            severity=severity,
            grade=graded,
        )


def _worst_of_each(series: EpisodeSeries, abnormal: Rows) -> list[tuple[MonitoredObservation, Reading, int]]:
    """The first observation of the worst reading of each code (each ICP sign its own), in time order."""
    worst: dict[str, tuple[int, tuple[int, float]]] = {}
    for position in abnormal.tolist():
        code, value = series.code_of(position), float(series.value[position])
        rank = (reading_grade(code, value), -value if code == ICE else value)
        held = worst.get(code)
        if held is None or rank > held[1]:
            worst[code] = (position, rank)
    chosen = sorted((position, rank[0]) for position, rank in worst.values())
    return [(series.observation(p), reading(series.code_of(p), float(series.value[p])), g) for p, g in chosen]


def _label(found: Reading) -> str:
    if found is None or isinstance(found, int):
        raise ValueError(f"finding={found!r} has no label; expected one of the grading module's findings")
    return FINDING_LABELS[found]()


def _graded(observation: MonitoredObservation, found: Reading, grade: int) -> str:
    at = _moment(observation.observed_at)
    if isinstance(found, int):
        return ICE_FINDING(value=f"{found}/{ICE_MAX}", at=at, grade=str(grade))
    return GRADED_FINDING(finding=_label(found), at=at, grade=str(grade))


def _seen(observation: MonitoredObservation, found: Reading) -> str:
    at = _moment(observation.observed_at)
    if isinstance(found, int):
        return ICE_SEEN(value=f"{found}/{ICE_MAX}", at=at)
    return FINDING_SEEN(finding=_label(found), at=at)


ICANS_ADAPTERS: Final = (IcansAdapter(),)
