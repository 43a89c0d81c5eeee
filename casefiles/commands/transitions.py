"""Two-step state changes: a request, then a supervisor's decision (four-eyes)."""

import uuid

from casefiles.commands.base import (
    Outcome,
    check_expected,
    command,
    new_id,
    replayed,
    require_text,
    write,
)
from casefiles.domain import workflow
from casefiles.domain.actors import Actor
from casefiles.domain.events import (
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
from casefiles.selectors import case_state

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
    role = actor.authorize("transition_request")
    request = ("transition_request", str(case_id), to_state, reason)
    if earlier := replayed(idempotency_key, str(case_id), actor, request):
        return earlier
    case = case_state(case_id, lock=True)
    check_expected(case, expected_version)
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    if to_state not in workflow.STATES:
        raise InvalidCommand(
            f"{to_state!r} is not a state; states: {', '.join(workflow.STATES)}"
        )
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
    return write(
        case.case_id,
        actor=actor,
        role=role,
        expected_version=case.version,
        events=[NewEvent(TRANSITION_REQUESTED.name, payload)],
        idempotency_key=idempotency_key,
        request=request,
    )


def _pending(request_id: str | uuid.UUID) -> tuple[CaseState, TransitionRequest]:
    """The case (locked) and the request, which must still be the case's pending one."""
    try:
        row = TransitionRequest.objects.get(pk=request_id)
    except (TransitionRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"no transition request with id {request_id}") from None
    case = case_state(row.case_id, lock=True)
    if case.pending is None or case.pending.request_id != str(row.pk):
        row.refresh_from_db()
        raise DecisionConflict(
            f"the request {row.from_state} → {row.to_state} on {case.reference} was already "
            f"{row.status} by {row.decided_by or 'its requester'}; nothing was changed"
        )
    return case, row


def _decide(
    *,
    actor: Actor,
    request_id,
    reason: str,
    approve: bool,
    expected_version: int | None,
    idempotency_key: str | None,
) -> Outcome:
    verb = "approve" if approve else "reject"
    role = actor.authorize(f"transition_{verb}")
    try:
        case_id = str(TransitionRequest.objects.values_list("case_id", flat=True).get(
            pk=request_id))
    except (TransitionRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"no transition request with id {request_id}") from None
    request = (verb, str(request_id), reason)
    if earlier := replayed(idempotency_key, case_id, actor, request):
        return earlier
    case, row = _pending(request_id)
    check_expected(case, expected_version)
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
    event_type = TRANSITION_APPROVED if approve else TRANSITION_REJECTED
    payload = {
        "request_id": str(row.pk),
        "from_state": row.from_state,
        "to_state": row.to_state,
        "reason": reason,
    }
    return write(
        case.case_id,
        actor=actor,
        role=role,
        expected_version=case.version,
        events=[NewEvent(event_type.name, payload)],
        idempotency_key=idempotency_key,
        request=request,
    )


@command
def transition_approve(
    *,
    actor: Actor,
    request_id: str | uuid.UUID,
    reason: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    return _decide(actor=actor, request_id=request_id, reason=reason, approve=True,
                   expected_version=expected_version, idempotency_key=idempotency_key)


@command
def transition_reject(
    *,
    actor: Actor,
    request_id: str | uuid.UUID,
    reason: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    return _decide(actor=actor, request_id=request_id, reason=reason, approve=False,
                   expected_version=expected_version, idempotency_key=idempotency_key)


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
    case, row = _pending(request_id)
    check_expected(case, expected_version)
    if actor.user_id != row.requested_by_id:
        raise PermissionDenied(f"only {row.requested_by}, who made the request, can withdraw it")
    payload = {
        "request_id": str(row.pk),
        "reason": require_text(reason, "reason", max_length=REASON_MAX),
    }
    return write(
        case.case_id,
        actor=actor,
        role=role,
        expected_version=case.version,
        events=[NewEvent(TRANSITION_WITHDRAWN.name, payload)],
    )
