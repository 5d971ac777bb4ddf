"""Permissiveness of HLA-DPB1 mismatches from T-cell-epitope (TCE) groups.

The groups per allele (V1 and V2 assignments of IPD-IMGT/HLA ``tce/dpb_tce.csv``) are a table of the
release: :class:`~engraft.hla.nomenclature.tce_table.TceTable` (``Nomenclature.tce``).

Rule (Crivello/Fleischhauer, reference notes §3.6, equivalent to Atlas' 36-cell table): with *p* the
lowest (most immunogenic) group among the patient's two alleles and *d* the donor's,
``p == d`` -> permissive, ``p < d`` -> non-permissive in GvH direction, ``p > d`` -> non-permissive in
HvG direction. A null allele is replaced by the other (expressing) allele; two null alleles, an allele
without assignment or an ambiguous position whose alleles disagree give *unknown*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
from engraft.hla.nomenclature.tce_table import NULL, TceTable, TceVersion
from engraft.vocabulary.hla import Locus


class TcePermissiveness(StrEnum):
    PERMISSIVE = "permissive"
    NON_PERMISSIVE_GVH = "non_permissive_gvh"
    NON_PERMISSIVE_HVG = "non_permissive_hvg"
    UNKNOWN = "unknown"


def tce_permissiveness(patient_groups: Iterable[int | None], donor_groups: Iterable[int | None]) -> TcePermissiveness:
    """The rule on two pairs of TCE groups (``None`` or anything outside 1..3 -> unknown)."""
    pg = list(patient_groups)
    dg = list(donor_groups)
    if not pg or not dg or any(g not in (1, 2, 3) for g in (*pg, *dg)):
        return TcePermissiveness.UNKNOWN
    p = min(g for g in pg if g is not None)
    d = min(g for g in dg if g is not None)
    if p == d:
        return TcePermissiveness.PERMISSIVE
    return TcePermissiveness.NON_PERMISSIVE_GVH if p < d else TcePermissiveness.NON_PERMISSIVE_HVG


def position_tce_group(table: TceTable, position: TypedPosition, version: TceVersion = TceVersion.V2) -> int | None:
    """Group of an expressed position, ``None`` if unassigned or ambiguous across its alleles."""
    arr = table.groups(version)
    groups = {int(arr[c]) for c in position.alleles} - {NULL}
    if len(groups) != 1:
        return None
    g = groups.pop()
    return g if g in (1, 2, 3) else None


@dataclass(frozen=True, slots=True)
class Dpb1TceAssessment:
    category: TcePermissiveness
    patient_groups: tuple[int | None, int | None]
    donor_groups: tuple[int | None, int | None]
    version: TceVersion


def tce_groups(
    typing: LocusTyping, table: TceTable, version: TceVersion = TceVersion.V2
) -> tuple[int | None, int | None]:
    """TCE groups of the two effective positions (a null position takes the expressing one's group)."""
    a, b = typing.effective()
    if a.is_null and b.is_null:
        return (None, None)
    return (position_tce_group(table, a, version), position_tce_group(table, b, version))


def assess_dpb1_tce(
    patient: LocusTyping, donor: LocusTyping, table: TceTable, version: TceVersion = TceVersion.V2
) -> Dpb1TceAssessment:
    """Permissiveness of a DPB1 patient/donor pair (an allele-matched pair comes out permissive)."""
    if patient.locus != Locus.DPB1 or donor.locus != Locus.DPB1:
        raise ValueError(f"TCE permissiveness needs DPB1 typings, got {patient.locus} and {donor.locus}")
    pg = tce_groups(patient, table, version)
    dg = tce_groups(donor, table, version)
    return Dpb1TceAssessment(tce_permissiveness(pg, dg), pg, dg, version)
