"""Legal review: qualifications and their elements of crimes (legal reviewers)."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from casefiles.api.base import run_versioned
from casefiles.api.cases import versioned_schema
from casefiles.api.serializers import ElementInput, QualificationInput
from casefiles.commands.legal import element_assess, qualification_add


class QualificationsView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_add_qualification",
            QualificationInput,
            201,
            "Add a legal qualification (qualification_add; legal reviewers); its "
            "qualification_id is in the event's payload.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(
            request, qualification_add, QualificationInput, status=201, case_id=case_id
        )


class ElementsView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_assess_element",
            ElementInput,
            200,
            "Assess one element of crime of a qualification (element_assess; legal "
            "reviewers). A later assessment of the same element replaces the shown one.",
        )
    )
    def post(self, request, case_id: uuid.UUID, qualification_id: uuid.UUID):
        return run_versioned(
            request,
            element_assess,
            ElementInput,
            case_id=case_id,
            qualification_id=qualification_id,
        )
