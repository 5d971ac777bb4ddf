"""What the transplant team's patient list shows: search, filters, sort and paging, checked as one query.

A :class:`PatientListQuery` says what the list shows: a name or MRN search (only for a reader who may see
identity: the query refuses it otherwise), a centre, a disease group (the EBMT activity survey's
indication groups, :data:`engraft.outcomes.activity.INDICATION_RULES`, matched on any of the patient's
diagnoses) and a phase of care relative to ``as_of``:

``pre-transplant``
    no transplant episode yet, or the newest episode's day 0 is after ``as_of``;
``day 0-100``
    the newest episode's day 0 is ``as_of`` or up to 100 days before it (day 0 and day 100 included);
``follow-up``
    the newest episode's day 0 is more than 100 days before ``as_of`` (day 101 on).

The statements that answer it are built in :mod:`engraft.registry.patient_list_statements`; the list is read
with :mod:`engraft.registry.patient_list`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from engraft.outcomes.activity import INDICATION_ORDER
from engraft.registry.errors import InvalidRecord

EARLY_PHASE_DAYS: Final = 100
"""The last day of the early post-transplant phase (day 0 to day 100, both included)."""
MAX_PAGE_SIZE: Final = 200
MAX_SEARCH_LENGTH: Final = 100


class CarePhase(StrEnum):
    """Where a patient is in the transplant course, from the newest episode's day 0."""

    PRE_TRANSPLANT = "pre-transplant"
    EARLY = "day 0-100"
    FOLLOW_UP = "follow-up"


class PatientSort(StrEnum):
    """What the list is ordered by (ties broken by the patient's id)."""

    LATEST_TRANSPLANT = "latest-transplant"
    """Newest day 0 first (descending) or last; patients without a transplant always come last."""
    NAME = "name"
    """Family name, then given name (needs identity)."""
    MRN = "mrn"
    """Medical record number (needs identity)."""
    REGISTRY_ID = "registry-id"
    """The pseudonymous registry id."""


IDENTITY_SORTS: Final = frozenset({PatientSort.NAME, PatientSort.MRN})
DISEASE_GROUPS: Final[tuple[str, ...]] = INDICATION_ORDER
"""The disease groups the list filters on, in the activity survey's order ("Other" and "missing" last)."""


def care_phase(latest_day0: dt.date | None, as_of: dt.date) -> CarePhase:
    """The phase of a patient whose newest transplant was on ``latest_day0`` (None: none yet), on ``as_of``."""
    if latest_day0 is None or latest_day0 > as_of:
        return CarePhase.PRE_TRANSPLANT
    if (as_of - latest_day0).days <= EARLY_PHASE_DAYS:
        return CarePhase.EARLY
    return CarePhase.FOLLOW_UP


@dataclass(frozen=True, slots=True)
class PatientListQuery:
    """One view of the patient list. Build it from request parameters; it checks itself."""

    as_of: dt.date
    include_identity: bool
    search: str | None = None
    centre: str | None = None
    disease_group: str | None = None
    phase: CarePhase | None = None
    sort: PatientSort = PatientSort.LATEST_TRANSPLANT
    descending: bool = True
    limit: int = 25
    offset: int = 0

    def __post_init__(self) -> None:
        if self.search is not None:
            object.__setattr__(self, "search", self.search.strip() or None)
        if self.search is not None and not self.include_identity:
            raise InvalidRecord.single("search", self.search, "no search: searching by name or MRN needs identity")
        if self.search is not None and len(self.search) > MAX_SEARCH_LENGTH:
            raise InvalidRecord.single("search", self.search, f"at most {MAX_SEARCH_LENGTH} characters")
        if self.sort in IDENTITY_SORTS and not self.include_identity:
            raise InvalidRecord.single("sort", self.sort.value, "a sort that needs no identity")
        if self.disease_group is not None and self.disease_group not in DISEASE_GROUPS:
            raise InvalidRecord.single("disease_group", self.disease_group, f"one of {', '.join(DISEASE_GROUPS)}")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidRecord.single("limit", self.limit, f"an integer from 1 to {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise InvalidRecord.single("offset", self.offset, "an integer >= 0")


__all__ = [
    "DISEASE_GROUPS",
    "EARLY_PHASE_DAYS",
    "IDENTITY_SORTS",
    "MAX_PAGE_SIZE",
    "MAX_SEARCH_LENGTH",
    "CarePhase",
    "PatientListQuery",
    "PatientSort",
    "care_phase",
]
