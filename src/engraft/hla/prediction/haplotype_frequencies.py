"""Five-locus haplotype-frequency (HF) sets, encoded against one IPD-IMGT/HLA release.

An HF set is the population model behind two features: the synthetic registry generator (donors are
drawn as pairs of haplotypes) and match prediction (genotype imputation of ambiguous typings). The
accepted exchange format is Atlas's HF-set JSON (``Schemas/HFSetSchema.json``; Atlas
README_MatchPredictionAlgorithm.md): ``{nomenclatureVersion, donPool, ethn, populationId,
typingCategory, frequencies: [{a, b, c, drb1, dqb1, frequency}]}`` with names without the locus prefix
(``"01:01:01G"``); :func:`hf_set_from_atlas` takes the parsed JSON (reading the file:
:func:`engraft.io.haplotype_frequencies.load_atlas_hf_set`). ``donPool`` (registry codes) and ``ethn``
(ethnicity codes) say whom the set describes (one, several or none: the global set), see
:mod:`engraft.hla.prediction.set_selection`. Typing categories (G groups, small g groups, P groups) and
the version check are :mod:`engraft.hla.prediction.hf_nomenclature`. Like Atlas we accept sets whose
frequencies do not sum to 1 (the Atlas 301-haplotype sample sums to 0.45): frequencies are normalised
and the raw total kept for reporting.

Haplotypes are stored as int codes so that imputation is a handful of numpy comparisons: per locus a
table of the distinct tokens (:class:`LocusTokens`: each token's G groups and expressed P group, -1 for
null alleles only), and per haplotype the index of its token at each locus (``codes``). ``p_codes``
(index into ``Nomenclature.p_group_names``) is the unit of matching (Atlas: P group; WMDA AI3).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.hf_nomenclature import (
    TokenResolver,
    TypingCategory,
    VersionCheck,
    check_version,
)
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
class LocusTokens:
    """The distinct tokens of one locus of an HF set with their G groups and expressed P group."""

    locus: Locus
    names: tuple[str, ...]  # with locus prefix: "A*01:01:01G"
    g_groups: tuple[frozenset[int], ...]
    p_codes: npt.NDArray[np.int32]  # (T,), -1 = no expressed allele

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def p_list(self) -> list[int]:
        """``p_codes`` as Python ints (set membership tests over a few hundred tokens beat numpy calls)."""
        return self.p_codes.tolist()  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class HaplotypeFrequencySet:
    """Normalised haplotype frequencies with per-locus token tables (see the module docstring)."""

    release: str
    loci: tuple[Locus, ...]  # MATCH_LOCI, the order of the code arrays
    locus_tokens: tuple[LocusTokens, ...]
    codes: npt.NDArray[np.int32]  # (H, L): index into locus_tokens[j]
    tokens: tuple[tuple[str, ...], ...]  # per haplotype, per locus: the token name (with locus prefix)
    p_codes: npt.NDArray[np.int32]  # (H, L): expressed P group of each haplotype allele, -1 for a null
    rows_by_token: tuple[tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]], ...]  # per locus: (rows, offsets)
    frequencies: npt.NDArray[np.float64]  # (H,), sums to 1
    raw_total: float
    population_id: int | None = None
    registries: frozenset[str] = frozenset()  # donPool; empty: any registry
    ethnicities: frozenset[str] = frozenset()  # ethn; empty: any ethnicity
    typing_category: TypingCategory = TypingCategory.LARGE_G
    stated_version: str | None = None  # nomenclatureVersion as the file states it (None: not stated)
    converted: bool = False  # encoded in an older release and converted to ``release``
    name: str = ""

    @property
    def size(self) -> int:
        return int(self.frequencies.shape[0])

    def rows_of(self, j: int, tokens: npt.NDArray[np.bool_]) -> npt.NDArray[np.int32]:
        """Sorted haplotype rows whose allele at locus ``j`` is one of the chosen tokens (a boolean per token)."""
        order, offsets = self.rows_by_token[j]
        chosen = np.flatnonzero(tokens)
        if chosen.size > 1 and int((offsets[chosen + 1] - offsets[chosen]).sum()) * 16 > self.size:
            # many rows: one pass over the codes beats sorting the posting lists together
            return np.flatnonzero(tokens[self.codes[:, j]]).astype(np.int32)
        parts = [order[offsets[t] : offsets[t + 1]] for t in chosen.tolist()]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int32)

    def rows_count(self, j: int, tokens: npt.NDArray[np.bool_]) -> int:
        """How many haplotypes :meth:`rows_of` would return."""
        offsets = self.rows_by_token[j][1]
        return int((np.diff(offsets)[tokens]).sum())

    def locus_index(self, locus: Locus | str) -> int:
        return self.loci.index(locus)

    def describe(self) -> str:
        """A short label: name or population, the registries and ethnicities it covers."""
        parts = [self.name or (f"population {self.population_id}" if self.population_id is not None else "HF set")]
        parts.append("registries " + ", ".join(sorted(self.registries)) if self.registries else "any registry")
        parts.append("ethnicities " + ", ".join(sorted(self.ethnicities)) if self.ethnicities else "any ethnicity")
        return "; ".join(parts)


def build_hf_set(
    nom: Nomenclature,
    haplotypes: Sequence[Mapping[Locus, str]],
    frequencies: Sequence[float],
    *,
    population_id: int | None = None,
    typing_category: TypingCategory = TypingCategory.LARGE_G,
    version: VersionCheck | None = None,
    registries: Collection[str] = (),
    ethnicities: Collection[str] = (),
    name: str = "",
) -> HaplotypeFrequencySet:
    """Encode haplotypes given as ``{locus: token}`` (``"A*01:01:01G"`` or ``"01:01:01G"``).

    Haplotypes that are the same after encoding (duplicates, or groups merged by a conversion) are
    merged (frequencies added); haplotypes of frequency 0 are left out. Raises
    :class:`~engraft.hla.nomenclature.errors.HlaNomenclatureError` or
    :class:`~engraft.hla.prediction.hf_nomenclature.HfSetNomenclatureError` for a token the release
    cannot take, naming it, and :class:`ValueError` for a non-positive total or negative frequency.
    """
    if len(haplotypes) != len(frequencies):
        raise ValueError("haplotypes and frequencies differ in length")
    freq = np.asarray(frequencies, dtype=np.float64)
    if freq.size == 0 or np.any(freq < 0) or not np.isfinite(freq).all() or freq.sum() <= 0:
        raise ValueError("HF set needs non-negative, finite frequencies with a positive total")
    check = version or VersionCheck(None, nom.release, convert=False)
    resolver = TokenResolver(nom, typing_category, check)
    # per locus: group key (G groups, P) -> token index; the first name seen names the token
    keys: list[dict[tuple[frozenset[int], int], int]] = [{} for _ in MATCH_LOCI]
    names: list[list[str]] = [[] for _ in MATCH_LOCI]
    codes = np.empty((len(haplotypes), len(MATCH_LOCI)), dtype=np.int32)
    for i, hap in enumerate(haplotypes):
        for j, locus in enumerate(MATCH_LOCI):
            raw = hap.get(locus)
            if raw is None:
                raise ValueError(f"haplotype {i} has no {locus} allele")
            token = raw if "*" in raw else f"{locus}*{raw}"
            groups = resolver.resolve(locus, token)
            key = (groups.g_groups, groups.p_group)
            index = keys[j].get(key)
            if index is None:
                index = keys[j][key] = len(names[j])
                names[j].append(token)
            codes[i, j] = index
    uniq, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    values = np.bincount(inverse.reshape(-1), weights=freq, minlength=uniq.shape[0])
    order = np.argsort(first, kind="stable")  # haplotypes in the order the set lists them
    order = order[values[order] > 0]  # a haplotype of frequency 0 explains nothing
    uniq, values = uniq[order], values[order]
    total = float(values.sum())
    tables = tuple(
        LocusTokens(
            locus,
            tuple(names[j]),
            tuple(k[0] for k in keys[j]),
            np.fromiter((k[1] for k in keys[j]), dtype=np.int32, count=len(keys[j])),
        )
        for j, locus in enumerate(MATCH_LOCI)
    )
    hap_codes = uniq.astype(np.int32)
    p_codes = np.stack([t.p_codes[hap_codes[:, j]] for j, t in enumerate(tables)], axis=1).astype(np.int32)
    rows_by_token = tuple(
        (
            np.argsort(hap_codes[:, j], kind="stable").astype(np.int32),
            np.concatenate([[0], np.cumsum(np.bincount(hap_codes[:, j], minlength=t.size))]).astype(np.int64),
        )
        for j, t in enumerate(tables)
    )
    return HaplotypeFrequencySet(
        release=nom.release,
        loci=MATCH_LOCI,
        locus_tokens=tables,
        codes=hap_codes,
        tokens=tuple(tuple(names[j][c] for j, c in enumerate(row)) for row in hap_codes.tolist()),
        p_codes=p_codes,
        rows_by_token=rows_by_token,
        frequencies=values / total,
        raw_total=total,
        population_id=population_id,
        registries=frozenset(registries),
        ethnicities=frozenset(ethnicities),
        typing_category=typing_category,
        stated_version=check.stated,
        converted=check.convert,
        name=name,
    )


def _codes(data: Mapping[str, object], key: str) -> frozenset[str]:
    """``donPool`` / ``ethn``: null, one code or a list of codes (strings or numbers)."""
    value = data.get(key)
    if value is None:
        return frozenset()
    items = value if isinstance(value, list) else [value]
    return frozenset(str(v).strip() for v in items if v is not None and str(v).strip())


def hf_set_from_atlas(nom: Nomenclature, data: Mapping[str, object], *, name: str = "") -> HaplotypeFrequencySet:
    """An HF set from a parsed Atlas HF-set JSON object; see the module docstring for the format."""
    category_text = data.get("typingCategory") or TypingCategory.LARGE_G.value
    try:
        category = TypingCategory(str(category_text))
    except ValueError:
        accepted = ", ".join(repr(c.value) for c in TypingCategory)
        raise ValueError(
            f"HF set typingCategory {category_text!r} is not supported; expected one of {accepted}"
        ) from None
    version = check_version(data.get("nomenclatureVersion"), nom.release)
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
        except (TypeError, ValueError):
            raise ValueError(f"frequencies[{i}].frequency {row.get('frequency')!r} is not a number") from None
    pop = data.get("populationId")
    return build_hf_set(
        nom,
        haplotypes,
        freqs,
        population_id=int(pop) if isinstance(pop, int) else None,
        typing_category=category,
        version=version,
        registries=_codes(data, "donPool"),
        ethnicities=_codes(data, "ethn"),
        name=name,
    )
