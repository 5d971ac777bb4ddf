"""Pseudonymised record-level data for researchers: ``/api/research/patients`` and ``/api/research/episodes``.

Pseudonyms are per research project (``project``): the same patient has the same pseudonym within a
project and an unlinkable one in another. No names, MRNs, exact birth dates (the year only) or free text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from engraft.access import Permission
from engraft.api.auth import acting_registry, require
from engraft.api.problems import problem_responses
from engraft.registry.research_reads import (
    PROJECT_PATTERN,
    ResearchEpisode,
    ResearchPatient,
    research_episodes,
    research_patients,
)
from engraft.registry.schemas.common import MAX_RECORD_ID, Page
from engraft.registry.service import MAX_PAGE

router = APIRouter(prefix="/api/research", tags=["research"], dependencies=[require(Permission.RESEARCH_READ)])
Project = Annotated[
    str, Query(pattern=PROJECT_PATTERN, description="research project whose pseudonym key names the records")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_RECORD_ID, description="number of records to skip")]


@router.get("/patients", responses=problem_responses(422))
def list_research_patients(
    request: Request, project: Project = "default", limit: Limit = 50, offset: Offset = 0
) -> Page[ResearchPatient]:
    """Patients under project pseudonyms: centre, sex, birth year, blood group, CMV serostatus."""
    return research_patients(acting_registry(request), project, limit, offset)


@router.get("/episodes", responses=problem_responses(422))
def list_research_episodes(
    request: Request, project: Project = "default", limit: Limit = 50, offset: Offset = 0
) -> Page[ResearchEpisode]:
    """Transplant episodes under project pseudonyms: type, graft, year, age at transplant, conditioning."""
    return research_episodes(acting_registry(request), project, limit, offset)
