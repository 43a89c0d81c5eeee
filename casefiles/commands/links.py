"""Cases related to each other: suggested links dismissed or merged, and a case split
in two. Each decision is an event on both cases, and both keep their histories."""

import uuid
from collections.abc import Iterable
from typing import Any

from casefiles.commands.base import (
    Change,
    Id,
    Outcome,
    begin,
    command,
    new_id,
    require_text,
    source_of,
)
from casefiles.commands.cases import case_open
from casefiles.commands.sources import source_copy
from casefiles.domain import workflow
from casefiles.domain.actors import Actor
from casefiles.domain.events import (
    CASE_ABSORBED,
    CASE_MERGED_INTO,
    CASE_SPLIT_FROM,
    CASE_SPLIT_OFF,
    LINK_DISMISSED,
    MERGE_APPROVED,
    MERGE_REJECTED,
    MERGE_REQUESTED,
)
from casefiles.domain.state import LinkRef
from casefiles.errors import DecisionConflict, InvalidCommand, NotFound, PermissionDenied
from casefiles.eventstore import NewEvent

TEXT_MAX = 20_000


def _suggested(change: Change, link_id: Id) -> LinkRef:
    case = change.state
    link = next((lk for lk in case.links if lk.link_id == str(link_id)), None)
    if link is None:
        raise NotFound(f"{case.reference} has no link {link_id}")
    if link.status != "suggested":
        raise InvalidCommand(f"the link to {link.other_reference} was already {link.status}")
    return link


@command
def link_dismiss(
    *, actor: Actor, case_id: str, link_id: str, reason: str, expected_version: int | None = None
) -> Outcome:
    """Not the same incident: an event on both cases."""
    this = begin(actor, "link_dismiss", case_id, expected_version=expected_version, writable=False)
    link = _suggested(this, link_id)
    other = begin(actor, "link_dismiss", link.other_case_id, role=this.role, writable=False)
    for change in (this, other):
        pending = _merge_pending(change)
        if pending is not None and pending["link_id"] == link.link_id:
            raise DecisionConflict(
                f"a merge over this link is waiting for a decision on {change.state.reference}; "
                "a supervisor rejects it first"
            )
    reason = (reason or "").strip() or "not the same incident"
    outcomes = [
        change.write(
            NewEvent(
                LINK_DISMISSED.name,
                {
                    "link_id": link.link_id,
                    "other_case_id": counterpart.case_id,
                    "reason": reason,
                },
            )
        )
        for change, counterpart in ((this, other), (other, this))
    ]
    return outcomes[0]


def _mergeable(change: Change) -> None:
    """Neither side of a merge may be closed, merged or discarded: a closed case's
    record does not change, and a merged or discarded one is no longer worked."""
    case = change.state
    if case.merged_into:
        raise InvalidCommand(
            f"{case.reference} was already merged into another case; it cannot be merged again"
        )
    if case.state == workflow.CLOSED:
        raise InvalidCommand(
            f"{case.reference} is closed: a closed case is never merged (nor merged into); "
            "it must be reopened first"
        )
    if case.state == workflow.DISCARDED:
        raise InvalidCommand(
            f"{case.reference} was discarded at intake: a supervisor must restore it before "
            "it can be merged"
        )


def _merge_pending(change: Change) -> dict[str, Any] | None:
    return change.state.merge_pending


@command
def cases_merge(
    *, actor: Actor, case_id: str, link_id: str, reason: str, expected_version: int | None = None
) -> Outcome:
    """Merge the linked case into `case_id`: its sources are attached here, both
    histories are kept, and the absorbed case is marked merged (no longer editable).

    While both cases are at intake one person may merge them; once either is past
    intake this records a MergeRequested on `case_id` instead, and a supervisor who did
    not ask decides (merge_decide), as for a state change."""
    this = begin(actor, "cases_merge", case_id, expected_version=expected_version, writable=False)
    link = _suggested(this, link_id)
    other = begin(actor, "cases_merge", link.other_case_id, role=this.role, writable=False)
    _mergeable(this)
    _mergeable(other)
    reason = (reason or "").strip() or "same incident"
    reason = require_text(reason, "reason", max_length=TEXT_MAX)
    if (pending := _merge_pending(this)) is not None:
        raise DecisionConflict(
            f"{this.state.reference} already has a pending merge request (of "
            f"{pending['other_reference']}, by {pending['requested_by']}); it must be decided "
            "first"
        )
    if this.state.state != workflow.INTAKE or other.state.state != workflow.INTAKE:
        return this.write(
            NewEvent(
                MERGE_REQUESTED.name,
                {
                    "request_id": new_id(),
                    "link_id": link.link_id,
                    "other_case_id": other.case_id,
                    "other_reference": other.state.reference,
                    "reason": reason,
                },
            )
        )
    return _merge(actor, this, other, link, reason)


@command
def merge_decide(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    approve: bool,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """A supervisor who did not ask approves (the merge happens now, under the same
    rules as asking) or rejects the pending merge request on `case_id`."""
    verb = "approve" if approve else "reject"
    this = begin(actor, f"merge_{verb}", case_id, expected_version=expected_version, writable=False)
    pending = _merge_pending(this)
    if pending is None:
        raise NotFound(f"{this.state.reference} has no pending merge request")
    if actor.user_id is not None and actor.user_id == pending["requested_by_id"]:
        raise PermissionDenied(
            f"four-eyes: {actor.username} asked for this merge and cannot {verb} it; "
            "another supervisor must decide"
        )
    reason = require_text(reason, "reason", max_length=TEXT_MAX)
    payload = {
        "request_id": pending["request_id"],
        "link_id": pending["link_id"],
        "other_reference": pending["other_reference"],
        "reason": reason,
    }
    if not approve:
        return this.write(NewEvent(MERGE_REJECTED.name, payload))
    # Everything asking checked, checked again: either case may have been closed,
    # merged or discarded, or the link dismissed, since the request.
    link = _suggested(this, pending["link_id"])
    other = begin(actor, "merge_approve", link.other_case_id, role=this.role, writable=False)
    _mergeable(this)
    _mergeable(other)
    this.write(NewEvent(MERGE_APPROVED.name, payload))
    return _merge(actor, this, other, link, pending["reason"])


def _merge(actor: Actor, this: Change, other: Change, link: LinkRef, reason: str) -> Outcome:
    case = this.state
    present = {s.content_sha256 for s in case.sources if s.content_sha256} | {
        s.source_id for s in case.sources
    }
    for source in other.state.sources:
        if source.source_id in present or (source.content_sha256 or "-") in present:
            continue
        source_copy(actor=actor, case_id=case.case_id, source=source)
    # Read again: the attachments (and an approval) moved this case on.
    this = begin(actor, None, case.case_id, role=this.role, writable=False)
    other.write(
        NewEvent(
            CASE_MERGED_INTO.name,
            {
                "into_case_id": this.case_id,
                "into_reference": this.state.reference,
                "link_id": link.link_id,
                "reason": reason,
            },
        )
    )
    return this.write(
        NewEvent(
            CASE_ABSORBED.name,
            {
                "from_case_id": other.case_id,
                "from_reference": other.state.reference,
                "link_id": link.link_id,
                "reason": reason,
            },
        )
    )


@command
def case_split(
    *,
    actor: Actor,
    case_id: Id,
    source_ids: Iterable[Id],
    title: str,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Open a new case for part of this one (e.g. a second incident), carrying the chosen
    sources; both cases keep their histories and refer to each other."""
    this = begin(actor, "case_split", case_id, expected_version=expected_version)
    case = this.state
    sources = [source_of(case, s) for s in source_ids]
    if not sources:
        raise InvalidCommand("choose at least one source for the new case")
    reason = require_text(reason, "reason", max_length=TEXT_MAX)
    new_case_id = str(uuid.uuid4())
    case_open(
        actor=actor,
        case_id=new_case_id,
        title=title,
        summary=case.summary,
        categories=case.categories,
        places=case.places,
        incident_from=case.incident_from,
        incident_to=case.incident_to,
    )
    for source in sources:
        source_copy(actor=actor, case_id=new_case_id, source=source)
    new = begin(actor, "case_split", new_case_id, role=this.role, writable=False)
    new.write(
        NewEvent(
            CASE_SPLIT_FROM.name,
            {"from_case_id": case.case_id, "from_reference": case.reference, "reason": reason},
        )
    )
    return this.write(
        NewEvent(
            CASE_SPLIT_OFF.name,
            {
                "new_case_id": new_case_id,
                "new_reference": new.state.reference,
                "source_ids": [s.source_id for s in sources],
                "reason": reason,
            },
        )
    )
