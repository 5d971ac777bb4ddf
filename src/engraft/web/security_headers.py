"""Security headers on every response, pages and API alike (ASGI middleware).

The Content-Security-Policy allows scripts and styles from this server only: no inline ``<script>``, no
``style=""`` attribute or ``<style>`` element, no ``on...=`` handler, no ``eval``. Page authors put code in
``web/static/*.js`` and styles in ``web/static/engraft.css``. Images may also be ``data:`` URIs (Swagger UI's
icons). Nothing may frame a page. Responses are never cached (``no-store``: pages show patient data) except
static files, which carry a content hash in their URL (:func:`engraft.web.templating.static_url`).
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
STRICT_TRANSPORT_SECURITY: Final = "max-age=31536000; includeSubDomains"
"""Sent on HTTPS answers only: browsers then refuse plain HTTP to this host for a year."""
NO_STORE: Final = "no-store"
STATIC_CACHE: Final = "public, max-age=86400"
"""Static files: a day (their URLs change when their content does)."""

SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def cache_control_for(path: str, status: int) -> str:
    """``Cache-Control`` for a response: static files that were found may be cached, nothing else."""
    if path.startswith("/static/") and status == 200:
        return STATIC_CACHE
    return NO_STORE


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` and ``Cache-Control`` to every HTTP response (a route's own value wins
    for ``Cache-Control`` only when it already says ``no-store``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                headers["Cache-Control"] = cache_control_for(path, int(message["status"]))
                if scope.get("scheme") == "https":
                    headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
            await send(message)

        await self.app(scope, receive, send_with_headers)
