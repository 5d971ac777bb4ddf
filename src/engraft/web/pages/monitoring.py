"""The ward board (``/ward-board``, permission ``patient.read``): open and acknowledged alerts across patients,
most severe first, updated live; and the monitoring alerts in the patient page's Alerts region.

Acknowledge and resolve are page forms (CSRF-checked, permission ``alert.manage``: physicians and nurses) that
call the same registry functions as the API. The live update is ``static/ward-board.js``: an ``EventSource``
on ``/api/alerts/stream`` that reloads the table fragment (``/ward-board/table``) when an alert changes.
The rule titles and explanations are the rule file's and the engine's English texts; a page in another language
shows them through the ``core`` catalogue (:mod:`engraft.web.core_text`), a centre's own title as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engraft.access import Permission, Principal
from engraft.api.auth import acting_registry
from engraft.monitoring import AlertState, Severity
from engraft.registry.alerts import acknowledge_alert, list_alerts, patient_registry_ids, resolve_alert
from engraft.registry.errors import InvalidRecord, RecordNotFound, VersionConflict
from engraft.registry.schemas.alerts import AlertAcknowledge, AlertFilter, AlertOut, AlertResolve
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.web.i18n import N_
from engraft.web.pages.account_forms import check_csrf
from engraft.web.pages.patients_panels import Alert, AlertContext, AlertSeverity, register_alert_provider
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import render

router = APIRouter(include_in_schema=False)
BOARD_PATH: Final = "/ward-board"
BOARD_LIMIT: Final = 500
SECTION = register(
    Section(
        "monitoring",
        N_("Ward board"),
        BOARD_PATH,
        Permission.PATIENT_READ,
        order=15,
        summary=N_("Open and acknowledged alerts across patients, most severe first, updated live."),
    )
)
board_guard = require_page(Permission.PATIENT_READ)
manage_guard = require_page(Permission.ALERT_MANAGE)

SEVERITY_LABELS: Final = {
    Severity.CRITICAL: N_("Critical"),
    Severity.WARNING: N_("Warning"),
    Severity.INFO: N_("Information"),
}
SEVERITY_BADGES: Final = {Severity.CRITICAL: "danger", Severity.WARNING: "warn", Severity.INFO: "info"}
STATE_LABELS: Final = {
    AlertState.OPEN: N_("Open"),
    AlertState.ACKNOWLEDGED: N_("Acknowledged"),
    AlertState.RESOLVED: N_("Resolved"),
}
DONE_MESSAGES: Final = {
    "acknowledged": N_("The alert is acknowledged."),
    "resolved": N_("The alert is resolved."),
    "stale": N_("Someone else changed the alert first; the board shows it as it is now."),
    "gone": N_("That alert no longer exists."),
}


def _board_alerts(request: Request) -> tuple[list[AlertOut], dict[int, str]]:
    service = acting_registry(request)
    alerts: list[AlertOut] = []
    for state in (AlertState.OPEN, AlertState.ACKNOWLEDGED):
        alerts += list_alerts(service, AlertFilter(state=state), limit=BOARD_LIMIT).items
    alerts.sort(key=lambda a: (-a.severity.rank, a.state is not AlertState.OPEN, -a.detected_at.timestamp()))
    return alerts, patient_registry_ids(service, {a.patient_id for a in alerts})


def _context(request: Request, principal: Principal) -> dict[str, Any]:
    alerts, patients = _board_alerts(request)
    return {
        "alerts": alerts,
        "patients": patients,
        "severity_labels": SEVERITY_LABELS,
        "severity_badges": SEVERITY_BADGES,
        "state_labels": STATE_LABELS,
        "may_manage": principal.may(Permission.ALERT_MANAGE),
    }


@router.get(BOARD_PATH, response_class=HTMLResponse, name="ward_board")
def ward_board(request: Request, done: str = "", principal: Principal = Depends(board_guard)) -> Response:
    context = _context(request, principal)
    context["done"] = DONE_MESSAGES.get(done)
    return render(request, "monitoring/board.html", context)


@router.get(f"{BOARD_PATH}/table", response_class=HTMLResponse, name="ward_board_table")
def ward_board_table(request: Request, principal: Principal = Depends(board_guard)) -> Response:
    """The board's table alone (what the live update swaps in)."""
    return render(request, "monitoring/_table.html", _context(request, principal))


def _alert_id(alert_id: int) -> int:
    return alert_id if 1 <= alert_id <= MAX_RECORD_ID else 0


@router.post(f"{BOARD_PATH}/alerts/{{alert_id}}/acknowledge", response_class=HTMLResponse, name="ward_board_ack")
def acknowledge(
    request: Request,
    alert_id: int,
    csrf_token: str = Form(""),
    version: int = Form(0),
    principal: Principal = Depends(manage_guard),
) -> Response:
    check_csrf(request, csrf_token)
    return _change(
        request,
        lambda: acknowledge_alert(
            acting_registry(request), _alert_id(alert_id), AlertAcknowledge(version=max(version, 1))
        ),
        "acknowledged",
    )


@router.post(f"{BOARD_PATH}/alerts/{{alert_id}}/resolve", response_class=HTMLResponse, name="ward_board_resolve")
def resolve(
    request: Request,
    alert_id: int,
    csrf_token: str = Form(""),
    version: int = Form(0),
    principal: Principal = Depends(manage_guard),
) -> Response:
    check_csrf(request, csrf_token)
    return _change(
        request,
        lambda: resolve_alert(acting_registry(request), _alert_id(alert_id), AlertResolve(version=max(version, 1))),
        "resolved",
    )


def _change(request: Request, change: Any, done: str) -> Response:
    try:
        change()
    except RecordNotFound:
        done = "gone"
    except (VersionConflict, InvalidRecord):
        done = "stale"
    return RedirectResponse(f"{BOARD_PATH}?done={done}", status_code=303)


SOURCE: Final = N_("monitoring")
"""The name the patient page shows beside these alerts."""
_PANEL_SEVERITY: Final = {
    Severity.CRITICAL: AlertSeverity.DANGER,
    Severity.WARNING: AlertSeverity.WARN,
    Severity.INFO: AlertSeverity.INFO,
}


@register_alert_provider
def monitoring_alerts(context: AlertContext) -> Sequence[Alert]:
    """The patient's open and acknowledged monitoring alerts, for the patient page's Alerts region."""
    if not context.principal.may(Permission.PATIENT_READ):
        return []
    shown: list[Alert] = []
    for state in (AlertState.OPEN, AlertState.ACKNOWLEDGED):
        page = list_alerts(context.registry, AlertFilter(state=state, patient_id=context.patient_id), limit=50)
        for alert in page.items:
            title = str(alert.details.get("rule_title", alert.rule_id))
            status = context.gettext(STATE_LABELS[alert.state])
            shown.append(
                Alert(
                    severity=_PANEL_SEVERITY[alert.severity],
                    message=f"{context.core(title)} ({status}): {context.core(alert.explanation)}",
                    link=f"{BOARD_PATH}#alert-{alert.id}",
                    source=context.gettext(SOURCE),
                )
            )
    return shown
