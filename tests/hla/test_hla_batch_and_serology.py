"""Vectorised reduction and the serology table."""

from __future__ import annotations

import numpy as np
import pytest

from engraft.hla import BatchReducer, HlaNomenclatureError, Nomenclature


@pytest.fixture(scope="module")
def reducer(nom: Nomenclature) -> BatchReducer:
    return BatchReducer(nom)


@pytest.mark.parametrize(
    ("level", "names", "expected"),
    [
        pytest.param("g", ["A*01:01:01:01", "A*01:01:01:02N"], ["A*01:01:01G", "A*01:01:01G"], id="g-group"),
        pytest.param("p", ["A*01:01:01:01", "A*01:01:01:02N", "A*01:06"], ["A*01:01P", None, "A*01:06"], id="p-group"),
        pytest.param("2field", ["A*01:01:01:01", "A*01:01:01:02N"], ["A*01:01", "A*01:01N"], id="two-field"),
        pytest.param(
            "serology", ["A*01:01:01:01", "B*15:01:01:01", "A*01:01:01:02N"], ["A1", "B62", None], id="serology"
        ),
        pytest.param("p", ["A*01:34N"], ["A*01:01P"], id="renamed-resolves"),
    ],
)
def test_reduce_names(reducer: BatchReducer, level: str, names: list[str], expected: list[str | None]) -> None:
    assert reducer.reduce_names(names, level) == expected  # type: ignore[arg-type]


def test_encode_array_shape_and_unknown(reducer: BatchReducer) -> None:
    names = np.array([["A*01:01:01:01", "nonsense"], ["B*07:02:01:01", "A*01:01:01:01"]], dtype=object)
    codes = reducer.encode(names, strict=False)
    assert codes.shape == (2, 2)
    assert codes[0, 1] == -1
    assert codes[0, 0] == codes[1, 1]
    reduced = reducer.reduce(codes, "p")
    assert reduced[0, 1] == -1
    with pytest.raises(HlaNomenclatureError, match="'nonsense'"):
        reducer.encode(names)


def test_reduction_matches_scalar_tables(nom: Nomenclature, reducer: BatchReducer) -> None:
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(nom.allele_names), 500)
    names = [nom.allele_names[i] for i in idx]
    codes = reducer.encode(names)
    assert codes.tolist() == idx.tolist()
    p = reducer.decode(reducer.reduce(codes, "p"), "p")
    for i, name in zip(idx.tolist(), p, strict=True):
        expected = nom.p_group_of[i]
        assert name == (nom.p_group_names[expected] if expected >= 0 else None)


def test_unknown_level(reducer: BatchReducer) -> None:
    with pytest.raises(ValueError, match="unknown reduction level"):
        reducer.reduce(np.array([0], dtype=np.int32), "x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("antigen", "expected"),
    [
        pytest.param("A9", {"A9", "A23", "A24", "A2403"}, id="broad-with-splits-and-associated"),
        pytest.param("A24", {"A24", "A2403", "A9"}, id="split-with-associated-and-broad"),
        pytest.param("A2403", {"A2403"}, id="associated"),
        pytest.param("A1", {"A1"}, id="plain"),
        pytest.param("Cw3", {"Cw3", "Cw9", "Cw10"}, id="C-broad"),
        pytest.param("B21", {"B21", "B49", "B50", "B4005"}, id="broad-with-own-associated"),
    ],
)
def test_matching_serologies(nom: Nomenclature, antigen: str, expected: set[str]) -> None:
    assert nom.serology.matching_serologies(antigen) == expected


def test_serology_levels(nom: Nomenclature) -> None:
    table = nom.serology
    assert table.split_level("B3901") == "B39"
    assert table.broad_level("B3901") == "B16"
    assert table.broad_level("A23") == "A9"
    assert table.broad_level("A1") == "A1"


def test_deleted_serology_rejected(nom: Nomenclature) -> None:
    with pytest.raises(HlaNomenclatureError, match="Cw11"):
        nom.expand("Cw11")
