"""Risk instruments over HTTP: list them with their input schemas, run each with its own typed body.

The routes are generated from :data:`engraft.scores.catalog.CATALOG`: ``GET /api/scores/<name>`` describes an
instrument (:class:`ScoreDescription`) and ``POST /api/scores/<name>`` takes
that instrument's input model as its body and answers its own result type (read from the return annotation
of the instrument's function), so the OpenAPI document shows each instrument's real input and result, and a
change to an instrument's models reaches the API without touching this module.
"""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

from fastapi import APIRouter
from pydantic import BaseModel, Field, JsonValue, ValidationError

from engraft.access import Permission
from engraft.api.auth import require
from engraft.api.problems import RULE_VIOLATION, FieldProblem, problem_responses
from engraft.api.request_body import JsonBodyRoute, RequestProblem
from engraft.provenance import Citation
from engraft.scores.catalog import CATALOG, CatalogEntry
from engraft.scores.provenance import ScoreResult

PREFIX = "/api/scores"
router = APIRouter(
    prefix=PREFIX, tags=["scores"], route_class=JsonBodyRoute, dependencies=[require(Permission.SIGNED_IN)]
)


class ScoreDescription(BaseModel):
    """One instrument of the catalogue: what it is, where it comes from, what it takes and where to send it."""

    name: str = Field(description="the instrument's name, as in its run route")
    description: str
    citation: Citation
    input_schema: dict[str, JsonValue] = Field(description="JSON Schema of the instrument's input")
    run_path: str = Field(description="POST the input here to run the instrument")


def result_type(entry: CatalogEntry) -> type[ScoreResult]:
    """The instrument's own result type: the return annotation of its function (else :class:`ScoreResult`)."""
    returned = get_type_hints(entry.function).get("return")
    return returned if isinstance(returned, type) and issubclass(returned, ScoreResult) else ScoreResult


def _describe(entry: CatalogEntry) -> ScoreDescription:
    return ScoreDescription(
        name=entry.name,
        description=entry.description,
        citation=entry.citation,
        input_schema=entry.schema(),
        run_path=f"{PREFIX}/{entry.name}",
    )


def _unknown(name: str) -> RequestProblem:
    return RequestProblem(404, f"unknown instrument {name[:80]!r}; expected one of {', '.join(CATALOG)}")


@router.get("", responses=problem_responses())
def list_scores() -> list[ScoreDescription]:
    """Every instrument with its description, citation and input JSON Schema."""
    return [_describe(entry) for entry in CATALOG.values()]


def _run_endpoint(entry: CatalogEntry) -> Any:
    def run(data: Any) -> ScoreResult:
        try:
            return entry.function(data)
        except ValidationError:
            raise
        except ValueError as exc:
            fault = FieldProblem(field="", expected="input the instrument can score", message=str(exc))
            raise RequestProblem(422, str(exc), [fault], kind=RULE_VIOLATION) from exc

    run.__name__ = f"run_{entry.name.replace('-', '_')}"
    run.__doc__ = f"Run {entry.description}."
    parameter = inspect.Parameter("data", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=entry.input_model)
    run.__signature__ = inspect.Signature([parameter], return_annotation=result_type(entry))  # type: ignore[attr-defined]
    return run


def _describe_endpoint(entry: CatalogEntry) -> Any:
    def describe() -> ScoreDescription:
        return _describe(entry)

    describe.__name__ = f"describe_{entry.name.replace('-', '_')}"
    describe.__doc__ = f"Describe {entry.description}: citation and input JSON Schema."
    return describe


for _entry in CATALOG.values():
    router.add_api_route(
        f"/{_entry.name}",
        _describe_endpoint(_entry),
        methods=["GET"],
        response_model=ScoreDescription,
        summary=f"Describe {_entry.name}",
        responses=problem_responses(),
    )
    router.add_api_route(
        f"/{_entry.name}",
        _run_endpoint(_entry),
        methods=["POST"],
        response_model=result_type(_entry),
        summary=_entry.description,
        responses=problem_responses(400, 413, 415, 422),
    )


# Every instrument has its own routes above; any other name is not in the catalogue.
@router.get("/{name}", include_in_schema=False)
def describe_unknown_score(name: str) -> None:
    raise _unknown(name)


@router.post("/{name}", include_in_schema=False)
def run_unknown_score(name: str) -> None:
    raise _unknown(name)
