"""Error responses: 422 names the field, the value and what was expected; 409 for conflicts."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from engraft.registry.errors import DuplicateRecord, InvalidRecord, RecordNotFound, VersionConflict, WriteConflict

_EXPECTED_BY_TYPE = {
    "date_from_datetime_parsing": "a date as YYYY-MM-DD",
    "date_parsing": "a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "a date as YYYY-MM-DD",
    "datetime_parsing": "an ISO 8601 timestamp with a time zone",
    "datetime_from_date_parsing": "an ISO 8601 timestamp with a time zone",
    "missing": "a value (this field is required)",
    "extra_forbidden": "no such field (unknown fields are refused)",
    "int_parsing": "an integer",
    "float_parsing": "a number",
    "enum": "one of the listed values",
    "literal_error": "one of the listed values",
}


def _expected(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        return f"one of {ctx['expected']}"
    for key, text in (("ge", ">= {}"), ("gt", "> {}"), ("le", "<= {}"), ("lt", "< {}")):
        if key in ctx:
            return "a number " + text.format(ctx[key])
    if "pattern" in ctx:
        return f"text matching {ctx['pattern']}"
    if "multiple_of" in ctx:
        return f"a multiple of {ctx['multiple_of']}"
    return _EXPECTED_BY_TYPE.get(str(error.get("type")), str(error.get("msg", "a valid value")))


def validation_problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    problems = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
        problems.append(
            {
                "field": ".".join(loc),
                "value": error.get("input"),
                "expected": _expected(error),
                "message": error.get("msg"),
            }
        )
    return problems


class ProblemResponse(JSONResponse):
    """JSON with non-ASCII escaped, so a refused value that is not valid Unicode can still be echoed back."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return ProblemResponse(
            status_code=422, content=jsonable_encoder({"detail": validation_problems(list(exc.errors()))})
        )

    @app.exception_handler(ValidationError)
    async def _model_invalid(_request: Request, exc: ValidationError) -> JSONResponse:
        errors: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
        return ProblemResponse(status_code=422, content=jsonable_encoder({"detail": validation_problems(errors)}))

    @app.exception_handler(InvalidRecord)
    async def _record_invalid(_request: Request, exc: InvalidRecord) -> JSONResponse:
        return ProblemResponse(
            status_code=422, content=jsonable_encoder({"detail": [p.as_dict() for p in exc.problems]})
        )

    @app.exception_handler(RecordNotFound)
    async def _not_found(_request: Request, exc: RecordNotFound) -> JSONResponse:
        return ProblemResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(DuplicateRecord)
    async def _duplicate(_request: Request, exc: DuplicateRecord) -> JSONResponse:
        return ProblemResponse(
            status_code=409,
            content=jsonable_encoder({"detail": str(exc), "field": exc.field, "value": exc.value}),
        )

    @app.exception_handler(WriteConflict)
    async def _write_conflict(_request: Request, exc: WriteConflict) -> JSONResponse:
        return ProblemResponse(status_code=409, content={"detail": str(exc), "retry": True})

    @app.exception_handler(VersionConflict)
    async def _conflict(_request: Request, exc: VersionConflict) -> JSONResponse:
        return ProblemResponse(
            status_code=409,
            content={"detail": str(exc), "your_version": exc.expected, "current_version": exc.current},
        )
