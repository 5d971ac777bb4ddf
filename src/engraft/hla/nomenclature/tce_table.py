"""HLA-DPB1 T-cell-epitope (TCE) groups per allele, as published in ``tce/dpb_tce.csv``.

Each DPB1 protein belongs to TCE group 1 (most immunogenic), 2 or 3 (least). Two assignments ship in
IPD-IMGT/HLA ``tce/dpb_tce.csv``: V1 ("TCE-X", Zino et al. 2004; Fleischhauer et al. 2012, Lancet
Oncol 13:366) from T-cell cross-reactivity, and V2 ("TCE-FD", Crivello et al. 2015, BBMT 21:233;
Crivello et al. 2016, Blood 128:120) from functional-distance scores; V2 is the default, as in Atlas.
In the file ``$`` marks FD-based assignments, ``2a`` a V1->V2 change (treated as group 2), ``0`` a null
allele and a blank an unassigned allele.

This module holds the table only; the permissiveness rule applied to a patient/donor pair is
:mod:`engraft.hla.matching.dpb1_tce`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from engraft.hla.nomenclature.release_files import TceRow

UNASSIGNED = 0
NULL = -1


class TceVersion(StrEnum):
    V1 = "V1"
    V2 = "V2"


def _group_value(raw: str) -> int:
    value = raw.strip().rstrip("$").rstrip("a")
    if value == "0":
        return NULL
    if value in ("1", "2", "3"):
        return int(value)
    return UNASSIGNED


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

    def groups(self, version: TceVersion = TceVersion.V2) -> npt.NDArray[np.int8]:
        """Group per allele code for ``version``."""
        return self.v2 if version is TceVersion.V2 else self.v1

    def group(self, code: int, version: TceVersion = TceVersion.V2) -> int:
        return int(self.groups(version)[code])
