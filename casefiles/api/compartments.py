"""Restricting a case to a team, and lifting it: one view per command (the request, the
supervisor's decision). Who may see a restricted case: casefiles.api.visibility."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from casefiles.api import problems
from casefiles.api.base import command_response
from casefiles.api.headers import IF_MATCH, etag_header, expected_version
from casefiles.api.serializers import CommandResult
from casefiles.commands.compartments import restriction_decide, restriction_request


class RestrictionInput(serializers.Serializer):
    team = serializers.CharField(
        max_length=150,
        allow_blank=True,
        required=False,
        allow_null=True,
        help_text="The group that alone may see the case; empty "
        "or null asks to lift the restriction.",
    )
    reason = serializers.CharField(max_length=10_000)


class RestrictionDecisionInput(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(max_length=10_000)


WRITE = {
    "parameters": [IF_MATCH, etag_header(201)],
    "responses": {
        201: CommandResult,
        **problems.responses(400, 401, 403, 404, 409, 412, 415, 422, 428, 429),
    },
}


class RestrictionView(APIView):
    @extend_schema(
        operation_id="cases_request_restriction",
        request=RestrictionInput,
        description="Ask to restrict the case to a team (or, without a team, to "
        "lift its restriction); a supervisor other than you decides.",
        **WRITE,
    )
    def post(self, request, case_id):
        data = _validated(RestrictionInput, request)
        outcome = restriction_request(
            actor=request.actor,
            case_id=case_id,
            team=data.get("team") or None,
            reason=data["reason"],
            expected_version=expected_version(request),
        )
        return command_response(outcome, 201)


class RestrictionDecisionView(APIView):
    @extend_schema(
        operation_id="cases_decide_restriction",
        request=RestrictionDecisionInput,
        description="Approve or reject the pending restriction (or lift) "
        "request: a supervisor who did not ask for it.",
        **WRITE,
    )
    def post(self, request, case_id):
        data = _validated(RestrictionDecisionInput, request)
        outcome = restriction_decide(
            actor=request.actor,
            case_id=case_id,
            approve=data["approve"],
            reason=data["reason"],
            expected_version=expected_version(request),
        )
        return command_response(outcome, 201)


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
