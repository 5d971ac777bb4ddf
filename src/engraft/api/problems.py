"""One error shape for every 4xx and 5xx answer: RFC 9457 ``application/problem+json``.

Every problem has ``type``, ``title``, ``status`` and a human-readable ``detail``; a problem about
submitted data lists each fault in ``errors`` as ``{field, value, expected, message}`` (``row`` too when
the fault is in one item of a batch). A 422 comes in two kinds: ``invalid-input`` when the request does not
match the published schema (a type, pattern, bound, enum value, a missing or unknown field), and
``rule-violation`` when it matches the schema but breaks a rule a schema cannot state (a date before day 0,
an unknown centre, an unknown HLA allele, two fields that go together). Extension members (``retry``, ``your_version``,
``current_version``) appear only on the conflicts they describe. Routes declare the statuses they can
answer with :func:`problem_responses`, so the OpenAPI document describes what the server sends.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.json_schema import models_json_schema

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_SCHEMA_REF: Final = "#/components/schemas/Problem"
PROBLEM_TYPE_BASE: Final = "https://engraft.dev/problems/"
#: ``type`` of a 422 whose request matches the published schema but breaks a registry or clinical rule.
RULE_VIOLATION: Final = "rule-violation"


class FieldProblem(BaseModel):
    """One fault in submitted data: where, what was sent, what was expected."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="dotted path of the field ('' for the whole body or request)")
    value: JsonValue = Field(default=None, description="the value that was sent, as received (truncated if long)")
    expected: str = Field(description="what would have been accepted")
    message: str = Field(description="what is wrong, in one sentence")
    row: int | None = Field(default=None, description="1-based item number in a batch, when the fault is in one")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="URI naming the kind of problem")
    title: str = Field(description="short summary of the kind of problem (the HTTP reason phrase)")
    status: int = Field(ge=400, le=599, description="the HTTP status code")
    detail: str = Field(description="what went wrong with this request, in plain words")
    instance: str | None = Field(default=None, description="the request path")
    errors: list[FieldProblem] = Field(default_factory=list, description="each fault in the submitted data")
    retry: bool | None = Field(default=None, description="true when sending the same request again is safe")
    your_version: int | None = Field(default=None, description="the record version the client edited (409)")
    current_version: int | None = Field(default=None, description="the record's stored version (409)")


_KIND: Final[dict[int, str]] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}

_DESCRIPTION: Final[dict[int, str]] = {
    400: "The request could not be read (malformed JSON, bad encoding).",
    401: "Not signed in.",
    403: "Signed in, but not allowed to do this.",
    404: "The record or resource does not exist.",
    405: "The method is not allowed on this path.",
    409: "Conflict: a duplicate, a stale version or a concurrent write.",
    413: "The request body is larger than the server accepts.",
    415: "The request body is not in a media type this route reads.",
    422: "The submitted data break a rule; each fault is listed in `errors`.",
    429: "Too many failed sign-ins: the account is locked for a while (see Retry-After).",
    500: "An unexpected server error; nothing was written.",
    503: "A resource the route needs is not configured or not available.",
}


def problem_type(status: int, kind: str | None = None) -> str:
    """The ``type`` URI of a problem with ``status`` (or of the named ``kind``, e.g. :data:`RULE_VIOLATION`)."""
    return PROBLEM_TYPE_BASE + (kind or _KIND.get(status, str(status)))


def problem(
    status: int,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    instance: str | None = None,
    kind: str | None = None,
    **extensions: Any,
) -> Problem:
    """A problem document for ``status`` with the standard title and type (or the type of ``kind``)."""
    return Problem(
        type=problem_type(status, kind),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors or [],
        **extensions,
    )


class ProblemResponse(JSONResponse):
    """``application/problem+json``; non-ASCII escaped, so any refused value can be echoed back safely."""

    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        if isinstance(content, Problem):
            content = content.model_dump(mode="json", exclude_none=True)
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def problem_response(value: Problem, headers: dict[str, str] | None = None) -> ProblemResponse:
    """The HTTP response carrying ``value``."""
    return ProblemResponse(status_code=value.status, content=value, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for a route: each status answered with a :class:`Problem`.

    500 is added to every route: any route can fail unexpectedly, and then answers with a problem too.
    """
    declared = sorted({*statuses, 500})
    return {
        status: {
            "description": _DESCRIPTION.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for status in declared
    }


def install_problem_schema(app: FastAPI) -> None:
    """Put :class:`Problem` and :class:`FieldProblem` into the OpenAPI components that routes refer to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        _, definitions = models_json_schema(
            [(Problem, "serialization"), (FieldProblem, "serialization")],
            ref_template="#/components/schemas/{model}",
        )
        document.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
