"""What the case page shows besides the form: workflow, sources, links, notes, timeline
and chain status, and the evaluation sections (casefiles.admin.panels). A fixed number
of queries whatever the case's size."""

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from casefiles import eventstore
from casefiles.admin.access import actor_for, may
from casefiles.admin.compartments import case_panel
from casefiles.admin.labels import relation_label, state_label
from casefiles.admin.links import merge_panel
from casefiles.admin.panels import evaluation_page
from casefiles.compartments import without_hidden_references
from casefiles.domain import workflow
from casefiles.domain.actors import CASE_WRITERS, DOCUMENTER, LINK_DECIDERS, REQUESTERS, SUPERVISOR
from casefiles.domain.describe import describe
from casefiles.domain.state import CaseState
from casefiles.models import Event
from casefiles.selectors import case_state


@dataclass(frozen=True)
class Move:
    to_state: str
    label: str
    forward: bool
    unmet: list[str]
    reopen: bool = False


@dataclass(frozen=True)
class TimelineEntry:
    version: int
    when: datetime
    who: str
    role: str
    text: str


def describe_safely(record: dict) -> str:
    try:
        return describe(record)
    except (ValueError, KeyError, TypeError):
        # An event type this version cannot put into words: still shown, never hidden.
        return record["type"]


def timeline(case_id: str) -> list[TimelineEntry]:
    events = Event.objects.filter(case_id=case_id).order_by("-version")
    return [
        TimelineEntry(
            version=event.version,
            when=eventstore.parse_time(event.occurred_at),
            who=event.actor.get("username", ""),
            role=str(event.actor.get("role", "")).replace("_", " "),
            text=describe_safely(event.as_record()),
        )
        for event in events
    ]


def moves(case: CaseState) -> list[Move]:
    return [
        Move(
            to_state=target,
            label=state_label(target),
            forward=workflow.is_forward(case.state, target),
            unmet=workflow.unmet_criteria(case, target),
            reopen=workflow.is_reopening(case.state, target),
        )
        for target in workflow.targets(case.state)
    ]


def export_url(case_id: str) -> str | None:
    """The auditor export, when the export feature is installed."""
    for kwargs in ({"args": [case_id]}, {"kwargs": {"case_id": case_id}}):
        try:
            return reverse("casefiles-export-case", **kwargs)
        except NoReverseMatch:
            continue
    return None


def case_page(request: HttpRequest, case_id: str) -> dict:
    case = without_hidden_references(request.user, case_state(case_id))
    actor = actor_for(request)
    pending = case.pending
    own_request = (
        pending is not None and actor is not None and (pending.requested_by_id == actor.user_id)
    )
    open_for_work = case.state not in workflow.FINAL_STATES and not case.merged_into
    # A closed case may only be asked to reopen (a request like any move).
    reopenable = case.state == workflow.CLOSED and not case.merged_into
    discarded = case.discarded
    return {
        "case": case,
        "state_label": state_label(case.state),
        "pending_from": state_label(pending.from_state) if pending else "",
        "pending_to": state_label(pending.to_state) if pending else "",
        "moves": moves(case) if pending is None and (open_for_work or reopenable) else [],
        "can_request": may(request, REQUESTERS) and (open_for_work or reopenable),
        "can_decide": pending is not None and may(request, (SUPERVISOR,)) and not own_request,
        "own_request": own_request,
        "can_withdraw": own_request and may(request, REQUESTERS),
        "can_write": may(request, CASE_WRITERS) and open_for_work,
        "can_note": may(request, CASE_WRITERS),
        "can_assign": may(request, (SUPERVISOR, DOCUMENTER)) and open_for_work,
        "can_link": may(request, LINK_DECIDERS) and open_for_work,
        "can_waive": may(request, (SUPERVISOR,))
        and open_for_work
        and case.state == workflow.CORROBORATION,
        "can_discard": may(request, (DOCUMENTER,))
        and open_for_work
        and case.state == workflow.INTAKE
        and pending is None
        and case.merge_pending is None,
        "discarded": discarded,
        # Four-eyes, for display: the command refuses the discarder's own restore.
        "can_restore": discarded is not None
        and may(request, (SUPERVISOR,))
        and discarded["discarded_by_id"] != request.user.pk,
        "suggested_links": [
            {"link": link, "relation": relation_label(link.relation)}
            for link in case.links
            if link.status == "suggested"
        ],
        "timeline": timeline(case.case_id),
        "chain": eventstore.verify_case(case.case_id),
        "export_url": export_url(case.case_id),
        **evaluation_page(request, case, open_for_work=open_for_work),
        **case_panel(request, case),
        **merge_panel(request, case),
    }
