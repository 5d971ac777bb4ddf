"""Atlas's 1,000 synthetic donors against its 301-haplotype set: every donor gets an answer.

Recorded on IPD-IMGT/HLA 3.58.0 (2026-12-04): at their allele-level typings all 1,000 donors are
unambiguous at P-group level and get probabilities (their own genotype, with certainty); before, this
calculation answered for none of them (the issue counted 4), because the set explains none of their
typings: the donors' alleles are drawn at random, not from the set. Forced through the set (DQB1
left untyped) 933 hold an allele no haplotype carries and 67 a combination no pair gives; reduced to
two-field typings with C untyped (ambiguous) all 1,000 are unexplained (892 and 108), and each is
reported with its reason and the matching result only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from engraft.hla import LocusTyping, Nomenclature, locus_typing
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.imputation import GenotypeSource, impute
from engraft.hla.prediction.match_prediction import MatchPredictor
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.vocabulary.hla import MATCH_LOCI, Locus


@pytest.fixture(scope="module")
def sample_hf(nom: Nomenclature, atlas_samples_dir: Path) -> HaplotypeFrequencySet:
    return load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")


@pytest.fixture(scope="module")
def donors(atlas_samples_dir: Path) -> list[Mapping[str, object]]:
    data = json.loads((atlas_samples_dir / "donors-1000.json").read_text(encoding="utf-8"))
    return list(data["donors"])


def _typing(nom: Nomenclature, donor: Mapping[str, object], two_field: bool = False) -> dict[str, LocusTyping]:
    hla = donor["Hla"]
    assert isinstance(hla, Mapping)
    out: dict[str, LocusTyping] = {}
    for locus in MATCH_LOCI:
        if two_field and locus == Locus.C:
            continue
        dna = hla[locus]["Dna"]
        names = [f"{locus}{dna[k]}" for k in ("Field1", "Field2")]
        if two_field:
            names = [":".join(n.split(":")[:2]) for n in names]
        out[locus] = locus_typing(nom, *names)
    return out


def test_every_allele_level_donor_gets_probabilities(
    nom: Nomenclature, sample_hf: HaplotypeFrequencySet, donors: list[Mapping[str, object]]
) -> None:
    predictor = MatchPredictor(sample_hf)
    patient = predictor.impute(
        {
            "A": locus_typing(nom, "A*01:XX", "A*02:XX"),
            "B": locus_typing(nom, "B*08:XX", "B*07:XX"),
            "DRB1": locus_typing(nom, "DRB1*03:XX", "DRB1*15:XX"),
        }
    )
    assert patient.source is GenotypeSource.IMPUTED
    sources: Counter[GenotypeSource] = Counter()
    answered = 0
    for donor in donors:
        g = predictor.impute(_typing(nom, donor))
        sources[g.source] += 1
        result = predictor.predict(patient, g)
        if result.p_mismatches is not None and result.p_more is not None:
            answered += 1
            assert sum(result.p_mismatches) + result.p_more == pytest.approx(1.0)
    assert len(donors) == 1000
    assert answered == 1000 and sources == {GenotypeSource.TYPED: 1000}


def test_the_set_alone_explains_none_of_the_allele_level_typings(
    nom: Nomenclature, sample_hf: HaplotypeFrequencySet, donors: list[Mapping[str, object]]
) -> None:
    """Why the answers above must come from the typings: forced through the set, each is unexplained."""
    reasons: Counter[str] = Counter()
    for donor in donors:
        typing = _typing(nom, donor)
        g = impute(sample_hf, {k: v for k, v in typing.items() if k != "DQB1"})  # DQB1 untyped: ambiguous
        assert g.source is not GenotypeSource.TYPED
        reasons[g.source.value if g.unexplained is None else g.unexplained.value] += 1
    assert reasons == {"allele_not_in_set": 933, "no_haplotype_pair": 67}


def test_two_field_donors_get_probabilities_or_a_reason(
    nom: Nomenclature, sample_hf: HaplotypeFrequencySet, donors: list[Mapping[str, object]]
) -> None:
    sources: Counter[GenotypeSource] = Counter()
    for donor in donors:
        g = impute(sample_hf, _typing(nom, donor, two_field=True))
        sources[g.source] += 1
        if g.unrepresented:
            assert g.unexplained is not None
    assert sources == {GenotypeSource.UNEXPLAINED: 1000}
