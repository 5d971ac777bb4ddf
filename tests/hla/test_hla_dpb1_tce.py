"""DPB1 T-cell-epitope permissiveness: every cell of the 6 x 6 table (reference notes §3.6)."""

from __future__ import annotations

import pytest

from engraft.hla import Nomenclature, TcePermissiveness, TceVersion, assess_dpb1_tce, locus_typing, tce_permissiveness

P = TcePermissiveness.PERMISSIVE
G = TcePermissiveness.NON_PERMISSIVE_GVH
H = TcePermissiveness.NON_PERMISSIVE_HVG

PAIRS = [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]

# Rows: patient TCE groups; columns: donor TCE groups (same order as PAIRS). Transcribed from the rule
# (p = min patient group, d = min donor group; p == d permissive, p < d GvH, p > d HvG), which matches
# the hard-coded table of Atlas Dpb1TceGroupMatchCalculator.cs cell by cell.
TABLE = {
    (1, 1): [P, P, P, G, G, G],
    (1, 2): [P, P, P, G, G, G],
    (1, 3): [P, P, P, G, G, G],
    (2, 2): [H, H, H, P, P, G],
    (2, 3): [H, H, H, P, P, G],
    (3, 3): [H, H, H, H, H, P],
}

CELLS = [
    pytest.param(p, d, TABLE[p][j], id=f"P{p[0]}+{p[1]}-D{d[0]}+{d[1]}") for p in PAIRS for j, d in enumerate(PAIRS)
]

# Representative alleles per V2 group (IPD-IMGT/HLA 3.58.0 tce/dpb_tce.csv).
PATIENT_ALLELES = {1: ("DPB1*09:01", "DPB1*10:01"), 2: ("DPB1*03:01", "DPB1*14:01"), 3: ("DPB1*04:01", "DPB1*02:01")}
DONOR_ALLELES = {1: ("DPB1*17:01", "DPB1*10:01"), 2: ("DPB1*14:01", "DPB1*03:01"), 3: ("DPB1*01:01", "DPB1*04:02")}


@pytest.mark.parametrize(("patient", "donor", "expected"), CELLS)
def test_tce_table_cell(
    nom: Nomenclature, patient: tuple[int, int], donor: tuple[int, int], expected: TcePermissiveness
) -> None:
    assert tce_permissiveness(patient, donor) is expected
    assert tce_permissiveness(reversed(patient), reversed(donor)) is expected  # order within a pair is irrelevant
    pt = locus_typing(nom, PATIENT_ALLELES[patient[0]][0], PATIENT_ALLELES[patient[1]][1])
    dt = locus_typing(nom, DONOR_ALLELES[donor[0]][0], DONOR_ALLELES[donor[1]][1])
    assessment = assess_dpb1_tce(pt, dt, nom.tce)
    assert assessment.patient_groups == patient
    assert assessment.donor_groups == donor
    assert assessment.category is expected


def test_table_has_36_cells() -> None:
    assert len(CELLS) == 36


@pytest.mark.parametrize(
    ("patient", "donor", "version", "expected"),
    [
        pytest.param(
            ("DPB1*06:01", "DPB1*06:01"), ("DPB1*04:01", "DPB1*04:01"), TceVersion.V2, G, id="06:01-is-2a-in-V2"
        ),
        pytest.param(
            ("DPB1*06:01", "DPB1*06:01"), ("DPB1*04:01", "DPB1*04:01"), TceVersion.V1, P, id="06:01-is-3-in-V1"
        ),
        pytest.param(("DPB1*04:01", "DPB1*02:01"), ("DPB1*04:01", "DPB1*02:01"), TceVersion.V2, P, id="allele-matched"),
        pytest.param(
            ("DPB1*04:01:01:24N", "DPB1*09:01"), ("DPB1*04:01", "DPB1*04:01"), TceVersion.V2, G, id="null-uses-other"
        ),
        pytest.param(
            ("DPB1*61:01N", "DPB1*64:01N"),
            ("DPB1*04:01", "DPB1*04:01"),
            TceVersion.V2,
            TcePermissiveness.UNKNOWN,
            id="both-null-unknown",
        ),
        pytest.param(
            ("DPB1*03:01/04:01", "DPB1*04:01"),
            ("DPB1*04:01", "DPB1*04:01"),
            TceVersion.V2,
            TcePermissiveness.UNKNOWN,
            id="ambiguous-groups-unknown",
        ),
        pytest.param(
            ("DPB1*09:01/10:01", "DPB1*04:01"),
            ("DPB1*04:01", "DPB1*04:01"),
            TceVersion.V2,
            G,
            id="ambiguous-same-group-known",
        ),
    ],
)
def test_tce_with_alleles(
    nom: Nomenclature,
    patient: tuple[str, str],
    donor: tuple[str, str],
    version: TceVersion,
    expected: TcePermissiveness,
) -> None:
    result = assess_dpb1_tce(locus_typing(nom, *patient), locus_typing(nom, *donor), nom.tce, version)
    assert result.category is expected


@pytest.mark.parametrize(
    ("patient", "donor"),
    [
        pytest.param((None, 1), (1, 1), id="patient-unassigned"),
        pytest.param((1, 1), (4, 1), id="unknown-group-number"),
        pytest.param((), (1, 1), id="untyped"),
    ],
)
def test_unknown_inputs(patient: tuple[int | None, ...], donor: tuple[int | None, ...]) -> None:
    assert tce_permissiveness(patient, donor) is TcePermissiveness.UNKNOWN


def test_tce_table_values(nom: Nomenclature) -> None:
    code = nom.allele_code("DPB1*06:01:01:01")
    assert nom.tce.group(code, TceVersion.V1) == 3
    assert nom.tce.group(code, TceVersion.V2) == 2
    assert nom.tce.group(nom.allele_code("DPB1*61:01N")) == -1


def test_non_dpb1_rejected(nom: Nomenclature) -> None:
    with pytest.raises(ValueError, match="needs DPB1"):
        assess_dpb1_tce(locus_typing(nom, "A*01:01"), locus_typing(nom, "A*01:01"), nom.tce)


def test_v1_unassigned_allele_is_unknown(nom: Nomenclature) -> None:
    # DPB1*18:01 has no V1 assignment and V2 group 3 ("3$", functional distance) in 3.58.0
    patient = locus_typing(nom, "DPB1*18:01", "DPB1*04:01")
    donor = locus_typing(nom, "DPB1*04:01", "DPB1*04:01")
    assert assess_dpb1_tce(patient, donor, nom.tce, TceVersion.V1).category is TcePermissiveness.UNKNOWN
    assert assess_dpb1_tce(patient, donor, nom.tce, TceVersion.V2).category is TcePermissiveness.PERMISSIVE
