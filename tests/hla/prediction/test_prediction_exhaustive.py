"""Match prediction against a textbook calculation, and its invariants (Hypothesis).

The reference (:func:`_exhaustive`) enumerates every haplotype pair of a small set, decides consistency
from ``Nomenclature.expand`` of the haplotype's G group (P-group level, or G-group level for the
option) and counts mismatches with :func:`match_locus` on the genotypes' own typings; an unambiguous
typing is its own genotype.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import LocusTyping, Nomenclature, locus_typing, match_locus
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set
from engraft.hla.prediction.imputation import Consistency, GenotypeSource
from engraft.hla.prediction.match_prediction import MatchPredictor, impute, predict
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


def _unambiguous(typing: Mapping[str, LocusTyping]) -> bool:
    return len(typing) == len(HF_LOCI) and all(
        p.is_null or len(p.p_groups) == 1 for t in typing.values() for p in t.positions
    )


def _fits(nom: Nomenclature, token: str, position_p: frozenset[int], position_g: frozenset[int], level: str) -> bool:
    alleles = nom.expand(token).alleles
    if level == "g":
        return bool({int(nom.g_group_of[c]) for c in alleles} & position_g)
    return bool({int(nom.p_group_of[c]) for c in alleles if not nom.is_null[c]} & position_p)


def _genotypes(
    nom: Nomenclature, freqs: Sequence[float], typing: Mapping[str, LocusTyping], level: str
) -> list[tuple[Mapping[str, LocusTyping], float]]:
    """(genotype typing, likelihood) for every haplotype pair explaining ``typing``; itself if unambiguous."""
    if _unambiguous(typing):
        return [(typing, 1.0)]
    out: list[tuple[Mapping[str, LocusTyping], float]] = []
    for i, j in itertools.combinations_with_replacement(range(len(freqs)), 2):
        ok = True
        for locus, t in typing.items():
            ti, tj = f"{locus}*{HAPLOTYPES[i][locus]}", f"{locus}*{HAPLOTYPES[j][locus]}"
            (p1, g1), (p2, g2) = ((p.p_groups, p.g_groups) for p in t.positions)
            ok &= (_fits(nom, ti, p1, g1, level) and _fits(nom, tj, p2, g2, level)) or (
                _fits(nom, ti, p2, g2, level) and _fits(nom, tj, p1, g1, level)
            )
        if ok:
            genotype = {
                locus: locus_typing(nom, f"{locus}*{HAPLOTYPES[i][locus]}", f"{locus}*{HAPLOTYPES[j][locus]}")
                for locus in HF_LOCI
            }
            out.append((genotype, freqs[i] * freqs[j] * (1 if i == j else 2)))
    return out


def _exhaustive(
    nom: Nomenclature,
    freqs: Sequence[float],
    patient: Mapping[str, LocusTyping],
    donor: Mapping[str, LocusTyping],
    level: str = "p",
) -> tuple[list[float], dict[str, list[float]]] | None:
    pg, dg = _genotypes(nom, freqs, patient, level), _genotypes(nom, freqs, donor, level)
    if not pg or not dg:
        return None
    zp, zd = sum(w for _, w in pg), sum(w for _, w in dg)
    overall = [0.0, 0.0, 0.0, 0.0]
    per_locus = {locus: [0.0, 0.0, 0.0] for locus in HF_LOCI}
    for (pt, pw), (dt, dw) in itertools.product(pg, dg):
        w = pw * dw / (zp * zd)
        total = 0
        for locus in HF_LOCI:
            mm = match_locus(pt[locus], dt[locus]).mismatch_count
            per_locus[locus][mm] += w
            total += mm
        overall[min(total, 3)] += w
    return overall, per_locus


def _hf(nom: Nomenclature, freqs: Sequence[float]) -> HaplotypeFrequencySet:
    return build_hf_set(nom, HAPLOTYPES[: len(freqs)], freqs)


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
    level=st.sampled_from(["p", "g"]),
    data=st.data(),
)
def test_prediction_property_exhaustive_and_normalised(
    nom: Nomenclature, freqs: list[float], level: str, data: st.DataObject
) -> None:
    """Property: on small random HF sets the probabilities equal the exhaustive sum and add up to 1."""
    n = len(freqs)
    hf = _hf(nom, freqs)
    consistency = Consistency.P_GROUP if level == "p" else Consistency.G_GROUP
    pick = st.tuples(st.integers(0, len(HAPLOTYPES) - 1), st.integers(0, len(HAPLOTYPES) - 1))
    res = st.tuples(*[st.sampled_from(RESOLUTIONS)] * 5)
    (p1, p2), (d1, d2) = data.draw(pick), data.draw(pick)
    pt, dt = _typing(nom, p1, p2, data.draw(res)), _typing(nom, d1, d2, data.draw(res))
    expected = _exhaustive(nom, freqs, pt, dt, level)
    pg, dg = impute(hf, pt, consistency=consistency), impute(hf, dt, consistency=consistency)
    got = predict(pg, dg)
    if expected is None:
        assert got.p_mismatches is None and (pg.unrepresented or dg.unrepresented)
        assert (pg.unexplained is not None) or (dg.unexplained is not None)
        return
    assert got.p_mismatches is not None and got.p_more is not None and got.per_locus is not None
    assert [*got.p_mismatches, got.p_more] == pytest.approx(expected[0], abs=1e-9)
    assert sum(got.p_mismatches) + got.p_more == pytest.approx(1.0)
    for locus in HF_LOCI:
        assert sum(got.per_locus[locus]) == pytest.approx(1.0)
    assert pg.mass_left_out == 0.0 and pg.genotypes_total <= n * (n + 1) // 2


@settings(max_examples=40, deadline=None, database=None)
@given(
    freqs=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=8),
    pair=st.tuples(st.integers(0, 7), st.integers(0, 7)),
    res=st.tuples(*[st.sampled_from(RESOLUTIONS)] * 5),
)
def test_same_typing_zero_mismatch_is_genotype_coincidence(
    nom: Nomenclature, freqs: list[float], pair: tuple[int, int], res: tuple[str, ...]
) -> None:
    """Invariant: two subjects with one typing match fully with probability sum(w^2) over its genotypes.

    Per locus likewise over the locus's marginal genotype distribution; every probability is in [0, 1]
    and the per-locus figures bound the overall ones.
    """
    hf = _hf(nom, freqs)
    typing = _typing(nom, *pair, res)
    g = impute(hf, typing, max_genotypes=None)
    got = predict(g, g)
    if g.unrepresented:
        assert got.p_mismatches is None
        return
    assert got.p_mismatches is not None and got.per_locus is not None and got.p_more is not None
    assert got.p_mismatches[0] == pytest.approx(float((g.weights**2).sum()), abs=1e-12)
    for j, locus in enumerate(g.loci):
        pairs = [tuple(row) for row in g.p_pairs[:, j, :].tolist()]
        marginal: dict[tuple[int, ...], float] = {}
        for key, w in zip(pairs, g.weights.tolist(), strict=True):
            marginal[key] = marginal.get(key, 0.0) + w
        assert got.per_locus[locus][0] == pytest.approx(sum(v * v for v in marginal.values()), abs=1e-12)
    values = [*got.p_mismatches, got.p_more, *(v for t in got.per_locus.values() for v in t)]
    assert all(-1e-12 <= v <= 1 + 1e-12 for v in values)
    assert got.p_mismatches[0] <= min(t[0] for t in got.per_locus.values()) + 1e-12
    expected_locus_mm = sum(t[1] + 2 * t[2] for t in got.per_locus.values())
    low = got.p_mismatches[1] + 2 * got.p_mismatches[2] + 3 * got.p_more
    high = got.p_mismatches[1] + 2 * got.p_mismatches[2] + 2 * len(g.loci) * got.p_more
    assert low - 1e-9 <= expected_locus_mm <= high + 1e-9


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


def test_genotype_cap_at_the_genotype_count_keeps_everything(nom: Nomenclature) -> None:
    """Boundary: a cap equal to the number of genotypes drops nothing; one less drops the least likely."""
    hf = _hf(nom, [0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05])
    typing = _typing(nom, 1, 3, ("XX", "XX", "untyped", "XX", "untyped"))
    n = impute(hf, typing, max_genotypes=None).genotypes_total
    exact = impute(hf, typing, max_genotypes=n)
    below = impute(hf, typing, max_genotypes=n - 1)
    assert not exact.truncated and exact.mass_left_out == 0.0 and exact.weights.shape[0] == n
    assert below.truncated and below.mass_left_out > 0.0 and below.weights.shape[0] == n - 1


@functools.cache
def _expressed_alleles(nom: Nomenclature, locus: str) -> tuple[str, ...]:
    """Every 25th expressed allele of a locus (a spread over the whole release, most not in any HF set)."""
    names = [n for c, n in enumerate(nom.allele_names) if nom.locus_of[c] == locus and not nom.is_null[c]]
    return tuple(names[::25])


@settings(max_examples=40, deadline=None, database=None)
@given(data=st.data())
def test_unambiguous_typings_predict_with_certainty(nom: Nomenclature, data: st.DataObject) -> None:
    """Invariant: two allele-level typings, in the set or not, give P = 1 for their own mismatch count."""
    hf = _hf(nom, [0.5, 0.3, 0.2])

    def allele(locus: str) -> str:
        return data.draw(st.sampled_from(_expressed_alleles(nom, locus)))

    pt = {locus: locus_typing(nom, allele(locus), allele(locus)) for locus in HF_LOCI}
    dt = {locus: locus_typing(nom, allele(locus), allele(locus)) for locus in HF_LOCI}
    pg, dg = impute(hf, pt), impute(hf, dt)
    assert pg.source is dg.source is GenotypeSource.TYPED
    assert pg.weights.tolist() == [1.0] and not pg.unrepresented
    got = predict(pg, dg)
    assert got.p_mismatches is not None and got.per_locus is not None and got.p_more is not None
    counts = {locus: match_locus(pt[locus], dt[locus]).mismatch_count for locus in HF_LOCI}
    total = sum(counts.values())
    assert [*got.p_mismatches, got.p_more] == [float(total == k) for k in (0, 1, 2)] + [float(total > 2)]
    for locus, mm in counts.items():
        assert got.per_locus[locus] == tuple(float(mm == k) for k in (0, 1, 2))
    assert np.all(pg.p_pairs[0, :, 0] <= pg.p_pairs[0, :, 1])
