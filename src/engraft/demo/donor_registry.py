"""Synthetic donor registries of any size, drawn from a five-locus haplotype-frequency set.

Why: benchmarks and tests need registries of 1-30 M donors whose HLA has realistic linkage
disequilibrium, and real registry extracts cannot leave the registries. Each donor is two haplotypes
drawn independently with the HF-set frequencies (Hardy-Weinberg), as in Atlas's and Hap-E's imputation
model; the typing is then degraded to a resolution drawn per donor, mimicking a registry whose donors
were recruited over decades (WMDA: serology for old recruits, 2-field and high resolution later):

* ``high``: G group at A, B, C, DRB1, DQB1 (e.g. ``A*01:01:01G``) and DPB1;
* ``two_field``: 2-field name of a member allele (``A*01:01``), DPB1 for half of them;
* ``xx``: first field only (``A*01:XX``, a simplified multiple-allele code) at the five loci;
* ``serology``: serological antigen (``A1``, ``DR15``) at A, B and DRB1 only (C, DQB1 untyped).

DPB1 is not part of Atlas HF sets; it is drawn independently from a small fixed distribution of common
DPB1 alleles (:data:`DPB1_DISTRIBUTION`, illustrative, not population data). Ages, sex, CMV, ABO and
cord units with TNC/CD34 counts are drawn from simple illustrative distributions of vocabulary values,
written as the store's codes (:mod:`engraft.hla.search.store_codes`). Generation is
vectorised per chunk and written chunk by chunk, so 30 M donors need about one chunk of memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.typing_builder import TypingBuilder, typing_builder
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.search.donor_batch import UNTYPED, DonorBatch, LocusColumn
from engraft.hla.search.donor_store import DonorStore, Progress
from engraft.hla.search.store_codes import ABO, CMV, DONOR_KIND, SEX
from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex
from engraft.vocabulary.hla import Locus

RESOLUTIONS: tuple[str, ...] = ("high", "two_field", "xx", "serology")

#: Illustrative DPB1 allele distribution (common European alleles; not a published frequency set).
DPB1_DISTRIBUTION: tuple[tuple[str, float], ...] = (
    ("DPB1*04:01", 0.40),
    ("DPB1*02:01", 0.14),
    ("DPB1*04:02", 0.11),
    ("DPB1*03:01", 0.10),
    ("DPB1*01:01", 0.06),
    ("DPB1*05:01", 0.05),
    ("DPB1*14:01", 0.04),
    ("DPB1*13:01", 0.03),
    ("DPB1*10:01", 0.03),
    ("DPB1*17:01", 0.02),
    ("DPB1*09:01", 0.02),
)


#: Illustrative ABO distribution of the synthetic donors (roughly Western European; not population data).
ABO_DISTRIBUTION: tuple[tuple[AboGroup, float], ...] = (
    (AboGroup.O, 0.45),
    (AboGroup.A, 0.40),
    (AboGroup.B, 0.11),
    (AboGroup.AB, 0.04),
)


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Size and mix of a synthetic registry (fractions are probabilities per donor)."""

    n_donors: int
    seed: int = 0
    chunk_size: int = 1_000_000
    first_id: int = 1
    cord_fraction: float = 0.05
    resolution_mix: tuple[float, float, float, float] = (0.5, 0.25, 0.15, 0.10)  # RESOLUTIONS order
    #: share of donors typed at mixed resolution: their resolution is drawn per locus (with the same mix,
    #: serology standing for untyped at C and DQB1) instead of once per donor; 0 leaves the draws unchanged
    mixed_fraction: float = 0.0
    registries: tuple[str, ...] = ("REG-A", "REG-B", "REG-C")
    reference_year: int = 2026
    min_age: int = 18
    max_age: int = 60


def _member_allele(nom: Nomenclature, token: str) -> int:
    exp = nom.expand(token)
    expressed = [c for c in exp.alleles if not nom.is_null[c]]
    return (expressed or list(exp.alleles))[0]


def _valid(typings: TypingBuilder, token: str, locus: Locus, p_code: int) -> bool:
    """Token is valid for the locus and still covers the haplotype's P group."""
    try:
        pos = typings.position(token)
    except HlaNomenclatureError:
        return False
    return pos.locus == locus and (p_code < 0 or p_code in pos.p_groups)


def _token_table(nom: Nomenclature, hf: HaplotypeFrequencySet, j: int) -> tuple[tuple[str, ...], npt.NDArray[np.int32]]:
    """Vocabulary (distinct G groups x resolutions) and, per haplotype, its distinct-G index."""
    locus = hf.loci[j]
    typings = typing_builder(nom)
    distinct: dict[str, int] = {}
    hap_index = np.empty(hf.size, dtype=np.int32)
    vocab: list[str] = []
    for h in range(hf.size):
        g_token = hf.tokens[h][j]
        if g_token not in distinct:
            distinct[g_token] = len(distinct)
            allele = _member_allele(nom, g_token)
            p_code = int(hf.p_codes[h, j])
            high = g_token
            two = nom.two_field_names[int(nom.two_field_of[allele])]
            two = two if _valid(typings, two, locus, p_code) else high
            xx = f"{locus}*{nom.allele_names[allele].split('*')[1].split(':')[0]}:XX"
            xx = xx if _valid(typings, xx, locus, p_code) else two
            ser_code = int(nom.serology_of[allele])
            ser = nom.serology_names[ser_code] if ser_code >= 0 else xx
            ser = ser if _valid(typings, ser, locus, p_code) else xx
            vocab.extend((high, two, xx, ser))
        hap_index[h] = distinct[g_token]
    return tuple(vocab), hap_index


class RegistryGenerator:
    """Draws :class:`DonorBatch` chunks; token tables are built once per HF set."""

    def __init__(self, nom: Nomenclature, hf: HaplotypeFrequencySet, config: GeneratorConfig) -> None:
        if len(config.resolution_mix) != len(RESOLUTIONS) or abs(sum(config.resolution_mix) - 1) > 1e-9:
            raise ValueError("resolution_mix needs four probabilities summing to 1")
        if not 0.0 <= config.mixed_fraction <= 1.0:
            raise ValueError(f"mixed_fraction {config.mixed_fraction} must be within 0..1")
        self.hf = hf
        self.config = config
        self._tables = [_token_table(nom, hf, j) for j in range(len(hf.loci))]
        self._cum = np.cumsum(hf.frequencies)
        self._cum[-1] = 1.0
        self._abo_codes = ABO.encode(group for group, _ in ABO_DISTRIBUTION)
        self._abo_cumulative = np.cumsum([p for _, p in ABO_DISTRIBUTION])

    def batches(self) -> Iterator[DonorBatch]:
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        for start in range(0, cfg.n_donors, cfg.chunk_size):
            n = min(cfg.chunk_size, cfg.n_donors - start)
            yield self._chunk(rng, cfg.first_id + start, n)

    def _chunk(self, rng: np.random.Generator, first_id: int, n: int) -> DonorBatch:
        cfg = self.config
        haps = np.searchsorted(self._cum, rng.random((n, 2)), side="right").astype(np.int32)
        cum_mix = np.cumsum(cfg.resolution_mix)
        res = np.searchsorted(cum_mix, rng.random(n), side="right").clip(0, 3).astype(np.int32)
        per_locus = np.broadcast_to(res[:, None], (n, len(self.hf.loci)))
        if cfg.mixed_fraction > 0:
            mixed = rng.random(n) < cfg.mixed_fraction
            drawn = np.searchsorted(cum_mix, rng.random((n, len(self.hf.loci))), side="right").clip(0, 3)
            per_locus = np.where(mixed[:, None], drawn, per_locus).astype(np.int32)
        hla: dict[Locus, LocusColumn] = {}
        for j, locus in enumerate(self.hf.loci):
            vocab, hap_index = self._tables[j]
            r = per_locus[:, j]
            first = hap_index[haps[:, 0]] * 4 + r
            second = hap_index[haps[:, 1]] * 4 + r
            if locus in (Locus.C, Locus.DQB1):
                untyped = r == RESOLUTIONS.index("serology")
                first[untyped] = UNTYPED
                second[untyped] = UNTYPED
            hla[locus] = LocusColumn(vocab, first.astype(np.int32), second.astype(np.int32))
        dp_names = tuple(name for name, _ in DPB1_DISTRIBUTION)
        dp_p = np.array([p for _, p in DPB1_DISTRIBUTION])
        dp = rng.choice(len(dp_names), size=(n, 2), p=dp_p / dp_p.sum()).astype(np.int32)
        dp_typed = (res == 0) | ((res == 1) & (rng.random(n) < 0.5))
        dp[~dp_typed] = UNTYPED
        hla[Locus.DPB1] = LocusColumn(dp_names, dp[:, 0].copy(), dp[:, 1].copy())
        cord = rng.random(n) < cfg.cord_fraction
        age = rng.integers(cfg.min_age, cfg.max_age + 1, size=n)
        birth_year = np.where(cord, 0, cfg.reference_year - age).astype(np.int16)
        abo_index = np.searchsorted(self._abo_cumulative, rng.random(n), side="right").clip(0, len(self._abo_codes) - 1)
        tnc = np.where(cord, rng.lognormal(np.log(120.0), 0.45, n), np.nan).astype(np.float32)
        cd34 = np.where(cord, rng.lognormal(np.log(3.5), 0.6, n), np.nan).astype(np.float32)
        return DonorBatch(
            donor_id=np.arange(first_id, first_id + n, dtype=np.int64),
            donor_type=np.where(cord, DONOR_KIND.code(DonorKind.CORD), DONOR_KIND.code(DonorKind.ADULT)).astype(
                np.uint8
            ),
            registry=rng.integers(0, len(cfg.registries), size=n).astype(np.uint16),
            registry_names=cfg.registries,
            birth_year=birth_year,
            sex=np.where(rng.random(n) < 0.5, SEX.code(Sex.MALE), SEX.code(Sex.FEMALE)).astype(np.uint8),
            cmv=np.where(rng.random(n) < 0.5, CMV.code(Serostatus.POSITIVE), CMV.code(Serostatus.NEGATIVE)).astype(
                np.uint8
            ),
            abo=self._abo_codes[abo_index],
            tnc=tnc,
            cd34=cd34,
            hla=hla,
        )


def generate_registry(
    store: DonorStore,
    nom: Nomenclature,
    hf: HaplotypeFrequencySet,
    config: GeneratorConfig,
    *,
    progress: Progress | None = None,
) -> int:
    """Append a synthetic registry to ``store`` chunk by chunk; returns the number of donors written.

    Ids are ``first_id .. first_id + n_donors - 1``; they are assumed new (no upsert look-up), so use a
    fresh id range when adding to a non-empty store.
    """
    done = 0
    for batch in RegistryGenerator(nom, hf, config).batches():
        store.append(batch, replace_existing=False, segment_rows=config.chunk_size)
        done += len(batch)
        if progress is not None:
            progress(done, config.n_donors)
    return done
