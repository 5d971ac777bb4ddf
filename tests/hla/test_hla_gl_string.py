"""GL String parsing and writing (Milius et al. 2013)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import GlString, HlaNomenclatureError, parse_gl_string

ROUND_TRIP = [
    pytest.param("HLA-A*01:01", id="single-allele"),
    pytest.param("HLA-A*01:01/HLA-A*01:02", id="allele-list"),
    pytest.param("HLA-A*01:01+HLA-A*24:02", id="genotype"),
    pytest.param("HLA-A*01:01+HLA-A*24:02|HLA-A*01:02+HLA-A*24:03", id="genotype-list"),
    pytest.param("HLA-A*01:01~HLA-B*08:01+HLA-A*02:01~HLA-B*44:02", id="haplotypes"),
    pytest.param("A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01", id="multilocus"),
    pytest.param("A*01:01:01G+A*02:01P^B*07:AB+B*08:XX", id="groups-mac-xx"),
    pytest.param("A*01:01:01:02N+A*01:01:38L", id="expression-suffixes"),
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text: str) -> None:
    assert str(parse_gl_string(text)) == text


def test_structure() -> None:
    gl = parse_gl_string("A*01:01/A*01:02+A*24:02^B*07:02+B*08:01")
    assert len(gl.genotype_lists) == 2
    genotype = gl.genotype_lists[0].genotypes[0]
    assert len(genotype.haplotypes) == 2
    assert genotype.haplotypes[0].allele_lists[0].alleles == ("A*01:01", "A*01:02")
    assert gl.alleles() == ("A*01:01", "A*01:02", "A*24:02", "B*07:02", "B*08:01")


MALFORMED = [
    pytest.param("", "", "empty GL String", id="empty"),
    pytest.param("A*01:01+", "A*01:01+", "empty operand around '+'", id="trailing-plus"),
    pytest.param("A*01:01//A*01:02", "A*01:01//A*01:02", "empty operand around '/'", id="double-slash"),
    pytest.param("^A*01:01", "^A*01:01", "empty operand around '^'", id="leading-caret"),
    pytest.param("A*01:01|", "A*01:01|", "empty operand around '|'", id="trailing-bar"),
    pytest.param("A*01:01 + A*02:01", "A*01:01 + A*02:01", "illegal character ' '", id="whitespace"),
    pytest.param("A*01:01,A*02:01", "A*01:01,A*02:01", "illegal character ','", id="comma"),
    pytest.param("A*01:01+A*1:01", "A*1:01", "malformed token", id="bad-field-width"),
    pytest.param("A*01:01+A01:01", "A01:01", "malformed token", id="missing-star"),
    pytest.param("A*01:01+a*02:01", "a*02:01", "malformed token", id="lower-case-locus"),
    pytest.param("A*01:01+A*02:01+A*03:01", "A*01:01+A*02:01+A*03:01", "max 2", id="three-haplotypes"),
    pytest.param("A*01:01~~B*08:01", "A*01:01~~B*08:01", "empty operand around '~'", id="double-tilde"),
]


@pytest.mark.parametrize(("text", "token", "fragment"), MALFORMED)
def test_malformed_rejected_naming_token(text: str, token: str, fragment: str) -> None:
    with pytest.raises(HlaNomenclatureError) as info:
        parse_gl_string(text)
    assert info.value.token == token
    assert fragment in str(info.value)
    assert repr(token) in str(info.value)


_alleles = st.builds(
    lambda locus, a, b, suffix: f"{locus}*{a:02d}:{b:02d}{suffix}",
    st.sampled_from(["A", "B", "C", "DRB1", "DQB1", "DPB1"]),
    st.integers(1, 99),
    st.integers(1, 999),
    st.sampled_from(["", "N", "L", "Q"]),
)
_allele_list = st.lists(_alleles, min_size=1, max_size=3).map("/".join)
_haplotype = st.lists(_allele_list, min_size=1, max_size=2).map("~".join)
_genotype = st.lists(_haplotype, min_size=1, max_size=2).map("+".join)
_genotype_list = st.lists(_genotype, min_size=1, max_size=3).map("|".join)
_gl = st.lists(_genotype_list, min_size=1, max_size=3).map("^".join)


@settings(database=None)
@given(_gl)
def test_property_round_trip(text: str) -> None:
    parsed = parse_gl_string(text)
    assert isinstance(parsed, GlString)
    assert str(parsed) == text
    assert parse_gl_string(str(parsed)) == parsed
