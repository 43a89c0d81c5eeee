"""Two-step state changes: a request, then a supervisor's decision (four-eyes)."""

import uuid

from casefiles.commands.base import (
    Id,
    Outcome,
    begin,
    command,
    new_id,
    require_text,
)
from casefiles.domain import workflow
from casefiles.domain.actors import Actor
from casefiles.domain.events import (
    CASE_REOPENED,
    TRANSITION_APPROVED,
    TRANSITION_REJECTED,
    TRANSITION_REQUESTED,
    TRANSITION_WITHDRAWN,
)
from casefiles.domain.state import CaseState
from casefiles.errors import (
    CriteriaNotMet,
    DecisionConflict,
    InvalidCommand,
    NotFound,
    PermissionDenied,
)
from casefiles.eventstore import NewEvent
from casefiles.models import TransitionRequest
from casefiles.selectors import CaseHead

REASON_MAX = 10_000


@command
def transition_request(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    to_state: str,
    reason: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    # A closed case may be asked to move (the workflow says where it may go).
    change = begin(
        actor,
        "transition_request",
        case_id,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        writable=False,
        request=("transition_request", str(case_id), to_state, reason),
    )
    case = change.state
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    if to_state not in workflow.STATES:
        raise InvalidCommand(f"{to_state!r} is not a state; states: {', '.join(workflow.STATES)}")
    if case.pending is not None:
        raise DecisionConflict(
            f"{case.reference} already has a pending request "
            f"({case.pending.from_state} → {case.pending.to_state} by "
            f"{case.pending.requested_by}); it must be decided or withdrawn first"
        )
    unmet = workflow.unmet_criteria(case, to_state)
    if unmet:
        raise CriteriaNotMet(to_state, unmet)
    payload = {
        "request_id": new_id(),
        "from_state": case.state,
        "to_state": to_state,
        "reason": reason,
    }
    return change.write(NewEvent(TRANSITION_REQUESTED.name, payload))


def _request_row(request_id: str | uuid.UUID) -> TransitionRequest:
    try:
        return TransitionRequest.objects.get(pk=request_id)
    except (TransitionRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"no transition request with id {request_id}") from None


def _pending(case: CaseState | CaseHead, row: TransitionRequest) -> None:
    """The request must still be the case's pending one."""
    if not isinstance(case, CaseState):
        raise TypeError("deciding a request reads the whole CaseState")
    if case.pending is None or case.pending.request_id != str(row.pk):
        row.refresh_from_db()
        raise DecisionConflict(
            f"the request {row.from_state} → {row.to_state} on {case.reference} was already "
            f"{row.status} by {row.decided_by or 'its requester'}; nothing was changed"
        )


def _decide(
    *,
    actor: Actor,
    request_id: Id,
    reason: str,
    approve: bool,
    expected_version: int | None,
    idempotency_key: str | None,
) -> Outcome:
    verb = "approve" if approve else "reject"
    role = actor.authorize(f"transition_{verb}")
    row = _request_row(request_id)
    change = begin(
        actor,
        f"transition_{verb}",
        row.case_id,
        role=role,
        writable=False,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        request=(verb, str(request_id), reason),
        precheck=lambda case: _pending(case, row),
    )
    case = change.state
    if actor.user_id is not None and actor.user_id == row.requested_by_id:
        raise PermissionDenied(
            f"four-eyes: {actor.username} requested this change and cannot {verb} it; "
            "another supervisor must decide"
        )
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    if approve:
        unmet = workflow.unmet_criteria(case, row.to_state)
        if unmet:
            raise CriteriaNotMet(row.to_state, unmet)
    if not approve:
        event_type = TRANSITION_REJECTED.name
    elif workflow.is_reopening(row.from_state, row.to_state):
        event_type = CASE_REOPENED.name
    else:
        event_type = TRANSITION_APPROVED.name
    payload = {
        "request_id": str(row.pk),
        "from_state": row.from_state,
        "to_state": row.to_state,
        "reason": reason,
    }
    return change.write(NewEvent(event_type, payload))


@command
def transition_approve(
    *,
    actor: Actor,
    request_id: str | uuid.UUID,
    reason: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    return _decide(
        actor=actor,
        request_id=request_id,
        reason=reason,
        approve=True,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
    )


@command
def transition_reject(
    *,
    actor: Actor,
    request_id: str | uuid.UUID,
    reason: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    return _decide(
        actor=actor,
        request_id=request_id,
        reason=reason,
        approve=False,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
    )


@command
def transition_withdraw(
    *,
    actor: Actor,
    request_id: str | uuid.UUID,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """The requester takes their own pending request back."""
    role = actor.authorize("transition_withdraw")
    row = _request_row(request_id)
    change = begin(
        actor,
        "transition_withdraw",
        row.case_id,
        role=role,
        writable=False,
        expected_version=expected_version,
        precheck=lambda case: _pending(case, row),
    )
    if actor.user_id != row.requested_by_id:
        raise PermissionDenied(f"only {row.requested_by}, who made the request, can withdraw it")
    payload = {
        "request_id": str(row.pk),
        "reason": require_text(reason, "reason", max_length=REASON_MAX),
    }
    return change.write(NewEvent(TRANSITION_WITHDRAWN.name, payload))
