"""Cases related to each other: a case split in two, suggested links merged or dismissed."""

import uuid

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from casefiles.api.base import call_versioned, command_response, run_versioned
from casefiles.api.cases import versioned_schema
from casefiles.api.serializers import LinkDecisionInput, SplitInput
from casefiles.commands.links import case_split, cases_merge, link_dismiss


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


class LinkMergeView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_merge_link",
            LinkDecisionInput,
            200,
            "Same incident: merge the suggested linked case into this one (cases_merge). Its "
            "sources are attached here; it is marked merged and stays readable. If-Match is "
            "this case's version.",
        )
    )
    def post(self, request, case_id: uuid.UUID, link_id: uuid.UUID):
        return run_versioned(
            request, cases_merge, LinkDecisionInput, case_id=case_id, link_id=link_id
        )


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
