"""Legal review (legal reviewers): qualifications and their elements of crimes, the armed
conflict's classification, modes of liability and their elements (docs/legal.md)."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from casefiles.api.base import run_versioned
from casefiles.api.cases import versioned_schema
from casefiles.api.serializers import (
    ConflictInput,
    ElementInput,
    LiabilityElementInput,
    LiabilityInput,
    QualificationInput,
)
from casefiles.commands.legal import (
    conflict_classify,
    element_assess,
    liability_allege,
    liability_element_assess,
    qualification_add,
)


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
            "reviewers): the finding, the standard of proof it is made on and the facts of "
            "the case it rests on. A later assessment of the same element replaces the "
            "shown one.",
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


class ConflictView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_classify_conflict",
            ConflictInput,
            200,
            "Classify the armed conflict (conflict_classify; legal reviewers): international, "
            "non_international, both or undetermined, with the reason. Art. 8(2)(a)/(b) "
            "provisions need an international conflict, 8(2)(c)/(e) a non-international one.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, conflict_classify, ConflictInput, case_id=case_id)


class LiabilitiesView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_allege_liability",
            LiabilityInput,
            201,
            "Allege a mode of liability (art. 25(3), art. 28) of an alleged perpetrator for "
            "a qualification (liability_allege; legal reviewers); its liability_id is in the "
            "event's payload.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, liability_allege, LiabilityInput, status=201, case_id=case_id)


class LiabilityElementsView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_assess_liability_element",
            LiabilityElementInput,
            200,
            "Assess one element of an alleged mode of liability (liability_element_assess; "
            "legal reviewers): finding, standard of proof, cited facts.",
        )
    )
    def post(self, request, case_id: uuid.UUID, liability_id: uuid.UUID):
        return run_versioned(
            request,
            liability_element_assess,
            LiabilityElementInput,
            case_id=case_id,
            liability_id=liability_id,
        )
