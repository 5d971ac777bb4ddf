"""Hypothesis properties of matching (symmetry where the rules say so, counts in 0..2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import (
    Direction,
    LocusTyping,
    MatchGrade,
    MatchOptions,
    Nomenclature,
    TcePermissiveness,
    assess_dpb1_tce,
    locus_typing,
    match_locus,
    tce_permissiveness,
)

A_TOKENS = [
    "A*01:01:01:01",
    "A*01:01:01:03",
    "A*01:01:02",
    "A*01:01",
    "A*01:01:01:02N",
    "A*01:11N",
    "A*01:04N",
    "A*01:01:38L",
    "A*02:01",
    "A*02:01:01:01",
    "A*02:05",
    "A*02:03",
    "A*03:01",
    "A*11:01",
    "A*23:01",
    "A*24:02",
    "A*01:XX",
    "A*02:XX",
    "A1",
    "A2",
    "A9",
    "A23",
    "A24",
    "A203",
    "A*01:01P",
    "A*01:01:01G",
    "A*01:06/07",
    "A*02:01/02:05",
    "A*24:02/A*23:01",
]
DPB1_TOKENS = [
    "DPB1*01:01",
    "DPB1*02:01",
    "DPB1*03:01",
    "DPB1*04:01",
    "DPB1*04:02",
    "DPB1*06:01",
    "DPB1*09:01",
    "DPB1*10:01",
    "DPB1*14:01",
    "DPB1*17:01",
    "DPB1*61:01N",
    "DPB1*04:01:01:24N",
    "DPB1*03:01/04:01",
]

_pairs = st.tuples(st.sampled_from(A_TOKENS), st.sampled_from(A_TOKENS))
_dpb1_pairs = st.tuples(st.sampled_from(DPB1_TOKENS), st.sampled_from(DPB1_TOKENS))
_options = st.sampled_from([MatchOptions(homozygous_mismatch_counts=2), MatchOptions(homozygous_mismatch_counts=1)])

_MIRROR = {
    Direction.NONE: Direction.NONE,
    Direction.BIDIRECTIONAL: Direction.BIDIRECTIONAL,
    Direction.GVH_ONLY: Direction.HVG_ONLY,
    Direction.HVG_ONLY: Direction.GVH_ONLY,
}


def _typing(nom: Nomenclature, pair: tuple[str, str]) -> LocusTyping:
    return locus_typing(nom, pair[0], pair[1])


@settings(max_examples=300, deadline=None, database=None)
@given(patient=_pairs, donor=_pairs, options=_options)
def test_counts_bounded_and_symmetric(
    nom: Nomenclature, patient: tuple[str, str], donor: tuple[str, str], options: MatchOptions
) -> None:
    p, d = _typing(nom, patient), _typing(nom, donor)
    forward = match_locus(p, d, options)
    backward = match_locus(d, p, options)
    for r in (forward, backward):
        assert 0 <= r.mismatch_count <= 2
        assert 0 <= r.gvh_count <= 2 and 0 <= r.hvg_count <= 2
        assert r.mismatch_count == max(r.gvh_count, r.hvg_count)
        assert r.antigen_mismatch_count + r.allele_mismatch_count == r.mismatch_count
        assert (r.direction is Direction.NONE) == (r.mismatch_count == 0)
    assert forward.mismatch_count == backward.mismatch_count
    assert forward.gvh_count == backward.hvg_count
    assert forward.hvg_count == backward.gvh_count
    assert backward.direction is _MIRROR[forward.direction]


@settings(max_examples=200, deadline=None, database=None)
@given(patient=_pairs, donor=_pairs)
def test_position_order_irrelevant_and_positional_count(
    nom: Nomenclature, patient: tuple[str, str], donor: tuple[str, str]
) -> None:
    p, d = _typing(nom, patient), _typing(nom, donor)
    r = match_locus(p, d)
    swapped = match_locus(_typing(nom, (patient[1], patient[0])), d)
    assert (r.mismatch_count, r.gvh_count, r.hvg_count) == (
        swapped.mismatch_count,
        swapped.gvh_count,
        swapped.hvg_count,
    )
    assert r.mismatch_count == sum(1 for pos in r.positions if not pos.is_match)
    for pos in r.positions:
        if pos.grade is MatchGrade.EXPRESSING_VS_NULL or pos.grade.is_null_grade:
            # graded as typed; the count follows the null rule (the locus homozygous for its expressed allele)
            assert "N" in pos.patient_token + pos.donor_token
        else:
            assert pos.grade.is_match == pos.is_match


@settings(max_examples=200, deadline=None, database=None)
@given(patient=_pairs, donor=_pairs)
def test_homozygous_switch_never_increases(nom: Nomenclature, patient: tuple[str, str], donor: tuple[str, str]) -> None:
    p, d = _typing(nom, patient), _typing(nom, donor)
    two = match_locus(p, d, MatchOptions(homozygous_mismatch_counts=2)).mismatch_count
    one = match_locus(p, d, MatchOptions(homozygous_mismatch_counts=1)).mismatch_count
    assert one <= two
    if not (p.is_homozygous or d.is_homozygous):
        assert one == two


@settings(max_examples=100, deadline=None, database=None)
@given(typing=_pairs)
def test_self_match_is_zero(nom: Nomenclature, typing: tuple[str, str]) -> None:
    t = _typing(nom, typing)
    assert match_locus(t, t).mismatch_count == 0


_TCE_MIRROR = {
    TcePermissiveness.PERMISSIVE: TcePermissiveness.PERMISSIVE,
    TcePermissiveness.UNKNOWN: TcePermissiveness.UNKNOWN,
    TcePermissiveness.NON_PERMISSIVE_GVH: TcePermissiveness.NON_PERMISSIVE_HVG,
    TcePermissiveness.NON_PERMISSIVE_HVG: TcePermissiveness.NON_PERMISSIVE_GVH,
}


@settings(max_examples=200, deadline=None, database=None)
@given(patient=_dpb1_pairs, donor=_dpb1_pairs)
def test_tce_swapping_roles_swaps_direction(
    nom: Nomenclature, patient: tuple[str, str], donor: tuple[str, str]
) -> None:
    p, d = _typing(nom, patient), _typing(nom, donor)
    forward = assess_dpb1_tce(p, d, nom.tce).category
    backward = assess_dpb1_tce(d, p, nom.tce).category
    assert backward is _TCE_MIRROR[forward]
    if match_locus(p, d).mismatch_count == 0 and forward is not TcePermissiveness.UNKNOWN:
        assert forward is TcePermissiveness.PERMISSIVE


@settings(database=None)
@given(
    st.lists(st.sampled_from([1, 2, 3]), min_size=2, max_size=2),
    st.lists(st.sampled_from([1, 2, 3]), min_size=2, max_size=2),
)
def test_tce_rule_antisymmetric(patient: list[int], donor: list[int]) -> None:
    assert tce_permissiveness(donor, patient) is _TCE_MIRROR[tce_permissiveness(patient, donor)]


@pytest.mark.parametrize("token", A_TOKENS)
def test_property_pool_is_valid(nom: Nomenclature, token: str) -> None:
    assert nom.is_valid(token)
