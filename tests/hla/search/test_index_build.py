"""The vectorised index build equals the per-entry definition (issue 13: rebuilds without a loop per entry).

The reference below types every entry with :meth:`TypingBuilder.locus_typing` and derives each array
from the :class:`LocusTyping` as the module docstring defines it; the vectorised build must agree on
every entry of a dictionary holding every kind of token a store keeps (alleles, nulls, serology, XX
codes, ``NEW``, allele lists, ``|`` genotype lists, homozygous pairs).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import Nomenclature
from engraft.hla.matching.typing_builder import typing_builder
from engraft.hla.search.search_index import LocusIndex
from engraft.vocabulary.hla import Locus

TOKENS = [
    "A*01:01:01:01",
    "A*01:01",
    "A*02:01:01:01",
    "A*02:01",
    "A*03:01",
    "A*03:129N",
    "A*01:11N",
    "A*24:02",
    "A2",
    "A9",
    "A*01:XX",
    "A*NEW",
    "A*02:01/A*NEW",
    "A*01:01/02:01",
    "A*01:01:01G",
]
GL_ENTRY = "A*01:01+A*02:01|A*01:02+A*02:01"


def _reference(index: LocusIndex, nom: Nomenclature, pairs: list[tuple[str, str]]) -> None:
    builder = typing_builder(nom)
    for e, (first, second) in enumerate(pairs):
        if e == 0:
            assert index.typings[0] is None and index.null_position[0] and not index.needs_exact[0]
            continue
        typing = builder.locus_typing(first, second)
        assert index.typings[e] == typing
        eff = typing.effective()
        new = eff[0].has_new or eff[1].has_new
        for k in (0, 1):
            ragged = index.positions[k]
            got = ragged.values[ragged.offsets[e] : ragged.offsets[e + 1]].tolist()
            assert got == sorted(eff[k].p_groups), (first, second, k)
        null = eff[0].is_null or eff[1].is_null or typing.is_genotype_list or new
        assert bool(index.null_position[e]) == null, (first, second)
        assert bool(index.homozygous[e]) == (eff[0].p_groups == eff[1].p_groups), (first, second)
        single = (
            not typing.is_genotype_list and not new and all(len(p.p_groups) == 1 and not p.is_serology for p in eff)
        )
        assert bool(index.single_p[e]) == single, (first, second)
        needs = null or any(p.is_serology or p.is_null for p in typing.positions)
        assert bool(index.needs_exact[e]) == needs, (first, second)


def _pairs(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", ""), *tokens]


def test_every_kind_of_entry_matches_the_definition(nom: Nomenclature) -> None:
    pairs = _pairs([(a, b) for i, a in enumerate(TOKENS) for b in TOKENS[i:]] + [(GL_ENTRY, GL_ENTRY)])
    index = LocusIndex.build(nom, Locus.A, pairs)
    assert index.size == len(pairs)
    _reference(index, nom, pairs)


def test_an_empty_dictionary_builds(nom: Nomenclature) -> None:
    index = LocusIndex.build(nom, Locus.A, [("", "")])
    assert index.size == 1 and index.typings[0] is None
    assert index.positions[0].offsets.tolist() == [0, 0]


def test_the_build_takes_a_snapshot(nom: Nomenclature) -> None:
    """The store's list may grow while an index is built: the index covers the entries it started with."""
    pairs = _pairs([("A*01:01", "A*02:01")])
    index = LocusIndex.build(nom, Locus.A, pairs)
    pairs.append(("A*03:01", "A*24:02"))
    assert index.size == 2
    with pytest.raises(IndexError):
        index.typings[2]


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(TOKENS)), min_size=1, max_size=30, unique=True))
def test_any_dictionary_matches_the_definition(nom: Nomenclature, tokens: list[tuple[str, str]]) -> None:
    pairs = _pairs(tokens)
    index = LocusIndex.build(nom, Locus.A, pairs)
    _reference(index, nom, pairs)
    counts, _ = index.counts(typing_builder(nom).locus_typing("A*01:01", "A*02:01"), 2)
    assert counts.shape == (len(pairs),) and int(np.max(counts)) <= 2
