"""The ICE score (Immune Effector Cell-associated Encephalopathy), 0-10, from its ten items (ASTCT, Lee 2019).

One point for each item done correctly: orientation to year, month, city and hospital (4); naming three
objects (3); following simple commands (1); writing a standard sentence (1); attention, counting backwards
from 100 by 10 (1). 10 means no impairment. A patient who cannot be roused cannot do the ICE at all: that
is recorded on the ICANS input (:mod:`engraft.grading.icans`), not as a score of 0.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.provenance import FrozenModel, VerificationLevel

ICE_MAX: Final = 10


class IceDomain(StrEnum):
    ORIENTATION = "orientation"
    NAMING = "naming"
    FOLLOWING_COMMANDS = "following commands"
    WRITING = "writing"
    ATTENTION = "attention"


ICE_RULE: Final = GradingRule(
    name="ICE score",
    version="ASTCT consensus (Lee 2019)",
    statement=(
        "One point each: orientation to year, month, city, hospital (4); naming three objects (3); following "
        "simple commands (1); writing a standard sentence (1); counting backwards from 100 by 10 (1). 0-10; "
        "10 is no impairment."
    ),
    citations=(sources.LEE_2019,),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Read in the footnote of https://pmc.ncbi.nlm.nih.gov/articles/PMC9327779/table/t0002 (adapted from Lee "
        "2019) and clinical-scores.md section 8.2; Lee 2019 itself was not read.",
    ),
)


class IceAssessment(FrozenModel):
    """The ten ICE items, each True when done correctly. Every item must be given."""

    oriented_to_year: bool = Field(strict=True)
    oriented_to_month: bool = Field(strict=True)
    oriented_to_city: bool = Field(strict=True)
    oriented_to_hospital: bool = Field(strict=True)
    names_first_object: bool = Field(strict=True, description="e.g. points to a clock and names it")
    names_second_object: bool = Field(strict=True, description="e.g. a pen")
    names_third_object: bool = Field(strict=True, description="e.g. a button")
    follows_simple_commands: bool = Field(strict=True, description='e.g. "show me 2 fingers"')
    writes_standard_sentence: bool = Field(strict=True)
    counts_backwards_from_100_by_10: bool = Field(strict=True, description="attention")

    @classmethod
    def all_correct(cls) -> IceAssessment:
        """An unimpaired assessment (score 10)."""
        return cls(**dict.fromkeys(cls.model_fields, True))

    def domain_points(self) -> dict[IceDomain, int]:
        """Points per domain (orientation 0-4, naming 0-3, the other three 0-1)."""
        return {
            IceDomain.ORIENTATION: sum(
                (self.oriented_to_year, self.oriented_to_month, self.oriented_to_city, self.oriented_to_hospital)
            ),
            IceDomain.NAMING: sum((self.names_first_object, self.names_second_object, self.names_third_object)),
            IceDomain.FOLLOWING_COMMANDS: int(self.follows_simple_commands),
            IceDomain.WRITING: int(self.writes_standard_sentence),
            IceDomain.ATTENTION: int(self.counts_backwards_from_100_by_10),
        }


class IceScore(FrozenModel):
    """The ICE score with its points per domain and the rule applied."""

    value: int = Field(ge=0, le=ICE_MAX)
    domain_points: dict[IceDomain, int]
    assessment: IceAssessment
    rule: GradingRule


def ice_score(assessment: IceAssessment) -> IceScore:
    """The ICE score of ``assessment`` (0-10)."""
    points = assessment.domain_points()
    return IceScore(value=sum(points.values()), domain_points=points, assessment=assessment, rule=ICE_RULE)
