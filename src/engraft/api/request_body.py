"""Strict JSON request bodies: read once, refused with a problem that says what to send.

FastAPI's own body reading takes any content type it can parse, accepts Python's ``NaN`` and ``Infinity``
(which are not JSON, and which cannot be sent back in a JSON answer) and reports malformed JSON as a field
error. :class:`JsonBodyRoute` reads the body before FastAPI does and refuses:

- a body that is not JSON by its ``Content-Type`` (415);
- malformed JSON, or text that is not UTF-8 (400), naming the line and column;
- ``NaN``, ``Infinity``, a number too large for a double, or text with a lone UTF-16 surrogate (422, naming
  the field);
- a missing or empty body where the route needs one (422).

Each answer says what to send: a JSON object (or array) with ``Content-Type: application/json``. The body is
then validated against the route's body type in pydantic's strict JSON mode, so it must have the JSON types
the OpenAPI document gives: ``false`` is not an integer, ``0`` is not a boolean and ``"5"`` is not a number
(dates, timestamps and enum values are JSON strings, as documented).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any, Final, get_origin

from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from engraft.api.problems import FieldProblem

SEND_JSON: Final = "send a JSON {} with Content-Type: application/json"
_MAX_LISTED: Final = 20
_MAX_INT_DIGITS: Final = 4000


class RequestProblem(Exception):
    """A request refused before or outside schema validation; the error handlers answer it as a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[FieldProblem] | None = None,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.kind = kind
        self.headers = headers


def is_json_media_type(content_type: str) -> bool:
    """True for ``application/json`` and ``application/<anything>+json`` (parameters such as charset ignored)."""
    message = Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class _NonFinite:
    """A number JSON cannot carry, met while parsing; replaced by a problem naming its field."""

    def __init__(self, text: str) -> None:
        self.text = text


class _IntegralFloat(int):
    """A JSON number written with a fraction or exponent but with an integral value (``2.0``, ``1e3``).

    JSON Schema counts such numbers as integers, so they are read as integers; the subclass marks that the
    body was changed by reading it so.
    """


class _Reading:
    """What parsing one body met: numbers that are not finite, numbers with an integral value written as floats."""

    __slots__ = ("integral", "non_finite")

    def __init__(self) -> None:
        self.non_finite = False
        self.integral = False

    def constant(self, text: str) -> _NonFinite:
        self.non_finite = True
        return _NonFinite(text)

    def number(self, text: str) -> float | int | _NonFinite:
        value = float(text)
        if not math.isfinite(value):
            self.non_finite = True
            return _NonFinite(text)
        if value.is_integer():
            self.integral = True
            return _IntegralFloat(value)
        return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate (``\\ud800`` to ``\\udfff``): the only way a JSON text's value can hold
one (its UTF-8 bytes cannot). Paired escapes become one character; a text without any needs no search for lone
ones."""
_NOT_FINITE = "a finite number (JSON has no NaN or Infinity; send null where a value is unknown)"
_NOT_UNICODE = "text of Unicode characters (a lone UTF-16 surrogate escape such as \\ud800 is not one)"


def _scan(value: Any, path: tuple[str, ...], faults: list[FieldProblem]) -> bool:
    """Collect numbers that are not finite and text that is not Unicode, by field; True if integral floats occur."""
    if isinstance(value, _NonFinite):
        message = f"{value.text[:40]} is not a finite number"
        faults.append(FieldProblem(field=".".join(path), value=value.text[:40], expected=_NOT_FINITE, message=message))
        return False
    if isinstance(value, str):
        if _SURROGATE.search(value):
            shown = value[:200].encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            message = "the text holds a lone UTF-16 surrogate, which no database can store"
            faults.append(FieldProblem(field=".".join(path), value=shown, expected=_NOT_UNICODE, message=message))
        return False
    if isinstance(value, dict):
        return any([_scan(item, (*path, str(key)), faults) for key, item in value.items()])
    if isinstance(value, list):
        return any([_scan(item, (*path, str(index)), faults) for index, item in enumerate(value)])
    return isinstance(value, _IntegralFloat)


def _what(body_kind: str) -> str:
    return SEND_JSON.format(body_kind)


def parse_json_body(
    body: bytes, content_type: str | None, *, required: bool, body_kind: str = "object"
) -> bytes | None:
    """``body`` checked to be finite JSON; :class:`RequestProblem` when it is absent, not JSON, or not finite.

    Returns the JSON text to validate: ``body`` itself, or re-written with integral numbers such as ``2.0``
    as integers. Returns ``None`` for an empty body that is not ``required``.
    """
    if not body.strip():
        if required:
            fault = FieldProblem(field="", expected=f"a JSON {body_kind}", message="the request has no body")
            raise RequestProblem(422, f"the request has no body; {_what(body_kind)}", [fault])
        return None
    if not content_type:
        raise RequestProblem(415, f"the request body has no Content-Type; {_what(body_kind)}")
    if not is_json_media_type(content_type):
        raise RequestProblem(415, f"the request body is {content_type.split(';')[0]!r}, not JSON; {_what(body_kind)}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestProblem(400, f"the request body is not UTF-8 text (byte {exc.start}); {_what(body_kind)}") from exc
    reading = _Reading()
    try:
        value = json.loads(text, parse_constant=reading.constant, parse_float=reading.number, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise RequestProblem(400, f"the request body is not valid JSON ({where}); {_what(body_kind)}") from exc
    except (ValueError, RecursionError) as exc:
        raise RequestProblem(400, f"the request body cannot be read as JSON ({exc}); {_what(body_kind)}") from exc
    if not reading.non_finite and not _SURROGATE_ESCAPE.search(text):
        # nothing to refuse: the walk over every value that names each fault's field is not needed
        return json.dumps(value).encode("ascii") if reading.integral else body
    faults: list[FieldProblem] = []
    integral_floats = _scan(value, (), faults)
    if faults:
        shown = ", ".join(f.field or "body" for f in faults[:_MAX_LISTED])
        raise RequestProblem(422, f"{len(faults)} value(s) cannot be stored: {shown}", faults[:_MAX_LISTED])
    return json.dumps(value).encode("ascii") if integral_floats else body


class JsonBodyRoute(APIRoute):
    """An API route whose JSON body (if it has one) is read strictly by :func:`parse_json_body` first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        if body_field is None:
            return handler
        required = body_field.field_info.is_required()
        annotation = body_field.field_info.annotation
        body_kind = "array" if get_origin(annotation) in (list, tuple) else "object"
        adapter: TypeAdapter[Any] = TypeAdapter(Any if annotation is None else annotation)
        # who may call the route is settled before its body is read (engraft.api.auth.PermissionCheck)
        early_checks = [d.call for d in self.dependant.dependencies if getattr(d.call, "checks_before_body", False)]

        async def strict_json_handler(request: Request) -> Response:
            for check in early_checks:
                await check(request)  # type: ignore[misc]
            body = await request.body()
            text = parse_json_body(body, request.headers.get("content-type"), required=required, body_kind=body_kind)
            if text is not None:
                # A ValidationError here is answered 422 by the error handlers. Starlette's Request caches the
                # parsed body in ``_json``: FastAPI then takes the validated value from there as it is.
                request._json = adapter.validate_json(text, strict=True)
            return await handler(request)

        return strict_json_handler
