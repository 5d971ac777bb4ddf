"""A batch of donors in columnar form, and its validation against one IPD-IMGT/HLA release.

Importers and the synthetic generator both produce :class:`DonorBatch` objects; the store only ever
appends batches. HLA is carried per locus as a small vocabulary of tokens plus two int32 index columns
(one per position), so a batch of a million donors holds a few thousand distinct strings, and each
distinct token is validated once (typed positions are memoised per token,
:mod:`engraft.hla.matching.typing_builder`).

Validation follows Atlas donor import (README_DonorImport.md): A, B and DRB1 are required, C, DQB1,
DPB1, DRB3, DRB4, DRB5 and DQA1 optional (every typed locus is kept); a donor with an invalid token is
rejected and reported (donor id, locus, token, reason) rather than stored with a partial typing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.typing_builder import TypingBuilder, is_locus_gl, typing_builder
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.store_codes import ABO, CMV, DONOR_KIND, SEX
from engraft.vocabulary import DonorKind, Serostatus, Sex
from engraft.vocabulary.hla import STORED_LOCI, Locus

#: Loci a donor must have typed (Atlas search requests require A, B and DRB1); the store keeps
#: :data:`~engraft.vocabulary.hla.STORED_LOCI` (DPB1 is scored, never a match criterion: Atlas, WMDA).
REQUIRED_LOCI: Final[tuple[Locus, ...]] = (Locus.A, Locus.B, Locus.DRB1)

UNTYPED = -1


@dataclass(frozen=True, slots=True)
class LocusColumn:
    """Tokens of one locus: ``first``/``second`` index ``vocabulary``; -1 marks an untyped position.

    A locus with only the first position typed is read as homozygous (as
    :meth:`~engraft.hla.matching.typing_builder.TypingBuilder.locus_typing` does with ``second=None``).
    """

    vocabulary: tuple[str, ...]
    first: npt.NDArray[np.int32]
    second: npt.NDArray[np.int32]

    @classmethod
    def from_pairs(cls, pairs: Sequence[tuple[str | None, str | None]]) -> LocusColumn:
        index: dict[str, int] = {}
        first = np.full(len(pairs), UNTYPED, dtype=np.int32)
        second = np.full(len(pairs), UNTYPED, dtype=np.int32)
        for i, (a, b) in enumerate(pairs):
            if a:
                first[i] = index.setdefault(a, len(index))
            if b:
                second[i] = index.setdefault(b, len(index))
        return cls(tuple(index), first, second)

    def take(self, rows: npt.NDArray[np.intp]) -> LocusColumn:
        return LocusColumn(self.vocabulary, self.first[rows], self.second[rows])

    def compacted(self) -> LocusColumn:
        """The same typings with only the tokens its rows use (in the vocabulary's order)."""
        both = np.concatenate([self.first, self.second])
        used = np.unique(both[both != UNTYPED])
        if len(used) == len(self.vocabulary):
            return self
        remap = np.full(len(self.vocabulary) + 1, UNTYPED, dtype=np.int32)  # index -1 stays untyped
        remap[used] = np.arange(len(used), dtype=np.int32)
        return LocusColumn(tuple(self.vocabulary[i] for i in used), remap[self.first], remap[self.second])


@dataclass(frozen=True, slots=True)
class InvalidTyping:
    """One rejected donor typing (reported, never silently dropped)."""

    donor_id: int
    locus: str
    token: str
    reason: str


@dataclass(frozen=True, slots=True)
class DonorBatch:
    """Columns of one batch of donors (all arrays have the same length), as the store keeps them.

    ``donor_type``, ``sex``, ``cmv`` and ``abo`` hold the storage codes of ``DonorKind``, ``Sex``,
    ``Serostatus`` and ``AboGroup | None`` (:mod:`engraft.hla.search.store_codes`). Units:
    ``birth_year`` 0 = unknown; ``tnc`` total nucleated cells x 1e7 and ``cd34`` CD34+ cells x 1e6 per
    cord unit (NaN = unknown or adult donor); ``registry`` indexes ``registry_names``; ``ethnicity``
    indexes ``ethnicity_names`` (the donor's population code, which chooses its haplotype-frequency set;
    ``None`` or an empty name: not known).
    """

    donor_id: npt.NDArray[np.int64]
    donor_type: npt.NDArray[np.uint8]
    registry: npt.NDArray[np.uint16]
    registry_names: tuple[str, ...]
    birth_year: npt.NDArray[np.int16]
    sex: npt.NDArray[np.uint8]
    cmv: npt.NDArray[np.uint8]
    abo: npt.NDArray[np.uint8]
    tnc: npt.NDArray[np.float32]
    cd34: npt.NDArray[np.float32]
    hla: Mapping[Locus, LocusColumn] = field(default_factory=dict)
    ethnicity: npt.NDArray[np.uint16] | None = None
    ethnicity_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.donor_id.shape[0])

    def take(self, rows: npt.NDArray[np.intp]) -> DonorBatch:
        return DonorBatch(
            donor_id=self.donor_id[rows],
            donor_type=self.donor_type[rows],
            registry=self.registry[rows],
            registry_names=self.registry_names,
            birth_year=self.birth_year[rows],
            sex=self.sex[rows],
            cmv=self.cmv[rows],
            abo=self.abo[rows],
            tnc=self.tnc[rows],
            cd34=self.cd34[rows],
            hla={locus: col.take(rows) for locus, col in self.hla.items()},
            ethnicity=None if self.ethnicity is None else self.ethnicity[rows],
            ethnicity_names=self.ethnicity_names,
        )

    def compacted(self) -> DonorBatch:
        """Only the names and tokens its rows use, registry and ethnicity names in the order of first use
        (as a batch built from these rows alone has them)."""
        registry, registry_names = _first_use(self.registry, self.registry_names)
        ethnicity, ethnicity_names = self.ethnicity, self.ethnicity_names
        if ethnicity is not None:
            ethnicity, ethnicity_names = _first_use(ethnicity, ethnicity_names)
        return dataclasses.replace(
            self,
            registry=registry,
            registry_names=registry_names,
            ethnicity=ethnicity,
            ethnicity_names=ethnicity_names,
            hla={locus: col.compacted() for locus, col in self.hla.items()},
        )


def _first_use(codes: npt.NDArray[np.uint16], names: tuple[str, ...]) -> tuple[npt.NDArray[np.uint16], tuple[str, ...]]:
    used, first = np.unique(codes, return_index=True)
    order = used[np.argsort(first, kind="stable")]
    remap = np.zeros(max(len(names), 1), dtype=np.uint16)
    remap[order] = np.arange(len(order), dtype=np.uint16)
    return remap[codes], tuple(names[int(i)] for i in order)


def _check_token(typings: TypingBuilder, token: str, locus: Locus, mac: MacDictionary | None) -> str | None:
    """Reason the token is invalid at ``locus``, or ``None`` if it is valid.

    A token may also be the locus's whole GL String (a ``|`` genotype list, kept whole by the store).
    """
    try:
        found = (
            typings.locus_typing(token, mac=mac).locus if is_locus_gl(token) else typings.position(token, mac=mac).locus
        )
    except HlaNomenclatureError as exc:
        return exc.detail or str(exc)
    if found != locus:
        return f"token names locus {found}, not {locus}"
    return None


def validate_batch(
    nom: Nomenclature, batch: DonorBatch, *, mac: MacDictionary | None = None
) -> tuple[DonorBatch, tuple[InvalidTyping, ...]]:
    """Split off donors with invalid or missing required typings; return the valid rows and the report.

    Multiple-allele codes need ``mac`` (NMDP MAC list); without it they are reported as invalid. The
    same dictionary must then be given to :class:`engraft.hla.search.donor_search.DonorSearch`.
    """
    n = len(batch)
    bad = np.zeros(n, dtype=bool)
    report: list[InvalidTyping] = []
    ids = batch.donor_id
    typings = typing_builder(nom)
    for locus in STORED_LOCI:
        col = batch.hla.get(locus)
        if col is None:
            if locus in REQUIRED_LOCI:
                bad[:] = True
                report.extend(InvalidTyping(int(d), locus, "", "required locus untyped") for d in ids.tolist())
            continue
        reasons = [_check_token(typings, tok, locus, mac) for tok in col.vocabulary]
        bad_vocab = np.array([r is not None for r in reasons] + [False], dtype=bool)  # index -1 -> False
        for pos_col in (col.first, col.second):
            hit = bad_vocab[pos_col]
            for row in np.flatnonzero(hit).tolist():
                token = col.vocabulary[int(pos_col[row])]
                report.append(InvalidTyping(int(ids[row]), locus, token, str(reasons[int(pos_col[row])])))
            bad |= hit
        if locus in REQUIRED_LOCI:
            missing = (col.first == UNTYPED) & (col.second == UNTYPED)
            report.extend(
                InvalidTyping(int(ids[r]), locus, "", "required locus untyped") for r in np.flatnonzero(missing)
            )
            bad |= missing
    if not bad.any():
        return batch, tuple(report)
    return batch.take(np.flatnonzero(~bad)), tuple(report)


def empty_attributes(n: int) -> dict[str, npt.NDArray[np.generic]]:
    """Default attribute columns (adult donors, everything else unknown) for importers that carry HLA only."""
    return {
        "donor_type": np.full(n, DONOR_KIND.code(DonorKind.ADULT), dtype=np.uint8),
        "registry": np.zeros(n, dtype=np.uint16),
        "birth_year": np.zeros(n, dtype=np.int16),
        "sex": np.full(n, SEX.code(Sex.UNKNOWN), dtype=np.uint8),
        "cmv": np.full(n, CMV.code(Serostatus.UNKNOWN), dtype=np.uint8),
        "abo": np.full(n, ABO.code(None), dtype=np.uint8),
        "tnc": np.full(n, np.nan, dtype=np.float32),
        "cd34": np.full(n, np.nan, dtype=np.float32),
    }


def concat_batches(batches: Sequence[DonorBatch]) -> DonorBatch:
    """One batch of several (vocabularies and name lists appended, codes shifted; repeated names are fine:
    the store codes pairs and names by their text)."""
    if len(batches) == 1:
        return batches[0]
    hla: dict[Locus, LocusColumn] = {}
    for locus in {locus for b in batches for locus in b.hla}:
        vocab: list[str] = []
        firsts, seconds = [], []
        for b in batches:
            col = b.hla.get(locus)
            if col is None:
                firsts.append(np.full(len(b), UNTYPED, np.int32))
                seconds.append(np.full(len(b), UNTYPED, np.int32))
                continue
            shift = len(vocab)
            firsts.append(np.where(col.first == UNTYPED, UNTYPED, col.first + shift).astype(np.int32))
            seconds.append(np.where(col.second == UNTYPED, UNTYPED, col.second + shift).astype(np.int32))
            vocab.extend(col.vocabulary)
        hla[locus] = LocusColumn(tuple(vocab), np.concatenate(firsts), np.concatenate(seconds))

    def names(
        get_names: Callable[[DonorBatch], tuple[str, ...]],
        get_codes: Callable[[DonorBatch], npt.NDArray[np.uint16] | None],
    ) -> tuple[tuple[str, ...], npt.NDArray[np.uint16]]:
        out: list[str] = []
        codes = []
        for b in batches:
            own = get_codes(b)
            codes.append((own if own is not None else np.zeros(len(b), np.uint16)).astype(np.int64) + len(out))
            out.extend(get_names(b) or ("",))
        return tuple(out), np.concatenate(codes).astype(np.uint16)

    registry_names, registry = names(lambda b: b.registry_names, lambda b: b.registry)
    ethnicity_names, ethnicity = names(lambda b: b.ethnicity_names, lambda b: b.ethnicity)
    return DonorBatch(
        donor_id=np.concatenate([b.donor_id for b in batches]),
        donor_type=np.concatenate([b.donor_type for b in batches]),
        registry=registry,
        registry_names=registry_names,
        birth_year=np.concatenate([b.birth_year for b in batches]),
        sex=np.concatenate([b.sex for b in batches]),
        cmv=np.concatenate([b.cmv for b in batches]),
        abo=np.concatenate([b.abo for b in batches]),
        tnc=np.concatenate([b.tnc for b in batches]),
        cd34=np.concatenate([b.cd34 for b in batches]),
        hla=hla,
        ethnicity=ethnicity,
        ethnicity_names=ethnicity_names,
    )
