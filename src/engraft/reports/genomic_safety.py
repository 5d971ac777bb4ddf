"""Long-term genomic safety of donor cells: what the 2024 donor-recipient studies found (allogeneic only).

Only items marked verified in ../shared/reference/genomics.md (sections 1.0-1.2, checked against the
abstracts or the news page) are used; the studies' unverified figures (the meaning of the yearly mutation
rates, the "1.5 years" figure) are left out.
"""

from __future__ import annotations

from typing import Final

from engraft.provenance import Citation, FrozenModel, VerificationLevel
from engraft.reports.messages import N_, Message, msg

UEDA_OSHIMA_2024: Final = Citation(
    authors="Ueda Oshima M, et al.",
    title=None,
    journal="Sci Transl Med",
    year=2024,
    volume_pages="16(770):eado5108",
    doi="10.1126/scitranslmed.ado5108",
    pmid="39441907",
)
SPENCER_CHAPMAN_2024: Final = Citation(
    authors="Spencer Chapman M, et al.",
    title="Clonal dynamics after allogeneic haematopoietic cell transplantation",
    journal="Nature",
    year=2024,
    volume_pages="635(8040):926-934",
    doi="10.1038/s41586-024-08128-y",
    pmid="39478227",
)
NATURE_NEWS_2024: Final = Citation(
    authors="Nature News",
    title="Do stem-cell transplants increase cancer risk? Long-lived recipients offer clues",
    journal="Nature (news)",
    year=2024,
    doi="10.1038/d41586-024-03450-x",
)


class GenomicFinding(FrozenModel):
    text: Message
    citation: Citation
    level: VerificationLevel


def genomic_findings() -> tuple[GenomicFinding, ...]:
    """The verified findings, in plain words, each with its source and level."""
    return (
        GenomicFinding(
            text=msg(
                N_(
                    "A study of {pairs} pairs of related donors and patients looked at their blood a median of "
                    "{years} years after the transplant. The donor's cells in the patients did not show a general "
                    "speeding up of growth, even decades later."
                ),
                pairs=16,
                years=33.8,
            ),
            citation=UEDA_OSHIMA_2024,
            level=VerificationLevel.PRIMARY_ABSTRACT,
        ),
        GenomicFinding(
            text=msg(
                N_(
                    "A study of {pairs} brother and sister pairs, {first} to {last} years after the transplant, found "
                    "that the patients' blood came from fewer families of stem cells than the donors' blood. The "
                    "authors compare this to about {low} to {high} extra years of ageing of the blood."
                ),
                pairs=10,
                first=9,
                last=31,
                low=10,
                high=15,
            ),
            citation=SPENCER_CHAPMAN_2024,
            level=VerificationLevel.PRIMARY_ABSTRACT,
        ),
        GenomicFinding(
            text=msg(
                N_(
                    "A news report on this research says that about {one} in {thousand} transplants leads to the "
                    "donor's cells turning into a cancer in the patient."
                ),
                one=1,
                thousand=1000,
            ),
            citation=NATURE_NEWS_2024,
            level=VerificationLevel.SECONDARY,
        ),
    )


INTRODUCTION: Final = N_(
    "Families often ask if the donor's cells age faster or turn into cancer in the patient. Studies published in "
    "{year} looked at people many years after a transplant. The studies were small, but what they found is reassuring."
)
