"""HF-set files: nomenclature version check and conversion, typing categories (G, small g, P), loading errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engraft.hla import Nomenclature, locus_typing
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.prediction.haplotype_frequencies import hf_set_from_atlas
from engraft.hla.prediction.hf_nomenclature import (
    HfSetNomenclatureError,
    TypingCategory,
    check_version,
    parse_version,
    small_g_groups,
)
from engraft.hla.prediction.imputation import GenotypeSource, impute
from engraft.io.haplotype_frequencies import hf_paths, load_atlas_hf_set, load_hf_catalogue

ROWS = [
    {"a": "01:01:01G", "b": "08:01:01G", "c": "07:01:01G", "drb1": "03:01:01G", "dqb1": "02:01:01G", "frequency": 0.3},
    {"a": "02:01:01G", "b": "07:02:01G", "c": "07:02:01G", "drb1": "15:01:01G", "dqb1": "06:02:01G", "frequency": 0.1},
]
SMALL_G_ROWS = [
    {"a": "01:01g", "b": "08:01g", "c": "07:01g", "drb1": "03:01g", "dqb1": "02:01g", "frequency": 0.3},
    {"a": "02:01g", "b": "07:02g", "c": "07:02g", "drb1": "15:01g", "dqb1": "06:02g", "frequency": 0.1},
]


def _doc(version: object = "3.58.0", rows: list[dict[str, object]] = ROWS, **extra: object) -> dict[str, object]:
    return {"nomenclatureVersion": version, "typingCategory": "LargeGGroup", "frequencies": rows, **extra}


def test_atlas_sample_set_is_normalised(nom: Nomenclature, atlas_samples_dir: Path) -> None:
    hf = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    assert hf.size == 301 and hf.population_id == 999 and hf.name == "hf-set-301.json"
    assert hf.raw_total == pytest.approx(0.44978, abs=1e-4)
    assert float(hf.frequencies.sum()) == pytest.approx(1.0)
    assert (hf.p_codes >= 0).all()  # every G group of the sample has an expressed P group
    assert hf.stated_version is None and not hf.converted  # "[OVERRIDE]": the release in use
    assert hf.registries == frozenset() and hf.ethnicities == frozenset()  # donPool / ethn null: global


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("3.58.0", (3, 58, 0), id="dotted"),
        pytest.param("3.58", (3, 58, 0), id="two-part"),
        pytest.param("3580", (3, 58, 0), id="atlas-packed"),
        pytest.param("3330", (3, 33, 0), id="atlas-packed-oldest-supported"),
    ],
)
def test_parse_version(text: str, expected: tuple[int, int, int]) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize(
    ("stated", "convert", "recorded"),
    [
        pytest.param("3.58.0", False, "3.58.0", id="same-release"),
        pytest.param("3580", False, "3580", id="same-release-packed"),
        pytest.param("3.57.0", True, "3.57.0", id="one-release-older-converts"),
        pytest.param("[OVERRIDE]", False, None, id="atlas-placeholder"),
        pytest.param(None, False, None, id="missing"),
    ],
)
def test_version_check_accepts(stated: object, convert: bool, recorded: str | None) -> None:
    check = check_version(stated, "3.58.0")
    assert check.convert is convert and check.stated == recorded


@pytest.mark.parametrize(
    ("stated", "message"),
    [
        pytest.param("3.59.0", r"newer than the release in use \(3.58.0\); install release 3.59.0", id="one-newer"),
        pytest.param("3581", "newer than the release in use", id="packed-patch-newer"),
        pytest.param("latest", "is not a release number", id="unreadable"),
    ],
)
def test_version_check_refuses(stated: str, message: str) -> None:
    with pytest.raises(HfSetNomenclatureError, match=message) as info:
        check_version(stated, "3.58.0")
    assert info.value.release == "3.58.0"


def test_newer_set_is_refused_when_loaded(nom: Nomenclature) -> None:
    with pytest.raises(HfSetNomenclatureError, match=r"IPD-IMGT/HLA 3\.60\.0, newer"):
        hf_set_from_atlas(nom, _doc("3.60.0"))


def test_older_set_converts_a_group_name_the_release_no_longer_has(nom: Nomenclature) -> None:
    """A*02:01:08 was renamed A*02:1040 (G group A*02:01:01G): an old set's "02:01:08G" converts to it."""
    rows = [ROWS[0], {**ROWS[1], "a": "02:01:08G"}, {**ROWS[1], "frequency": 0.2}]
    with pytest.raises(HlaNomenclatureError, match="02:01:08G"):
        hf_set_from_atlas(nom, _doc("3.58.0", rows))  # same release: an unknown name is an error
    hf = hf_set_from_atlas(nom, _doc("3.40.0", rows))
    assert hf.converted and hf.stated_version == "3.40.0"
    assert hf.size == 2  # the converted haplotype is the third one: merged, frequencies added
    assert sorted(hf.frequencies.tolist()) == pytest.approx([0.5, 0.5])


def test_older_set_with_an_unconvertible_token_is_refused_naming_it(nom: Nomenclature) -> None:
    rows = [ROWS[0], {**ROWS[1], "b": "99:99:99G"}]
    with pytest.raises(HfSetNomenclatureError, match=r"B\*99:99:99G \(IPD-IMGT/HLA 3.40.0\) has no counterpart"):
        hf_set_from_atlas(nom, _doc("3.40.0", rows))


def test_small_g_set_encodes_like_the_g_group_set(nom: Nomenclature) -> None:
    large = hf_set_from_atlas(nom, _doc())
    small = hf_set_from_atlas(nom, {**_doc(rows=SMALL_G_ROWS), "typingCategory": "SmallGGroup"})
    assert small.typing_category is TypingCategory.SMALL_G
    assert small.p_codes.tolist() == large.p_codes.tolist()
    typing = {
        "A": locus_typing(nom, "A*01:01", "A*02:XX"),
        "B": locus_typing(nom, "B*08:01", "B*07:02"),
    }
    a, b = impute(large, typing), impute(small, typing)
    assert a.source is b.source is GenotypeSource.IMPUTED
    assert a.p_pairs.tolist() == b.p_pairs.tolist() and a.weights.tolist() == pytest.approx(b.weights.tolist())


def test_small_g_groups_hold_the_null_alleles_of_their_g_groups(nom: Nomenclature) -> None:
    groups = small_g_groups(nom)
    a0301 = groups["A*03:01g"]
    null = nom.allele_code("A*03:129N")  # in G group A*03:01:01G with expressed A*03:01 alleles
    assert null in a0301.alleles and a0301.p_group == int(nom.p_group_of[nom.allele_code("A*03:01:01:01")])
    assert "A*01:01g" in groups and "A*01:01P" not in groups  # a group spanning 2-field names: "g"
    assert nom.allele_code("A*01:06") in groups["A*01:06"].alleles  # members sharing "01:06": that name


def test_p_group_set_is_accepted(nom: Nomenclature) -> None:
    rows = [{**r, "a": r["a"].replace(":01G", "P")} for r in ROWS]  # "01:01P", "02:01P"
    hf = hf_set_from_atlas(nom, {**_doc(rows=rows), "typingCategory": "PGroup"})
    assert hf.p_codes.tolist() == hf_set_from_atlas(nom, _doc()).p_codes.tolist()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param({"typingCategory": "Serology", "frequencies": ROWS}, "typingCategory 'Serology'", id="category"),
        pytest.param({"frequencies": []}, "no 'frequencies' list", id="empty"),
        pytest.param({"frequencies": [{"a": "01:01:01G"}]}, r"frequencies\[0\] lacks 'b'", id="missing-locus"),
        pytest.param({"frequencies": [{**ROWS[0], "frequency": "often"}]}, "is not a number", id="frequency-text"),
        pytest.param({"frequencies": [{**ROWS[0], "frequency": -0.1}]}, "non-negative", id="negative"),
    ],
)
def test_bad_sets_are_refused_with_the_field(nom: Nomenclature, document: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hf_set_from_atlas(nom, document)


def test_registries_and_ethnicities_are_read(nom: Nomenclature, tmp_path: Path) -> None:
    path = tmp_path / "reg.json"
    path.write_text(json.dumps(_doc(donPool=["REG-1", 7], ethn="EUR")), encoding="utf-8")
    hf = load_atlas_hf_set(nom, path)
    assert hf.registries == {"REG-1", "7"} and hf.ethnicities == {"EUR"}
    assert "registries 7, REG-1" in hf.describe() and "ethnicities EUR" in hf.describe()


def test_catalogue_from_files_and_the_environment_value(nom: Nomenclature, tmp_path: Path) -> None:
    world, reg = tmp_path / "world.json", tmp_path / "reg.json"
    world.write_text(json.dumps(_doc()), encoding="utf-8")
    reg.write_text(json.dumps(_doc(donPool="REG-1")), encoding="utf-8")
    paths = hf_paths(f"{world}:{reg}:")
    assert paths == [world, reg]
    catalogue = load_hf_catalogue(nom, paths)
    assert catalogue.default.name == "world.json" and len(catalogue.sets) == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"HF set broken\.json is not JSON"):
        load_atlas_hf_set(nom, broken)
