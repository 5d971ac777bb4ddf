"""Monitoring alerts: list and filter, read one, acknowledge, resolve, re-evaluate an episode, and a live
stream of alert changes (server-sent events) that works across server processes.

Reading alerts is part of the clinical record (``patient.read``); acknowledging and resolving needs
``alert.manage`` (physicians and nurses); re-evaluating an episode writes alerts as a result feed does
(``observation.write``). The stream sends one ``alert`` event (the alert as JSON) per change announced by
:mod:`engraft.registry.alert_notices`: PostgreSQL LISTEN/NOTIFY, so a change made by any server process
reaches every subscriber; on SQLite, the one server process's own changes. The stream is left out of the
OpenAPI document (an endless ``text/event-stream`` is not a response a schema-driven client can check); it
declares its permission like every route.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from engraft.access import Permission
from engraft.api.auth import acting_registry, require
from engraft.api.problems import problem_responses
from engraft.api.request_body import JsonBodyRoute, RequestProblem
from engraft.config.monitoring_rules import CentreRulesUnavailable, centre_rule_text
from engraft.monitoring import AlertState, RuleFileError, Severity
from engraft.registry.alert_notices import AlertNotice, hub_for
from engraft.registry.alerts import acknowledge_alert, get_alert, list_alerts, resolve_alert
from engraft.registry.errors import RecordNotFound
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.schemas.alerts import (
    AlertAcknowledge,
    AlertFilter,
    AlertOut,
    AlertResolve,
    EpisodeEvaluationOut,
)
from engraft.registry.schemas.common import MAX_RECORD_ID, Page
from engraft.registry.service import MAX_PAGE, RegistryService

KEEP_ALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies from closing a quiet stream."""
DISCONNECT_CHECK_SECONDS = 1.0
"""How often a quiet stream checks whether its client has gone."""

router = APIRouter(prefix="/api", route_class=JsonBodyRoute, tags=["alerts"])


def _service(request: Request) -> RegistryService:
    return acting_registry(request)


Service = Annotated[RegistryService, Depends(_service)]
AlertId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="id of the alert")]
EpisodeId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="id of the transplant episode")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)]
RuleFilter = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", description="rule id")]


@router.get("/alerts", responses=problem_responses(422), dependencies=[require(Permission.PATIENT_READ)])
def list_alerts_route(
    service: Service,
    state: AlertState | None = None,
    severity: Severity | None = None,
    patient_id: IdFilter = None,
    episode_id: IdFilter = None,
    rule_id: RuleFilter = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> Page[AlertOut]:
    """Alerts, newest detection first, filtered by state, severity, patient, episode and rule."""
    where = AlertFilter(state=state, severity=severity, patient_id=patient_id, episode_id=episode_id, rule_id=rule_id)
    return list_alerts(service, where, limit, offset)


@router.get(
    "/alerts/stream",
    response_class=StreamingResponse,
    include_in_schema=False,
    dependencies=[require(Permission.PATIENT_READ)],
)
async def alert_stream(request: Request, service: Service, patient_id: IdFilter = None) -> StreamingResponse:
    """Server-sent events: an ``alert`` event with the alert as JSON for each alert raised or changed from now on
    (only the patient's with ``patient_id``); a comment line every 15 s while nothing happens."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[AlertNotice] = asyncio.Queue()

    def deliver(notice: AlertNotice) -> None:  # called on the thread that announces (or the listener's)
        loop.call_soon_threadsafe(queue.put_nowait, notice)

    unsubscribe = hub_for(request.app.state.engine).subscribe(deliver)

    async def events() -> AsyncIterator[str]:
        quiet = 0.0
        try:
            yield ": subscribed\n\n"
            while True:
                try:
                    notice = await asyncio.wait_for(queue.get(), timeout=DISCONNECT_CHECK_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    quiet += DISCONNECT_CHECK_SECONDS
                    if quiet >= KEEP_ALIVE_SECONDS:
                        quiet = 0.0
                        yield ": keep-alive\n\n"
                    continue
                if notice.alert is not None:  # the alert as written, carried by the notice
                    if patient_id is not None and notice.patient_id != patient_id:
                        continue
                    identity, data = f"{notice.alert_id}-{notice.version}", notice.alert
                else:
                    try:
                        alert = await run_in_threadpool(get_alert, service, notice.alert_id)
                    except RecordNotFound:
                        continue
                    if patient_id is not None and alert.patient_id != patient_id:
                        continue
                    identity, data = f"{alert.id}-{alert.version}", alert.model_dump_json()
                quiet = 0.0
                yield f"id: {identity}\nevent: alert\ndata: {data}\n\n"
        finally:
            unsubscribe()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get(
    "/alerts/{alert_id}", responses=problem_responses(404, 422), dependencies=[require(Permission.PATIENT_READ)]
)
def get_alert_route(alert_id: AlertId, service: Service) -> AlertOut:
    return get_alert(service, alert_id)


_CHANGE = problem_responses(400, 404, 409, 413, 415, 422)


@router.post("/alerts/{alert_id}/acknowledge", responses=_CHANGE, dependencies=[require(Permission.ALERT_MANAGE)])
def acknowledge_alert_route(alert_id: AlertId, data: AlertAcknowledge, service: Service) -> AlertOut:
    """Acknowledge an open alert (``version`` as read; a stale one gets 409)."""
    return acknowledge_alert(service, alert_id, data)


@router.post("/alerts/{alert_id}/resolve", responses=_CHANGE, dependencies=[require(Permission.ALERT_MANAGE)])
def resolve_alert_route(alert_id: AlertId, data: AlertResolve, service: Service) -> AlertOut:
    """Resolve an open or acknowledged alert, with an optional note."""
    return resolve_alert(service, alert_id, data)


@router.post(
    "/episodes/{episode_id}/monitoring/evaluate",
    responses=problem_responses(404, 409, 422, 503),
    dependencies=[require(Permission.OBSERVATION_WRITE)],
)
def evaluate_episode_route(episode_id: EpisodeId, service: Service) -> EpisodeEvaluationOut:
    """Run the monitoring rules on the episode's results and store the alert changes (idempotent)."""
    try:
        centre_rules = centre_rule_text()
        return evaluate_episode(service, episode_id, centre_rules=centre_rules)
    except (CentreRulesUnavailable, RuleFileError) as exc:
        raise RequestProblem(503, f"the centre's monitoring rules cannot be applied: {exc}") from exc
