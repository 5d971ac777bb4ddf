"""The coded values of an informed-consent record: who was present and what was decided."""

from __future__ import annotations

from enum import StrEnum


class ConsentParticipantRole(StrEnum):
    """Who a person present at the explanation is to the patient (no names are stored)."""

    PATIENT = "patient"
    SPOUSE_OR_PARTNER = "spouse or partner"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other relative"
    LEGAL_GUARDIAN = "legal guardian"
    FRIEND_OR_CARER = "friend or carer"
    OTHER = "other"


class ConsentDecision(StrEnum):
    """What the patient (or guardian) decided after the explanation."""

    CONSENTED = "consented"
    DECLINED = "declined"
    WANTS_MORE_TIME = "wants more time"
