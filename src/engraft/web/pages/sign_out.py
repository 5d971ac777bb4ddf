"""``POST /sign-out``: the header's sign-out button. Ends the session, clears its cookie, back to ``/``.

The form carries the session's CSRF token (``csrf_token``); without the right one the session stays and
the 403 page says so. Nobody signed in: straight back to the start page.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from engraft.api.auth import CSRF_FIELD, SESSION_COOKIE, acting_accounts, signed_in_session
from engraft.web.error_pages import error_page
from engraft.web.pages_common import HOME_PATH, SIGN_OUT_PATH, optional_principal

router = APIRouter(include_in_schema=False)


@router.post(SIGN_OUT_PATH, name="sign_out", dependencies=[Depends(optional_principal)])  # public: ends what it finds
async def sign_out(request: Request) -> Response:
    """End this browser's session (the account's other sessions stay)."""
    session = signed_in_session(request)
    if session is None:
        return RedirectResponse(HOME_PATH, status_code=303)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        return error_page(request, 403)
    acting_accounts(request).sign_out(session.session_id)
    response = RedirectResponse(HOME_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
