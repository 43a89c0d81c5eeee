"""Cases related to each other: a case split in two, suggested links merged or dismissed."""

import uuid

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from casefiles.api.base import call_versioned, command_response, run_versioned
from casefiles.api.cases import versioned_schema
from casefiles.api.serializers import (
    CommandResult,
    LinkDecisionInput,
    MergeDecisionInput,
    SplitInput,
)
from casefiles.commands.links import case_split, cases_merge, link_dismiss, merge_decide


class SplitView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_split",
            SplitInput,
            201,
            "Open a new case for part of this one, carrying the chosen sources (case_split). "
            "The result is this case's CaseSplitOff event; Location names the new case.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        outcome = call_versioned(request, case_split, SplitInput, case_id=case_id)
        new_case_id = outcome.events[-1].payload["new_case_id"]
        location = reverse("api:case", kwargs={"case_id": new_case_id})
        return command_response(outcome, 201, headers={"Location": location})


def _merge_schema() -> dict:
    schema = versioned_schema(
        "cases_merge_link",
        LinkDecisionInput,
        200,
        "Same incident: merge the suggested linked case into this one (cases_merge). Its "
        "sources are attached here; it is marked merged and stays readable. While both "
        "cases are at intake the merge happens at once (200, ending with CaseAbsorbed); "
        "once either is past intake it is a request (202, MergeRequested) that a supervisor "
        "other than you decides (cases_decide_merge). 422 when either case is closed, "
        "merged or discarded; 409 when a merge request is already pending. If-Match is this "
        "case's version.",
    )
    schema["responses"] = {202: CommandResult, **schema["responses"]}
    return schema


class LinkMergeView(APIView):
    @extend_schema(**_merge_schema())
    def post(self, request, case_id: uuid.UUID, link_id: uuid.UUID):
        outcome = call_versioned(
            request, cases_merge, LinkDecisionInput, case_id=case_id, link_id=link_id
        )
        asked = outcome.events[-1].type == "MergeRequested"
        return command_response(outcome, 202 if asked else 200)


class MergeDecisionView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_decide_merge",
            MergeDecisionInput,
            200,
            "Approve or reject the pending merge request on this case (merge_decide): a "
            "supervisor who did not ask. Approving merges now (MergeApproved, then the "
            "sources attached, CaseAbsorbed here and CaseMergedInto on the other case), "
            "checking again that neither case is closed, merged or discarded. If-Match is "
            "this case's version.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, merge_decide, MergeDecisionInput, case_id=case_id)


class LinkDismissView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_dismiss_link",
            LinkDecisionInput,
            200,
            "Not the same incident: dismiss the suggested link (link_dismiss), on both "
            "cases. If-Match is this case's version.",
        )
    )
    def post(self, request, case_id: uuid.UUID, link_id: uuid.UUID):
        return run_versioned(
            request, link_dismiss, LinkDecisionInput, case_id=case_id, link_id=link_id
        )
