"""Nomenclature edge cases against IPD-IMGT/HLA 3.58.0."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from engraft.hla import (
    HlaNomenclatureError,
    Nomenclature,
    Resolution,
    open_release_dir,
    parse_allele_name,
    read_release_tables,
)

VALID = [
    pytest.param("A*01:01:01:01", Resolution.ALLELE, "A*01:01:01:01", id="full-4-field"),
    pytest.param("HLA-A*01:01:01:01", Resolution.ALLELE, "A*01:01:01:01", id="hla-prefix"),
    pytest.param("A*01:01:01:02N", Resolution.ALLELE, "A*01:01:01:02N", id="suffix-N-null"),
    pytest.param("A*01:01:38L", Resolution.ALLELE, "A*01:01:38L", id="suffix-L-low"),
    pytest.param("B*44:02:01:02S", Resolution.ALLELE, "B*44:02:01:02S", id="suffix-S-secreted"),
    pytest.param("A*01:147Q", Resolution.ALLELE, "A*01:147Q", id="suffix-Q-questionable"),
    pytest.param("A*01:06", Resolution.ALLELE, "A*01:06", id="2-field-complete-name"),
    pytest.param("A*01:01", Resolution.TRUNCATED, "A*01:01:01:01", id="2-field-truncation"),
    pytest.param("A*01:01:01", Resolution.TRUNCATED, "A*01:01:01:01", id="3-field-truncation"),
    pytest.param("A*01:04N", Resolution.TRUNCATED, "A*01:04:01:01N", id="2-field-null-truncation"),
    pytest.param("A*01:01:01G", Resolution.G_GROUP, "A*01:01:01:02N", id="g-group-includes-null"),
    pytest.param("A*01:01P", Resolution.P_GROUP, "A*01:01:38L", id="p-group"),
    pytest.param("A*01:XX", Resolution.XX_CODE, "A*01:04:01:01N", id="xx-code"),
    pytest.param("A*01:06/07", Resolution.ALLELE_STRING, "A*01:07", id="allele-string-abbreviated"),
    pytest.param("A*01:06/A*01:07", Resolution.ALLELE_STRING, "A*01:07", id="allele-string-full"),
    pytest.param("A*01:34N", Resolution.ALLELE, "A*01:01:38L", id="renamed-expression-change"),
    pytest.param("A*02:01:08", Resolution.ALLELE, "A*02:1040", id="renamed-sequence-extended"),
    pytest.param("A*0105N", Resolution.ALLELE, "A*01:04:01:01N", id="renamed-pre-2010-name"),
    pytest.param("A2", Resolution.SEROLOGY, "A*02:01:01:01", id="serology-split-of-nothing"),
    pytest.param("A9", Resolution.SEROLOGY, "A*23:01:01:01", id="serology-broad-covers-split"),
    pytest.param("A203", Resolution.SEROLOGY, "A*02:03:01:01", id="serology-associated"),
    pytest.param("Cw3", Resolution.SEROLOGY, "C*03:04:01:01", id="serology-broad-C"),
    pytest.param("DR15", Resolution.SEROLOGY, "DRB1*15:01:01:01", id="serology-DR-split"),
]


@pytest.mark.parametrize(("token", "resolution", "member"), VALID)
def test_valid_tokens_expand(nom: Nomenclature, token: str, resolution: Resolution, member: str) -> None:
    exp = nom.expand(token)
    assert exp.resolution is resolution
    assert member in {nom.allele_names[c] for c in exp.alleles}


INVALID = [
    pytest.param("A*01:01:01:02", "A*01:01:01:02", id="null-allele-without-N"),
    pytest.param("A*01:01:01:01N", "A*01:01:01:01N", id="expressed-allele-with-N"),
    pytest.param("A*01:01:38", "expression suffix L", id="low-expression-allele-without-L"),
    pytest.param("A*01:147", "expression suffix Q", id="questionable-allele-without-Q"),
    pytest.param("B*44:02:01:02", "expression suffix S", id="secreted-allele-without-S"),
    pytest.param("A*01:01:38N", "expression suffix L", id="low-expression-allele-with-N"),
    pytest.param("A*01:01:01:01C", "A*01:01:01:01C", id="suffix-C-not-in-release"),
    pytest.param("A*01:01:01:01A", "A*01:01:01:01A", id="suffix-A-not-in-release"),
    pytest.param("A*01:01:01:01X", "unknown expression suffix", id="bad-suffix-letter"),
    pytest.param("A*02:100", "deleted", id="deleted-never-assigned"),
    pytest.param("A*99:99", "A*99:99", id="unknown-allele"),
    pytest.param("A*1:01", "A*1:01", id="one-digit-field"),
    pytest.param("A*01:01:01:01:01", "A*01:01:01:01:01", id="five-fields"),
    pytest.param("A*99:XX", "A*99", id="xx-unknown-family"),
    pytest.param("A*01:01:99G", "G group", id="unknown-g-group"),
    pytest.param("A*01:99P", "P group", id="unknown-p-group"),
    pytest.param("A*01:06/B*07:02", "mixes loci", id="allele-string-mixed-loci"),
    pytest.param("A*01:06/9999", "'A*01:9999'", id="allele-string-bad-item"),
    pytest.param("A*01:06//07", "empty item", id="allele-string-empty-item"),
    pytest.param("A99", "A99", id="unknown-serology"),
    pytest.param("Q7", "Q7", id="malformed-serology"),
    pytest.param("A*01:AB", "no MAC dictionary", id="mac-without-dictionary"),
    pytest.param("", "empty", id="empty-token"),
]


@pytest.mark.parametrize(("token", "fragment"), INVALID)
def test_invalid_tokens_rejected_naming_token_and_release(nom: Nomenclature, token: str, fragment: str) -> None:
    with pytest.raises(HlaNomenclatureError) as info:
        nom.expand(token)
    err = info.value
    assert err.token == token
    assert err.release == "3.58.0"
    message = str(err)
    assert repr(token) in message
    assert "3.58.0" in message
    assert "expected" in message
    if fragment != "unknown expression suffix":
        assert fragment in message


def test_truncated_name_excludes_null_alleles(nom: Nomenclature) -> None:
    names = {nom.allele_names[c] for c in nom.expand("A*01:01").alleles}
    assert "A*01:01:01:02N" not in names
    assert "A*01:01:38L" in names  # low-expression alleles are expressed


def test_resolve_renamed_and_current(nom: Nomenclature) -> None:
    assert nom.resolve("A*01:34N") == "A*01:01:38L"
    assert nom.resolve("A*01:01:01:01") == "A*01:01:01:01"
    with pytest.raises(HlaNomenclatureError, match="A\\*01:01"):
        nom.resolve("A*01:01")  # truncated names are not single alleles


def test_reduction_tables(nom: Nomenclature) -> None:
    code = nom.allele_code("A*01:01:01:01")
    assert nom.g_group_names[nom.g_group_of[code]] == "A*01:01:01G"
    assert nom.p_group_names[nom.p_group_of[code]] == "A*01:01P"
    assert nom.two_field_names[nom.two_field_of[code]] == "A*01:01"
    null = nom.allele_code("A*01:01:01:02N")
    assert nom.p_group_of[null] == -1
    assert bool(nom.is_null[null])
    assert nom.two_field_names[nom.two_field_of[null]] == "A*01:01N"
    single = nom.allele_code("A*01:06")
    assert nom.p_group_names[nom.p_group_of[single]] == "A*01:06"


def test_release_format_and_load_is_cached(nom: Nomenclature, imgt_dir: object) -> None:
    assert nom.release == "3.58.0"
    assert nom.rel_dna_ser_format == "pre2026"
    assert Nomenclature.load(nom.root) is nom


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param("A*01:01:01:02N", ("A", ("01", "01", "01", "02"), "N"), id="null"),
        pytest.param("HLA-DRB1*15:01", ("DRB1", ("15", "01"), ""), id="prefixed"),
    ],
)
def test_parse_allele_name(token: str, expected: tuple[str, tuple[str, ...], str]) -> None:
    parsed = parse_allele_name(token)
    assert (parsed.locus, parsed.fields, parsed.suffix) == expected


def test_parse_allele_name_error_without_release() -> None:
    with pytest.raises(HlaNomenclatureError, match="'A\\*01:01Z'") as info:
        parse_allele_name("A*01:01Z")
    assert info.value.release is None


@pytest.mark.parametrize(
    ("code_name", "antigens"),
    [
        pytest.param("A*02:01:01:01", ("A2",), id="unambiguous"),
        pytest.param("A*02:03:01:01", ("A203",), id="associated"),
        pytest.param("C*12:03:01:01", ("Cw12",), id="C-first-field-over-10"),
        pytest.param("C*03:04:01:01", ("Cw10",), id="C-split"),
        pytest.param("B*15:02:01:01", ("B75",), id="B15-split"),
        pytest.param("DPB1*04:01:01:01", ("DP4",), id="no-serology-first-field-proxy"),
    ],
)
def test_antigens_of(nom: Nomenclature, code_name: str, antigens: tuple[str, ...]) -> None:
    assert nom.antigens_of(nom.allele_code(code_name)) == antigens


@pytest.mark.parametrize(
    ("locus", "count"),
    [
        pytest.param("A", 8472, id="A"),
        pytest.param("B", 10183, id="B"),
        pytest.param("C", 8570, id="C"),
        pytest.param("DRB1", 3751, id="DRB1"),
        pytest.param("DQB1", 2771, id="DQB1"),
        pytest.param("DPB1", 2762, id="DPB1"),
    ],
)
def test_allele_counts_of_release(nom: Nomenclature, locus: str, count: int) -> None:
    """Counts for 3.58.0 as given in the reference notes (donor-search.md §4.2)."""
    assert sum(1 for x in nom.locus_of[: nom.release_allele_count] if x == locus) == count


@pytest.mark.parametrize("group", ["A*01:01P", "B*07:02P", "DRB1*15:01P", "C*07:01P"])
def test_p_group_expansion_equals_lookup_table(nom: Nomenclature, group: str) -> None:
    members = set(nom.expand(group).alleles)
    code = nom.p_group_names.index(group)
    assert members == {i for i, p in enumerate(nom.p_group_of.tolist()) if p == code}
    assert not any(nom.is_null[c] for c in members)


def test_pickling_error_and_nomenclature(nom: Nomenclature) -> None:
    import pickle

    err = HlaNomenclatureError("A*99:99", "an allele", release="3.58.0", detail="unknown")
    back = pickle.loads(pickle.dumps(err))
    assert (back.token, back.release, str(back)) == (err.token, err.release, str(err))
    assert pickle.loads(pickle.dumps(nom)) is nom  # same process: the cached tables are reused


def test_from_release_reads_the_tables_and_the_constructor_takes_them(nom: Nomenclature, imgt_dir: Path) -> None:
    files = open_release_dir(imgt_dir)
    fresh = Nomenclature.from_release(files)
    assert fresh is not nom and fresh.release == nom.release == "3.58.0"
    assert fresh.allele_names == nom.allele_names
    tables = read_release_tables(files)
    in_memory = Nomenclature(replace(tables, root=None))
    assert in_memory.resolve("A*01:34N") == nom.resolve("A*01:34N")
    assert in_memory.tce.group(in_memory.allele_code("DPB1*61:01N")) == -1
    assert pickle.loads(pickle.dumps(nom)) is nom
    with pytest.raises(TypeError, match="in-memory tables"):
        pickle.dumps(in_memory)
