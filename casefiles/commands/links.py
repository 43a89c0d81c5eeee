"""Cases related to each other: suggested links dismissed or merged, and a case split
in two. Each decision is an event on both cases, and both keep their histories."""

import uuid

from casefiles.commands.base import (
    Change,
    Outcome,
    begin,
    command,
    require_text,
    source_of,
)
from casefiles.commands.cases import case_open
from casefiles.commands.sources import source_copy
from casefiles.domain.actors import Actor
from casefiles.domain.events import (
    CASE_ABSORBED,
    CASE_MERGED_INTO,
    CASE_SPLIT_FROM,
    CASE_SPLIT_OFF,
    LINK_DISMISSED,
)
from casefiles.domain.state import LinkRef
from casefiles.errors import InvalidCommand, NotFound
from casefiles.eventstore import NewEvent

TEXT_MAX = 20_000


def _suggested(change: Change, link_id) -> LinkRef:
    case = change.case
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


@command
def cases_merge(
    *, actor: Actor, case_id: str, link_id: str, reason: str, expected_version: int | None = None
) -> Outcome:
    """Merge the linked case into `case_id`: its sources are attached here, both
    histories are kept, and the absorbed case is marked merged (no longer editable)."""
    this = begin(actor, "cases_merge", case_id, expected_version=expected_version, writable=False)
    link = _suggested(this, link_id)
    other = begin(actor, "cases_merge", link.other_case_id, role=this.role, writable=False)
    if other.case.merged_into:
        raise InvalidCommand(f"{other.case.reference} was already merged")
    reason = (reason or "").strip() or "same incident"
    case = this.case
    present = {s.content_sha256 for s in case.sources if s.content_sha256} | {
        s.source_id for s in case.sources
    }
    for source in other.case.sources:
        if source.source_id in present or (source.content_sha256 or "-") in present:
            continue
        source_copy(actor=actor, case_id=case.case_id, source=source)
    # Read again: the attachments moved this case on.
    this = begin(actor, "cases_merge", case.case_id, role=this.role, writable=False)
    other.write(
        NewEvent(
            CASE_MERGED_INTO.name,
            {
                "into_case_id": this.case_id,
                "into_reference": this.case.reference,
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
                "from_reference": other.case.reference,
                "link_id": link.link_id,
                "reason": reason,
            },
        )
    )


@command
def case_split(
    *,
    actor: Actor,
    case_id,
    source_ids,
    title: str,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Open a new case for part of this one (e.g. a second incident), carrying the chosen
    sources; both cases keep their histories and refer to each other."""
    this = begin(actor, "case_split", case_id, expected_version=expected_version)
    case = this.case
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
                "new_reference": new.case.reference,
                "source_ids": [s.source_id for s in sources],
                "reason": reason,
            },
        )
    )
