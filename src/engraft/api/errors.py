"""Exceptions to problem documents: every 4xx and 5xx answer is ``application/problem+json``.

422 lists each fault with the field, the value sent, what was expected and a message; 404 names the
record (or, for an outcome analysis, the population without a transplant to analyse); 409 says whether
the request may be retried or which versions clashed; 500 says nothing about internals. See
:mod:`engraft.api.problems` for the shape.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from engraft.api.problems import RULE_VIOLATION, FieldProblem, problem, problem_response
from engraft.api.request_body import SEND_JSON, RequestProblem
from engraft.config.server_key import SECRET_KEY_ENV, ServerKeyError
from engraft.outcomes import NothingToAnalyse, OutcomeQueryError
from engraft.registry.errors import (
    AuditUnavailable,
    DuplicateRecord,
    InvalidRecord,
    Problem,
    RecordNotFound,
    VersionConflict,
    WriteConflict,
)
from engraft.registry.schemas.common import NO_NUL_PATTERN

_log = logging.getLogger(__name__)

#: Longest text echoed back in ``errors[].value``; longer values are cut and say how long they were.
MAX_ECHOED_CHARACTERS = 200

_EXPECTED_BY_TYPE = {
    "date_from_datetime_parsing": "a date as YYYY-MM-DD",
    "date_parsing": "a date as YYYY-MM-DD",
    "date_type": "a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "a date as YYYY-MM-DD",
    "datetime_parsing": "an ISO 8601 timestamp with a time zone",
    "datetime_type": "an ISO 8601 timestamp with a time zone",
    "datetime_from_date_parsing": "an ISO 8601 timestamp with a time zone",
    "missing": "a value (this field is required)",
    "extra_forbidden": "no such field (unknown fields are refused)",
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "enum": "one of the listed values",
    "literal_error": "one of the listed values",
    "json_invalid": "valid JSON",
    "string_too_long": "shorter text",
    "string_too_short": "longer text",
}

#: pydantic error types raised by a model's own validators: rules the published schema cannot state.
_RULE_ERROR_TYPES = frozenset({"value_error", "assertion_error"})
_HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "TRACE"})


def echo(value: Any) -> Any:
    """``value`` made safe to send back: long text cut, non-finite numbers and non-JSON values as text."""
    if isinstance(value, str):
        if len(value) > MAX_ECHOED_CHARACTERS:
            return f"{value[:MAX_ECHOED_CHARACTERS]}... ({len(value)} characters)"
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return [echo(v) for v in value[:20]]
    if isinstance(value, dict):
        return {str(k)[:MAX_ECHOED_CHARACTERS]: echo(v) for k, v in list(value.items())[:20]}
    if isinstance(value, bytes):
        return echo(value.decode("utf-8", errors="replace"))
    return echo(str(value))


def _expected(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        return f"one of {ctx['expected']}"
    for key, text in (("ge", ">= {}"), ("gt", "> {}"), ("le", "<= {}"), ("lt", "< {}")):
        if key in ctx:
            return "a number " + text.format(ctx[key])
    if ctx.get("pattern") == NO_NUL_PATTERN:
        return "text without NUL characters (\\u0000)"
    if "pattern" in ctx:
        return f"text matching {ctx['pattern']}"
    if "multiple_of" in ctx:
        return f"a multiple of {ctx['multiple_of']}"
    if "max_length" in ctx:
        return f"at most {ctx['max_length']} characters or items"
    if "min_length" in ctx:
        return f"at least {ctx['min_length']} characters or items"
    return _EXPECTED_BY_TYPE.get(str(error.get("type")), _message(error, "a valid value"))


def _message(error: dict[str, Any], default: str) -> str:
    """pydantic's message without the "Value error, " it puts before the text of a rule's own ValueError."""
    return str(error.get("msg", default)).removeprefix("Value error, ")


def validation_problems(errors: list[dict[str, Any]]) -> list[FieldProblem]:
    """pydantic errors as field problems (``body`` and ``query`` location prefixes dropped)."""
    problems = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]
        problems.append(
            FieldProblem(
                field=".".join(loc),
                value=echo(error.get("input")),
                expected=_expected(error),
                message=_message(error, "invalid value"),
            )
        )
    return problems


def record_problems(problems: list[Problem]) -> list[FieldProblem]:
    """The registry's problems (which already name field, value and expectation) as field problems."""
    return [
        FieldProblem(
            field=p.field,
            value=echo(p.value),
            expected=p.expected,
            message=f"{p.field or 'value'}: expected {p.expected}",
            row=p.row,
        )
        for p in problems
    ]


def _invalid(request: Request, faults: list[FieldProblem], *, rule: bool) -> Response:
    """422: ``rule`` when the request matched the published schema but broke a rule it cannot state."""
    shown = "; ".join(f"{f.field or 'body'}: expected {f.expected}" for f in faults[:3])
    more = f" (and {len(faults) - 3} more)" if len(faults) > 3 else ""
    detail = f"{len(faults)} problem(s) in the submitted data: {shown}{more}"
    kind = RULE_VIOLATION if rule else None
    return problem_response(problem(422, detail, errors=faults, instance=request.url.path, kind=kind))


def _only_rule_errors(errors: list[dict[str, Any]]) -> bool:
    return bool(errors) and all(str(e.get("type")) in _RULE_ERROR_TYPES for e in errors)


def allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document gives for this request's path (for the ``Allow`` header of a 405).

    HEAD goes with GET and OPTIONS is never answered, as Starlette routes do.
    """
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations if method.upper() in _HTTP_METHODS}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the routes raise on purpose, and any other, to a problem document."""

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [dict(e) for e in exc.errors()]
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = f"the request body is not valid JSON; {SEND_JSON.format('object')}"
            return problem_response(problem(400, detail, instance=request.url.path))
        return _invalid(request, validation_problems(errors), rule=_only_rule_errors(errors))

    @app.exception_handler(ValidationError)
    async def _model_invalid(request: Request, exc: ValidationError) -> Response:
        errors = [dict(e) for e in exc.errors()]
        return _invalid(request, validation_problems(errors), rule=_only_rule_errors(errors))

    @app.exception_handler(InvalidRecord)
    async def _record_invalid(request: Request, exc: InvalidRecord) -> Response:
        return _invalid(request, record_problems(exc.problems), rule=True)

    @app.exception_handler(RequestProblem)
    async def _request_problem(request: Request, exc: RequestProblem) -> Response:
        body = problem(exc.status, exc.detail, errors=exc.errors, instance=request.url.path, kind=exc.kind)
        return problem_response(body, headers=exc.headers)

    @app.exception_handler(RecordNotFound)
    async def _not_found(request: Request, exc: RecordNotFound) -> Response:
        return problem_response(problem(404, str(exc), instance=request.url.path))

    @app.exception_handler(DuplicateRecord)
    async def _duplicate(request: Request, exc: DuplicateRecord) -> Response:
        fault = FieldProblem(
            field=exc.field, value=echo(exc.value), expected="a value no other record has", message=str(exc)
        )
        return problem_response(problem(409, str(exc), errors=[fault], instance=request.url.path))

    @app.exception_handler(AuditUnavailable)
    async def _audit_unavailable(request: Request, exc: AuditUnavailable) -> Response:
        return problem_response(problem(503, str(exc), instance=request.url.path, retry=True))

    @app.exception_handler(WriteConflict)
    async def _write_conflict(request: Request, exc: WriteConflict) -> Response:
        return problem_response(problem(409, str(exc), instance=request.url.path, retry=True))

    @app.exception_handler(VersionConflict)
    async def _version_conflict(request: Request, exc: VersionConflict) -> Response:
        body = problem(
            409,
            str(exc),
            instance=request.url.path,
            your_version=exc.expected,
            current_version=exc.current,
        )
        return problem_response(body)

    @app.exception_handler(OutcomeQueryError)
    async def _outcome_query(request: Request, exc: OutcomeQueryError) -> Response:
        fault = FieldProblem(field=exc.field, value=echo(exc.value), expected=exc.expected, message=str(exc))
        return _invalid(request, [fault], rule=exc.rule)

    @app.exception_handler(NothingToAnalyse)
    async def _nothing_to_analyse(request: Request, exc: NothingToAnalyse) -> Response:
        return problem_response(problem(404, str(exc), instance=request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.detail, list):
            faults = [
                FieldProblem(
                    field=str(f.get("field", "")),
                    value=echo(f.get("value")),
                    expected=str(f.get("expected", "a valid value")),
                    message=str(f.get("message") or f.get("expected") or "invalid value"),
                )
                for f in exc.detail
            ]
            body = problem(exc.status_code, "the request cannot be processed", errors=faults, instance=request.url.path)
        else:
            body = problem(exc.status_code, str(exc.detail), instance=request.url.path)
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(body, headers=headers or None)

    @app.exception_handler(ServerKeyError)
    async def _server_key(request: Request, exc: ServerKeyError) -> Response:
        _log.error("server key refused on %s %s: %s", request.method, request.url.path, exc)
        detail = (
            f"the server cannot open its stored secrets: its server key ({SECRET_KEY_ENV} or the key file in the "
            "Engraft home) is missing or wrong. Nothing was written; the administrator finds the details in the log."
        )
        return problem_response(problem(500, detail, instance=request.url.path))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        detail = "an unexpected error stopped this request; nothing was written. The error was logged."
        return problem_response(problem(500, detail, instance=request.url.path))
