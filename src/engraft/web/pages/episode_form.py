"""An episode's kind of cell therapy on the web: what day 0 infused, a haematopoietic cell transplant or immune
effector cells (CAR-T).

``GET /episodes/<id>/edit`` shows the episode and the form and needs :attr:`Permission.PATIENT_WRITE` (the
permission ``PATCH /api/episodes/<id>`` needs); ``POST`` to the same address needs it too and the session's CSRF
token. The change is stored by :meth:`RegistryService.update_episode
<engraft.registry.service.RegistryService.update_episode>`, exactly as the API stores it: audited, refused when
someone changed the episode since the form was read (its ``version``), and, once committed, announced so that the
server's monitoring evaluates the episode again (the possible-CRS rule watches immune effector cell episodes only).
Without JavaScript a stored change redirects to the form with a notice; with htmx the form posts itself and only the
form is replaced (``HX-Request``; the response is the ``_episode_form.html`` fragment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from engraft.access import Permission, Principal
from engraft.api.auth import acting_registry
from engraft.registry.errors import InvalidRecord, RecordNotFound, VersionConflict
from engraft.registry.patient_record import read_episodes
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.registry.schemas.episode import EpisodeOut, EpisodeUpdate
from engraft.vocabulary import CellTherapy
from engraft.web.error_pages import error_page
from engraft.web.forms import field_errors
from engraft.web.forms.submitted import csrf_refused, form_values_of, session_csrf_token
from engraft.web.i18n import N_
from engraft.web.pages.patient_words import kind_numbers
from engraft.web.pages_common import require_page
from engraft.web.templating import render, translate

router = APIRouter(include_in_schema=False)

EpisodeId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]

THERAPY_LABELS: Final[Mapping[CellTherapy, str]] = {
    CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT: N_("Haematopoietic cell transplant"),
    CellTherapy.IMMUNE_EFFECTOR_CELLS: N_("Immune effector cells (CAR-T)"),
}
THERAPY_HINTS: Final[Mapping[CellTherapy, str]] = {
    CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT: N_(
        "Day 0 is the transplant: engraftment and graft-failure alerts apply, possible-CRS alerts do not."
    ),
    CellTherapy.IMMUNE_EFFECTOR_CELLS: N_(
        "Day 0 is the infusion of CAR-T or other immune effector cells: possible-CRS alerts apply (days 0-30), "
        "engraftment and graft-failure alerts do not."
    ),
}
HEADINGS: Final[Mapping[CellTherapy, str]] = {
    CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT: N_("Cell therapy of transplant %(number)s"),
    CellTherapy.IMMUNE_EFFECTOR_CELLS: N_("Cell therapy of immune effector cell infusion %(number)s"),
}
"""The page's heading: the episode as stored, numbered among the patient's episodes of its kind."""
NOT_A_THERAPY: Final = N_("Choose one of the kinds of cell therapy listed.")
CHANGED_MEANWHILE: Final = N_(
    "Someone changed this episode after you opened the form. It now shows what is stored; choose again if needed."
)


def _render(
    request: Request,
    episode: EpisodeOut,
    chosen: str,
    errors: Mapping[str, list[str]],
    *,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    fragment = request.headers.get("HX-Request") == "true" and request.method == "POST"
    number = kind_numbers(read_episodes(acting_registry(request), episode.patient_id)).get(episode.id, 1)
    context = {
        "episode": episode,
        "heading": translate(request, HEADINGS[episode.cell_therapy]) % {"number": number},
        "fragment": fragment,
        "chosen": chosen,
        "errors": errors,
        "saved": saved,
        "therapies": [(t.value, THERAPY_LABELS[t], THERAPY_HINTS[t]) for t in CellTherapy],
        "current_label": THERAPY_LABELS[episode.cell_therapy],
        "form_csrf": session_csrf_token(request),
    }
    template = "patients/_episode_form.html" if fragment else "patients/episode_form.html"
    return render(request, template, context, status_code=status_code)


def _episode(request: Request, episode_id: int) -> EpisodeOut | None:
    try:
        return acting_registry(request).get_episode(episode_id)
    except RecordNotFound:
        return None


@router.get("/episodes/{episode_id}/edit", response_class=HTMLResponse, name="episode_form")
def episode_form(
    request: Request,
    episode_id: EpisodeId,
    _principal: Annotated[Principal, Depends(require_page(Permission.PATIENT_WRITE))],
) -> Response:
    """The episode's cell therapy and the form that changes it."""
    episode = _episode(request, episode_id)
    if episode is None:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    saved = request.query_params.get("saved") == "1"
    return _render(request, episode, episode.cell_therapy.value, {}, saved=saved)


@router.post("/episodes/{episode_id}/edit", response_class=HTMLResponse)
async def change_episode(
    request: Request,
    episode_id: EpisodeId,
    _principal: Annotated[Principal, Depends(require_page(Permission.PATIENT_WRITE))],
) -> Response:
    """Store the chosen cell therapy (CSRF-protected); the form again with its problems if it cannot be stored."""
    values = await form_values_of(request)
    refused = csrf_refused(request, values)
    if refused is not None:
        return refused
    episode = _episode(request, episode_id)
    if episode is None:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    chosen = values.get("cell_therapy", "")
    try:
        patch = EpisodeUpdate.model_validate({"version": values.get("version", ""), "cell_therapy": chosen})
    except ValidationError as exc:
        errors = field_errors(exc)
        if "cell_therapy" in errors:
            errors["cell_therapy"] = [translate(request, NOT_A_THERAPY)]
        return _render(request, episode, chosen, errors, status_code=422)
    try:
        stored = acting_registry(request).update_episode(episode_id, patch)
    except VersionConflict:
        current = _episode(request, episode_id) or episode
        errors = {"version": [translate(request, CHANGED_MEANWHILE)]}
        return _render(request, current, current.cell_therapy.value, errors, status_code=409)
    except InvalidRecord as exc:
        errors = {}
        for problem in exc.problems:
            errors.setdefault(problem.field or "", []).append(f"{problem.expected}")
        return _render(request, episode, chosen, errors, status_code=422)
    except RecordNotFound:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    if request.headers.get("HX-Request") == "true":
        return _render(request, stored, stored.cell_therapy.value, {}, saved=True)
    return RedirectResponse(f"/episodes/{episode_id}/edit?saved=1", status_code=303)
