"""NMDP multiple-allele codes read from a hand-written file in the standard layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.hla import HlaNomenclatureError, HlaReleaseError, MacDictionary, Nomenclature, Resolution, typed_position
from engraft.hla.nomenclature.mac import is_mac_typing, mentions_mac


def test_file_is_parsed_skipping_header(macs: MacDictionary, mac_file: Path) -> None:
    assert len(macs) == 5
    assert macs.codes["AB"] == ("01", "02")
    assert macs.codes["GEN"] == ("01:01", "02:01")
    assert macs.source == str(mac_file)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param("A*01:AB", ("A*01:01", "A*01:02"), id="generic-first-field-01"),
        pytest.param("A*02:AB", ("A*02:01", "A*02:02"), id="generic-first-field-02"),
        pytest.param("HLA-B*07:AC", ("B*07:01", "B*07:03"), id="generic-hla-prefix"),
        pytest.param("A*01:GEN", ("A*01:01", "A*02:01"), id="allele-specific"),
        pytest.param("A*24:GEN", ("A*01:01", "A*02:01"), id="allele-specific-ignores-typed-field"),
    ],
)
def test_expand_names(macs: MacDictionary, token: str, expected: tuple[str, ...]) -> None:
    assert macs.expand(token) == expected


def test_nomenclature_expands_mac_to_alleles(nom: Nomenclature, macs: MacDictionary) -> None:
    exp = nom.expand("A*01:AB", mac=macs)
    assert exp.resolution is Resolution.MAC
    names = {nom.allele_names[c] for c in exp.alleles}
    assert "A*01:01:01:01" in names and "A*01:02:01:01" in names
    assert not any(n.startswith("A*03") for n in names)


def test_mac_with_null_keeps_null_but_position_is_expressed(nom: Nomenclature, macs: MacDictionary) -> None:
    pos = typed_position(nom, "A*01:NUL", mac=macs)
    assert any(nom.is_null[c] for c in pos.alleles)
    assert not pos.is_null  # nulls inside a MAC are ignored for P-group matching (Atlas)
    assert pos.p_groups == typed_position(nom, "A*01:01").p_groups


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        pytest.param("A*01:ZZZ", "'ZZZ' is not in the MAC list", id="unknown-code"),
        pytest.param("A*01:BAD", "'A*99:99'", id="decodes-to-unknown-allele"),
    ],
)
def test_invalid_mac_rejected(nom: Nomenclature, macs: MacDictionary, token: str, fragment: str) -> None:
    with pytest.raises(HlaNomenclatureError) as info:
        nom.expand(token, mac=macs)
    assert info.value.token == token
    assert fragment in str(info.value)
    assert "3.58.0" in str(info.value)


def test_bad_allele_list_line_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("\tAB\t01/x2\n", encoding="utf-8")
    with pytest.raises(HlaReleaseError, match="line 1"):
        MacDictionary.from_file(path)


def test_xx_is_not_a_mac(macs: MacDictionary) -> None:
    with pytest.raises(HlaNomenclatureError, match="malformed MAC"):
        macs.expand("A*01:XX")


_codes = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ", min_size=2, max_size=5).filter(lambda c: c not in {"XX", "CODE"})
_field = st.integers(1, 9999).map(lambda n: f"{n:02d}")
_generic = st.lists(_field, min_size=1, max_size=6).map(tuple)
_specific = st.lists(st.tuples(_field, _field).map(":".join), min_size=1, max_size=6).map(tuple)
_lists = st.dictionaries(_codes, st.one_of(_generic, _specific), min_size=1, max_size=20)


@given(_lists, st.booleans())
def test_property_a_written_mac_list_reads_back(codes: dict[str, tuple[str, ...]], starred: bool) -> None:
    """Any list in the NMDP layout (header, optional leading '*', blank lines) reads back code for code."""
    lines = ["LAST UPDATED: 12/04/26", "*\tCODE\tSUBTYPE", ""]
    lines += [f"{'*' if starred else ''}\t{code}\t{'/'.join(items)}" for code, items in codes.items()]
    parsed = MacDictionary.from_text("\n".join(lines) + "\n")
    assert parsed.codes == codes


@given(_lists, st.sampled_from(["A", "B", "DRB1"]), _field)
def test_property_expansion_keeps_the_locus_and_the_typed_first_field_of_generic_codes(
    codes: dict[str, tuple[str, ...]], locus: str, first: str
) -> None:
    macs = MacDictionary(codes=codes)
    for code, items in codes.items():
        names = macs.expand(f"{locus}*{first}:{code}")
        assert len(names) == len(items) and all(n.startswith(f"{locus}*") for n in names)
        generic = all(":" not in i for i in items)
        assert all(n.startswith(f"{locus}*{first}:") for n in names) or not generic


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        pytest.param("A*01:AB", True, id="mac"),
        pytest.param("A*01:01/01:AB", True, id="mac-in-allele-string"),
        pytest.param("A*01:AB+A*02:01^B*07:02+B*08:01", True, id="mac-in-gl-string"),
        pytest.param("A*01:XX+A*02:01", False, id="xx-code"),
        pytest.param("A*01:NEW+A*02:01", False, id="new-placeholder"),
        pytest.param("A*01:NEW^B*07:NEWER", True, id="a-code-that-only-starts-like-new"),
        pytest.param("A*01:XXA", True, id="a-code-that-only-starts-like-xx"),
        pytest.param("A2+A24", False, id="serology"),
    ],
)
def test_mentions_mac(text: str, mentions: bool) -> None:
    assert mentions_mac(text) is mentions


def test_new_is_no_mac_code(macs: MacDictionary) -> None:
    assert not is_mac_typing("A*01:NEW")
    with pytest.raises(HlaNomenclatureError, match="malformed MAC"):
        macs.expand("A*01:NEW")
