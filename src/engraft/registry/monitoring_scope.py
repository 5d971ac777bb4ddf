"""What new results can change: the rules an evaluation of an episode must run, and the codes each rule reads.

An episode's monitoring is re-evaluated when results arrive. A rule's findings depend only on the results of
the LOINC codes it reads (:func:`codes_read`), on the episode's context and on the time of the evaluation, so
an evaluation triggered by results of some codes (:class:`EvaluationScope`) runs:

- every rule reading one of the new codes, over the episode's whole series of the codes it reads (a late or
  out-of-order result is therefore judged with everything before and after it);
- every rule whose findings change with time alone (:data:`TIME_DRIVEN_KINDS`: the "not engrafted by day X"
  deadlines and the graft-failure day limits);
- every rule with an alert on file not yet resolved (its escalation and its clearing at the end of its window
  are judged at evaluation time);
- every rule whose codes are not known here (a kind added to the engine without an entry below), and every rule
  when the scope is :data:`EVERYTHING` (a transfusion arrived, or the API or a test asks for a full evaluation).

:func:`codes_read` states for each :class:`~engraft.monitoring.RuleKind` which of its parameters name codes and
which codes its adapter reads by definition (tests/registry/test_monitoring_scope.py checks, for every kind,
that a rule evaluated on the results of its codes alone finds exactly what it finds on the whole series).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from engraft.grading.engraftment import Lineage
from engraft.monitoring import MonitoringRule, RuleKind
from engraft.monitoring.acute_gvhd_kinds import BILIRUBIN as GVHD_BILIRUBIN
from engraft.monitoring.acute_gvhd_kinds import BLOODY_STOOL, BULLAE, RASH, STOOL, UPPER_GI
from engraft.monitoring.acute_gvhd_kinds import WEIGHT as GVHD_WEIGHT
from engraft.monitoring.engraftment_kinds import CountCodes, NoEngraftmentParameters
from engraft.monitoring.icans_kinds import ICANS_CODES
from engraft.monitoring.series import ANC_CODES, PLATELET_CODES
from engraft.monitoring.sos_vod_kinds import BILIRUBIN_CODES as SOS_BILIRUBIN
from engraft.monitoring.sos_vod_kinds import WEIGHT_CODES as SOS_WEIGHT
from engraft.registry.result_hooks import CommittedResults

TIME_DRIVEN_KINDS: Final = frozenset(
    {RuleKind.NO_ENGRAFTMENT_BY_DAY, RuleKind.PRIMARY_GRAFT_FAILURE, RuleKind.SECONDARY_GRAFT_FAILURE}
)
"""Kinds whose findings can appear or change with the passing of time alone (a deadline day), not only with a
new result: run at every evaluation of an episode."""

_IMPLICIT_CODES: Final[dict[RuleKind, tuple[str, ...]]] = {
    RuleKind.SOS_VOD: (*SOS_BILIRUBIN, *SOS_WEIGHT),
    RuleKind.ACUTE_GVHD_GRADE: (RASH, BULLAE, STOOL, UPPER_GI, BLOODY_STOOL, GVHD_WEIGHT, *GVHD_BILIRUBIN),
    RuleKind.ICANS_GRADE: ICANS_CODES,
}
"""Codes a kind's adapter reads whatever its parameters say."""
_LINEAGE_CODES: Final = {Lineage.NEUTROPHIL: ANC_CODES, Lineage.PLATELET: PLATELET_CODES}
_DEFAULT_COUNT_CODES: Final[dict[RuleKind, tuple[str, ...]]] = {
    RuleKind.NEUTROPHIL_ENGRAFTMENT: ANC_CODES,
    RuleKind.PLATELET_ENGRAFTMENT: PLATELET_CODES,
}
"""The engraftment kinds read the lineage's catalogue codes when their ``loinc`` parameter is empty."""
_CODE_PARAMETERS: Final[dict[RuleKind, tuple[str, ...]]] = {
    RuleKind.NEUTROPHIL_ENGRAFTMENT: ("loinc",),
    RuleKind.PLATELET_ENGRAFTMENT: ("loinc",),
    RuleKind.NO_ENGRAFTMENT_BY_DAY: (),
    RuleKind.THRESHOLD: ("loinc",),
    RuleKind.RISE_FROM_BASELINE: ("loinc",),
    RuleKind.FEBRILE_NEUTROPENIA: ("temperature_loinc", "anc_loinc"),
    RuleKind.PRIMARY_GRAFT_FAILURE: ("anc_loinc", "platelet_loinc"),
    RuleKind.SECONDARY_GRAFT_FAILURE: ("anc_loinc", "platelet_loinc"),
    RuleKind.DNAEMIA: ("loinc",),
    RuleKind.ORGAN_TOXICITY: ("codes",),
    RuleKind.SOS_VOD: (),
    RuleKind.ACUTE_GVHD_GRADE: (),
    RuleKind.POSSIBLE_CRS: ("temperature_loinc", "systolic_loinc", "spo2_loinc", "oxygen_flow_loinc"),
    RuleKind.ICANS_GRADE: (),
}
"""The parameters of each kind that name the codes it reads (a kind missing here: codes unknown, always run)."""


def codes_read(rule: MonitoringRule) -> frozenset[str] | None:
    """The LOINC codes ``rule`` reads; ``None`` when its kind is not known here (run it on every evaluation)."""
    names = _CODE_PARAMETERS.get(rule.kind)
    if names is None:
        return None
    codes: set[str] = set(_IMPLICIT_CODES.get(rule.kind, ()))
    for name in names:
        value = getattr(rule.parameters, name)
        codes.update(value)
    parameters = rule.parameters
    if isinstance(parameters, CountCodes) and not parameters.loinc:
        codes.update(_DEFAULT_COUNT_CODES[rule.kind])
    if isinstance(parameters, NoEngraftmentParameters):
        codes.update(_LINEAGE_CODES[parameters.lineage])
    return frozenset(codes)


@dataclass(frozen=True, slots=True)
class EvaluationScope:
    """What arrived for an episode since its last evaluation: the codes of its new results, or everything."""

    codes: frozenset[str] | None
    """``None``: evaluate every rule (a full evaluation)."""

    @classmethod
    def of_codes(cls, codes: Iterable[str]) -> EvaluationScope:
        return cls(frozenset(codes))

    def merged(self, other: EvaluationScope) -> EvaluationScope:
        """Both scopes' results (an episode queued again before it was evaluated)."""
        if self.codes is None or other.codes is None:
            return EVERYTHING
        return EvaluationScope(self.codes | other.codes)

    def runs(self, rule: RuleReach, has_unresolved_alert: bool) -> bool:
        """Whether an evaluation of this scope runs the rule (see the module's description)."""
        if self.codes is None or has_unresolved_alert or rule.always:
            return True
        return rule.codes is not None and not rule.codes.isdisjoint(self.codes)


@dataclass(frozen=True, slots=True)
class RuleReach:
    """Of one rule id (all its versions): whether every evaluation runs it, and the codes it reads."""

    always: bool
    """A time-driven kind, or codes not known here."""
    codes: frozenset[str] | None
    """The codes its versions read; ``None``: not known (all are read for it)."""

    @classmethod
    def of(cls, versions: Iterable[MonitoringRule]) -> RuleReach:
        versions = list(versions)
        read = [codes_read(rule) for rule in versions]
        codes = None if None in read else frozenset().union(*(c for c in read if c is not None))
        return cls(codes is None or any(rule.kind in TIME_DRIVEN_KINDS for rule in versions), codes)


EVERYTHING: Final = EvaluationScope(None)
"""Every rule of every rule-file version: the full evaluation."""


def scope_of(committed: CommittedResults) -> EvaluationScope:
    """What a commit's results can change: the rules reading their codes; every rule when transfusions came or
    the codes are not stated."""
    if committed.transfusion_ids or committed.loinc_codes is None:
        return EVERYTHING
    return EvaluationScope.of_codes(committed.loinc_codes)
