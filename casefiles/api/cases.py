"""Cases: list, open, read (now or as of a version or time), edit, history, and the
commands on a case (attach a source, add a note, request a transition)."""

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles import commands, search, selectors
from casefiles.api import problems
from casefiles.api.base import command_response, run_on_case, run_versioned, validated
from casefiles.api.filters import CaseFilter
from casefiles.api.headers import IDEMPOTENCY, IF_MATCH, etag, etag_header, idempotency_key
from casefiles.api.selectors import case_events
from casefiles.api.serializers import (
    AssignInput,
    CaseDetail,
    CaseEditInput,
    CaseOpenInput,
    CaseSummary,
    CommandResult,
    EventRecord,
    NoteInput,
    ReasonInput,
    SourceAttachInput,
    TransitionInput,
    WaiverInput,
)
from casefiles.commands.cases import candidate_discard, candidate_restore
from casefiles.compartments import visible_cases, without_hidden_references
from casefiles.domain.state import CaseState
from casefiles.errors import InvalidCommand, NotFound
from casefiles.models import CaseFile

# A retried case opening must land on the same case id, or the event store cannot
# recognise the retry (it keys idempotency by case): derive the id from the key.
OPEN_NAMESPACE = uuid.UUID("0b7d3f3e-8f0c-4b8e-9a57-2f1f6a8c4e10")
VERSION = re.compile(r"^[0-9]{1,10}$")

READ_PROBLEMS = problems.responses(401, 403, 404, 422, 429)
WRITE_PROBLEMS = problems.responses(400, 401, 403, 404, 409, 412, 415, 422, 428, 429)
AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Time travel: a version number (e.g. 3) or an RFC 3339 time with offset "
    "(e.g. 2025-01-31T12:00:00Z, URL-encode '+'). The case as it was, folded from its "
    "events; no ETag (it is not the current case).",
)


NO_KEY = " No Idempotency-Key (the command takes none): If-Match guards a retry."


def versioned_schema(operation_id: str, request, status: int, description: str) -> dict:
    """The schema of a write view whose command takes an expected version and no
    idempotency key: the views require If-Match and refuse Idempotency-Key (docs/api.md)."""
    return {
        "operation_id": operation_id,
        "request": request,
        "parameters": [IF_MATCH, etag_header(status)],
        "responses": {status: CommandResult, **WRITE_PROBLEMS},
        "description": description + NO_KEY,
    }


def _written(status: int) -> dict:
    return {status: CommandResult, **WRITE_PROBLEMS}


class CaseListView(ListAPIView):
    serializer_class = CaseSummary
    filterset_class = CaseFilter
    queryset = CaseFile.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return CaseFile.objects.none()
        return visible_cases(self.request.user)

    @extend_schema(
        operation_id="cases_list", responses={200: CaseSummary(many=True), **READ_PROBLEMS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        if text := request.query_params.get("q"):
            # The passages for this page only: a snippet is the costly part of a search.
            context["snippets"] = search.snippets([case.pk for case in page], text)
        serializer = self.get_serializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        operation_id="cases_open",
        request=CaseOpenInput,
        parameters=[IDEMPOTENCY, etag_header(201)],
        responses={201: CommandResult, **problems.responses(400, 401, 403, 415, 422, 429)},
        description="Open a case (case_open). 201 with the CaseOpened event; Location "
        "names the new case.",
    )
    def post(self, request):
        key = idempotency_key(request)
        data = validated(CaseOpenInput, request)
        case_id = uuid.uuid5(OPEN_NAMESPACE, key) if key else None
        outcome = commands.case_open(
            actor=request.actor, case_id=case_id, idempotency_key=key, **data
        )
        location = reverse("api:case", kwargs={"case_id": outcome.case_id})
        return command_response(outcome, 201, headers={"Location": location})


def _moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("no offset")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidCommand(
            f"as_of {raw!r} is neither a version number nor an RFC 3339 time with an "
            "offset (e.g. 2025-01-31T12:00:00Z)"
        ) from None


def case_as_of(case_id: uuid.UUID, raw: str) -> CaseState:
    # Only a case's stream folds into a CaseState (a source's custody stream does not);
    # cases are never deleted, so one that existed then exists now.
    selectors.get_case(case_id)
    if VERSION.match(raw):
        version = int(raw)
        case = selectors.case_at(case_id, version=version)
        if case.version < version:
            raise NotFound(
                f"{case.reference} has no version {version} yet (it is at version {case.version})"
            )
        return case
    return selectors.case_at(case_id, at=_moment(raw))


class CaseView(APIView):
    @extend_schema(
        operation_id="cases_read",
        parameters=[AS_OF, etag_header(200)],
        responses={200: CaseDetail, **READ_PROBLEMS},
        description="The case now (with its ETag), or as it was (`as_of`).",
    )
    def get(self, request, case_id: uuid.UUID):
        as_of = request.query_params.get("as_of")
        if as_of is not None:
            case = without_hidden_references(request.user, case_as_of(case_id, as_of))
            return Response(CaseDetail(case).data)
        case = without_hidden_references(request.user, selectors.case_state(case_id))
        return Response(CaseDetail(case).data, headers={"ETag": etag(case.version)})

    @extend_schema(
        operation_id="cases_edit",
        request=CaseEditInput,
        parameters=[IF_MATCH, IDEMPOTENCY, etag_header(200)],
        responses=_written(200),
        description="Change fields of the case (case_edit); only the fields sent change. "
        "No change at all appends nothing.",
    )
    def patch(self, request, case_id: uuid.UUID):
        return run_on_case(request, commands.case_edit, CaseEditInput, case_id=case_id)


class CaseEventsView(APIView):
    @extend_schema(
        operation_id="cases_events",
        parameters=[etag_header(200)],
        responses={200: EventRecord(many=True), **READ_PROBLEMS},
        description="The case's full event history in version order, exactly as hashed "
        "(docs/event-format.md): verify it with any SHA-256 tool.",
    )
    def get(self, request, case_id: uuid.UUID):
        records = case_events(case_id)
        return Response(records, headers={"ETag": etag(records[-1]["version"])})


class CaseSourcesView(APIView):
    @extend_schema(
        operation_id="cases_attach_source",
        request=SourceAttachInput,
        parameters=[IF_MATCH, IDEMPOTENCY, etag_header(201)],
        responses=_written(201),
    )
    def post(self, request, case_id: uuid.UUID):
        return run_on_case(
            request, commands.source_attach, SourceAttachInput, status=201, case_id=case_id
        )


class CaseNotesView(APIView):
    @extend_schema(
        operation_id="cases_add_note",
        request=NoteInput,
        parameters=[IF_MATCH, IDEMPOTENCY, etag_header(201)],
        responses=_written(201),
    )
    def post(self, request, case_id: uuid.UUID):
        return run_on_case(request, commands.note_add, NoteInput, status=201, case_id=case_id)


class CaseAssignmentView(APIView):
    @extend_schema(
        operation_id="cases_assign",
        request=AssignInput,
        parameters=[IF_MATCH, IDEMPOTENCY, etag_header(200)],
        responses=_written(200),
        description="Assign the case to a person who works cases (case_assign); "
        "`assignee: null` unassigns.",
    )
    def post(self, request, case_id: uuid.UUID):
        return run_on_case(request, commands.case_assign, AssignInput, case_id=case_id)


class CaseWaiversView(APIView):
    @extend_schema(
        operation_id="cases_waive_criteria",
        request=WaiverInput,
        parameters=[IF_MATCH, IDEMPOTENCY, etag_header(201)],
        responses=_written(201),
        description="A supervisor's recorded waiver of the independent-sources criterion "
        "of legal review (criteria_waive), with the reason.",
    )
    def post(self, request, case_id: uuid.UUID):
        return run_on_case(
            request, commands.criteria_waive, WaiverInput, status=201, case_id=case_id
        )


class CaseTransitionsView(APIView):
    @extend_schema(
        operation_id="cases_request_transition",
        request=TransitionInput,
        parameters=[IF_MATCH, IDEMPOTENCY, etag_header(201)],
        responses=_written(201),
        description="Ask to move the case (a supervisor decides). 422 lists the unmet "
        "entry criteria; 409 when a request is already pending.",
    )
    def post(self, request, case_id: uuid.UUID):
        return run_on_case(
            request, commands.transition_request, TransitionInput, status=201, case_id=case_id
        )


class CaseDiscardView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_discard",
            ReasonInput,
            200,
            "Discard a candidate at intake, with the reason (candidate_discard, documenters): "
            "it leaves the intake queue and its record stops changing; nothing is deleted. "
            "422 past intake, 409 with a pending request.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, candidate_discard, ReasonInput, case_id=case_id)


class CaseRestoreView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_restore",
            ReasonInput,
            200,
            "Put a discarded candidate back at intake, with the reason (candidate_restore): "
            "a supervisor other than the person who discarded it.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, candidate_restore, ReasonInput, case_id=case_id)


def correction_view(correction):
    """The endpoint of a correction (casefiles.commands.base.Correction), derived from
    its declaration: `POST /api/cases/{id}/{items}/{<key>}/{verb}/` with a reason."""

    class CorrectionView(APIView):
        @extend_schema(
            **versioned_schema(
                f"cases_{correction.name}",
                ReasonInput,
                200,
                f"{correction.title} ({correction.name}), with a reason. What the case "
                "holds changes; its history keeps the item and the reason.",
            )
        )
        def post(self, request, case_id: uuid.UUID, **item: uuid.UUID):
            arguments: dict[str, Any] = {"case_id": case_id, correction.key: item[correction.key]}
            return run_versioned(request, correction.run, ReasonInput, **arguments)

    CorrectionView.__name__ = CorrectionView.__qualname__ = f"{correction.name.title()}View"
    return CorrectionView.as_view()
