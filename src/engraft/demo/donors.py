"""The donors of one synthetic transplant: demographics, serology, infectious-disease markers and HLA typing."""

from __future__ import annotations

from dataclasses import dataclass

from engraft.demo.cohort_tables import HLA_ALLELES
from engraft.demo.draws import Rng, chance, pick, truncnorm
from engraft.vocabulary import (
    AboGroup,
    DonorEligibility,
    DonorRelation,
    MarkerResult,
    MarkerTest,
    RhD,
    Serostatus,
    Sex,
)

DR = DonorRelation
ABO = ((AboGroup.O, 0.44), (AboGroup.A, 0.42), (AboGroup.B, 0.10), (AboGroup.AB, 0.04))


@dataclass(slots=True)
class PlannedDonor:
    relation: DonorRelation
    age: int
    sex: Sex
    abo: AboGroup
    rh: RhD
    cmv: Serostatus
    hla: str
    eligibility: DonorEligibility
    collection_day: int  # days from the recipient's day 0
    markers: list[tuple[MarkerTest, MarkerResult, int]]


def draw_hla(rng: Rng) -> str:
    loci = []
    for locus, alleles in HLA_ALLELES.items():
        pair = sorted(str(rng.choice(alleles)) for _ in range(2))
        loci.append("+".join(f"HLA-{locus}*{a}" for a in pair))
    return "^".join(loci)


def draw_donor(rng: Rng, relation: DonorRelation, recipient_age: float, collection_day: int) -> PlannedDonor:
    if relation is DR.CORD_BLOOD_UNIT:
        age, collection_day = 0, collection_day - int(rng.integers(365, 12 * 365))
    elif relation is DR.MATCHED_SIBLING:
        age = int(max(2 if recipient_age < 18 else 18, recipient_age + rng.normal(0, 7)))
    elif relation is DR.HAPLOIDENTICAL:
        age = int(recipient_age + 28 + rng.normal(0, 4)) if recipient_age < 40 else int(recipient_age - 28)
        age = max(18, min(age, 75))
    else:
        age = int(truncnorm(rng, 29, 7, 18, 55))
    cmv_p = (
        0.0
        if relation is DR.CORD_BLOOD_UNIT
        else 0.4
        if relation in (DR.MATCHED_UNRELATED, DR.MISMATCHED_UNRELATED)
        else 0.55
    )
    cmv = Serostatus.POSITIVE if chance(rng, cmv_p) else Serostatus.NEGATIVE
    anti_hbc = chance(rng, 0.03) and relation is not DR.CORD_BLOOD_UNIT
    markers: list[tuple[MarkerTest, MarkerResult, int]] = []
    tested = collection_day - int(rng.integers(1, 31))
    for test in MarkerTest:
        if test in (MarkerTest.WNV_NAT, MarkerTest.TRYPANOSOMA_CRUZI) and not chance(rng, 0.3):
            continue
        if test is MarkerTest.CMV_ANTIBODY:
            result = MarkerResult.REACTIVE if cmv is Serostatus.POSITIVE else MarkerResult.NON_REACTIVE
        elif test is MarkerTest.ANTI_HBC and anti_hbc:
            result = MarkerResult.REACTIVE
        else:
            result = MarkerResult.NON_REACTIVE
        markers.append((test, result, tested))
    eligibility = DonorEligibility.URGENT_MEDICAL_NEED if anti_hbc else DonorEligibility.ELIGIBLE
    sex = Sex.MALE if chance(rng, 0.65 if relation is DR.MATCHED_UNRELATED else 0.5) else Sex.FEMALE
    rh = RhD.POSITIVE if chance(rng, 0.85) else RhD.NEGATIVE
    return PlannedDonor(
        relation, age, sex, pick(rng, ABO), rh, cmv, draw_hla(rng), eligibility, collection_day, markers
    )
