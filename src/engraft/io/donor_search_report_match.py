"""The match detail of each saved donor in the coordinator's report, in the report's language.

From the saved result as the API sent it (:mod:`engraft.api.donor_search_schemas`): the count over the
searched loci and the count with DPB1 written from their numbers (``10/10``, ``6/6 typed (C, DQB1
untyped)``: never n/n from fewer typed loci), matched/typed/potential per locus with its status and whether
it is counted, DRB3/4/5 and DQA1 (reported, never counted), ``|`` genotype lists, and where the match
probabilities' genotypes come from (typed, imputed, or unexplained with the reason and alleles) with the
frequency sets used. A search saved before these fields existed simply shows none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from engraft.hla.search.frequency_set_label import label_parts, label_texts
from engraft.reports.messages import N_
from engraft.vocabulary.hla import STORED_LOCI

Translate = Callable[[str], str]

FULL_POTENTIAL: Final = N_("{matched}/{total} ({potential} potential)")
TYPED: Final = N_("{matched}/{typed} typed ({loci} untyped)")
TYPED_POTENTIAL: Final = N_("{matched}/{typed} typed ({loci} untyped; {potential} potential)")
STATUS: Final[Mapping[str, str]] = {
    "matched": N_("matched"),
    "potential": N_("matched only potentially"),
    "mismatched": N_("mismatched"),
    "donor_untyped": N_("donor not typed"),
    "patient_untyped": N_("patient not typed"),
    "untyped": N_("typed on neither side"),
}
SOURCE: Final[Mapping[str, str]] = {
    "typed": N_("typed: unambiguous, its own genotype with certainty"),
    "imputed": N_("imputed from the haplotype frequencies"),
    "unexplained": N_("not explained by the haplotype frequencies: no probabilities"),
}
REASON: Final[Mapping[str, str]] = {
    "allele_not_in_set": N_("a typed allele is carried by no haplotype of the set"),
    "no_haplotype_pair": N_("no pair of the set's haplotypes gives the whole typing"),
}
COUNTED, COUNTED_WITH_DPB1, REPORTED_ONLY = N_("counted"), N_("counted with DPB1 only"), N_("reported, never counted")
AMBIGUITY: Final = N_(
    "{locus}: genotype list, {patient} patient and {donor} donor genotypes listed; {at_best} of {pairs} pairs "
    "give the best count ({best} mismatched, worst {worst})."
)
_LABELS: Final = (
    N_("Count with DPB1"),
    N_("Positions per locus (matched of those typed on both sides)"),
    N_("Match status"),
    N_("Matched"),
    N_("Typed on both sides"),
    N_("Only potentially matched"),
    N_("Untyped"),
    N_("In the count"),
    N_("Patient genotype"),
    N_("Donor genotype"),
    N_("Frequency set"),
    N_("reported, never counted"),
)


def match_msgids() -> tuple[str, ...]:
    """Every msgid of this module (and of the frequency set labels) the report can show."""
    texts = [FULL_POTENTIAL, TYPED, TYPED_POTENTIAL, AMBIGUITY, COUNTED, COUNTED_WITH_DPB1, REPORTED_ONLY, *_LABELS]
    texts += [*STATUS.values(), *SOURCE.values(), *REASON.values(), *label_texts()]
    return tuple(dict.fromkeys(texts))


def count_label(counts: Mapping[str, Any] | None, fallback: str, t: Translate) -> str:
    """The count in words of the report's language (``fallback``, the saved label, when no counts were saved)."""
    if not counts:
        return fallback
    matched, total, typed, potential = counts["matched"], counts["total"], counts["typed"], counts["potential"]
    if typed == total:
        return (
            t(FULL_POTENTIAL).format(matched=matched, total=total, potential=potential)
            if potential
            else (f"{matched}/{total}")
        )
    per_locus = counts.get("per_locus", {})
    untyped = ", ".join(name for name in counts.get("loci", []) if per_locus.get(name, {}).get("untyped"))
    template = TYPED_POTENTIAL if potential else TYPED
    return t(template).format(matched=matched, typed=typed, loci=untyped, potential=potential)


@dataclass(frozen=True, slots=True)
class CountRow:
    locus: str
    status: str
    matched: int
    typed: int
    potential: int
    untyped: int
    counted: str


def count_rows(donor: Mapping[str, Any], t: Translate) -> list[CountRow]:
    """Every counted locus, and each other stored locus typed on at least one side, in the conventional order."""
    per_locus: Mapping[str, Mapping[str, Any]] = donor.get("locus_counts") or {}
    searched = (donor.get("counts") or {}).get("loci", [])
    with_dpb1 = (donor.get("counts_with_dpb1") or {}).get("loci", [])
    rows = []
    for name in [locus.value for locus in STORED_LOCI]:
        count = per_locus.get(name)
        if count is None or (name not in with_dpb1 and count.get("status") == "untyped"):
            continue
        counted = COUNTED if name in searched else COUNTED_WITH_DPB1 if name in with_dpb1 else REPORTED_ONLY
        status = str(count.get("status", ""))
        rows.append(
            CountRow(
                name,
                t(STATUS.get(status, status)),
                int(count.get("matched", 0)),
                int(count.get("typed", 0)),
                int(count.get("potential", 0)),
                int(count.get("untyped", 0)),
                t(counted),
            )
        )
    return rows


def ambiguities(donor: Mapping[str, Any], t: Translate) -> list[str]:
    """A sentence for each locus matched from a ``|`` genotype list."""
    rows: list[Mapping[str, Any]] = [*donor.get("loci", {}).values(), *(donor.get("reported_loci") or {}).values()]
    if donor.get("dpb1"):
        rows.append(donor["dpb1"])
    found = []
    for row in rows:
        a = row.get("ambiguity")
        if a:
            found.append(
                t(AMBIGUITY).format(
                    locus=row.get("locus", ""),
                    patient=a["patient_genotypes"],
                    donor=a["donor_genotypes"],
                    at_best=a["pairs_at_best"],
                    pairs=a["pairs"],
                    best=a["best_mismatches"],
                    worst=a["worst_mismatches"],
                )
            )
    return found


@dataclass(frozen=True, slots=True)
class GenotypeLine:
    side: str
    source: str
    reason: str
    tokens: str
    frequency_set: str


def _set_words(label: str, t: Translate) -> str:
    parts = label_parts(label)
    return "; ".join(t(p.text).format(names=p.names) if p.words else p.text for p in parts)


def genotype_lines(prediction: Mapping[str, Any] | None, t: Translate) -> list[GenotypeLine]:
    """Where the patient's and the donor's genotypes come from (none when the prediction says nothing of it)."""
    if not prediction or "patient_genotype" not in prediction:
        return []
    lines = []
    for side, label in (("patient", "Patient genotype"), ("donor", "Donor genotype")):
        source = str(prediction.get(f"{side}_genotype", ""))
        reason = prediction.get(f"{side}_unexplained")
        tokens: Sequence[str] = prediction.get(f"{side}_unexplained_tokens") or ()
        lines.append(
            GenotypeLine(
                t(label),
                t(SOURCE.get(source, source)),
                t(REASON.get(str(reason), str(reason))) if reason else "",
                ", ".join(tokens),
                _set_words(str(prediction.get(f"{side}_frequency_set") or ""), t),
            )
        )
    return lines
