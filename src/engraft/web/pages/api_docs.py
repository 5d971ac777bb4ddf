"""The API documentation at ``/docs``: Swagger UI from ``/static/vendor`` (FastAPI's own loads from a CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from engraft.web.templating import render

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"


@router.get("/docs", response_class=HTMLResponse, name="api_docs")
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI on the OpenAPI description; public, like the description itself."""
    link = Markup('<a href="{0}">{0}</a>').format(OPENAPI_URL)
    return render(request, "api_docs.html", {"openapi_url": OPENAPI_URL, "openapi_link": link})
