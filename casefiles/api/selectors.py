"""Reads the API needs beyond casefiles.selectors; each owns its queries."""

import uuid

from django.db.models import QuerySet

from casefiles.compartments import hidden_case_ids
from casefiles.domain.actors import Actor
from casefiles.errors import NotFound, PermissionDenied
from casefiles.models import CaseSource, Event, Ingestion, Source, TransitionRequest
from casefiles.selectors import get_case, pending_requests


def case_events(case_id: uuid.UUID) -> list[dict]:
    """The case's whole chain, in version order, as hashed (two queries)."""
    get_case(case_id)
    events = Event.objects.filter(case_id=case_id).order_by("version")
    return [event.as_record() for event in events]


def decidable_requests(actor: Actor) -> QuerySet[TransitionRequest]:
    """Pending requests this actor may decide: they must be allowed to approve (the
    domain's rule) and, four-eyes, not be the requester."""
    try:
        actor.authorize("transition_approve")
    except PermissionDenied:
        return TransitionRequest.objects.none()
    return (
        pending_requests()
        .exclude(requested_by_id=actor.user_id)
        .exclude(case_id__in=hidden_case_ids(actor))
        .order_by("requested_at", "request_id")
    )


def source_detail(source_id: uuid.UUID, viewer=None) -> Source:
    """The source with `attachments`: the cases it is attached to (two queries)."""
    try:
        source = Source.objects.get(pk=source_id)
    except Source.DoesNotExist:
        raise NotFound(f"no source with id {source_id}") from None
    source.attachments = list(
        CaseSource.objects.filter(source_id=source_id)
        .exclude(case_id__in=hidden_case_ids(viewer))
        .select_related("case")
        .order_by("attached_at")
    )
    return source


def get_source(source_id: uuid.UUID) -> Source:
    try:
        return Source.objects.get(pk=source_id)
    except Source.DoesNotExist:
        raise NotFound(f"no source with id {source_id}") from None


def get_ingestion(ingestion_id: uuid.UUID) -> Ingestion:
    try:
        return Ingestion.objects.get(pk=ingestion_id)
    except Ingestion.DoesNotExist:
        raise NotFound(f"no ingestion with id {ingestion_id}") from None
