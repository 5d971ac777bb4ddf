"""The donor search page's view of one donor's match: positions with their confidence, per-locus counts, the
loci reported but never counted, and where the match probabilities' genotypes come from.

Mirrors what ``POST /api/donor-search`` sends (:mod:`engraft.api.donor_search_schemas`): per-position
confidence as Atlas reports it (definite, exact, potential, mismatch), matched/typed/potential per locus
(:class:`~engraft.hla.matching.match_counts.LocusCount`: a locus is never called matched from positions
that are not typed), DRB3/4/5 and DQA1 where both sides are typed, ``|`` genotype-list ambiguity, and for
match probabilities the genotype source of patient and donor (typed, imputed, or unexplained with the
reason and the alleles no haplotype carries), the frequency sets used (their labels' words from
:mod:`engraft.hla.search.frequency_set_label`, msgids of the core's texts) and the per-locus probabilities.
Words are msgids (``N_``) the template translates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from engraft.hla.matching.grades import MatchConfidence, MatchGrade, MismatchType
from engraft.hla.matching.locus_match import Direction, GenotypeAmbiguity, LocusMatch
from engraft.hla.matching.match_counts import LocusCount, LocusStatus
from engraft.hla.prediction.imputation import GenotypeSource, UnexplainedReason
from engraft.hla.prediction.match_prediction import MatchProbabilities
from engraft.hla.search.frequency_set_label import LabelPart, label_parts
from engraft.hla.search.search_models import DonorMatch
from engraft.vocabulary.hla import STORED_LOCI, Locus
from engraft.web.i18n import N_

GRADE_TEXT: Final[Mapping[MatchGrade, str]] = {
    MatchGrade.GDNA: N_("gDNA (whole gene identical)"),
    MatchGrade.CDNA: N_("cDNA (coding sequence identical)"),
    MatchGrade.PROTEIN: N_("protein (same protein sequence)"),
    MatchGrade.G_GROUP: N_("G group (same nucleotide sequence in the antigen recognition domain)"),
    MatchGrade.P_GROUP: N_("P group (same protein sequence in the antigen recognition domain)"),
    MatchGrade.NULL_GDNA: N_("null alleles, gDNA identical"),
    MatchGrade.NULL_CDNA: N_("null alleles, cDNA identical"),
    MatchGrade.NULL_PARTIAL: N_("null alleles, the same in the part sequenced"),
    MatchGrade.NULL_MISMATCH: N_("different null alleles"),
    MatchGrade.ASSOCIATED: N_("serology: associated antigen"),
    MatchGrade.SPLIT: N_("serology: split antigen"),
    MatchGrade.BROAD: N_("serology: broad antigen"),
    MatchGrade.EXPRESSING_VS_NULL: N_("expressed allele against a null allele"),
    MatchGrade.MISMATCH: N_("mismatch"),
}
"""Atlas's match grades (best first) in words; the API sends the enum values."""
MISMATCH_TEXT: Final[Mapping[MismatchType, str]] = {
    MismatchType.ANTIGEN: N_("antigen-level"),
    MismatchType.ALLELE: N_("allele-level"),
}
CONFIDENCE_TEXT: Final[Mapping[MatchConfidence, str]] = {
    MatchConfidence.DEFINITE: N_("definite"),
    MatchConfidence.EXACT: N_("exact"),
    MatchConfidence.POTENTIAL: N_("potential"),
    MatchConfidence.MISMATCH: N_("mismatch"),
}
STATUS_TEXT: Final[Mapping[LocusStatus, str]] = {
    LocusStatus.MATCHED: N_("matched"),
    LocusStatus.POTENTIAL: N_("matched only potentially"),
    LocusStatus.MISMATCHED: N_("mismatched"),
    LocusStatus.DONOR_UNTYPED: N_("donor not typed"),
    LocusStatus.PATIENT_UNTYPED: N_("patient not typed"),
    LocusStatus.UNTYPED: N_("typed on neither side"),
}
COUNTED_IN: Final = N_("counted")
COUNTED_WITH_DPB1: Final = N_("counted with DPB1 only")
REPORTED_ONLY: Final = N_("reported, never counted")
DIRECTION_TEXT: Final[Mapping[Direction, str]] = {
    Direction.NONE: N_("matched"),
    Direction.BIDIRECTIONAL: N_("both directions"),
    Direction.GVH_ONLY: N_("graft-versus-host only"),
    Direction.HVG_ONLY: N_("host-versus-graft only"),
}
SOURCE_TEXT: Final[Mapping[GenotypeSource, str]] = {
    GenotypeSource.TYPED: N_("typed: unambiguous, its own genotype with certainty"),
    GenotypeSource.IMPUTED: N_("imputed from the haplotype frequencies"),
    GenotypeSource.UNEXPLAINED: N_("not explained by the haplotype frequencies: no probabilities"),
}
REASON_TEXT: Final[Mapping[UnexplainedReason, str]] = {
    UnexplainedReason.ALLELE_NOT_IN_SET: N_("a typed allele is carried by no haplotype of the set"),
    UnexplainedReason.NO_HAPLOTYPE_PAIR: N_("no pair of the set's haplotypes gives the whole typing"),
}


@dataclass(frozen=True, slots=True)
class PositionView:
    patient: str
    donor: str
    grade: str
    mismatch: str
    confidence: str
    """msgid of the position's Atlas confidence."""
    confidence_key: str


@dataclass(frozen=True, slots=True)
class AmbiguityView:
    """A ``|`` genotype list at a locus: genotypes listed, pairs tried, best and worst counts (1-based picks)."""

    patient_genotypes: int
    donor_genotypes: int
    best: int
    worst: int
    pairs_at_best: int
    pairs: int
    patient_genotype: int
    donor_genotype: int


@dataclass(frozen=True, slots=True)
class LocusView:
    locus: str
    mismatches: int
    direction: str
    positions: tuple[PositionView, ...]
    matched: bool
    potential: bool
    """Matched, but some position only potentially (ambiguous typing or a genotype list)."""
    ambiguity: AmbiguityView | None


@dataclass(frozen=True, slots=True)
class LocusCountView:
    locus: str
    status: str
    status_key: str
    typed: int
    matched: int
    potential: int
    mismatched: int
    untyped: int
    counted: str
    """msgid: counted in the n/10, counted only with DPB1 (n/12), or reported and never counted."""


@dataclass(frozen=True, slots=True)
class GenotypeView:
    """Where one side's genotypes come from, and the frequency set used (empty when none was needed)."""

    source: str
    source_key: str
    reason: str
    tokens: tuple[str, ...]
    frequency_set: tuple[LabelPart, ...]
    """The label's parts (msgids with ``{names}``, or the set's own name)."""
    mass_left_out: float


@dataclass(frozen=True, slots=True)
class PredictionView:
    """Match probabilities, as fractions (0..1), from the haplotype frequencies."""

    p0: float | None
    p1: float | None
    p2: float | None
    p_more: float | None
    unrepresented: bool
    patient: GenotypeView
    donor: GenotypeView
    per_locus: tuple[tuple[str, float, float, float], ...]
    genotype_cap: int | None


def _ambiguity(found: GenotypeAmbiguity | None) -> AmbiguityView | None:
    if found is None:
        return None
    return AmbiguityView(
        patient_genotypes=found.patient_genotypes,
        donor_genotypes=found.donor_genotypes,
        best=found.best_mismatches,
        worst=found.worst_mismatches,
        pairs_at_best=found.pairs_at_best,
        pairs=found.pairs,
        patient_genotype=found.patient_genotype + 1,
        donor_genotype=found.donor_genotype + 1,
    )


def locus_view(locus: str, match: LocusMatch) -> LocusView:
    positions = tuple(
        PositionView(
            p.patient_token,
            p.donor_token,
            GRADE_TEXT[p.grade],
            MISMATCH_TEXT[p.mismatch_type] if p.mismatch_type is not None else "",
            CONFIDENCE_TEXT[p.confidence],
            p.confidence.value,
        )
        for p in match.positions
    )
    matched = match.mismatch_count == 0
    potential = matched and any(p.confidence is MatchConfidence.POTENTIAL for p in match.positions)
    return LocusView(
        locus,
        match.mismatch_count,
        DIRECTION_TEXT[match.direction],
        positions,
        matched,
        potential,
        _ambiguity(match.ambiguity),
    )


def _counted(locus: Locus, match: DonorMatch) -> str:
    if locus in match.counts.loci:
        return COUNTED_IN
    if locus in match.counts_with_dpb1.loci:
        return COUNTED_WITH_DPB1
    return REPORTED_ONLY


def locus_counts(match: DonorMatch) -> tuple[LocusCountView, ...]:
    """Every counted locus, and each other stored locus typed on at least one side, in the conventional order."""
    rows: list[LocusCountView] = []
    counted = set(match.counts_with_dpb1.loci)
    for locus in STORED_LOCI:
        count: LocusCount | None = match.locus_counts.get(locus) or match.counts_with_dpb1.per_locus.get(locus)
        if count is None or (locus not in counted and count.status is LocusStatus.UNTYPED):
            continue
        rows.append(
            LocusCountView(
                locus=locus.value,
                status=STATUS_TEXT[count.status],
                status_key=count.status.value,
                typed=count.typed,
                matched=count.matched,
                potential=count.potential,
                mismatched=count.mismatched,
                untyped=count.untyped,
                counted=_counted(locus, match),
            )
        )
    return tuple(rows)


def reported_loci(match: DonorMatch) -> tuple[LocusView, ...]:
    """DRB3/4/5 and DQA1 where both sides are typed (reported, never counted), in the conventional order."""
    return tuple(
        locus_view(locus.value, match.reported_loci[locus]) for locus in STORED_LOCI if locus in match.reported_loci
    )


def _genotype(
    source: GenotypeSource, reason: UnexplainedReason | None, tokens: tuple[str, ...], label: str, left: float
) -> GenotypeView:
    return GenotypeView(
        source=SOURCE_TEXT[source],
        source_key=source.value,
        reason=REASON_TEXT[reason] if reason is not None else "",
        tokens=tokens,
        frequency_set=label_parts(label),
        mass_left_out=left,
    )


def prediction_view(p: MatchProbabilities | None) -> PredictionView | None:
    if p is None:
        return None
    p0, p1, p2 = p.p_mismatches if p.p_mismatches is not None else (None, None, None)
    per_locus = tuple(
        (locus.value, *p.per_locus[locus]) for locus in STORED_LOCI if p.per_locus and locus in p.per_locus
    )
    return PredictionView(
        p0=p0,
        p1=p1,
        p2=p2,
        p_more=p.p_more,
        unrepresented=p.patient_unrepresented or p.donor_unrepresented,
        patient=_genotype(
            p.patient_genotype,
            p.patient_unexplained,
            p.patient_unexplained_tokens,
            p.patient_frequency_set,
            p.patient_mass_left_out,
        ),
        donor=_genotype(
            p.donor_genotype,
            p.donor_unexplained,
            p.donor_unexplained_tokens,
            p.donor_frequency_set,
            p.donor_mass_left_out,
        ),
        per_locus=per_locus,
        genotype_cap=p.genotype_cap,
    )
