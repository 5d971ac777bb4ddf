"""The demo patient's HLA typing, drawn from the first donor's so that it agrees with the donor relation.

A matched sibling or unrelated donor (and another related donor) has the patient's typing; a mismatched
unrelated donor differs at one allele of HLA-A, -B, -C or -DRB1; a haploidentical donor shares one allele of each
locus (the other is drawn afresh, so it may match by chance); a cord blood unit differs at one or two alleles of
HLA-A, -B or -DRB1. The draws come from a stream of their own (the cohort seed and the transplant number), so
the rest of the cohort is unchanged. Synthetic: the demo's allele table (:data:`HLA_ALLELES`), no population
frequencies.
"""

from __future__ import annotations

import random
from typing import Final

from engraft.demo.cohort_tables import HLA_ALLELES
from engraft.vocabulary import DonorRelation

IDENTICAL: Final = frozenset(
    {DonorRelation.MATCHED_SIBLING, DonorRelation.MATCHED_UNRELATED, DonorRelation.OTHER_RELATED}
)
MISMATCH_LOCI: Final = ("A", "B", "C", "DRB1")
CORD_LOCI: Final = ("A", "B", "DRB1")

Typing = dict[str, list[str]]


def _parse(gl_string: str) -> Typing:
    typing: Typing = {}
    for locus_part in gl_string.split("^"):
        alleles = [token.split("*", 1) for token in locus_part.split("+")]
        typing[alleles[0][0].removeprefix("HLA-")] = [allele for _, allele in alleles]
    return typing


def _format(typing: Typing) -> str:
    return "^".join("+".join(f"HLA-{locus}*{a}" for a in sorted(pair)) for locus, pair in typing.items())


def _other_allele(rng: random.Random, locus: str, not_these: list[str]) -> str:
    choices = sorted(set(HLA_ALLELES[locus]) - set(not_these))
    return rng.choice(choices)


def _mismatch(rng: random.Random, typing: Typing, loci: tuple[str, ...], count: int) -> Typing:
    changed = {locus: list(pair) for locus, pair in typing.items()}
    for locus in rng.sample(loci, count):
        position = rng.randrange(2)
        changed[locus][position] = _other_allele(rng, locus, changed[locus])
    return changed


def patient_hla(donor_hla: str, relation: DonorRelation, seed: int, number: int) -> str:
    """The patient's GL String for a first donor typed ``donor_hla`` of ``relation``."""
    rng = random.Random(f"{seed}:{number}:patient-hla")
    donor = _parse(donor_hla)
    if relation in IDENTICAL:
        return _format(donor)
    if relation is DonorRelation.MISMATCHED_UNRELATED:
        return _format(_mismatch(rng, donor, MISMATCH_LOCI, 1))
    if relation is DonorRelation.CORD_BLOOD_UNIT:
        return _format(_mismatch(rng, donor, CORD_LOCI, rng.choice((1, 2))))
    shared = {locus: [rng.choice(pair), rng.choice(HLA_ALLELES[locus])] for locus, pair in donor.items()}
    return _format(shared)
