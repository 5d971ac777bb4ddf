"""Plain words for the coded facts: transplant type, donor, graft source, verification level.

Each mapping is an exhaustive table over its enum (a test fails when a member is added).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from engraft.provenance import VerificationLevel
from engraft.reports.messages import N_
from engraft.vocabulary import DonorRelation, GraftSource, TransplantType

LEVEL_NAMES: Final[Mapping[VerificationLevel, str]] = {
    VerificationLevel.PRIMARY: N_("checked against the full study"),
    VerificationLevel.PRIMARY_ABSTRACT: N_("checked against the study's summary"),
    VerificationLevel.SECONDARY: N_("checked against a trusted source that reports the study"),
    VerificationLevel.UNVERIFIED: N_("not yet checked"),
}

TRANSPLANT_TYPES: Final[Mapping[TransplantType, str]] = {
    TransplantType.AUTOLOGOUS: N_(
        "This is an autologous transplant: you get back your own blood stem cells. They are collected and stored "
        "first. Then you get strong treatment, and the cells are given back to help your blood and immune system "
        "recover."
    ),
    TransplantType.ALLOGENEIC: N_(
        "This is an allogeneic transplant: you get blood stem cells from a donor. The donor's cells grow into a new "
        "blood and immune system in your body."
    ),
}

FIGHTS_THE_DISEASE: Final = N_("This new immune system can also help fight the disease.")
"""Said after a donor transplant for a neoplasm (graft-versus-tumour effect)."""

REPLACES_THE_CELLS: Final = N_("The new blood-forming cells replace the ones that cause your disease.")
"""Said after a donor transplant for a disease that is not a neoplasm (marrow failure, haemoglobinopathy, ...)."""


def is_neoplasm(icd10: str) -> bool:
    """Whether an ICD-10 code is in chapter II, Neoplasms (C00-D48): cancers and neoplasms of uncertain behaviour,
    which include the myelodysplastic and myeloproliferative neoplasms (D45-D47)."""
    code = icd10.strip().upper()
    if code.startswith("C"):
        return True
    if not code.startswith("D") or len(code) < 3 or not code[1:3].isdigit():
        return False
    return int(code[1:3]) <= 48


DONORS: Final[Mapping[DonorRelation, str]] = {
    DonorRelation.AUTOLOGOUS: N_("The cells are your own, so there is no donor and no need for a tissue match."),
    DonorRelation.MATCHED_SIBLING: N_(
        "Your donor is a brother or sister whose tissue type (HLA) matches yours. This is often the best match."
    ),
    DonorRelation.HAPLOIDENTICAL: N_(
        "Your donor is a family member who is a half match for your tissue type (HLA). Special medicines after the "
        "transplant lower the risks of a half match."
    ),
    DonorRelation.OTHER_RELATED: N_("Your donor is a family member other than a brother or sister."),
    DonorRelation.MATCHED_UNRELATED: N_(
        "Your donor is a volunteer you are not related to, whose tissue type (HLA) matches yours."
    ),
    DonorRelation.MISMATCHED_UNRELATED: N_(
        "Your donor is a volunteer you are not related to, whose tissue type (HLA) matches yours in most but not all "
        "parts. A less close match can raise some risks, such as graft-versus-host disease."
    ),
    DonorRelation.CORD_BLOOD_UNIT: N_(
        "Your cells come from donated cord blood, taken from a baby's umbilical cord after birth. Cord blood does "
        "not need as close a match, but blood counts often take longer to recover."
    ),
}

NO_DONOR_RECORDED: Final = N_("The donor is not recorded yet, so we cannot say how well the donor matches.")

GRAFT_SOURCES: Final[Mapping[GraftSource, str]] = {
    GraftSource.BONE_MARROW: N_("The cells are taken from the bone marrow, in the hip bone, under anaesthetic."),
    GraftSource.PERIPHERAL_BLOOD: N_(
        "The cells are collected from the blood, after medicine that moves them out of the bone marrow."
    ),
    GraftSource.CORD_BLOOD: N_("The cells come from cord blood, frozen and stored until they are needed."),
}


MATCH_COMPLETE: Final = N_(
    "Your donor's tissue type matches yours at {matched} of the {total} places the team compares ({loci})."
)
MATCH_LOCI_NAMES: Final = "HLA-A, -B, -C, -DRB1, -DQB1"
"""The compared loci as the report prints them (a parameter: no figure is written into a msgid)."""
MATCH_PARTLY_TYPED: Final = N_(
    "Your donor's tissue type was compared with yours at {typed} of the {total} places the team usually compares, "
    "and it matches at {matched} of them. The other places ({loci}) have not been tested yet, so we cannot say "
    "they match."
)
NO_MATCH_TYPINGS: Final = N_(
    "The tissue types of you and your donor are not both recorded here, so we cannot say how many places match."
)
