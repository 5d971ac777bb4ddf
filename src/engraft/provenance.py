"""Provenance shared by every clinical rule: immutable typed models, citations and verification levels.

Clinical rules are data: each score, grade, threshold, conversion factor and outcome figure carries the
source it was taken from and how far that source was checked. Scores (:mod:`engraft.scores`), grading
(:mod:`engraft.grading`) and units (:mod:`engraft.measurements`) build on these.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FrozenModel(BaseModel):
    """Base for every core input and result model: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class VerificationLevel(StrEnum):
    """How far a rule or figure was checked against its source (see ../shared/reference/ebmt-handbook.md)."""

    PRIMARY = "primary"
    """Checked against the primary paper's full text (table or text)."""
    PRIMARY_ABSTRACT = "primary-abstract"
    """Checked against the primary paper's own abstract."""
    SECONDARY = "secondary"
    """Taken from an authoritative text reproducing the primary table (e.g. the EBMT Handbook), cited beside it."""
    UNVERIFIED = "unverified"
    """None of the above: shown with a caveat, never asserted by a test as a published fact."""

    @property
    def strength(self) -> int:
        """3 for primary down to 0 for unverified: how far the figure was checked."""
        return _STRENGTH[self]

    @property
    def checked_in_primary(self) -> bool:
        """Whether the figure was read in its primary source (full text or abstract)."""
        return self in (VerificationLevel.PRIMARY, VerificationLevel.PRIMARY_ABSTRACT)


_STRENGTH = {
    VerificationLevel.PRIMARY: 3,
    VerificationLevel.PRIMARY_ABSTRACT: 2,
    VerificationLevel.SECONDARY: 1,
    VerificationLevel.UNVERIFIED: 0,
}


def weakest(levels: Iterable[VerificationLevel]) -> VerificationLevel:
    """The least-checked of ``levels``; unverified when there are none (nothing was shown to be checked)."""
    return min(levels, key=lambda level: level.strength, default=VerificationLevel.UNVERIFIED)


class Citation(FrozenModel):
    """A bibliographic source for a rule, threshold or outcome figure."""

    authors: str
    title: str | None = Field(default=None, description="None when the exact title was not verified.")
    journal: str
    year: int
    volume_pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None

    def short(self) -> str:
        """First author and year, e.g. ``"Sorror ML et al. 2005"``."""
        first = self.authors.split(",")[0].strip()
        return f"{first} et al. {self.year}" if "," in self.authors else f"{first} {self.year}"

    def text(self) -> str:
        """One line: authors, journal and year, with DOI and PMID where known."""
        ids = "; ".join(
            x for x in (f"doi:{self.doi}" if self.doi else "", f"PMID {self.pmid}" if self.pmid else "") if x
        )
        authors = self.authors if self.authors.endswith(".") else f"{self.authors}."
        return f"{authors} {self.journal} {self.year}" + (f" ({ids})" if ids else "")
