"""A submitted HTML form as :data:`~engraft.web.forms.values.FormValues`, and its anti-forgery check.

Pages whose forms change something (or carry clinical values) are posted with the session's CSRF token in
the ``csrf_token`` field (htmx sends it in the ``X-CSRF-Token`` header too). :func:`csrf_refused` answers
the 403 page unless the token sent equals the session's; a request without a session token is refused
(fail closed).
"""

from __future__ import annotations

import hmac
from typing import Final

from fastapi import Request
from fastapi.responses import Response

from engraft.api.auth import csrf_token
from engraft.web.error_pages import error_page
from engraft.web.templating import csrf_token_for

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
MAX_FIELDS: Final = 2000
"""The most fields a generated form may send (the largest, HCT-CI with facts, has under 100)."""


async def form_values_of(request: Request) -> dict[str, str]:
    """The text fields of the submitted form (files are ignored; repeated names keep the last value)."""
    form = await request.form(max_fields=MAX_FIELDS)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def session_csrf_token(request: Request) -> str:
    """The token a page's forms send back: the session's (``""`` without a session)."""
    return csrf_token_for(request) or csrf_token(request) or ""


def csrf_refused(request: Request, values: dict[str, str]) -> Response | None:
    """The 403 page when the form's (or header's) CSRF token is not the session's; ``None`` when it is."""
    expected = session_csrf_token(request)
    sent = values.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER) or ""
    if expected and sent and hmac.compare_digest(sent.encode(), expected.encode()):
        return None
    return error_page(request, 403, detail="missing or wrong CSRF token: reload the page and send the form again")
