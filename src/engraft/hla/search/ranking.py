"""Donor ranking keys and human-readable reasons (NMDP/CIBMTR guidance, Dehn et al. Blood 2019;134:924).

Adult donors, in order of the sort keys:

1. HLA mismatch count at the requested loci (allele-level 8/8 or 10/10 first);
2. typing certainty: loci matched only *potentially* (ambiguous typing, Atlas confidence "Potential")
   rank after loci matched for certain, so a confirmed allele-level match precedes a possible one;
3. GvH-vector mismatches: among equally mismatched donors prefer HvG-only mismatches (Dehn 2019 for
   7/8: mismatch at the patient's homozygous locus);
4. match grade score (sum of grade ranks: allele > G group > P group > serology levels, WMDA/Atlas);
5. donor age, younger first, in bands of ``age_band_years`` ("the only non-HLA factor consistently
   associated with survival", Dehn 2019) so that the next factors can break ties;
6. DPB1: allele-matched, then TCE-permissive (Crivello 2015/2016, V2 as Atlas), unknown, non-permissive;
7. CMV serostatus match with the patient; 8. male donor first; 9. ABO identical first;
10. donor id (stable, deterministic ties).

CMV and ABO rank a donor whose value equals the patient's first, then a donor whose value is not known,
then a different one; they do not sort when the patient's own value is not known. An *equivocal* CMV
serostatus (patient or donor) is not known for this purpose. Sex ranks male donors, then ``other`` and
unknown (the preference rests on the donor's biological sex, which neither states), then female donors.
The donor attributes arrive as the store's codes (:mod:`engraft.hla.search.store_codes`); the options
and the reasons speak the vocabulary.

Cord units: HLA mismatch count, certainty, then total nucleated cell dose and CD34+ dose (per kg when
the patient's weight is given), largest first (Dehn 2019 cord guidance: HLA category, then cell dose).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.hla.search.store_codes import ABO, CMV, SEX
from engraft.vocabulary import AboGroup, Serostatus, Sex

UNKNOWN_AGE_BAND = 99
DPB1_MATCH, DPB1_PERMISSIVE, DPB1_UNKNOWN, DPB1_NON_PERMISSIVE = 0, 1, 2, 3
DPB1_LABEL = {
    DPB1_MATCH: "DPB1 allele-matched",
    DPB1_PERMISSIVE: "DPB1 permissive mismatch",
    DPB1_UNKNOWN: "DPB1 permissiveness unknown",
    DPB1_NON_PERMISSIVE: "DPB1 non-permissive mismatch",
}


@dataclass(frozen=True, slots=True)
class RankingInputs:
    """Per-candidate arrays (same length) from which the sort keys are derived."""

    donor_id: npt.NDArray[np.int64]
    is_cord: npt.NDArray[np.bool_]
    mismatches: npt.NDArray[np.int16]
    potential_loci: npt.NDArray[np.int16]
    gvh: npt.NDArray[np.int16]
    grade_score: npt.NDArray[np.int16]
    age: npt.NDArray[np.int16]  # -1 unknown
    dpb1: npt.NDArray[np.int8]
    cmv: npt.NDArray[np.uint8]  # store codes (store_codes.CMV)
    sex: npt.NDArray[np.uint8]  # store codes (store_codes.SEX)
    abo: npt.NDArray[np.uint8]  # store codes (store_codes.ABO)
    tnc: npt.NDArray[np.float32]
    cd34: npt.NDArray[np.float32]
    untyped_loci: npt.NDArray[np.int16] | None = None  # requested loci the donor has not typed (None: all typed)


@dataclass(frozen=True, slots=True)
class RankingOptions:
    age_band_years: int = 5
    min_age: int = 18
    patient_cmv: Serostatus = Serostatus.UNKNOWN
    patient_abo: AboGroup | None = None
    patient_weight_kg: float | None = None


#: CMV serostatus values a donor can match or differ on (equivocal is not known, as unknown).
KNOWN_CMV: frozenset[Serostatus] = frozenset({Serostatus.POSITIVE, Serostatus.NEGATIVE})
_KNOWN_CMV_CODES = CMV.codes_of(KNOWN_CMV)
_KNOWN_ABO_CODES = ABO.codes_of(AboGroup)
#: Sex sort key: male donors first, then other and unknown, then female (every member: KeyError otherwise).
SEX_KEY: dict[Sex, int] = {Sex.MALE: 0, Sex.OTHER: 1, Sex.UNKNOWN: 1, Sex.FEMALE: 2}
_SEX_KEY_BY_CODE = np.ones(256, dtype=np.int8)
_SEX_KEY_BY_CODE[[SEX.code(sex) for sex in Sex]] = [SEX_KEY[sex] for sex in Sex]


def _match_key(donor: npt.NDArray[np.uint8], patient: int | None, known: npt.NDArray[np.uint8]) -> npt.NDArray[np.int8]:
    """0 = same as the patient, 1 = not known, 2 = different (all 0 when the patient's value is not known).

    ``donor`` holds store codes, ``patient`` the patient's code (``None`` when not known), ``known`` the
    codes of the values that can match or differ.
    """
    if patient is None:
        return np.zeros(donor.shape, dtype=np.int8)
    return np.where(donor == patient, 0, np.where(np.isin(donor, known), 2, 1)).astype(np.int8)


def _patient_cmv_code(opts: RankingOptions) -> int | None:
    return CMV.code(opts.patient_cmv) if opts.patient_cmv in KNOWN_CMV else None


def _patient_abo_code(opts: RankingOptions) -> int | None:
    return None if opts.patient_abo is None else ABO.code(opts.patient_abo)


def sort_keys(inp: RankingInputs, opts: RankingOptions) -> list[npt.NDArray[np.generic]]:
    """Keys most significant first (cords and adults share positions; unused keys are 0)."""
    band = np.where(inp.age >= 0, (inp.age - opts.min_age).clip(0) // max(opts.age_band_years, 1), UNKNOWN_AGE_BAND)
    weight = opts.patient_weight_kg or 1.0
    tnc = np.nan_to_num(inp.tnc / weight, nan=0.0)
    cd34 = np.nan_to_num(inp.cd34 / weight, nan=0.0)
    cord = inp.is_cord
    zero = np.zeros(inp.donor_id.shape, dtype=np.int8)
    sex = _SEX_KEY_BY_CODE[inp.sex]
    return [
        inp.mismatches,
        inp.potential_loci,
        np.where(cord, 0, inp.gvh),
        np.where(cord, 0, inp.grade_score),
        np.where(cord, -tnc, 0),
        np.where(cord, -cd34, 0),
        np.where(cord, 0, band),
        np.where(cord, zero, inp.dpb1),
        np.where(cord, zero, _match_key(inp.cmv, _patient_cmv_code(opts), _KNOWN_CMV_CODES)),
        np.where(cord, zero, sex),
        np.where(cord, zero, _match_key(inp.abo, _patient_abo_code(opts), _KNOWN_ABO_CODES)),
        inp.donor_id,
    ]


def rank_order(inp: RankingInputs, opts: RankingOptions) -> npt.NDArray[np.intp]:
    """Candidate positions, best first (``np.lexsort`` takes the most significant key last)."""
    keys = sort_keys(inp, opts)
    return np.lexsort(tuple(reversed(keys)))


def rank_reason(inp: RankingInputs, opts: RankingOptions, i: int, n_loci: int) -> str:
    """Why candidate ``i`` sits where it does, in the order the keys were applied."""
    mm = int(inp.mismatches[i])
    untyped = 0 if inp.untyped_loci is None else 2 * int(inp.untyped_loci[i])
    total = 2 * n_loci
    plural = "es" if mm != 1 else ""
    if untyped:  # never n/n when a requested locus is untyped: count over the typed positions only
        parts = [f"{total - untyped - mm}/{total - untyped} typed of {total} ({mm} mismatch{plural})"]
    else:
        parts = [f"{total - mm}/{total} ({mm} mismatch{plural})"]
    pot = int(inp.potential_loci[i])
    parts.append(f"{pot} locus/loci potential (ambiguous typing)" if pot else "all loci matched with certainty")
    if bool(inp.is_cord[i]):
        weight = f"/kg ({opts.patient_weight_kg} kg)" if opts.patient_weight_kg else " (total)"
        parts.append(f"TNC {float(inp.tnc[i]):.1f}e7{weight}, CD34 {float(inp.cd34[i]):.2f}e6{weight}")
        return "; ".join(parts)
    if mm:
        parts.append(f"{int(inp.gvh[i])} GvH-vector mismatch(es)")
    parts.append(f"grade score {int(inp.grade_score[i])} (0 = allele-level at every position)")
    age = int(inp.age[i])
    parts.append(f"age {age}" if age >= 0 else "age unknown")
    parts.append(DPB1_LABEL[int(inp.dpb1[i])])
    cmv = CMV.value(int(inp.cmv[i]))
    cmv_text = f"CMV {cmv.value}"
    if opts.patient_cmv in KNOWN_CMV and cmv in KNOWN_CMV:
        cmv_text += " (matches patient)" if cmv == opts.patient_cmv else " (patient differs)"
    parts.append(cmv_text)
    sex = SEX.value(int(inp.sex[i]))
    parts.append(sex.value if sex in (Sex.MALE, Sex.FEMALE) else f"sex {sex.value}")
    abo = ABO.value(int(inp.abo[i]))
    if abo is None:
        parts.append("ABO unknown")
    elif opts.patient_abo is None:
        parts.append(f"ABO {abo.value}")
    else:
        parts.append(f"ABO {abo.value} ({'identical' if abo == opts.patient_abo else 'ABO mismatch'})")
    return "; ".join(parts)
