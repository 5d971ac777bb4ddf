"""The patient page's HLA table: the patient's and the donors' typings side by side, one row per locus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HlaRow:
    locus: str
    patient: str
    donors: list[str]


def hla_by_locus(gl_string: str | None) -> dict[str, str]:
    """A GL String split by locus (``A`` -> ``A*01:01+A*02:01``); ``HLA-`` prefixes dropped for reading."""
    if not gl_string:
        return {}
    loci: dict[str, str] = {}
    for part in gl_string.split("^"):
        text = part.replace("HLA-", "")
        locus = text.split("*", 1)[0] if "*" in text else text
        loci[locus] = loci[locus] + "^" + text if locus in loci else text
    return loci


def hla_rows(patient: str | None, donors: Sequence[str | None]) -> list[HlaRow]:
    """Patient and donor typings side by side, one row per locus (loci in the usual order first)."""
    typed = [hla_by_locus(patient), *(hla_by_locus(d) for d in donors)]
    order = ["A", "B", "C", "DRB1", "DRB3", "DRB4", "DRB5", "DQA1", "DQB1", "DPA1", "DPB1"]
    loci = [locus for locus in order if any(locus in t for t in typed)]
    loci += sorted({locus for t in typed for locus in t} - set(order))
    return [HlaRow(locus, typed[0].get(locus, ""), [t.get(locus, "") for t in typed[1:]]) for locus in loci]
