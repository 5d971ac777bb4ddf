"""Five-locus haplotype-frequency (HF) sets, encoded as G-group and P-group codes.

An HF set is the population model behind two features: the synthetic registry generator (donors are
drawn as pairs of haplotypes) and match prediction (genotype imputation of ambiguous typings). The
accepted exchange format is Atlas's HF-set JSON (``Schemas/HFSetSchema.json``; Atlas
README_MatchPredictionAlgorithm.md): ``{nomenclatureVersion, donPool, ethn, populationId,
typingCategory, frequencies: [{a, b, c, drb1, dqb1, frequency}]}`` with G-group names without the locus
prefix (``"01:01:01G"``); :func:`hf_set_from_atlas` takes the parsed JSON (reading the file:
:func:`engraft.io.haplotype_frequencies.load_atlas_hf_set`). Like Atlas we accept sets whose
frequencies do not sum to 1 (the bundled 301-haplotype sample sums to 0.45): frequencies are
normalised and the raw total kept for reporting.

Haplotypes are stored as int codes so that imputation is a handful of numpy comparisons: ``g_codes``
(index into ``Nomenclature.g_group_names``) decides whether a haplotype is consistent with a typed
position, ``p_codes`` (index into ``Nomenclature.p_group_names``; ``-1`` for a G group of null alleles
only) is the unit of matching (Atlas: P group; WMDA AI3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.vocabulary.hla import MATCH_LOCI, Locus

#: Key of each locus in the Atlas HF-set JSON; an HF set holds the n/10 loci (:data:`MATCH_LOCI`, Dehn 2019).
ATLAS_KEYS: Final[Mapping[Locus, str]] = {
    Locus.A: "a",
    Locus.B: "b",
    Locus.C: "c",
    Locus.DRB1: "drb1",
    Locus.DQB1: "dqb1",
}


@dataclass(frozen=True, slots=True)
class HaplotypeFrequencySet:
    """Normalised haplotype frequencies with per-locus G-group and P-group codes."""

    release: str
    loci: tuple[Locus, ...]  # MATCH_LOCI, the order of the code arrays
    tokens: tuple[tuple[str, ...], ...]  # per haplotype, per locus: G-group name with locus prefix
    g_codes: npt.NDArray[np.int32]  # (H, L)
    p_codes: npt.NDArray[np.int32]  # (H, L), -1 = no expressed allele
    frequencies: npt.NDArray[np.float64]  # (H,), sums to 1
    raw_total: float
    population_id: int | None = None

    @property
    def size(self) -> int:
        return int(self.frequencies.shape[0])

    def locus_index(self, locus: Locus | str) -> int:
        return self.loci.index(locus)


def _expressed_p_group(nom: Nomenclature, alleles: Sequence[int]) -> int:
    """P group shared by the expressed alleles of a G group (-1 if all are null)."""
    groups = sorted({int(nom.p_group_of[c]) for c in alleles if int(nom.p_group_of[c]) >= 0})
    return groups[0] if groups else -1


def build_hf_set(
    nom: Nomenclature,
    haplotypes: Sequence[Mapping[Locus, str]],
    frequencies: Sequence[float],
    *,
    population_id: int | None = None,
) -> HaplotypeFrequencySet:
    """Encode haplotypes given as ``{locus: token}`` (``"A*01:01:01G"`` or ``"01:01:01G"``).

    Duplicated haplotypes are merged (frequencies added). Raises :class:`HlaNomenclatureError` for a
    token the release does not know, naming the haplotype, and :class:`ValueError` for a non-positive
    total or negative frequency.
    """
    if len(haplotypes) != len(frequencies):
        raise ValueError("haplotypes and frequencies differ in length")
    freq = np.asarray(frequencies, dtype=np.float64)
    if freq.size == 0 or np.any(freq < 0) or not np.isfinite(freq).all() or freq.sum() <= 0:
        raise ValueError("HF set needs non-negative, finite frequencies with a positive total")
    merged: dict[tuple[str, ...], float] = {}
    for i, hap in enumerate(haplotypes):
        tokens: list[str] = []
        for locus in MATCH_LOCI:
            raw = hap.get(locus)
            if raw is None:
                raise ValueError(f"haplotype {i} has no {locus} allele")
            tokens.append(raw if "*" in raw else f"{locus}*{raw}")
        merged[tuple(tokens)] = merged.get(tuple(tokens), 0.0) + float(freq[i])
    keys = list(merged)
    g = np.empty((len(keys), len(MATCH_LOCI)), dtype=np.int32)
    p = np.empty_like(g)
    memo: dict[str, tuple[int, int]] = {}
    for h, key in enumerate(keys):
        for j, (locus, token) in enumerate(zip(MATCH_LOCI, key, strict=True)):
            if token not in memo:
                exp = nom.expand(token)
                if exp.locus != locus:
                    raise HlaNomenclatureError(token, f"a {locus} allele or G group", release=nom.release)
                g_set = {int(nom.g_group_of[c]) for c in exp.alleles}
                memo[token] = (min(g_set), _expressed_p_group(nom, exp.alleles))
            g[h, j], p[h, j] = memo[token]
    values = np.array([merged[k] for k in keys], dtype=np.float64)
    total = float(values.sum())
    return HaplotypeFrequencySet(
        release=nom.release,
        loci=MATCH_LOCI,
        tokens=tuple(keys),
        g_codes=g,
        p_codes=p,
        frequencies=values / total,
        raw_total=total,
        population_id=population_id,
    )


def hf_set_from_atlas(nom: Nomenclature, data: Mapping[str, object]) -> HaplotypeFrequencySet:
    """An HF set from a parsed Atlas HF-set JSON object; see the module docstring for the format."""
    category = data.get("typingCategory")
    if category not in (None, "LargeGGroup"):
        # small g groups (protein-level, built by Atlas itself) have no WMDA file to expand them from
        raise ValueError(f"HF set typingCategory {category!r} is not supported; expected 'LargeGGroup'")
    rows = data.get("frequencies")
    if not isinstance(rows, list) or not rows:
        raise ValueError("Atlas HF set has no 'frequencies' list")
    haplotypes: list[dict[Locus, str]] = []
    freqs: list[float] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"frequencies[{i}] is not an object")
        try:
            haplotypes.append({locus: str(row[key]) for locus, key in ATLAS_KEYS.items()})
            freqs.append(float(row["frequency"]))
        except KeyError as exc:
            raise ValueError(f"frequencies[{i}] lacks {exc.args[0]!r}") from None
    pop = data.get("populationId")
    return build_hf_set(nom, haplotypes, freqs, population_id=int(pop) if isinstance(pop, int) else None)
