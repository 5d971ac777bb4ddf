"""A realistic-diversity haplotype-frequency set for the benchmarks: the Atlas sample plus a long tail.

The 301-haplotype Atlas sample (``../shared/data/atlas-samples/hf-set-301.json``, never committed) keeps
90 % of the mass; the tail holds 10 %, Zipf-like (``1 / rank^0.8``). Each tail haplotype takes every locus
from an independently drawn sample haplotype (drawn with the sample frequencies, so common alleles stay
common), and the tail holds only *distinct* haplotypes that are not in the sample: ``long_tail(..., n)``
has exactly ``n`` haplotypes (``bench_match_prediction.long_tail_set`` draws ``n`` and lets duplicates
merge, so it holds fewer). Generation is vectorised (haplotypes as folded int64 keys) and uses a fixed
seed; ``prefix(k)`` gives the first ``k`` haplotypes with the same relative frequencies, so a registry
drawn from a 30,301-haplotype set is explained by the 100,000-haplotype set used for prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.hla import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set
from engraft.vocabulary.hla import Locus

TAIL_MASS = 0.1
ZIPF_EXPONENT = 0.8


@dataclass(frozen=True, slots=True)
class LongTail:
    """Per haplotype its token code at each locus (into the sample's token tables) and its raw frequency."""

    sample: HaplotypeFrequencySet
    codes: npt.NDArray[np.int32]  # (H, L), the sample's haplotypes first
    frequencies: npt.NDArray[np.float64]  # (H,), sums to 1 over the whole list

    @property
    def size(self) -> int:
        return int(self.codes.shape[0])

    def prefix(self, nom: Nomenclature, k: int, *, name: str) -> HaplotypeFrequencySet:
        """The first ``k`` haplotypes as an HF set (frequencies renormalised by :func:`build_hf_set`)."""
        if k > self.size:
            raise ValueError(f"the long tail holds {self.size} haplotypes, {k} asked for")
        tables = [t.names for t in self.sample.locus_tokens]
        loci: tuple[Locus, ...] = self.sample.loci
        haplotypes = [
            {locus: tables[j][c] for j, (locus, c) in enumerate(zip(loci, row, strict=True))}
            for row in self.codes[:k].tolist()
        ]
        return build_hf_set(nom, haplotypes, self.frequencies[:k].tolist(), name=name)


def _keys(codes: npt.NDArray[np.int32], radix: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = np.zeros(codes.shape[0], dtype=np.int64)
    for j in range(codes.shape[1]):
        out = out * radix[j] + codes[:, j]
    return out


def long_tail(sample: HaplotypeFrequencySet, n: int, *, seed: int = 2026) -> LongTail:
    """The sample plus ``n - sample.size`` distinct recombined tail haplotypes (see the module docstring)."""
    rng = np.random.default_rng(seed)
    tail = max(0, n - sample.size)
    radix = np.array([t.size for t in sample.locus_tokens], dtype=np.int64)
    seen = _keys(sample.codes, radix)
    rows: list[npt.NDArray[np.int32]] = []
    have = 0
    while have < tail:
        draw = max(1024, 2 * (tail - have))
        picks = rng.choice(sample.size, size=(draw, len(sample.loci)), p=sample.frequencies)
        cand = np.take_along_axis(sample.codes, picks, axis=0).astype(np.int32)
        keys = _keys(cand, radix)
        _, first = np.unique(keys, return_index=True)
        first = np.sort(first)  # first occurrence, in drawing order
        fresh = first[~np.isin(keys[first], seen)]
        take = fresh[: tail - have]
        rows.append(cand[take])
        seen = np.concatenate([seen, keys[take]])
        have += int(take.size)
    zipf = 1.0 / np.arange(1, tail + 1) ** ZIPF_EXPONENT
    freqs = np.concatenate([sample.frequencies * (1 - TAIL_MASS), TAIL_MASS * zipf / zipf.sum()])
    codes = np.concatenate([sample.codes.astype(np.int32), *rows]) if rows else sample.codes.astype(np.int32)
    return LongTail(sample, codes, freqs)
