"""What the explanation is built from: the facts of one transplant episode and its stored risk instruments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engraft.provenance import Citation, FrozenModel, VerificationLevel
from engraft.scores.provenance import PublishedOutcome
from engraft.vocabulary import DiseaseStatus, DonorRelation, GraftSource, TransplantType

_FINDING_KEYS = ("instrument", "version", "value", "band", "outcomes", "citation", "verification")


class InstrumentFinding(FrozenModel):
    """One risk instrument's result for the episode, as stored in its assessment."""

    instrument: str
    version: str
    value: int | float | str
    band: str
    outcomes: tuple[PublishedOutcome, ...] = ()
    citation: Citation
    verification: VerificationLevel = Field(
        default=VerificationLevel.UNVERIFIED,
        description="how far the rule that gave the value was checked (a stored result without it: unverified)",
    )
    assessed_at: dt.datetime | None = None

    @classmethod
    def from_stored(cls, result: Mapping[str, Any], assessed_at: dt.datetime | None = None) -> InstrumentFinding:
        """From a stored score result (the instrument's own extra fields, like the EBMT stage, left out)."""
        missing = [key for key in ("instrument", "version", "value", "band", "citation") if key not in result]
        if missing:
            raise ValueError(f"stored result lacks {missing}; expected a score result with {list(_FINDING_KEYS)}")
        return cls.model_validate({**{k: result[k] for k in _FINDING_KEYS if k in result}, "assessed_at": assessed_at})


class DonorMatchFacts(FrozenModel):
    """How the first donor's HLA typing matches the patient's at HLA-A, -B, -C, -DRB1 and -DQB1 (10 positions),
    counted honestly: only positions typed on both sides count (:mod:`engraft.hla.matching.match_counts`)."""

    total: int = Field(ge=2, le=12, description="positions compared when every locus is typed (10)")
    typed: int = Field(ge=0, le=12, description="positions typed on both sides")
    matched: int = Field(ge=0, le=12)
    untyped_loci: tuple[str, ...] = Field(default=(), description="loci not typed on one side or both")

    @property
    def complete(self) -> bool:
        return self.typed == self.total


class EpisodeFacts(FrozenModel):
    """The registry facts of one episode the explanation needs (no identifying data)."""

    episode_id: int
    centre: str
    transplant_type: TransplantType
    graft_source: GraftSource
    donor_relation: DonorRelation | None = Field(description="the first donor's relation; None when not recorded")
    donor_count: int = Field(ge=0)
    age_years: int | None = Field(default=None, ge=0, le=120)
    icd10: str | None = None
    disease_status: DiseaseStatus | None = None
    day0: dt.date
    findings: tuple[InstrumentFinding, ...] = ()
    donor_match: DonorMatchFacts | None = Field(
        default=None, description="None unless both the patient and the first donor have an HLA typing"
    )

    def finding(self, *instruments: str) -> InstrumentFinding | None:
        """The newest finding of the first of ``instruments`` that was assessed."""
        for name in instruments:
            found = [f for f in self.findings if f.instrument == name]
            if found:
                return max(found, key=lambda f: f.assessed_at or dt.datetime.min)
        return None


def figure_level(outcome: PublishedOutcome) -> VerificationLevel:
    """How far a published figure was checked (a stored result with only the old ``verified`` flag is read as
    ``unverified`` by :mod:`engraft.scores.provenance`)."""
    return outcome.verification


SHOWN_AS_NUMBERS = frozenset(
    {VerificationLevel.PRIMARY, VerificationLevel.PRIMARY_ABSTRACT, VerificationLevel.SECONDARY}
)
"""The levels whose figures are printed as numbers; an unverified figure is described without one."""
