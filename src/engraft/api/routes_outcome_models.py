"""Multi-state, RMST, Cox and Fine-Gray models over HTTP, on data sent in the request.

``POST /api/outcomes/multistate`` takes a :class:`~engraft.outcomes.multistate_summary.MultiStateQuestion`
(the model, one time and status column per entered state, start state and time, report times,
variance methods, optional covariates for a Cox model per transition) and answers the
:class:`~engraft.outcomes.multistate_summary.MultiStateSummary` (R mstate's figures);
``POST /api/outcomes/rmst`` takes two groups' follow-up and answers survRM2's ``rmst2`` comparison;
``POST /api/outcomes/cox`` and ``POST /api/outcomes/finegray`` take a
:class:`~engraft.outcomes.regression_summary.CoxQuestion` or
:class:`~engraft.outcomes.regression_summary.FineGrayQuestion` (columns, covariates by name, event codes
and ties, or the cause) and answer R ``coxph``'s or ``cmprsk::crr``'s coefficient table. The
data come with the request and no registry record is read, so nothing identifying is read or written
(nothing to audit); the routes need ``outcomes.read`` like the other outcome analyses. A body that does
not match the schema answers 422 ``invalid-input``; data that match it but cannot be analysed (a status
other than 0/1, a covariate constant on a transition, tau beyond the estimable range, columns of
different lengths, no event, an unknown cause, a fit that does not converge) answer 422
``rule-violation`` naming the field, the value and what was expected.
"""

from __future__ import annotations

import re

from fastapi import APIRouter

from engraft.access import Permission
from engraft.api.auth import require
from engraft.api.problems import RULE_VIOLATION, FieldProblem, problem_responses
from engraft.api.request_body import JsonBodyRoute, RequestProblem
from engraft.outcomes import OutcomeInputError
from engraft.outcomes.multistate_summary import MultiStateQuestion, MultiStateSummary, analyse_multistate
from engraft.outcomes.regression_summary import (
    CoxQuestion,
    CoxSummary,
    FineGrayQuestion,
    FineGraySummary,
    answer_cox,
    answer_fine_gray,
)
from engraft.outcomes.rmst_summary import RmstQuestion, RmstSummary, answer_rmst

router = APIRouter(
    prefix="/api/outcomes",
    tags=["outcomes"],
    route_class=JsonBodyRoute,
    dependencies=[require(Permission.OUTCOMES_READ)],
)

_MESSAGE = re.compile(r"^(?P<field>[^:]+): (?:got (?P<value>.*?); )?expected (?P<expected>.*)$", re.DOTALL)


def _refused(exc: OutcomeInputError) -> RequestProblem:
    message = str(exc)
    match = _MESSAGE.match(message)
    field = match.group("field") if match else ""
    expected = match.group("expected") if match else "data the analysis can use"
    value = match.group("value") if match else None
    fault = FieldProblem(field=field, value=value, expected=expected, message=message)
    return RequestProblem(422, message, [fault], kind=RULE_VIOLATION)


@router.post("/multistate", response_model=MultiStateSummary, responses=problem_responses(400, 413, 415, 422))
def multistate(body: MultiStateQuestion) -> MultiStateSummary:
    """Multi-state model: events, Nelson-Aalen hazards, Aalen-Johansen state occupation, Cox per transition."""
    try:
        return analyse_multistate(body).summary
    except OutcomeInputError as exc:
        raise _refused(exc) from exc


@router.post("/rmst", response_model=RmstSummary, responses=problem_responses(400, 413, 415, 422))
def rmst(body: RmstQuestion) -> RmstSummary:
    """Restricted mean survival time of two groups: per group, difference, ratio, RMTL ratio (survRM2 rmst2)."""
    try:
        return answer_rmst(body)
    except OutcomeInputError as exc:
        raise _refused(exc) from exc


@router.post("/cox", response_model=CoxSummary, responses=problem_responses(400, 413, 415, 422))
def cox(body: CoxQuestion) -> CoxSummary:
    """Cox proportional hazards model (strata, Efron or Breslow ties, late entry, (start, stop] rows): R coxph."""
    try:
        return answer_cox(body)
    except OutcomeInputError as exc:
        raise _refused(exc) from exc


@router.post("/finegray", response_model=FineGraySummary, responses=problem_responses(400, 413, 415, 422))
def finegray(body: FineGrayQuestion) -> FineGraySummary:
    """Fine-Gray subdistribution hazards model of one cause, the other causes competing: R cmprsk::crr."""
    try:
        return answer_fine_gray(body)
    except OutcomeInputError as exc:
        raise _refused(exc) from exc
