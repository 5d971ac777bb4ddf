"""Typings old registry records carry: serology, XX codes and ``NEW`` placeholders, in tokens and GL Strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.hla import HlaNomenclatureError, Nomenclature, Resolution, parse_gl_string
from engraft.hla.matching import locus_typing, match_locus, typings_from_gl
from engraft.hla.matching.grades import MatchConfidence, MatchGrade
from engraft.hla.nomenclature.allele_name import parse_allele_name


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("A2+A24^B7+B8^DR15+DR4", id="serology-only"),
        pytest.param("HLA-A2+HLA-A*24:02^Cw3+C*07:01", id="serology-and-alleles"),
        pytest.param("A*NEW+A*02:01", id="new-placeholder"),
        pytest.param("A*01:NEW+A*02:01^DPB1*NEW+DPB1*04:01", id="new-with-first-field"),
        pytest.param("DR15+DR4|DR15+DR14", id="serology-genotype-list"),
        pytest.param("DPw4+DP2", id="dp-serology"),
    ],
)
def test_old_record_typings_parse_and_write_back(text: str) -> None:
    assert str(parse_gl_string(text)) == text


@pytest.mark.parametrize(
    ("text", "token"),
    [
        pytest.param("A2+X2", "X2", id="no-such-serological-locus"),
        pytest.param("A2+a2", "a2", id="lower-case-antigen"),
        pytest.param("A*NEWS+A*02:01", "A*NEWS", id="new-misspelt"),
        pytest.param("A*new+A*02:01", "A*new", id="new-lower-case"),
        pytest.param("A12345+A2", "A12345", id="antigen-number-too-long"),
    ],
)
def test_malformed_old_tokens_rejected(text: str, token: str) -> None:
    with pytest.raises(HlaNomenclatureError) as info:
        parse_gl_string(text)
    assert info.value.token == token
    assert "malformed token" in str(info.value)


def test_a_serology_typed_patient_is_typed_at_every_locus(nom: Nomenclature) -> None:
    typings = typings_from_gl(nom, "A2+A24^B7+B8^DR15+DR4")
    assert set(typings) == {"A", "B", "DRB1"}
    a1, a2 = typings["A"].positions
    assert a1.resolution is Resolution.SEROLOGY and a1.serology == "A2"
    names = {nom.allele_names[c] for c in a1.alleles}
    assert "A*02:01:01:01" in names and not any(n.startswith("A*24") for n in names)
    assert a2.serology == "A24"


def test_serology_donor_is_a_potential_match_for_an_allele_typed_patient(nom: Nomenclature) -> None:
    patient = locus_typing(nom, "A*02:01", "A*24:02")
    donor = locus_typing(nom, "A2", "A24")
    result = match_locus(patient, donor)
    assert result.mismatch_count == 0


def test_serology_split_mismatch_counts(nom: Nomenclature) -> None:
    patient = locus_typing(nom, "A*23:01", "A*01:01")
    donor = locus_typing(nom, "A24", "A1")  # A23 and A24 are both splits of A9: an antigen mismatch
    assert match_locus(patient, donor).mismatch_count == 1


@pytest.mark.parametrize(
    ("token", "locus"),
    [
        pytest.param("A*NEW", "A", id="bare"),
        pytest.param("HLA-B*NEW", "B", id="hla-prefix"),
        pytest.param("DRB1*15:NEW", "DRB1", id="with-first-field"),
        pytest.param("DPB1*NEW", "DPB1", id="dpb1"),
    ],
)
def test_new_placeholder_expands_to_its_locus_placeholder(nom: Nomenclature, token: str, locus: str) -> None:
    exp = nom.expand(token)
    assert exp.resolution is Resolution.NEW and exp.locus == locus
    (code,) = exp.alleles
    assert nom.is_new(code) and nom.allele_names[code] == f"{locus}*NEW"
    assert not nom.is_null[code]
    assert nom.antigens_of(code) == ()
    assert nom.tce.group(code) == 0  # no TCE group: a DPB1 TCE assessment is unknown


def test_release_alleles_are_never_new(nom: Nomenclature) -> None:
    assert nom.release_allele_count == 41433  # Allelelist.txt of 3.58.0
    assert not any(nom.is_new(nom.allele_code(n)) for n in ("A*01:01:01:01", "Y*01:01"))
    assert nom.is_new(nom.release_allele_count) and not nom.is_new(nom.release_allele_count - 1)


def test_new_shares_no_group_with_a_named_allele(nom: Nomenclature) -> None:
    new = nom.new_placeholder("A")
    named = range(nom.release_allele_count)
    assert all(nom.p_group_of[c] != nom.p_group_of[new] for c in named)
    assert all(nom.g_group_of[c] != nom.g_group_of[new] for c in named)


@pytest.mark.parametrize(
    ("patient", "donor", "mismatches"),
    [
        pytest.param(("A*01:01", "A*02:01"), ("A*NEW", "A*02:01"), 1, id="new-vs-named"),
        pytest.param(("A*01:01", "A*02:01"), ("A*01:XX", "A*NEW"), 1, id="new-beside-xx"),
        pytest.param(("A*NEW", "A*02:01"), ("A*01:01", "A*02:01"), 1, id="patient-new"),
        pytest.param(("A*NEW", "A*02:01"), ("A*NEW", "A*02:01"), 1, id="new-vs-new"),
        pytest.param(("A*01:NEW", "A*02:01"), ("A*01:NEW", "A*02:01"), 1, id="new-vs-new-same-family"),
        pytest.param(("A*NEW", "A*NEW"), ("A*NEW", "A*NEW"), 2, id="both-positions-new-on-both-sides"),
    ],
)
def test_new_is_a_mismatch_against_a_named_allele(
    nom: Nomenclature, patient: tuple[str, str], donor: tuple[str, str], mismatches: int
) -> None:
    """WMDA nomenclature guideline (Bochtler 2013): ``NEW`` is always a mismatch, also against ``NEW``."""
    result = match_locus(locus_typing(nom, *patient), locus_typing(nom, *donor))
    assert result.mismatch_count == mismatches
    new_positions = [p for p in result.positions if "NEW" in p.patient_token or "NEW" in p.donor_token]
    assert new_positions and all(p.grade is MatchGrade.MISMATCH for p in new_positions)
    assert all(p.confidence is MatchConfidence.MISMATCH for p in new_positions)


def test_new_for_a_locus_the_release_lacks_is_refused(nom: Nomenclature) -> None:
    with pytest.raises(HlaNomenclatureError, match="locus ZZZ has no alleles"):
        nom.expand("ZZZ*NEW")


@pytest.mark.parametrize(
    ("token", "family"),
    [
        pytest.param("A*01:XX", "A*01:", id="a-01"),
        pytest.param("DRB1*15:XX", "DRB1*15:", id="drb1-15"),
        pytest.param("HLA-C*07:XX", "C*07:", id="hla-prefix"),
    ],
)
def test_xx_code_is_the_whole_first_field_family(nom: Nomenclature, token: str, family: str) -> None:
    exp = nom.expand(token)
    assert exp.resolution is Resolution.XX_CODE
    names = {nom.allele_names[c] for c in exp.alleles}
    expected = {n for n in nom.allele_names[: nom.release_allele_count] if n.startswith(family)}
    assert names == expected


_ANTIGEN_PREFIXES = st.sampled_from(["A", "B", "Cw", "C", "DR", "DQ", "DP", "DPw"])
_antigens = st.builds(
    lambda p, n, h: f"{'HLA-' if h else ''}{p}{n}", _ANTIGEN_PREFIXES, st.integers(1, 9999), st.booleans()
)
_news = st.builds(
    lambda locus, first: f"{locus}*{first}NEW",
    st.sampled_from(["A", "B", "C", "DRB1", "DQB1", "DPB1"]),
    st.sampled_from(["", "01:", "15:", "0101:"]),
)
_alleles = st.builds(lambda a, b: f"A*{a:02d}:{b:02d}", st.integers(1, 99), st.integers(1, 999))
_tokens = st.one_of(_antigens, _news, _alleles)
_genotype = st.lists(_tokens, min_size=1, max_size=2).map("+".join)
_gl = st.lists(st.lists(_genotype, min_size=1, max_size=3).map("|".join), min_size=1, max_size=4).map("^".join)


@given(_gl)
def test_property_old_tokens_round_trip(text: str) -> None:
    parsed = parse_gl_string(text)
    assert str(parsed) == text
    assert parse_gl_string(str(parsed)) == parsed
    assert len(parsed.alleles()) == text.count("+") + text.count("|") + text.count("^") + 1


@given(
    st.sampled_from(["A", "B", "C", "DRB1", "DQB1", "DPB1"]),
    st.sampled_from(["", "01:", "99:", "0101:"]),
    st.booleans(),
)
def test_property_every_new_spelling_names_the_locus_placeholder(
    nom: Nomenclature, locus: str, first: str, prefixed: bool
) -> None:
    token = f"{'HLA-' if prefixed else ''}{locus}*{first}NEW"
    with pytest.raises(HlaNomenclatureError):  # not an allele name of any release
        parse_allele_name(token)
    assert nom.expand(token).alleles == (nom.new_placeholder(locus),)
