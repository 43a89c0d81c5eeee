"""Restricting a case to a team, and lifting it: requested by one person, decided by a
supervisor who is not the requester (four-eyes), each step an event."""

import uuid

from django.contrib.auth.models import Group

from casefiles.commands.base import Outcome, begin, command, new_id, require_text
from casefiles.domain.actors import ROLES, Actor
from casefiles.domain.events import (
    CASE_RESTRICTED,
    RESTRICTION_LIFT_REQUESTED,
    RESTRICTION_LIFTED,
    RESTRICTION_REJECTED,
    RESTRICTION_REQUESTED,
)
from casefiles.errors import DecisionConflict, InvalidCommand, NotFound, PermissionDenied
from casefiles.eventstore import NewEvent

REASON_MAX = 10_000


@command
def restriction_request(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    team: str | None,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Ask to restrict the case to `team` (a group), or with no team to lift the
    restriction it has."""
    # Row lock: two requests on one case run one after the other, the second sees the first.
    change = begin(
        actor, "restriction_request", case_id, expected_version=expected_version, writable=False
    )
    case = change.state
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    if case.restriction_pending is not None:
        raise DecisionConflict(
            f"{case.reference} already has a pending restriction request by "
            f"{case.restriction_pending['requested_by']}; it must be decided first"
        )
    if team:
        if team in ROLES or not Group.objects.filter(name=team).exists():
            raise InvalidCommand(f"{team!r} is not a team (a group other than the roles)")
        if case.restricted_to == team:
            raise InvalidCommand(f"{case.reference} is already restricted to {team}")
        event = NewEvent(
            RESTRICTION_REQUESTED.name, {"request_id": new_id(), "team": team, "reason": reason}
        )
    else:
        if case.restricted_to is None:
            raise InvalidCommand(f"{case.reference} is not restricted")
        event = NewEvent(
            RESTRICTION_LIFT_REQUESTED.name,
            {"request_id": new_id(), "team": case.restricted_to, "reason": reason},
        )
    return change.write(event)


@command
def restriction_decide(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    approve: bool,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    verb = "approve" if approve else "reject"
    change = begin(
        actor, f"restriction_{verb}", case_id, expected_version=expected_version, writable=False
    )
    case = change.state
    pending = case.restriction_pending
    if pending is None:
        raise NotFound(f"{case.reference} has no pending restriction request")
    if actor.user_id is not None and actor.user_id == pending["requested_by_id"]:
        raise PermissionDenied(
            f"four-eyes: {actor.username} asked for this restriction and cannot {verb} it; "
            "another supervisor must decide"
        )
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    payload = {"request_id": pending["request_id"], "team": pending["team"], "reason": reason}
    if not approve:
        event = NewEvent(
            RESTRICTION_REJECTED.name, {"request_id": pending["request_id"], "reason": reason}
        )
    elif pending["lift"]:
        event = NewEvent(RESTRICTION_LIFTED.name, payload)
    else:
        event = NewEvent(CASE_RESTRICTED.name, payload)
    return change.write(event)
