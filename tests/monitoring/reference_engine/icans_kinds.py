"""ICANS as a rule kind, written again for the reference: typed observations one by one, the ASTCT table by hand.

Independent of :mod:`engraft.monitoring.icans_kinds` but for its wording (the phrases and labels, imported) and
its parameter class (the rule file is read with it). Each finding's grade comes from the ASTCT ICANS table
(Lee 2019, clinical-scores.md section 8.3) written out below, not from :func:`engraft.grading.grade_icans`:
ICE 7-9 grade 1, 3-6 grade 2, 0-2 grade 3; consciousness level = grade; a rapidly resolving seizure 3, a
life-threatening one 4; deep focal motor weakness 4; focal oedema 3, diffuse oedema and the other raised-ICP
signs 4. The ICANS grade is the highest. A value between two levels counts as the worse of them.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

from engraft.grading import (
    ASTCT_ICANS_RULE,
    ConsciousnessLevel,
    GradingRule,
    IcansDomain,
    MotorFinding,
    RaisedIcpFinding,
    Seizure,
)
from engraft.monitoring.findings import Finding
from engraft.monitoring.icans_kinds import (
    DOMAIN_LABELS,
    EVERY_DOMAIN,
    FINDING_LABELS,
    FINDING_SEEN,
    GRADED_FINDING,
    ICANS_GRADED,
    ICANS_GRADED_AGE_UNKNOWN,
    ICANS_NOT_GRADED_CHILD,
    ICE_FINDING,
    ICE_SEEN,
    LOWER_BOUND,
    IcansParameters,
)
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.vocabulary.phrases import Phrase

_ICE = "ENGRAFT-ICE"
_ORDINAL: Final = {
    # code: (domain, highest level, grade of each level, label of each level)
    "ENGRAFT-ICANSLOC": (
        IcansDomain.CONSCIOUSNESS,
        (0, 1, 2, 3, 4),
        (
            None,
            FINDING_LABELS[ConsciousnessLevel.AWAKENS_SPONTANEOUSLY],
            FINDING_LABELS[ConsciousnessLevel.AWAKENS_TO_VOICE],
            FINDING_LABELS[ConsciousnessLevel.AWAKENS_ONLY_TO_TACTILE_STIMULUS],
            FINDING_LABELS[ConsciousnessLevel.UNAROUSABLE],
        ),
    ),
    "ENGRAFT-SEIZURE": (
        IcansDomain.SEIZURE,
        (0, 3, 4),
        (None, FINDING_LABELS[Seizure.RAPIDLY_RESOLVING], FINDING_LABELS[Seizure.LIFE_THREATENING]),
    ),
    "ENGRAFT-MOTORWK": (IcansDomain.MOTOR, (0, 4), (None, FINDING_LABELS[MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS])),
    "ENGRAFT-OEDEMA": (
        IcansDomain.RAISED_ICP,
        (0, 3, 4),
        (None, FINDING_LABELS[RaisedIcpFinding.FOCAL_OEDEMA], FINDING_LABELS[RaisedIcpFinding.DIFFUSE_OEDEMA]),
    ),
    "ENGRAFT-POSTURE": (
        IcansDomain.RAISED_ICP,
        (0, 4),
        (None, FINDING_LABELS[RaisedIcpFinding.DECEREBRATE_OR_DECORTICATE_POSTURING]),
    ),
    "ENGRAFT-CN6PALSY": (
        IcansDomain.RAISED_ICP,
        (0, 4),
        (None, FINDING_LABELS[RaisedIcpFinding.CRANIAL_NERVE_VI_PALSY]),
    ),
    "ENGRAFT-PAPILLOE": (IcansDomain.RAISED_ICP, (0, 4), (None, FINDING_LABELS[RaisedIcpFinding.PAPILLOEDEMA])),
    "ENGRAFT-CUSHING": (IcansDomain.RAISED_ICP, (0, 4), (None, FINDING_LABELS[RaisedIcpFinding.CUSHINGS_TRIAD])),
}
_CODES: Final = frozenset({_ICE, *_ORDINAL})


def _ice(value: float) -> int:
    return min(max(math.floor(value), 0), 10)


def _level(code: str, value: float) -> int:
    return min(max(math.ceil(value), 0), len(_ORDINAL[code][1]) - 1)


def _grade(o: MonitoredObservation) -> int:
    if o.loinc == _ICE:
        score = _ice(o.value)
        return 0 if score == 10 else 1 if score >= 7 else 2 if score >= 3 else 3
    return _ORDINAL[o.loinc][1][_level(o.loinc, o.value)]


def _worse(o: MonitoredObservation, than: MonitoredObservation) -> bool:
    if _grade(o) != _grade(than):
        return _grade(o) > _grade(than)
    return o.value < than.value if o.loinc == _ICE else o.value > than.value


def _moment(at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M}"


class IcansAdapter:
    kind = RuleKind.ICANS_GRADE
    parameters = IcansParameters
    published: GradingRule | None = ASTCT_ICANS_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        del rule_id, parameters

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, IcansParameters)
        seen = [o for o in series if o.loinc in _CODES and rule.applies.covers_day(context.day_of(o.observed_at))]
        gap = dt.timedelta(hours=p.new_after_hours)
        episodes: list[list[MonitoredObservation]] = []
        for o in (o for o in seen if _grade(o) > 0):
            if episodes and o.observed_at - episodes[-1][-1].observed_at <= gap:
                episodes[-1].append(o)
            else:
                episodes.append([o])
        found = []
        for number, episode in enumerate(episodes):
            end = episode[-1].observed_at + gap
            if number + 1 < len(episodes):
                end = min(end, episodes[number + 1][0].observed_at - dt.timedelta(microseconds=1))
            found.append(self._finding(rule, context, p, seen, episode, end))
        return found

    def _finding(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        p: IcansParameters,
        seen: list[MonitoredObservation],
        episode: list[MonitoredObservation],
        end: dt.datetime,
    ) -> Finding:
        onset = episode[0]
        worst: dict[str, MonitoredObservation] = {}
        for o in episode:
            if o.loinc not in worst or _worse(o, worst[o.loinc]):
                worst[o.loinc] = o
        shown = sorted(worst.values(), key=lambda o: (o.observed_at, o.id))
        params = {"onset": _moment(onset.observed_at), "day": f"{context.day_of(onset.observed_at):+d}"}
        age = context.age_at_day0
        if age is not None and age < 12:
            items = [
                ICE_SEEN(value=f"{_ice(o.value)}/10", at=_moment(o.observed_at))
                if o.loinc == _ICE
                else FINDING_SEEN(finding=self._label(o)(), at=_moment(o.observed_at))
                for o in shown
            ]
            explanation = ICANS_NOT_GRADED_CHILD(**params, age=str(age), findings=", ".join(items))
            severity = p.not_graded_severity
            graded: int | None = None
        else:
            grade = max(_grade(o) for o in shown)
            recorded = {
                IcansDomain.ENCEPHALOPATHY if o.loinc == _ICE else _ORDINAL[o.loinc][0]
                for o in seen
                if onset.observed_at <= o.observed_at <= end
            }
            missing = [DOMAIN_LABELS[d]() for d in IcansDomain if d not in recorded]
            items = [
                ICE_FINDING(value=f"{_ice(o.value)}/10", at=_moment(o.observed_at), grade=str(_grade(o)))
                if o.loinc == _ICE
                else GRADED_FINDING(finding=self._label(o)(), at=_moment(o.observed_at), grade=str(_grade(o)))
                for o in shown
            ]
            explanation = (ICANS_GRADED if age is not None else ICANS_GRADED_AGE_UNKNOWN)(
                **params,
                grade=str(grade),
                version=ASTCT_ICANS_RULE.version,
                findings=", ".join(items),
                completeness=LOWER_BOUND(missing=", ".join(missing)) if missing else EVERY_DOMAIN(),
            )
            severity = p.severity_by_grade[grade - 1]
            graded = grade
        if severity.rank < rule.severity.rank:
            severity = rule.severity
        return Finding(
            key="icans-" + onset.observed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            triggering=tuple(dict.fromkeys(o.id for o in [onset, *shown])),
            detected_at=onset.observed_at,
            result_time=onset.result_time,
            explanation=explanation,
            severity=severity,
            grade=graded,
        )

    @staticmethod
    def _label(o: MonitoredObservation) -> Phrase:
        label = _ORDINAL[o.loinc][2][_level(o.loinc, o.value)]
        assert label is not None
        return label


ICANS_ADAPTERS: Final = (IcansAdapter(),)
