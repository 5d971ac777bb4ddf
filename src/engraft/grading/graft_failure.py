"""Primary and secondary graft failure and poor graft function (ASTCT harmonised definitions, 2021).

Definitions (Kharfan-Dabaja et al. 2021, read in two reproductions: the Table 1 of a 2024 Bone Marrow
Transplant article, PMC11161398, and the EBMT Handbook's section 41.2; hence ``secondary``):

* Primary graft failure: no ANC >= 0.5 x10^9/L achieved by day +30 after peripheral blood stem cells or
  unstimulated bone marrow, by day +42 after cord blood, with associated pancytopenia; donor chimerism
  testing confirms the suspicion.
* Secondary graft failure: a decline in haematopoietic function (haemoglobin and/or platelets and/or
  neutrophils) needing blood products or growth-factor support after the standard neutrophil and platelet
  recovery was met; donor chimerism testing confirms the suspicion.
* Poor graft function: frequent dependence on blood and/or platelet transfusions and/or growth factors,
  with no other explanation (relapse, drugs, infection), donor chimerism being at the desired level.

How Engraft reads them where the sources leave room (each also in the rule's ``notes``):

* "ANC >= 0.5 achieved by day +30" is read as the standard neutrophil recovery (the first of three values,
  :func:`~engraft.grading.engraftment.neutrophil_engraftment`) falling on or before the day limit, since the
  same harmonised table defines that recovery; a run of values that started by the limit but is not
  complete yet leaves the answer pending. A single value >= 0.5 is not enough.
* The pancytopenia and the chimerism that the definitions name are not quantified by them: the rules do
  not decide them and list them in ``to_confirm``. A met criterion is therefore a *suspicion*.
* Secondary graft failure is signalled by support (red cells, platelets, growth factor) given after the
  day both recoveries were complete; the count that fell after recovery is reported as evidence of the
  decline, which the definition does not quantify.
* Poor graft function as ASTCT words it ("frequent dependence") has no number, so it is not computed.
  :func:`poor_graft_function_operational` implements the operational reading that clinical-scores.md
  section 10.1 reports from EBMT and Chinese literature ([S]: >= 2 or 3 cytopenic lineages, ANC < 0.5,
  platelets < 20 x10^9/L, haemoglobin < 70 g/L, for >= 3 consecutive days beyond day +28, with
  hypocellular marrow and complete donor chimerism, no severe GVHD or relapse); no primary or authoritative
  source for it was read, so its rule is ``unverified``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator

from engraft.grading import sources
from engraft.grading.counts import CountMeasurement, CountSeries
from engraft.grading.engraftment import (
    EngraftmentResult,
    EngraftmentStatus,
    neutrophil_engraftment,
)
from engraft.grading.rule import GradingRule
from engraft.measurements import Dimension, Quantity, require_dimension
from engraft.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.clinical import GraftSource

PRIMARY_GRAFT_FAILURE_DAY_LIMIT: Final[dict[GraftSource, int]] = {
    GraftSource.PERIPHERAL_BLOOD: 30,
    GraftSource.BONE_MARROW: 30,
    GraftSource.CORD_BLOOD: 42,
}
"""Day from day 0 by which neutrophil recovery must be achieved (ASTCT 2021, per graft source)."""

COMPLETE_DONOR_CHIMERISM_PERCENT: Final = 95.0
"""Complete (full) donor chimerism: more than 95 % donor cells, myeloid and lymphoid (strictly above)."""


class GraftFailureStatus(StrEnum):
    CRITERION_MET = "criterion met"
    """The rule's criterion is met: graft failure is suspected, pending what ``to_confirm`` lists."""
    NOT_MET = "not met"
    PENDING = "pending"
    """Too early to tell: the day limit has not passed, or a run of qualifying values is incomplete."""
    NOT_APPLICABLE = "not applicable"
    """The rule's precondition is absent (e.g. no recovery yet for secondary graft failure)."""
    INSUFFICIENT_DATA = "insufficient data"


class SupportKind(StrEnum):
    RED_CELL_TRANSFUSION = "red cell transfusion"
    PLATELET_TRANSFUSION = "platelet transfusion"
    GROWTH_FACTOR = "growth factor"
    """Myeloid growth factor (G-CSF, GM-CSF) given."""


class Support(FrozenModel):
    """Blood product or growth factor given on a day from day 0."""

    day: int = Field(strict=True)
    kind: SupportKind


_TO_CONFIRM_PRIMARY: Final = ("associated pancytopenia", "donor chimerism testing")
_TO_CONFIRM_SECONDARY: Final = ("the decline needs the support (no other cause)", "donor chimerism testing")

PRIMARY_GRAFT_FAILURE_RULE: Final = GradingRule(
    name="primary graft failure",
    version="ASTCT 2021 (Kharfan-Dabaja)",
    statement=(
        "Neutrophil recovery (ANC >= 0.5 x10^9/L) not achieved by day +30 after peripheral blood stem cells or "
        "unstimulated bone marrow, by day +42 after cord blood, with associated pancytopenia."
    ),
    citations=(sources.KHARFAN_DABAJA_2021, sources.BMT_2024_ASTCT_TABLE, sources.VALCARCEL_2024),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "'Achieved by day +30' read as the standard neutrophil recovery day (first of three values) on or before "
        "the limit; a run started by the limit but not complete leaves the answer pending.",
        "The definition names unstimulated bone marrow; Engraft applies day +30 to all bone marrow grafts.",
        "Pancytopenia and donor chimerism are not quantified by the definition: listed to confirm, not decided.",
    ),
)

SECONDARY_GRAFT_FAILURE_RULE: Final = GradingRule(
    name="secondary graft failure",
    version="ASTCT 2021 (Kharfan-Dabaja)",
    statement=(
        "A decline in haematopoietic function needing blood products or growth-factor support after the "
        "standard neutrophil and platelet recovery was met."
    ),
    citations=(sources.KHARFAN_DABAJA_2021, sources.BMT_2024_ASTCT_TABLE, sources.VALCARCEL_2024),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Signalled by support given after the day both recoveries were complete (the third qualifying value).",
        "The decline is not quantified by the definition; counts below the recovery thresholds after recovery "
        "are reported as its evidence.",
    ),
)

POOR_GRAFT_FUNCTION_OPERATIONAL_RULE: Final = GradingRule(
    name="poor graft function (operational: cytopenic lineages beyond day +28)",
    version="operational definition reported by clinical-scores.md 10.1 [S]",
    statement=(
        "At least two (or three) cytopenic lineages - ANC < 0.5 x10^9/L, platelets < 20 x10^9/L, haemoglobin "
        "< 70 g/L - each on at least 3 consecutive days beyond day +28, with complete donor chimerism, "
        "hypocellular marrow and no severe GVHD or relapse."
    ),
    citations=(sources.KHARFAN_DABAJA_2021, sources.BMT_2024_ASTCT_TABLE, sources.BADER_2024),
    verification=VerificationLevel.UNVERIFIED,
    notes=(
        "No primary or authoritative source of this operational definition was read; ASTCT's own definition "
        "('frequent dependence on transfusions or growth factors') has no number and is cited for context.",
        "'3 consecutive days' read as three values on consecutive calendar days, the lowest of a day counting.",
        "Transfusion dependence as a substitute for a low haemoglobin is not evaluated.",
        "Complete donor chimerism: > 95 % donor cells in myeloid and lymphoid compartments (EBMT Handbook ch. 21).",
    ),
)


class GraftFailureResult(FrozenModel):
    """One graft-failure definition applied: status, the evidence it rests on and the rule."""

    status: GraftFailureStatus
    as_of_day: int
    day_limit: int | None = Field(default=None, description="Primary graft failure: the day limit applied.")
    graft_source: GraftSource | None = None
    recovery_day: int | None = Field(default=None, description="Neutrophil recovery day found, if any.")
    observations: tuple[CountMeasurement, ...] = Field(description="The count values the decision rests on.")
    support: tuple[Support, ...] = Field(default=(), description="Support given after recovery (secondary).")
    to_confirm: tuple[str, ...] = Field(default=(), description="What the definition also needs, not decided here.")
    rule: GradingRule
    notes: tuple[str, ...] = ()


def primary_graft_failure(anc: CountSeries, graft_source: GraftSource, as_of_day: int) -> GraftFailureResult:
    """Primary graft failure criterion for ``anc`` (absolute neutrophil counts) as known on ``as_of_day``."""
    limit = PRIMARY_GRAFT_FAILURE_DAY_LIMIT[graft_source]
    known = CountSeries(measurements=tuple(m for m in anc.measurements if m.day <= as_of_day), day0=anc.day0)
    recovery = neutrophil_engraftment(known)
    evidence = tuple(m for m in known.daily_lowest() if 0 <= m.day <= limit)

    def result(
        status: GraftFailureStatus, observations: tuple[CountMeasurement, ...], *notes: str
    ) -> GraftFailureResult:
        return GraftFailureResult(
            status=status,
            as_of_day=as_of_day,
            day_limit=limit,
            graft_source=graft_source,
            recovery_day=recovery.day,
            observations=observations,
            to_confirm=_TO_CONFIRM_PRIMARY if status is GraftFailureStatus.CRITERION_MET else (),
            rule=PRIMARY_GRAFT_FAILURE_RULE,
            notes=notes,
        )

    if recovery.status is EngraftmentStatus.ENGRAFTED and recovery.day is not None and recovery.day <= limit:
        return result(GraftFailureStatus.NOT_MET, recovery.qualifying, f"neutrophil recovery on day {recovery.day}")
    if as_of_day <= limit:
        return result(GraftFailureStatus.PENDING, evidence, f"day limit {limit} not passed yet")
    if recovery.status is EngraftmentStatus.NOT_APPLICABLE and evidence:
        return result(GraftFailureStatus.NOT_MET, evidence, "the ANC never fell below 0.5 x10^9/L after day 0")
    if recovery.pending and recovery.pending[0].day <= limit:
        run = ", ".join(str(m.day) for m in recovery.pending)
        return result(GraftFailureStatus.PENDING, recovery.pending, f"values >= 0.5 on day(s) {run} may yet qualify")
    if not evidence:
        return result(GraftFailureStatus.INSUFFICIENT_DATA, (), f"no ANC value between day 0 and day {limit}")
    notes = [f"no neutrophil recovery by day {limit}"]
    if recovery.day is not None:
        notes.append(f"neutrophil recovery came later, on day {recovery.day}")
    return result(GraftFailureStatus.CRITERION_MET, evidence, *notes)


def secondary_graft_failure(
    neutrophils: EngraftmentResult, platelets: EngraftmentResult, support: Iterable[Support], as_of_day: int
) -> GraftFailureResult:
    """Secondary graft failure signal: support given after both recoveries (see the module docstring)."""
    given = tuple(sorted(set(support), key=lambda s: (s.day, s.kind.value)))
    if neutrophils.status is not EngraftmentStatus.ENGRAFTED or platelets.status is not EngraftmentStatus.ENGRAFTED:
        return GraftFailureResult(
            status=GraftFailureStatus.NOT_APPLICABLE,
            as_of_day=as_of_day,
            recovery_day=neutrophils.day,
            observations=(),
            rule=SECONDARY_GRAFT_FAILURE_RULE,
            notes=("neutrophil and platelet recovery have not both been met",),
        )
    complete = max(neutrophils.qualifying[-1].day, platelets.qualifying[-1].day)
    after = tuple(s for s in given if complete < s.day <= as_of_day)
    declines = tuple(m for m in (neutrophils.later_fall, platelets.later_fall) if m is not None and m.day <= as_of_day)
    status = GraftFailureStatus.CRITERION_MET if after else GraftFailureStatus.NOT_MET
    notes = [f"both recoveries complete on day {complete}"]
    if after:
        notes.append(f"support after recovery from day {after[0].day}: {', '.join(s.kind.value for s in after)}")
    return GraftFailureResult(
        status=status,
        as_of_day=as_of_day,
        recovery_day=neutrophils.day,
        observations=tuple(sorted(declines, key=lambda m: m.day)),
        support=after,
        to_confirm=_TO_CONFIRM_SECONDARY if after else (),
        rule=SECONDARY_GRAFT_FAILURE_RULE,
        notes=tuple(notes),
    )


class CytopenicLineage(StrEnum):
    NEUTROPHILS = "neutrophils"
    PLATELETS = "platelets"
    HAEMOGLOBIN = "haemoglobin"


PGF_ANC_BELOW: Final = 0.5
PGF_PLATELETS_BELOW: Final = 20.0
PGF_HAEMOGLOBIN_BELOW_G_PER_L: Final = 70.0
PGF_AFTER_DAY: Final = 28
PGF_CONSECUTIVE_DAYS: Final = 3


class HaemoglobinMeasurement(FrozenModel):
    """One haemoglobin value on a day from day 0, with its UCUM mass-concentration unit (g/L or g/dL)."""

    day: int = Field(strict=True)
    value: Quantity

    @field_validator("value")
    @classmethod
    def _mass_concentration(cls, value: Quantity) -> Quantity:
        return require_dimension(value, Dimension.MASS_CONCENTRATION, "haemoglobin")

    @property
    def g_per_l(self) -> float:
        return self.value.to("g/L")


class ChimerismResult(FrozenModel):
    """Donor chimerism in percent donor cells, by compartment."""

    myeloid_percent: float = Field(ge=0, le=100)
    lymphoid_percent: float = Field(ge=0, le=100)

    @property
    def complete(self) -> bool:
        """Both compartments above 95 % donor cells."""
        return min(self.myeloid_percent, self.lymphoid_percent) > COMPLETE_DONOR_CHIMERISM_PERCENT


class PoorGraftFunctionResult(FrozenModel):
    status: GraftFailureStatus
    cytopenic: dict[CytopenicLineage, tuple[int, ...]] = Field(
        description="Each cytopenic lineage and the first run of consecutive days (> day 28) it was low."
    )
    lineages_required: int
    chimerism: ChimerismResult | None
    to_confirm: tuple[str, ...]
    rule: GradingRule
    notes: tuple[str, ...] = ()


def poor_graft_function_operational(
    anc: CountSeries,
    platelets: CountSeries,
    haemoglobin: Iterable[HaemoglobinMeasurement],
    chimerism: ChimerismResult | None,
    lineages_required: int = 2,
) -> PoorGraftFunctionResult:
    """The operational poor-graft-function reading (``unverified``; see the module docstring)."""
    if lineages_required not in (2, 3):
        raise ValueError(f"lineages_required={lineages_required!r}; expected 2 or 3 cytopenic lineages")
    hb_by_day: dict[int, float] = {}
    for h in haemoglobin:
        hb_by_day[h.day] = min(h.g_per_l, hb_by_day.get(h.day, h.g_per_l))
    lows = {
        CytopenicLineage.NEUTROPHILS: _low_run({m.day: m.count for m in anc.daily_lowest()}, PGF_ANC_BELOW),
        CytopenicLineage.PLATELETS: _low_run({m.day: m.count for m in platelets.daily_lowest()}, PGF_PLATELETS_BELOW),
        CytopenicLineage.HAEMOGLOBIN: _low_run(hb_by_day, PGF_HAEMOGLOBIN_BELOW_G_PER_L),
    }
    cytopenic = {lineage: run for lineage, run in lows.items() if run}
    to_confirm = ["hypocellular marrow", "no severe GVHD or relapse", "no other explanation (drugs, infection)"]
    notes = []
    if len(cytopenic) < lineages_required:
        status = GraftFailureStatus.NOT_MET
    elif chimerism is None:
        status = GraftFailureStatus.CRITERION_MET
        to_confirm.insert(0, "complete donor chimerism (no result given)")
    elif chimerism.complete:
        status = GraftFailureStatus.CRITERION_MET
    else:
        status = GraftFailureStatus.NOT_MET
        notes.append("donor chimerism is not complete: cytopenias with incomplete chimerism suggest graft failure")
    return PoorGraftFunctionResult(
        status=status,
        cytopenic=cytopenic,
        lineages_required=lineages_required,
        chimerism=chimerism,
        to_confirm=tuple(to_confirm) if status is GraftFailureStatus.CRITERION_MET else (),
        rule=POOR_GRAFT_FUNCTION_OPERATIONAL_RULE,
        notes=tuple(notes),
    )


def _low_run(by_day: dict[int, float], below: float) -> tuple[int, ...]:
    """The first run of consecutive calendar days after day 28 with values below ``below`` (long enough)."""
    run: list[int] = []
    for day in sorted(d for d in by_day if d > PGF_AFTER_DAY):
        if by_day[day] < below and run and day == run[-1] + 1:
            run.append(day)
        elif by_day[day] < below:
            run = [day]
        else:
            run = []
        if len(run) == PGF_CONSECUTIVE_DAYS:
            return tuple(run)
    return ()
