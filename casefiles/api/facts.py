"""Facts of a case and the corroboration panel: one view per command, the command decides."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles import selectors
from casefiles.api.base import run_versioned
from casefiles.api.cases import AS_OF, READ_PROBLEMS, case_as_of, versioned_schema
from casefiles.api.headers import etag, etag_header
from casefiles.api.serializers import (
    FactInput,
    FactSupportInput,
    PanelRow,
    ReasonInput,
    SupportAggregateInput,
    SupportOriginInput,
)
from casefiles.commands.facts import (
    aggregate_link,
    fact_record,
    fact_support,
    support_aggregate_mark,
    support_origin_record,
    support_withdraw,
)
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
            "Cite a span of an exhibit's stored text for a fact (fact_support). The "
            "quote is checked against the text; one that is not there is refused (422) "
            "with the nearest passage in the problem's `nearest`.",
        )
    )
    def post(self, request, case_id: uuid.UUID, fact_id: uuid.UUID):
        return run_versioned(
            request, fact_support, FactSupportInput, status=201, case_id=case_id, fact_id=fact_id
        )


def _support_view(name: str, command, input_class, description: str) -> type[APIView]:
    class SupportView(APIView):
        @extend_schema(**versioned_schema(name, input_class, 200, description))
        def post(self, request, case_id: uuid.UUID, fact_id: uuid.UUID, support_id: uuid.UUID):
            return run_versioned(
                request,
                command,
                input_class,
                case_id=case_id,
                fact_id=fact_id,
                support_id=support_id,
            )

    SupportView.__name__ = SupportView.__qualname__ = f"{name.title().replace('_', '')}View"
    return SupportView


SupportOriginView = _support_view(
    "cases_support_origin",
    support_origin_record,
    SupportOriginInput,
    "State a cited span's origin chain as the text says it (support_origin_record).",
)
SupportAggregateView = _support_view(
    "cases_support_aggregate",
    support_aggregate_mark,
    SupportAggregateInput,
    "Mark a cited span as an aggregate figure covering N incidents (support_aggregate_mark).",
)
AggregateLinkView = _support_view(
    "cases_aggregate_link",
    aggregate_link,
    ReasonInput,
    "Let an aggregate figure corroborate the fact, with the reason (aggregate_link).",
)
SupportWithdrawView = _support_view(
    "cases_support_withdraw",
    support_withdraw,
    ReasonInput,
    "Withdraw a span's support of a fact, with a reason (support_withdraw).",
)


class CorroborationView(APIView):
    @extend_schema(
        operation_id="cases_corroboration",
        parameters=[AS_OF, etag_header(200)],
        responses={200: PanelRow(many=True), **READ_PROBLEMS},
        description="The corroboration panel: per fact, its cited spans, the independent "
        "first-hand origins they reach, the resulting status and why (spans tracing to one "
        "origin count once; aggregate figures, withdrawn and unchecked support count "
        "not); one row per source excerpt, corroborating nothing, while the case has no "
        "facts. `as_of` shows the panel as it was.",
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
