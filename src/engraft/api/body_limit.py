"""Request body size limits, as ASGI middleware: a body over the limit is answered 413 and not read further.

Records are small, so every route takes at most :data:`RECORD_BODY_LIMIT` (1 MiB) except the bulk
observation upload, which takes up to :data:`BULK_BODY_LIMIT` (32 MiB, about 100 000 observations). A
``Content-Length`` over the limit is refused before any of the body is read; a body without one (chunked
transfer) is counted as it arrives and refused as soon as it passes the limit. The body read here is handed
to the application unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engraft.api.problems import problem, problem_response

MIB: Final = 1024 * 1024
RECORD_BODY_LIMIT: Final = 1 * MIB
BULK_BODY_LIMIT: Final = 32 * MIB
#: Paths with a limit other than :data:`RECORD_BODY_LIMIT`.
BODY_LIMITS: Final[Mapping[str, int]] = {"/api/observations/bulk": BULK_BODY_LIMIT}


def body_limit(path: str) -> int:
    """The largest request body, in bytes, accepted on ``path``."""
    return BODY_LIMITS.get(path.rstrip("/") or "/", RECORD_BODY_LIMIT)


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"


class BodyLimitMiddleware:
    """Answer 413 (a problem document) when a request body is larger than :func:`body_limit` of its path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await self._refuse(scope, receive, send, 400, f"Content-Length {declared[:40]!r} is not a number")
                return
            if int(declared) > limit:
                detail = f"the request body has {int(declared)} bytes; {scope['path']} accepts at most {_size(limit)}"
                await self._refuse(scope, receive, send, 413, detail)
                return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                detail = f"the request body is larger than {_size(limit)}, the most {scope['path']} accepts"
                await self._refuse(scope, receive, send, 413, detail)
                return
            if not message.get("more_body", False):
                break
        pending = iter(messages)

        async def replay() -> Message:
            message = next(pending, None)
            return message if message is not None else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        headers = {"Connection": "close"} if status == 413 else None
        response = problem_response(problem(status, detail, instance=scope["path"]), headers=headers)
        await response(scope, receive, send)
