"""An episode's informed-consent records on the web: the list, and a form that records an explanation.

``GET /episodes/<id>/consent`` lists the records (who explained which document, to whom, when, with or without an
interpreter, the questions raised and the decision) and needs :attr:`Permission.PATIENT_READ`; the form, and
``POST`` to the same address, need :attr:`Permission.PATIENT_WRITE` and the session's CSRF token. A record is stored
by :func:`engraft.registry.consent_records.create_consent_record` (one audited transaction), exactly as
``POST /api/episodes/<id>/consent-records`` stores it. The document is named by the fingerprint printed at the end
of the risk explanation; the form offers the fingerprint of the document as it is now in the chosen language.
An immune effector cell (CAR-T) episode has no risk explanation: its records are listed, none is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from engraft.access import Permission, Principal
from engraft.api.auth import acting_registry
from engraft.registry.checks import require_transplant
from engraft.registry.consent_records import create_consent_record, list_consent_records
from engraft.registry.errors import InvalidRecord, RecordNotFound
from engraft.registry.patient_record import read_episodes
from engraft.registry.risk_report_data import episode_risk_report
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.registry.schemas.consent import ConsentRecordIn
from engraft.reports.consent import ConsentDecision, ConsentParticipantRole
from engraft.reports.document import REPORT_VERSION
from engraft.reports.languages import ReportLanguage
from engraft.vocabulary import CellTherapy
from engraft.web.error_pages import error_page
from engraft.web.forms import field_errors
from engraft.web.forms.submitted import csrf_refused, form_values_of, session_csrf_token
from engraft.web.i18n import N_
from engraft.web.pages.patient_words import kind_numbers
from engraft.web.pages.risk import not_a_transplant_page
from engraft.web.pages_common import require_page
from engraft.web.templating import language_of, render, translate

router = APIRouter(include_in_schema=False)

EpisodeId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
MAX_PEOPLE_PER_ROLE: Final = 6

ROLE_LABELS: Final[Mapping[ConsentParticipantRole, str]] = {
    ConsentParticipantRole.PATIENT: N_("Patient"),
    ConsentParticipantRole.SPOUSE_OR_PARTNER: N_("Spouse or partner"),
    ConsentParticipantRole.PARENT: N_("Parent"),
    ConsentParticipantRole.CHILD: N_("Son or daughter"),
    ConsentParticipantRole.SIBLING: N_("Brother or sister"),
    ConsentParticipantRole.OTHER_RELATIVE: N_("Other relative"),
    ConsentParticipantRole.LEGAL_GUARDIAN: N_("Legal guardian"),
    ConsentParticipantRole.FRIEND_OR_CARER: N_("Friend or carer"),
    ConsentParticipantRole.OTHER: N_("Someone else"),
}
DECISION_LABELS: Final[Mapping[ConsentDecision, str]] = {
    ConsentDecision.CONSENTED: N_("Consented"),
    ConsentDecision.DECLINED: N_("Declined"),
    ConsentDecision.WANTS_MORE_TIME: N_("Wants more time"),
}


def _role_field(role: ConsentParticipantRole) -> str:
    return "people_" + role.name.lower()


NOT_A_COUNT: Final = N_("Give a whole number from 0 to %(most)s.")
NOT_A_TIME: Final = N_("Give the date and time of the explanation.")
NOBODY_PRESENT: Final = N_("Give at least one person who was present.")
NO_INTERPRETER_LANGUAGE: Final = N_("Give the language the interpreter used.")

Translate = Callable[[str], str]


def _count(
    values: Mapping[str, str], role: ConsentParticipantRole, errors: dict[str, list[str]], translate: Translate
) -> int:
    text = values.get(_role_field(role), "").strip() or "0"
    if not text.isdigit() or int(text) > MAX_PEOPLE_PER_ROLE:
        errors.setdefault(_role_field(role), []).append(translate(NOT_A_COUNT) % {"most": MAX_PEOPLE_PER_ROLE})
        return 0
    return int(text)


def _explained_at(text: str, errors: dict[str, list[str]], translate: Translate) -> str:
    """The form's local date and time (``YYYY-MM-DDTHH:MM``, the server's time zone) as an aware ISO time."""
    try:
        local = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        errors.setdefault("explained_at", []).append(translate(NOT_A_TIME))
        return ""
    return (local if local.tzinfo else local.astimezone()).isoformat()


def payload_of(values: Mapping[str, str], translate: Translate = str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The consent-record input of a submitted form, and the problems only the form can have (in the page's
    language through ``translate``; the record's own checks are pydantic's)."""
    errors: dict[str, list[str]] = {}
    participants = [
        {"role": role.value} for role in ConsentParticipantRole for _ in range(_count(values, role, errors, translate))
    ]
    if not participants and not any(_role_field(role) in errors for role in ConsentParticipantRole):
        errors.setdefault("participants", []).append(translate(NOBODY_PRESENT))
    interpreter = values.get("interpreter_used") == "yes"
    if interpreter and not values.get("interpreter_language", "").strip():
        errors.setdefault("interpreter_language", []).append(translate(NO_INTERPRETER_LANGUAGE))
    payload: dict[str, Any] = {
        "document_hash": values.get("document_hash", "").strip().lower(),
        "document_version": values.get("document_version", "").strip(),
        "document_language": values.get("document_language", ""),
        "explained_by": values.get("explained_by", "").strip(),
        "explained_at": _explained_at(values.get("explained_at", ""), errors, translate),
        "participants": participants,
        "interpreter_used": interpreter,
        "questions": [line.strip() for line in values.get("questions", "").splitlines() if line.strip()],
        "decision": values.get("decision", ""),
    }
    if interpreter:
        payload["interpreter_language"] = values.get("interpreter_language", "").strip() or None
    notes = values.get("notes", "").strip()
    if notes:
        payload["notes"] = notes
    return payload, errors


def _fingerprints(request: Request, episode_id: int) -> dict[str, str]:
    report = episode_risk_report(acting_registry(request), request.app.state.engine, episode_id)
    return {language.value: report.content_hash(language.value) for language in ReportLanguage}


def _page(
    request: Request,
    principal: Principal,
    episode_id: int,
    values: Mapping[str, str],
    errors: Mapping[str, list[str]],
    status_code: int = 200,
) -> Response:
    service = acting_registry(request)
    try:
        episode = service.get_episode(episode_id)
        records = list_consent_records(service, episode_id)
        number = kind_numbers(read_episodes(service, episode.patient_id))[episode.id]
    except RecordNotFound:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    transplant = episode.cell_therapy is CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT
    may_record = principal.may(Permission.PATIENT_WRITE) and transplant
    context = {
        "episode": episode,
        "number": number,
        "transplant": transplant,
        "records": records,
        "may_record": may_record,
        "fingerprints": _fingerprints(request, episode_id) if may_record else {},
        "report_version": str(REPORT_VERSION),
        "values": values,
        "errors": errors,
        "roles": [(role, _role_field(role), ROLE_LABELS[role]) for role in ConsentParticipantRole],
        "role_labels": ROLE_LABELS,
        "decisions": DECISION_LABELS,
        "max_people": MAX_PEOPLE_PER_ROLE,
        "form_csrf": session_csrf_token(request),
    }
    return render(request, "patients/consent.html", context, status_code=status_code)


def _defaults(request: Request, principal: Principal) -> dict[str, str]:
    language = "zh" if language_of(request).code.startswith("zh") else "en"
    now = dt.datetime.now().replace(second=0, microsecond=0)
    return {
        "document_language": language,
        "explained_by": principal.display_name,
        "explained_at": now.isoformat(timespec="minutes"),
        _role_field(ConsentParticipantRole.PATIENT): "1",
        "interpreter_used": "no",
        "decision": ConsentDecision.CONSENTED.value,
    }


@router.get("/episodes/{episode_id}/consent", response_class=HTMLResponse, name="episode_consent")
def episode_consent(
    request: Request,
    episode_id: EpisodeId,
    principal: Annotated[Principal, Depends(require_page(Permission.PATIENT_READ))],
) -> Response:
    """The episode's consent records and, for those who may write, the form that records one."""
    return _page(request, principal, episode_id, _defaults(request, principal), {})


@router.post("/episodes/{episode_id}/consent", response_class=HTMLResponse)
async def record_consent(
    request: Request,
    episode_id: EpisodeId,
    principal: Annotated[Principal, Depends(require_page(Permission.PATIENT_WRITE))],
) -> Response:
    """Store one consent record (CSRF-protected); the list again on success, the form with its problems if not."""
    values = await form_values_of(request)
    refused = csrf_refused(request, values)
    if refused is not None:
        return refused
    try:  # refused before the form is checked: an immune effector cell episode has no form to correct
        require_transplant(acting_registry(request).get_episode(episode_id).cell_therapy)
    except RecordNotFound:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    except InvalidRecord:
        return not_a_transplant_page(request)
    payload, errors = payload_of(values, lambda text: translate(request, text))
    if errors:
        return _page(request, principal, episode_id, values, errors, status_code=422)
    try:
        data = ConsentRecordIn.model_validate(payload)
    except ValidationError as exc:
        return _page(request, principal, episode_id, values, field_errors(exc), status_code=422)
    try:
        create_consent_record(acting_registry(request), episode_id, data)
    except RecordNotFound:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    except InvalidRecord:  # an immune effector cell episode (changed since the check above)
        return not_a_transplant_page(request)
    return RedirectResponse(f"/episodes/{episode_id}/consent?recorded=1", status_code=303)
