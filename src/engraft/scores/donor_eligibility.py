"""Donor eligibility for HPC products under 21 CFR 1271 Subpart C (US FDA).

Checks the infectious-disease marker panel, the specimen timing relative to recovery, and the
donor screening, and returns one of: eligible; not eligible; or eligible with documented urgent
medical need (use is not prohibited when there is a documented urgent medical need, 1271.60(d) for
an incomplete determination and 1271.65(b)(1) for an ineligible donor).

Seen in the regulation or FDA's own pages: the required panel for all donors (anti-HIV-1/2 with
HIV-1 NAT, HBsAg and anti-HBc, anti-HCV with HCV NAT, syphilis) and for viable leukocyte-rich
cells (HTLV-I/II, CMV) (1271.85; FDA "Testing HCT/P donors: specific requirements"); specimen
timing at recovery or up to 7 days before or after, and for peripheral blood stem cells or bone
marrow up to 30 days before recovery (1271.80(b)); the birth mother's specimen for a donor one
month of age or younger (1271.80(a)); the urgent-need and first/second-degree-relative uses and
their labelling (1271.60(d), 1271.65(b)); those are ``primary``. Not seen, so ``unverified``: how each
reactive or indeterminate result is interpreted, CMV-reactive donors remaining eligible, the
syphilis confirmatory-test rule, and the autologous exemption (1271.90). HBV NAT, seasonal WNV NAT
and Trypanosoma cruzi tests are accepted when given but not required here. Markers and results use the
vocabulary's terms (:class:`engraft.vocabulary.MarkerTest`, :class:`engraft.vocabulary.MarkerResult`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from pydantic import Field, model_validator

from engraft.scores import sources
from engraft.scores.provenance import Component, FrozenModel, ScoreResult, VerificationLevel
from engraft.vocabulary import DonorEligibility, GraftSource, MarkerResult, MarkerTest, TransplantType
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "donor-eligibility"

SPECIMEN_DAY: Final = Phrase("{result}, specimen day {day} relative to recovery")
OUTSIDE_WINDOW: Final = Phrase("{marker}: specimen day {day} is outside the allowed window {low} to {high} days")
WINDOW_RULE: Final = Phrase("specimen must be collected between day {low} and day {high} of recovery (1271.80(b))")
INDETERMINATE: Final = Phrase("{marker}: indeterminate result; resolve before a determination")
REACTIVE: Final = Phrase("{marker}: reactive")
REACTIVE_WARNING: Final = Phrase("WARNING: Reactive test results for {marker}")
"""Texts built from a marker's result (English; the pages translate them)."""


class Product(StrEnum):
    """The HPC product, as 21 CFR 1271 names it."""

    HPC_APHERESIS = "HPC, Apheresis"
    HPC_MARROW = "HPC, Marrow"
    HPC_CORD_BLOOD = "HPC, Cord Blood"


PRODUCT: Final[dict[GraftSource, Product]] = {
    GraftSource.PERIPHERAL_BLOOD: Product.HPC_APHERESIS,
    GraftSource.BONE_MARROW: Product.HPC_MARROW,
    GraftSource.CORD_BLOOD: Product.HPC_CORD_BLOOD,
}
"""Every graft source of the vocabulary and its regulatory product name."""


OPTIONAL_MARKERS: Final = frozenset({MarkerTest.HBV_NAT, MarkerTest.WNV_NAT, MarkerTest.TRYPANOSOMA_CRUZI})
REQUIRED_MARKERS: Final = tuple(m for m in MarkerTest if m not in OPTIONAL_MARKERS)
_EXCLUDING: Final = frozenset(MarkerTest) - {MarkerTest.SYPHILIS, MarkerTest.CMV_ANTIBODY}


class DonorMarkerResult(FrozenModel):
    marker: MarkerTest
    result: MarkerResult
    specimen_date: dt.date
    confirmatory_treponemal_test_negative: bool | None = Field(default=None, strict=True)

    @model_validator(mode="after")
    def _confirmatory_only_for_syphilis(self) -> DonorMarkerResult:
        if self.confirmatory_treponemal_test_negative is not None and self.marker is not MarkerTest.SYPHILIS:
            raise ValueError(
                f"confirmatory_treponemal_test_negative applies to marker 'syphilis' only, not {self.marker.value!r}"
            )
        return self


class DonorEligibilityInput(FrozenModel):
    intended_use: TransplantType
    graft_source: GraftSource
    recovery_date: dt.date
    markers: tuple[DonorMarkerResult, ...]
    specimen_from_birth_mother: bool = Field(default=False, strict=True)
    screening_complete: bool = Field(strict=True)
    screening_risk_factor_identified: bool = Field(strict=True)
    recipient_is_first_or_second_degree_relative: bool = Field(default=False, strict=True)
    documented_urgent_medical_need: bool = Field(default=False, strict=True)

    @property
    def product(self) -> Product:
        return PRODUCT[self.graft_source]

    @model_validator(mode="after")
    def _panel(self) -> DonorEligibilityInput:
        given = [m.marker for m in self.markers]
        duplicates = sorted({m.value for m in given if given.count(m) > 1})
        if duplicates:
            raise ValueError(f"markers listed more than once: {duplicates}; give one result per marker")
        if self.intended_use is TransplantType.ALLOGENEIC:
            missing = [m.value for m in REQUIRED_MARKERS if m not in given]
            if missing:
                raise ValueError(
                    f"markers missing from the panel: {missing}; expected results for "
                    f"{[m.value for m in REQUIRED_MARKERS]}"
                )
        return self


class DonorEligibilityResult(ScoreResult):
    value: DonorEligibility
    band: str
    reasons: tuple[str, ...]
    labelling: tuple[str, ...] = ()


def specimen_window_days(product: Product) -> tuple[int, int]:
    """Allowed specimen day relative to recovery (negative = before), 21 CFR 1271.80(b)."""
    if product in (Product.HPC_APHERESIS, Product.HPC_MARROW):
        return (-30, 7)
    return (-7, 7)


def _check_marker(m: DonorMarkerResult, data: DonorEligibilityInput) -> tuple[Component, str | None]:
    day = (m.specimen_date - data.recovery_date).days
    low, high = specimen_window_days(data.product)
    text = SPECIMEN_DAY(result=m.result.value, day=f"{day:+d}")
    problem: str | None = None
    level = VerificationLevel.PRIMARY
    if not low <= day <= high:
        problem = OUTSIDE_WINDOW(marker=m.marker.value, day=f"{day:+d}", low=f"{low:+d}", high=f"{high:+d}")
        rule = WINDOW_RULE(low=f"{low:+d}", high=f"{high:+d}")
    elif m.result is MarkerResult.INDETERMINATE:
        problem = INDETERMINATE(marker=m.marker.value)
        rule = "an indeterminate result cannot support eligibility"
        level = VerificationLevel.UNVERIFIED
    elif m.result is MarkerResult.NON_REACTIVE:
        rule = "non-reactive"
    elif m.marker is MarkerTest.CMV_ANTIBODY:
        rule = "CMV reactive does not by itself make the donor ineligible; follow the CMV-reactive donor SOP"
        level = VerificationLevel.UNVERIFIED
    elif m.marker is MarkerTest.SYPHILIS and m.confirmatory_treponemal_test_negative:
        rule = "reactive screening test with negative treponemal confirmatory test: not a basis for ineligibility"
        level = VerificationLevel.UNVERIFIED
    else:
        problem = REACTIVE(marker=m.marker.value)
        rule = "reactive test for a relevant communicable disease agent makes the donor ineligible"
        level = VerificationLevel.UNVERIFIED
    component = Component(item=m.marker.value, input=text, points=0, rule=rule, verification=level)
    return component, problem


def donor_eligibility(data: DonorEligibilityInput) -> DonorEligibilityResult:
    """Determine donor eligibility, with the reason for each finding."""
    base = {"instrument": INSTRUMENT, "version": "21-cfr-1271-subpart-c", "citation": sources.CFR_1271_SUBPART_C}
    if data.intended_use is TransplantType.AUTOLOGOUS:
        reason = "autologous use: donor-eligibility determination not required (21 CFR 1271.90(a)(1), not verified)"
        return DonorEligibilityResult(
            **base,
            value=DonorEligibility.NOT_REQUIRED,
            band=DonorEligibility.NOT_REQUIRED.value,
            components=(),
            verification=VerificationLevel.UNVERIFIED,
            reasons=(reason,),
            labelling=("FOR AUTOLOGOUS USE ONLY",),
        )
    components: list[Component] = []
    problems: list[str] = []
    for m in sorted(data.markers, key=lambda r: list(MarkerTest).index(r.marker)):
        component, problem = _check_marker(m, data)
        components.append(component)
        if problem:
            problems.append(problem)
    if data.product is Product.HPC_CORD_BLOOD and not data.specimen_from_birth_mother:
        problems.append("cord blood: donor is one month of age or younger, the birth mother's specimen must be tested")
    if not data.screening_complete:
        problems.append("donor screening (medical history and physical assessment) not complete")
    incomplete = any(not p.endswith(": reactive") for p in problems)
    if data.screening_risk_factor_identified:
        problems.append("donor screening identified a risk factor or clinical evidence of a relevant disease")
    reactive = [m.marker.value for m in data.markers if m.result is MarkerResult.REACTIVE and m.marker in _EXCLUDING]
    if not problems:
        return DonorEligibilityResult(
            **base,
            value=DonorEligibility.ELIGIBLE,
            band=DonorEligibility.ELIGIBLE.value,
            components=tuple(components),
            reasons=("all required tests valid and non-reactive (or not a basis for ineligibility); screening clear",),
        )
    labelling = ["Biohazard legend", "WARNING: Advise patient of communicable disease risks"]
    if incomplete:
        labelling.insert(0, "NOT EVALUATED FOR INFECTIOUS SUBSTANCES")
    labelling += [REACTIVE_WARNING(marker=name) for name in reactive]
    status = DonorEligibility.NOT_ELIGIBLE
    permitted_use: str | None = None
    if data.documented_urgent_medical_need:
        status = DonorEligibility.URGENT_MEDICAL_NEED
        permitted_use = "use not prohibited: documented urgent medical need (1271.65(b)(1)); notify the physician"
    elif data.recipient_is_first_or_second_degree_relative:
        permitted_use = "use in a first- or second-degree blood relative is not prohibited (1271.65(b)(1))"
    return DonorEligibilityResult(
        **base,
        value=status,
        band=status.value,
        components=tuple(components),
        reasons=(*problems, permitted_use) if permitted_use else tuple(problems),
        labelling=tuple(labelling) if permitted_use else (),
    )
