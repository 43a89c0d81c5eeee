"""The approval queue and the supervisors' decisions (four-eyes, in the command layer)."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.views import APIView

from casefiles import commands
from casefiles.api import problems
from casefiles.api.base import run_on_case
from casefiles.api.headers import IDEMPOTENCY, IF_MATCH, etag_header
from casefiles.api.selectors import decidable_requests
from casefiles.api.serializers import Approval, CommandResult, DecisionInput
from casefiles.models import TransitionRequest

DECISION_SCHEMA = {
    "request": DecisionInput,
    "parameters": [IF_MATCH, IDEMPOTENCY, etag_header(200)],
    "responses": {
        200: CommandResult,
        **problems.responses(400, 401, 403, 404, 409, 412, 415, 422, 428, 429),
    },
}


class ApprovalListView(ListAPIView):
    serializer_class = Approval

    @extend_schema(
        operation_id="approvals_list",
        responses={200: Approval(many=True), **problems.responses(401, 403, 404, 429)},
        description="Pending requests you may decide: empty unless you are a supervisor "
        "(and not an auditor), and never your own requests.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request actor
            return TransitionRequest.objects.none()
        return decidable_requests(self.request.actor)


class ApproveView(APIView):
    @extend_schema(
        operation_id="approvals_approve",
        description="Approve: the case moves. "
        "If-Match is the case's version (case_version in the queue).",
        **DECISION_SCHEMA,
    )
    def post(self, request, request_id: uuid.UUID):
        return run_on_case(
            request, commands.transition_approve, DecisionInput, request_id=request_id
        )


class RejectView(APIView):
    @extend_schema(
        operation_id="approvals_reject", description="Reject: the case stays.", **DECISION_SCHEMA
    )
    def post(self, request, request_id: uuid.UUID):
        return run_on_case(
            request, commands.transition_reject, DecisionInput, request_id=request_id
        )
