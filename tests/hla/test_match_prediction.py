"""Match prediction: agreement with an exhaustive calculation, normalisation, caps and unrepresented typings."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import LocusTyping, Nomenclature, locus_typing, match_locus
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set
from engraft.hla.prediction.match_prediction import MatchPredictor, impute, predict
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.vocabulary.hla import MATCH_LOCI as HF_LOCI

# Eight real haplotypes (G groups) from common European haplotypes; several share alleles on purpose.
HAPLOTYPES: list[dict[str, str]] = [
    {"A": "01:01:01G", "B": "08:01:01G", "C": "07:01:01G", "DRB1": "03:01:01G", "DQB1": "02:01:01G"},
    {"A": "03:01:01G", "B": "07:02:01G", "C": "07:02:01G", "DRB1": "15:01:01G", "DQB1": "06:02:01G"},
    {"A": "02:01:01G", "B": "07:02:01G", "C": "07:02:01G", "DRB1": "15:01:01G", "DQB1": "06:02:01G"},
    {"A": "02:01:01G", "B": "44:02:01G", "C": "05:01:01G", "DRB1": "04:01:01G", "DQB1": "03:01:01G"},
    {"A": "02:05:01G", "B": "44:02:01G", "C": "05:01:01G", "DRB1": "04:01:01G", "DQB1": "03:01:01G"},
    {"A": "29:02:01G", "B": "44:03:01G", "C": "16:01:01G", "DRB1": "07:01:01G", "DQB1": "02:01:01G"},
    {"A": "01:01:01G", "B": "57:01:01G", "C": "06:02:01G", "DRB1": "07:01:01G", "DQB1": "03:03:02G"},
    {"A": "24:02:01G", "B": "35:01:01G", "C": "04:01:01G", "DRB1": "01:01:01G", "DQB1": "05:01:01G"},
]
RESOLUTIONS = ("G", "2field", "XX", "serology", "untyped")


def _token(nom: Nomenclature, locus: str, g: str, res: str) -> str:
    token = f"{locus}*{g}"
    if res == "G":
        return token
    allele = next(c for c in nom.expand(token).alleles if not nom.is_null[c])
    if res == "2field":
        return nom.two_field_names[int(nom.two_field_of[allele])]
    if res == "serology" and int(nom.serology_of[allele]) >= 0:
        ser = nom.serology_names[int(nom.serology_of[allele])]
        if nom.is_valid(ser):
            return ser
    return f"{locus}*{g.split(':')[0]}:XX"


def _typing(nom: Nomenclature, h1: int, h2: int, res: Sequence[str]) -> dict[str, LocusTyping]:
    """Typing of the genotype (h1, h2) of HAPLOTYPES with a resolution per locus ('untyped' drops it)."""
    out: dict[str, LocusTyping] = {}
    for locus, r in zip(HF_LOCI, res, strict=True):
        if r == "untyped":
            continue
        a = _token(nom, locus, HAPLOTYPES[h1][locus], r)
        b = _token(nom, locus, HAPLOTYPES[h2][locus], r)
        out[locus] = locus_typing(nom, a, b)
    return out


def _exhaustive(
    nom: Nomenclature, freqs: Sequence[float], patient: Mapping[str, LocusTyping], donor: Mapping[str, LocusTyping]
) -> tuple[list[float], dict[str, list[float]]] | None:
    """Textbook calculation: every haplotype pair, allele-set consistency, match_locus on G-group typings."""

    def genotypes(typing: Mapping[str, LocusTyping]) -> list[tuple[int, int, float]]:
        out = []
        for i, j in itertools.combinations_with_replacement(range(len(freqs)), 2):
            ok = True
            for locus, t in typing.items():
                ai = set(nom.expand(f"{locus}*{HAPLOTYPES[i][locus]}").alleles)
                aj = set(nom.expand(f"{locus}*{HAPLOTYPES[j][locus]}").alleles)
                p1, p2 = t.positions[0].alleles, t.positions[1].alleles
                ok &= bool((ai & p1 and aj & p2) or (ai & p2 and aj & p1))
            if ok:
                out.append((i, j, freqs[i] * freqs[j] * (1 if i == j else 2)))
        return out

    pg, dg = genotypes(patient), genotypes(donor)
    if not pg or not dg:
        return None
    zp, zd = sum(w for *_, w in pg), sum(w for *_, w in dg)
    overall = [0.0, 0.0, 0.0, 0.0]
    per_locus = {locus: [0.0, 0.0, 0.0] for locus in HF_LOCI}
    for (pi, pj, pw), (di, dj, dw) in itertools.product(pg, dg):
        w = pw * dw / (zp * zd)
        total = 0
        for locus in HF_LOCI:
            pt = locus_typing(nom, f"{locus}*{HAPLOTYPES[pi][locus]}", f"{locus}*{HAPLOTYPES[pj][locus]}")
            dt = locus_typing(nom, f"{locus}*{HAPLOTYPES[di][locus]}", f"{locus}*{HAPLOTYPES[dj][locus]}")
            mm = match_locus(pt, dt).mismatch_count
            per_locus[locus][mm] += w
            total += mm
        overall[min(total, 3)] += w
    return overall, per_locus


def _hf(nom: Nomenclature, freqs: Sequence[float]) -> HaplotypeFrequencySet:
    return build_hf_set(nom, HAPLOTYPES[: len(freqs)], freqs)


def test_atlas_sample_set_is_normalised(nom: Nomenclature, atlas_samples_dir: Path) -> None:
    hf = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    assert hf.size == 301 and hf.population_id == 999
    assert hf.raw_total == pytest.approx(0.44978, abs=1e-4)
    assert float(hf.frequencies.sum()) == pytest.approx(1.0)
    assert (hf.p_codes >= 0).all()  # every G group of the sample has an expressed P group


@pytest.mark.parametrize(
    ("patient", "donor"),
    [
        pytest.param((0, 1, ("G",) * 5), (0, 1, ("G",) * 5), id="identical-high-res"),
        pytest.param((1, 3, ("XX",) * 5), (2, 3, ("XX",) * 5), id="xx-codes"),
        pytest.param(
            (1, 2, ("2field",) * 5),
            (2, 4, ("serology", "serology", "untyped", "serology", "untyped")),
            id="serology-donor",
        ),
        pytest.param((0, 6, ("G", "G", "G", "G", "G")), (5, 6, ("XX", "XX", "untyped", "XX", "XX")), id="untyped-c"),
    ],
)
def test_prediction_equals_exhaustive(
    nom: Nomenclature, patient: tuple[int, int, tuple[str, ...]], donor: tuple[int, int, tuple[str, ...]]
) -> None:
    freqs = [0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1]
    hf = _hf(nom, freqs)
    pt, dt = _typing(nom, *patient), _typing(nom, *donor)
    expected = _exhaustive(nom, freqs, pt, dt)
    assert expected is not None
    got = predict(impute(hf, pt, max_genotypes=None), impute(hf, dt, max_genotypes=None))
    assert got.p_mismatches is not None and got.per_locus is not None and got.p_more is not None
    assert [*got.p_mismatches, got.p_more] == pytest.approx(expected[0], abs=1e-12)
    for locus in HF_LOCI:
        assert list(got.per_locus[locus]) == pytest.approx(expected[1][locus], abs=1e-12)
    assert sum(got.p_mismatches) + got.p_more == pytest.approx(1.0)


@settings(max_examples=30, deadline=None, database=None)
@given(
    freqs=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=6),
    data=st.data(),
)
def test_prediction_property_exhaustive_and_normalised(
    nom: Nomenclature, freqs: list[float], data: st.DataObject
) -> None:
    """Property: on small random HF sets the probabilities equal the exhaustive sum and add up to 1."""
    n = len(freqs)
    hf = _hf(nom, freqs)
    pick = st.tuples(st.integers(0, len(HAPLOTYPES) - 1), st.integers(0, len(HAPLOTYPES) - 1))
    res = st.tuples(*[st.sampled_from(RESOLUTIONS)] * 5)
    (p1, p2), (d1, d2) = data.draw(pick), data.draw(pick)
    pt, dt = _typing(nom, p1, p2, data.draw(res)), _typing(nom, d1, d2, data.draw(res))
    expected = _exhaustive(nom, freqs, pt, dt)
    pg, dg = impute(hf, pt), impute(hf, dt)
    got = predict(pg, dg)
    if expected is None:
        assert got.p_mismatches is None and (pg.unrepresented or dg.unrepresented)
        return
    assert got.p_mismatches is not None and got.p_more is not None and got.per_locus is not None
    assert [*got.p_mismatches, got.p_more] == pytest.approx(expected[0], abs=1e-9)
    assert sum(got.p_mismatches) + got.p_more == pytest.approx(1.0)
    for locus in HF_LOCI:
        assert sum(got.per_locus[locus]) == pytest.approx(1.0)
    assert pg.mass_left_out == 0.0 and pg.genotypes_total <= n * (n + 1) // 2


def test_unrepresented_typing_is_flagged(nom: Nomenclature) -> None:
    hf = _hf(nom, [0.5, 0.3, 0.2])
    patient = _typing(nom, 0, 1, ("G",) * 5)
    donor = {**_typing(nom, 0, 1, ("G",) * 5), "A": locus_typing(nom, "A*80:01", "A*01:01")}
    got = predict(impute(hf, patient), impute(hf, donor))
    assert got.donor_unrepresented and not got.patient_unrepresented
    assert got.p_mismatches is None and got.per_locus is None


def test_genotype_cap_reports_mass_left_out(nom: Nomenclature) -> None:
    hf = _hf(nom, [0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05])
    typing = _typing(nom, 1, 3, ("XX", "XX", "untyped", "XX", "untyped"))
    full = impute(hf, typing, max_genotypes=None)
    capped = impute(hf, typing, max_genotypes=1)
    assert full.genotypes_total == capped.genotypes_total > 1
    assert capped.truncated and not full.truncated and capped.cap == 1
    assert capped.mass_left_out == pytest.approx(1.0 - float(full.weights.max()))
    assert float(capped.weights.sum()) == pytest.approx(1.0)
    predictor = MatchPredictor(hf, max_genotypes=1)
    got = predictor.predict(predictor.impute(typing), impute(hf, typing, max_genotypes=None))
    assert got.patient_mass_left_out == pytest.approx(capped.mass_left_out) and got.genotype_cap == 1
