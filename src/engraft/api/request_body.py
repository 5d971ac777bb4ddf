"""Strict JSON request bodies: read once, refused with a problem that says what to send.

FastAPI's own body reading takes any content type it can parse, accepts Python's ``NaN`` and ``Infinity``
(which are not JSON, and which cannot be sent back in a JSON answer) and reports malformed JSON as a field
error. :class:`JsonBodyRoute` reads the body before FastAPI does and refuses:

- a body that is not JSON by its ``Content-Type`` (415);
- malformed JSON, or text that is not UTF-8 (400), naming the line and column;
- ``NaN``, ``Infinity`` or a number too large for a double (422, naming the field);
- a missing or empty body where the route needs one (422).

Each answer says what to send: a JSON object (or array) with ``Content-Type: application/json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any, Final, get_origin

from fastapi.routing import APIRoute
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


def _parse_constant(text: str) -> _NonFinite:
    return _NonFinite(text)


def _parse_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _non_finite_fields(value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    if isinstance(value, _NonFinite):
        return [(".".join(path), value.text)]
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _non_finite_fields(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _non_finite_fields(item, (*path, str(index)))
    return found


def _what(body_kind: str) -> str:
    return SEND_JSON.format(body_kind)


def parse_json_body(body: bytes, content_type: str | None, *, required: bool, body_kind: str = "object") -> Any:
    """The JSON value of ``body``; :class:`RequestProblem` when it is absent, not JSON, or not finite.

    Returns ``None`` for an empty body that is not ``required``.
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
    try:
        value = json.loads(text, parse_constant=_parse_constant, parse_float=_parse_float, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise RequestProblem(400, f"the request body is not valid JSON ({where}); {_what(body_kind)}") from exc
    except (ValueError, RecursionError) as exc:
        raise RequestProblem(400, f"the request body cannot be read as JSON ({exc}); {_what(body_kind)}") from exc
    non_finite = _non_finite_fields(value)
    if non_finite:
        faults = [
            FieldProblem(
                field=field,
                value=text_value[:40],
                expected="a finite number (JSON has no NaN or Infinity; send null where a value is unknown)",
                message=f"{text_value[:40]} is not a finite number",
            )
            for field, text_value in non_finite[:_MAX_LISTED]
        ]
        shown = ", ".join(f.field or "body" for f in faults)
        raise RequestProblem(422, f"{len(non_finite)} number(s) are not finite: {shown}", faults)
    return value


class JsonBodyRoute(APIRoute):
    """An API route whose JSON body (if it has one) is read strictly by :func:`parse_json_body` first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        if body_field is None:
            return handler
        required = body_field.field_info.is_required()
        annotation = getattr(body_field.field_info, "annotation", None)
        body_kind = "array" if get_origin(annotation) in (list, tuple) else "object"

        async def strict_json_handler(request: Request) -> Response:
            body = await request.body()
            value = parse_json_body(body, request.headers.get("content-type"), required=required, body_kind=body_kind)
            if value is not None:
                # Starlette's Request caches the parsed body here, so FastAPI does not parse it a second time.
                request._json = value
            return await handler(request)

        return strict_json_handler
