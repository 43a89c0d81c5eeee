"""Facts of a case and the corroboration panel: one view per command, the command decides."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles import selectors
from casefiles.api.base import run_versioned
from casefiles.api.cases import AS_OF, READ_PROBLEMS, case_as_of, versioned_schema
from casefiles.api.headers import etag, etag_header
from casefiles.api.serializers import FactInput, FactSupportInput, PanelRow
from casefiles.commands.facts import fact_record, fact_support
from casefiles.domain.facts import corroboration_panel


class FactsView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_record_fact",
            FactInput,
            201,
            "Record a fact (fact_record); its fact_id is in the event's payload.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, fact_record, FactInput, status=201, case_id=case_id)


class FactSupportView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_support_fact",
            FactSupportInput,
            201,
            "Link an attached source's excerpt to a fact (fact_support).",
        )
    )
    def post(self, request, case_id: uuid.UUID, fact_id: uuid.UUID):
        return run_versioned(
            request, fact_support, FactSupportInput, status=201, case_id=case_id, fact_id=fact_id
        )


class CorroborationView(APIView):
    @extend_schema(
        operation_id="cases_corroboration",
        parameters=[AS_OF, etag_header(200)],
        responses={200: PanelRow(many=True), **READ_PROBLEMS},
        description="The corroboration panel: per fact, its supporting sources, the "
        "independent origins they reach and the resulting status; one row per source "
        "excerpt while the case has no facts. `as_of` shows the panel as it was.",
    )
    def get(self, request, case_id: uuid.UUID):
        as_of = request.query_params.get("as_of")
        if as_of is not None:
            case, headers = case_as_of(case_id, as_of), {}
        else:
            case = selectors.case_state(case_id)
            headers = {"ETag": etag(case.version)}
        rows = corroboration_panel(case)
        return Response(PanelRow(rows, many=True).data, headers=headers)
