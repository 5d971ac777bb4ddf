"""HLA-DPB1 T-cell-epitope (TCE) groups and permissiveness of DPB1 mismatches.

Each DPB1 protein belongs to TCE group 1 (most immunogenic), 2 or 3 (least). Two assignments ship in
IPD-IMGT/HLA ``tce/dpb_tce.csv``: V1 ("TCE-X", Zino et al. 2004; Fleischhauer et al. 2012, Lancet
Oncol 13:366) from T-cell cross-reactivity, and V2 ("TCE-FD", Crivello et al. 2015, BBMT 21:233;
Crivello et al. 2016, Blood 128:120) from functional-distance scores; V2 is the default, as in Atlas.
In the file ``$`` marks FD-based assignments, ``2a`` a V1->V2 change (treated as group 2), ``0`` a null
allele and a blank an unassigned allele.

Rule (Crivello/Fleischhauer, reference notes §3.6, equivalent to Atlas' 36-cell table): with *p* the
lowest (most immunogenic) group among the patient's two alleles and *d* the donor's,
``p == d`` -> permissive, ``p < d`` -> non-permissive in GvH direction, ``p > d`` -> non-permissive in
HvG direction. A null allele is replaced by the other (expressing) allele; two null alleles, an allele
without assignment or an ambiguous position whose alleles disagree give *unknown*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from engraft.hla.locus_typing import LocusTyping, TypedPosition
from engraft.hla.wmda_files import TceRow

UNASSIGNED = 0
NULL = -1


class TceVersion(StrEnum):
    V1 = "V1"
    V2 = "V2"


class TcePermissiveness(StrEnum):
    PERMISSIVE = "permissive"
    NON_PERMISSIVE_GVH = "non_permissive_gvh"
    NON_PERMISSIVE_HVG = "non_permissive_hvg"
    UNKNOWN = "unknown"


def _group_value(raw: str) -> int:
    value = raw.strip().rstrip("$").rstrip("a")
    if value == "0":
        return NULL
    if value in ("1", "2", "3"):
        return int(value)
    return UNASSIGNED


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


@dataclass(frozen=True, slots=True)
class TceTable:
    """TCE group per allele code (``UNASSIGNED`` = 0, ``NULL`` = -1) for both versions."""

    v1: npt.NDArray[np.int8]
    v2: npt.NDArray[np.int8]

    @classmethod
    def from_rows(cls, rows: Iterable[TceRow], index: Mapping[str, int], n_alleles: int) -> TceTable:
        v1 = np.zeros(n_alleles, dtype=np.int8)
        v2 = np.zeros(n_alleles, dtype=np.int8)
        for row in rows:
            code = index.get(row.allele)
            if code is None:
                continue
            v1[code] = _group_value(row.v1)
            v2[code] = _group_value(row.v2)
        return cls(v1=v1, v2=v2)

    def group(self, code: int, version: TceVersion = TceVersion.V2) -> int:
        arr = self.v2 if version is TceVersion.V2 else self.v1
        return int(arr[code])

    def position_group(self, position: TypedPosition, version: TceVersion = TceVersion.V2) -> int | None:
        """Group of an expressed position, ``None`` if unassigned or ambiguous across its alleles."""
        arr = self.v2 if version is TceVersion.V2 else self.v1
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


def _locus_groups(typing: LocusTyping, table: TceTable, version: TceVersion) -> tuple[int | None, int | None]:
    a, b = typing.effective()
    if a.is_null and b.is_null:
        return (None, None)
    return (table.position_group(a, version), table.position_group(b, version))


def assess_dpb1_tce(
    patient: LocusTyping, donor: LocusTyping, table: TceTable, version: TceVersion = TceVersion.V2
) -> Dpb1TceAssessment:
    """Permissiveness of a DPB1 patient/donor pair (an allele-matched pair comes out permissive)."""
    if patient.locus != "DPB1" or donor.locus != "DPB1":
        raise ValueError(f"TCE permissiveness needs DPB1 typings, got {patient.locus} and {donor.locus}")
    pg = _locus_groups(patient, table, version)
    dg = _locus_groups(donor, table, version)
    return Dpb1TceAssessment(tce_permissiveness(pg, dg), pg, dg, version)
