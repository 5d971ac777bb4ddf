"""Reading and managing alerts: filtered pages, acknowledge, resolve (each change audited and announced).

Acknowledging takes an open alert to acknowledged (by whom, when); resolving takes an open or acknowledged
alert to resolved by the acting user with an optional note. Both check the version the client read
(a stale version is refused with :class:`VersionConflict`) and refuse a change the state does not allow.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engraft.monitoring import AlertState
from engraft.registry.alert_notices import AlertNotice, announce
from engraft.registry.audit import AuditAction
from engraft.registry.errors import InvalidRecord, RecordNotFound, VersionConflict
from engraft.registry.models import MonitoringAlert, Patient
from engraft.registry.models.base import utc_now
from engraft.registry.monitoring_service import ALERT_ENTITY
from engraft.registry.schemas.alerts import AlertAcknowledge, AlertFilter, AlertOut, AlertResolve
from engraft.registry.schemas.common import Page
from engraft.registry.service import MAX_PAGE, RegistryService


def list_alerts(service: RegistryService, where: AlertFilter, limit: int = 50, offset: int = 0) -> Page[AlertOut]:
    """A page of alerts, newest detection first."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRecord.single("limit", limit, f"an integer from 1 to {MAX_PAGE}")
    if offset < 0:
        raise InvalidRecord.single("offset", offset, "an integer >= 0")
    stmt = select(MonitoringAlert).order_by(MonitoringAlert.detected_at.desc(), MonitoringAlert.id.desc())
    for column, value in (
        (MonitoringAlert.state, where.state),
        (MonitoringAlert.severity, where.severity),
        (MonitoringAlert.patient_id, where.patient_id),
        (MonitoringAlert.episode_id, where.episode_id),
        (MonitoringAlert.rule_id, where.rule_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    with service.read_snapshot() as session:
        return service._page(session, stmt, AlertOut, limit, offset)


def get_alert(service: RegistryService, alert_id: int) -> AlertOut:
    with service.reading() as session:  # one statement: no BEGIN and ROLLBACK round trips on PostgreSQL
        alert = session.get(MonitoringAlert, alert_id)
        if alert is None:
            raise RecordNotFound("alert", alert_id)
        return AlertOut.model_validate(alert)


def acknowledge_alert(service: RegistryService, alert_id: int, data: AlertAcknowledge) -> AlertOut:
    """Acknowledge an open alert as the acting user."""
    with service.transaction() as session:
        alert = _current(session, alert_id, data.version)
        if alert.state is not AlertState.OPEN:
            raise InvalidRecord.single("state", alert.state.value, "an open alert (only an open alert is acknowledged)")
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_by = service.actor.name
        alert.acknowledged_at = utc_now()
        session.flush()
        service.audit(session, AuditAction.UPDATE, ALERT_ENTITY, alert.id, {"change": "acknowledged"})
        changed = AlertOut.model_validate(alert)
        announce(session, [AlertNotice.carrying(changed, "acknowledged")])
        return changed


def resolve_alert(service: RegistryService, alert_id: int, data: AlertResolve) -> AlertOut:
    """Resolve an open or acknowledged alert as the acting user."""
    with service.transaction() as session:
        alert = _current(session, alert_id, data.version)
        if alert.state is AlertState.RESOLVED:
            raise InvalidRecord.single(
                "state", alert.state.value, "an open or acknowledged alert (this one is resolved)"
            )
        alert.state = AlertState.RESOLVED
        alert.resolved_by = service.actor.name
        alert.resolved_at = utc_now()
        alert.resolution = data.note or "resolved"
        session.flush()
        service.audit(session, AuditAction.UPDATE, ALERT_ENTITY, alert.id, {"change": "resolved", "note": data.note})
        changed = AlertOut.model_validate(alert)
        announce(session, [AlertNotice.carrying(changed, "resolved")])
        return changed


def _current(session: Session, alert_id: int, version: int) -> MonitoringAlert:
    alert = session.get(MonitoringAlert, alert_id)
    if alert is None:
        raise RecordNotFound("alert", alert_id)
    if alert.version != version:
        raise VersionConflict("alert", alert_id, version, alert.version)
    return alert


def patient_registry_ids(service: RegistryService, patient_ids: set[int]) -> dict[int, str]:
    """The pseudonymous registry id of each patient (for labels on alert lists)."""
    if not patient_ids:
        return {}
    with service.read_snapshot() as session:
        rows = session.execute(select(Patient.id, Patient.registry_id).where(Patient.id.in_(patient_ids)))
        return {row.id: row.registry_id for row in rows}
