"""Errors as pages for browsers, problem documents for the API.

The API's handlers (:func:`engraft.api.errors.install_error_handlers`) stay in charge of ``/api/...`` and
``/openapi.json``; on page paths an HTTP error (404, 405, ...) or an unexpected exception becomes an HTML
page in the person's language (``error.html``), and the page guard's exceptions become the sign-in redirect
or the 403 page.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from engraft.config.server_key import ServerKeyError
from engraft.web.i18n import N_
from engraft.web.pages_common import (
    AccountSetupRequired,
    PageForbidden,
    SignInRequired,
    account_setup_url,
    sign_in_url,
    wants_html,
)
from engraft.web.templating import render

_log = logging.getLogger(__name__)

ERROR_TEMPLATE: Final = "error.html"

ERROR_TITLES: Final[dict[int, tuple[str, str]]] = {
    400: (N_("Bad request"), N_("The page could not understand what was sent.")),
    403: (N_("Not allowed"), N_("Your role does not give access to this page.")),
    404: (N_("Page not found"), N_("There is no page at this address. It may have moved, or the link may be wrong.")),
    405: (N_("Not allowed here"), N_("This page cannot be used that way.")),
    413: (N_("Too large"), N_("What was sent is too large.")),
    500: (N_("Something went wrong"), N_("The server could not show this page. The error has been logged.")),
    503: (N_("Unavailable"), N_("This part of Engraft is not available just now. Try again later.")),
}


def error_page(
    request: Request, status: int, *, detail: str | None = None, wording: tuple[str, str] | None = None
) -> Response:
    """The HTML error page for ``status`` (a generic one for codes without their own text); ``wording``: its own
    title and explanation (msgids, translated when rendered) for a refusal the status alone does not say."""
    title, explanation = wording or ERROR_TITLES.get(status, ERROR_TITLES[500] if status >= 500 else ERROR_TITLES[400])
    return render(
        request,
        ERROR_TEMPLATE,
        {"status": status, "title": title, "explanation": explanation, "detail": detail},
        status_code=status,
    )


async def _call(handler: Callable[[Request, Exception], Any], request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result


def install_page_error_handlers(app: FastAPI) -> None:
    """Wrap the API's handlers so page paths get HTML; add the page guard's redirect and 403 page."""
    api_http = app.exception_handlers[StarletteHTTPException]
    api_unexpected = app.exception_handlers[Exception]
    api_server_key = app.exception_handlers[ServerKeyError]

    async def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and wants_html(request):
            response = error_page(request, exc.status_code)
            for name, value in (exc.headers or {}).items():
                response.headers.setdefault(name, value)
            return response
        return await _call(api_http, request, exc)

    async def unexpected(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            _log.exception("unexpected error on page %s", request.url.path, exc_info=exc)
            return error_page(request, 500)
        return await _call(api_unexpected, request, exc)

    async def server_key(request: Request, exc: Exception) -> Response:
        if wants_html(request):  # the reason (naming ENGRAFT_SECRET_KEY) goes to the log, for the administrator
            _log.error("server key refused on page %s: %s", request.url.path, exc)
            return error_page(request, 500)
        return await _call(api_server_key, request, exc)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        target = sign_in_url(exc.next_path)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    async def account_setup_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AccountSetupRequired)
        target = account_setup_url(exc.next_path)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=403, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        return error_page(request, 403)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(ServerKeyError, server_key)
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(AccountSetupRequired, account_setup_required)
    app.add_exception_handler(PageForbidden, forbidden)
