"""Donor/patient typings from GL Strings and per-locus G/P sets (API used by the donor store)."""

from __future__ import annotations

import pytest

from engraft.hla import (
    HlaNomenclatureError,
    MacDictionary,
    Nomenclature,
    match_typings,
    typed_position,
    typings_from_gl,
)


def test_multilocus_gl_to_typings(nom: Nomenclature, macs: MacDictionary) -> None:
    typings = typings_from_gl(
        nom, "HLA-A*01:01/HLA-A*01:02+HLA-A*02:AB^B*07:02+B*08:XX^DRB1*15:01:01G+DRB1*03:01P", mac=macs
    )
    assert set(typings) == {"A", "B", "DRB1"}
    a = typings["A"]
    assert a.positions[0].token == "HLA-A*01:01/HLA-A*01:02"
    p_names = {nom.p_group_names[p] for p in a.p_groups()}
    assert {"A*01:01P", "A*01:02P", "A*02:01P"} <= p_names
    assert any(nom.g_group_names[g] == "A*01:01:01G" for g in a.g_groups())


def test_haplotypes_split_into_loci(nom: Nomenclature) -> None:
    typings = typings_from_gl(nom, "A*01:01~B*08:01+A*02:01~B*44:02")
    assert [p.token for p in typings["A"].positions] == ["A*01:01", "A*02:01"]
    assert [p.token for p in typings["B"].positions] == ["B*08:01", "B*44:02"]


def test_single_haplotype_is_homozygous(nom: Nomenclature) -> None:
    typing = typings_from_gl(nom, "A*01:01")["A"]
    assert typing.is_homozygous


def test_gl_typings_match(nom: Nomenclature) -> None:
    patient = typings_from_gl(nom, "A*01:01+A*02:01^B*07:02+B*08:01")
    donor = typings_from_gl(nom, "A*01:XX+A*02:01P^B*07:02+B*44:02")
    result = match_typings(patient, donor, loci=("A", "B"))
    assert result.loci["A"].mismatch_count == 0
    assert result.loci["B"].mismatch_count == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("A*01:01~B*08:01+A*02:01~B*07:02|A*01:02~B*08:01+A*02:01~B*07:02", "span", id="multi-locus-list"),
        pytest.param("A*01:01+A*02:01^A*03:01+A*11:01", "appears 4 times", id="locus-twice"),
        pytest.param("A*01:01+A*99:99", "'A*99:99'", id="unknown-allele"),
    ],
)
def test_bad_gl_typings(nom: Nomenclature, text: str, fragment: str) -> None:
    with pytest.raises(HlaNomenclatureError) as info:
        typings_from_gl(nom, text)
    assert fragment in str(info.value)
    assert "3.58.0" in str(info.value)


def test_allele_string_items_of_any_kind(nom: Nomenclature) -> None:
    exp = nom.expand("A*01:01:01G/A*02:XX")
    names = {nom.allele_names[c] for c in exp.alleles}
    assert "A*01:01:01:02N" in names and "A*02:01:01:01" in names


def test_rename_chain(nom: Nomenclature) -> None:
    # Cw*0422 -> identical to Cw*0421 -> renamed C*04:15:02 (hla_nom.txt of 3.58.0)
    assert nom.allele_names[nom.expand("Cw*0422").alleles[0]] == "C*04:15:02"


def test_positions_are_cached(nom: Nomenclature) -> None:
    assert typed_position(nom, "A*02:XX") is typed_position(nom, "A*02:XX")
