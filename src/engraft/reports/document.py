"""The whole explanation of one episode, its references, versions and content hash."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Final

from pydantic import Field

from engraft.outcomes.outcome_table import OutcomeTable
from engraft.provenance import Citation, FrozenModel
from engraft.reports.centre_results import DEFAULT_MIN_PEERS, CentreResults, centre_results
from engraft.reports.episode_facts import EpisodeFacts
from engraft.reports.frequencies import Frequency
from engraft.reports.genomic_safety import INTRODUCTION, GenomicFinding, genomic_findings
from engraft.reports.instruments import InstrumentSection, instrument_sections
from engraft.reports.messages import N_, Message, msg, verbatim
from engraft.reports.timeline import EBMT_HANDBOOK_2024, Phase, timeline
from engraft.reports.wording import (
    DONORS,
    FIGHTS_THE_DISEASE,
    GRAFT_SOURCES,
    MATCH_COMPLETE,
    MATCH_LOCI_NAMES,
    MATCH_PARTLY_TYPED,
    NO_DONOR_RECORDED,
    NO_MATCH_TYPINGS,
    REPLACES_THE_CELLS,
    TRANSPLANT_TYPES,
    is_neoplasm,
)
from engraft.vocabulary import DonorRelation, TransplantType

REPORT_VERSION: Final = "1"
"""The version of the report's content and wording; a change of either is a new version."""

SUPPORTS_NOT_REPLACES: Final = N_(
    "This document helps your doctor explain the risks of your transplant. It does not replace talking with your "
    "doctor. Please ask about anything that is not clear, and about what it means for you."
)


class TransplantSection(FrozenModel):
    kind: Message
    purpose: Message | None = Field(
        default=None, description="what the donor's cells do against this disease; None without a diagnosis"
    )
    donor: Message
    match: Message | None = Field(default=None, description="how the donor's HLA typing matches (allogeneic)")
    graft: Message


class InstrumentVersion(FrozenModel):
    instrument: str
    version: str


class Versions(FrozenModel):
    """What the document was made with: software, report wording, data and instrument versions."""

    software: str
    report: str = REPORT_VERSION
    data_as_of: dt.date | None
    hla_release: str | None
    instruments: tuple[InstrumentVersion, ...]


class RiskReport(FrozenModel):
    """The patient and family risk explanation of one transplant episode."""

    episode_id: int
    generated_on: dt.date
    transplant: TransplantSection
    instruments: tuple[InstrumentSection, ...]
    centre: CentreResults
    timeline: tuple[Phase, ...]
    genomic_introduction: Message | None
    genomic: tuple[GenomicFinding, ...]
    missing: tuple[Message, ...]
    references: tuple[Citation, ...]
    versions: Versions
    disclaimer: Message

    def frequencies(self) -> Iterator[Frequency]:
        """Every figure shown out of 100 (instrument and centre figures)."""
        for section in self.instruments:
            yield from (f.frequency for f in section.figures if f.frequency is not None)
        yield from (f.frequency for f in self.centre.figures if f.frequency is not None)

    def messages(self) -> Iterator[Message]:
        """Every message of the document, in reading order."""
        yield self.transplant.kind
        if self.transplant.purpose is not None:
            yield self.transplant.purpose
        yield self.transplant.donor
        if self.transplant.match is not None:
            yield self.transplant.match
        yield self.transplant.graft
        for section in self.instruments:
            yield from (section.title, section.what_it_is, section.yours)
            if section.rule_note is not None:
                yield section.rule_note
            if section.figures_note is not None:
                yield section.figures_note
            for figure in section.figures:
                yield from (figure.text, figure.source)
        yield self.centre.statement
        yield from (f.text for f in self.centre.figures)
        for phase in self.timeline:
            yield from (phase.name, phase.when)
            for risk in phase.risks:
                yield from (risk.name, risk.what, risk.team, risk.you)
        if self.genomic_introduction is not None:
            yield self.genomic_introduction
        yield from (g.text for g in self.genomic)
        yield from self.missing
        yield self.disclaimer

    def content_hash(self, language: str) -> str:
        """SHA-256 of the content and the language: what a consent record names as the document explained.

        The dates printed (made on, data read on) are left out: the same content on another day is the same
        document.
        """
        payload = self.model_dump_json(exclude={"generated_on": True, "versions": {"data_as_of"}}) + "\n" + language
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _transplant(facts: EpisodeFacts) -> TransplantSection:
    if facts.transplant_type is TransplantType.AUTOLOGOUS:
        donor = msg(DONORS[DonorRelation.AUTOLOGOUS])
    elif facts.donor_relation is None:
        donor = msg(NO_DONOR_RECORDED)
    else:
        donor = msg(DONORS[facts.donor_relation])
    purpose = None
    if facts.transplant_type is TransplantType.ALLOGENEIC and facts.icd10:
        purpose = msg(FIGHTS_THE_DISEASE if is_neoplasm(facts.icd10) else REPLACES_THE_CELLS)
    return TransplantSection(
        kind=msg(TRANSPLANT_TYPES[facts.transplant_type]),
        purpose=purpose,
        donor=donor,
        match=_match(facts),
        graft=msg(GRAFT_SOURCES[facts.graft_source]),
    )


def _match(facts: EpisodeFacts) -> Message | None:
    if facts.transplant_type is not TransplantType.ALLOGENEIC or facts.donor_relation is None:
        return None
    found = facts.donor_match
    if found is None:
        return msg(NO_MATCH_TYPINGS)
    if found.complete:
        return msg(MATCH_COMPLETE, matched=found.matched, total=found.total, loci=verbatim(MATCH_LOCI_NAMES))
    loci = verbatim(", ".join(f"HLA-{locus}" for locus in found.untyped_loci))
    return msg(MATCH_PARTLY_TYPED, typed=found.typed, total=found.total, matched=found.matched, loci=loci)


def _missing(facts: EpisodeFacts, centre: CentreResults) -> tuple[Message, ...]:
    missing = []
    if facts.age_years is None:
        missing.append(msg(N_("Your age at the transplant is not recorded.")))
    if not facts.icd10:
        missing.append(msg(N_("Your diagnosis is not recorded.")))
    if facts.transplant_type is TransplantType.ALLOGENEIC and facts.donor_relation is None:
        missing.append(msg(N_("Your donor is not recorded.")))
    if not facts.findings:
        missing.append(msg(N_("No risk scores have been worked out for this transplant yet.")))
    if not centre.shown:
        missing.append(msg(N_("The centre's own results for patients like you are not shown (see above).")))
    return tuple(missing)


def _references(
    instruments: tuple[InstrumentSection, ...], genomic: tuple[GenomicFinding, ...]
) -> tuple[Citation, ...]:
    seen: dict[str, Citation] = {}
    for section in instruments:
        cited = [section.citation] if section.citation else []
        cited += [c for f in section.figures for c in (f.citation, *f.reproduced_in)]
        for citation in cited:
            seen.setdefault(citation.text(), citation)
    for finding in genomic:
        seen.setdefault(finding.citation.text(), finding.citation)
    seen.setdefault(EBMT_HANDBOOK_2024.text(), EBMT_HANDBOOK_2024)
    return tuple(seen.values())


def build_risk_report(
    facts: EpisodeFacts,
    outcomes: OutcomeTable,
    *,
    software_version: str,
    generated_on: dt.date,
    data_as_of: dt.date | None = None,
    hla_release: str | None = None,
    min_peers: int = DEFAULT_MIN_PEERS,
) -> RiskReport:
    """The explanation of ``facts``' episode, with the centre's results from ``outcomes``."""
    instruments = instrument_sections(facts)
    centre = centre_results(outcomes, facts, min_peers=min_peers)
    allogeneic = facts.transplant_type is TransplantType.ALLOGENEIC
    genomic = genomic_findings() if allogeneic else ()
    versions = Versions(
        software=software_version,
        data_as_of=data_as_of,
        hla_release=hla_release,
        instruments=tuple(
            InstrumentVersion(instrument=s.key, version=s.version) for s in instruments if s.version is not None
        ),
    )
    return RiskReport(
        episode_id=facts.episode_id,
        generated_on=generated_on,
        transplant=_transplant(facts),
        instruments=instruments,
        centre=centre,
        timeline=timeline(facts.transplant_type),
        genomic_introduction=msg(INTRODUCTION, year=verbatim("2024")) if allogeneic else None,
        genomic=genomic,
        missing=_missing(facts, centre),
        references=_references(instruments, genomic),
        versions=versions,
        disclaimer=msg(SUPPORTS_NOT_REPLACES),
    )
