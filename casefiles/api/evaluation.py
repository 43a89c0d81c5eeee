"""Sourcing, corroboration and legal review in depth (issue 7): grades, provenance,
verification steps, facts and the corroboration panel, legal qualifications, persons and
the audited reveal of a protected identity, splitting a case, merging or dismissing a
suggested link. One view per command; the commands decide everything.

These commands take an expected version but no idempotency key, so the views require
If-Match and refuse Idempotency-Key (docs/api.md)."""

import uuid

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles import selectors
from casefiles.api import problems
from casefiles.api.base import (
    call_versioned,
    command_response,
    refuse_idempotency_key,
    run_versioned,
    validated,
)
from casefiles.api.cases import AS_OF, READ_PROBLEMS, WRITE_PROBLEMS, case_as_of
from casefiles.api.headers import IF_MATCH, etag, etag_header
from casefiles.api.serializers import (
    CommandResult,
    ElementInput,
    FactInput,
    FactSupportInput,
    GradeInput,
    LinkDecisionInput,
    PanelRow,
    PersonInput,
    ProvenanceInput,
    QualificationInput,
    RevealedIdentity,
    RevealInput,
    SplitInput,
    VerificationInput,
)
from casefiles.commands import evaluation
from casefiles.commands.ingestion import cases_merge, link_dismiss

NO_KEY = " No Idempotency-Key (the command takes none): If-Match guards a retry."
NO_STORE = OpenApiParameter(
    "Cache-Control", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
    description="no-store: the name must not be kept by any cache",
)


def _versioned(operation_id: str, request, status: int, description: str) -> dict:
    return {
        "operation_id": operation_id, "request": request,
        "parameters": [IF_MATCH, etag_header(status)],
        "responses": {status: CommandResult, **WRITE_PROBLEMS},
        "description": description + NO_KEY,
    }


class SourceGradeView(APIView):
    @extend_schema(**_versioned(
        "cases_grade_source", GradeInput, 200,
        "Grade an attached source, Admiralty style (source_grade). A new grade replaces "
        "the shown one; every grade stays in the history."))
    def post(self, request, case_id: uuid.UUID, source_id: uuid.UUID):
        return run_versioned(request, evaluation.source_grade, GradeInput, case_id=case_id,
                             source_id=source_id)


class SourceProvenanceView(APIView):
    @extend_schema(**_versioned(
        "cases_record_provenance", ProvenanceInput, 200,
        "Record the source's chain of origin (provenance_record); it replaces the chain "
        "shown and decides which origins the source counts for. 422 without an origin."))
    def post(self, request, case_id: uuid.UUID, source_id: uuid.UUID):
        return run_versioned(request, evaluation.provenance_record, ProvenanceInput,
                             case_id=case_id, source_id=source_id)


class SourceVerificationsView(APIView):
    @extend_schema(**_versioned(
        "cases_record_verification", VerificationInput, 201,
        "Record a verification step on an attached source (verification_record)."))
    def post(self, request, case_id: uuid.UUID, source_id: uuid.UUID):
        return run_versioned(request, evaluation.verification_record, VerificationInput,
                             status=201, case_id=case_id, source_id=source_id)


class FactsView(APIView):
    @extend_schema(**_versioned(
        "cases_record_fact", FactInput, 201,
        "Record a fact (fact_record); its fact_id is in the event's payload."))
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, evaluation.fact_record, FactInput, status=201,
                             case_id=case_id)


class FactSupportView(APIView):
    @extend_schema(**_versioned(
        "cases_support_fact", FactSupportInput, 201,
        "Link an attached source's excerpt to a fact (fact_support)."))
    def post(self, request, case_id: uuid.UUID, fact_id: uuid.UUID):
        return run_versioned(request, evaluation.fact_support, FactSupportInput, status=201,
                             case_id=case_id, fact_id=fact_id)


class CorroborationView(APIView):
    @extend_schema(
        operation_id="cases_corroboration", parameters=[AS_OF, etag_header(200)],
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
        rows = evaluation.corroboration_panel(case)
        return Response(PanelRow(rows, many=True).data, headers=headers)


class QualificationsView(APIView):
    @extend_schema(**_versioned(
        "cases_add_qualification", QualificationInput, 201,
        "Add a legal qualification (qualification_add; legal reviewers); its "
        "qualification_id is in the event's payload."))
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, evaluation.qualification_add, QualificationInput,
                             status=201, case_id=case_id)


class ElementsView(APIView):
    @extend_schema(**_versioned(
        "cases_assess_element", ElementInput, 200,
        "Assess one element of crime of a qualification (element_assess; legal "
        "reviewers). A later assessment of the same element replaces the shown one."))
    def post(self, request, case_id: uuid.UUID, qualification_id: uuid.UUID):
        return run_versioned(request, evaluation.element_assess, ElementInput,
                             case_id=case_id, qualification_id=qualification_id)


class PersonsView(APIView):
    @extend_schema(**_versioned(
        "cases_add_person", PersonInput, 201,
        "Link a person to the case (person_add). For a protected person the name goes "
        "to the protected store only; the event and every response carry the pseudonym."))
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, evaluation.person_add, PersonInput, status=201,
                             case_id=case_id)


class PersonRevealView(APIView):
    @extend_schema(
        operation_id="cases_reveal_person", request=RevealInput, parameters=[NO_STORE],
        responses={200: RevealedIdentity,
                   **problems.responses(400, 401, 403, 404, 415, 422, 429)},
        description="A protected person's real name, for users cleared with the "
        "permission casefiles.reveal_identity (403 otherwise). Every look appends an "
        "IdentityRevealed event with the reason, so the case's version moves on. No "
        "If-Match (looking changes nothing in the record) and no Idempotency-Key.",
    )
    def post(self, request, case_id: uuid.UUID, person_id: uuid.UUID):
        refuse_idempotency_key(request)
        reason = validated(RevealInput, request)["reason"]
        name = evaluation.identity_reveal(actor=request.actor, case_id=case_id,
                                          person_id=person_id, reason=reason)
        return Response({"person_id": str(person_id), "name": name},
                        headers={"Cache-Control": "no-store"})


class SplitView(APIView):
    @extend_schema(**_versioned(
        "cases_split", SplitInput, 201,
        "Open a new case for part of this one, carrying the chosen sources (case_split). "
        "The result is this case's CaseSplitOff event; Location names the new case."))
    def post(self, request, case_id: uuid.UUID):
        outcome = call_versioned(request, evaluation.case_split, SplitInput,
                                 case_id=case_id)
        new_case_id = outcome.events[-1].payload["new_case_id"]
        location = reverse("api:case", kwargs={"case_id": new_case_id})
        return command_response(outcome, 201, headers={"Location": location})


class LinkMergeView(APIView):
    @extend_schema(**_versioned(
        "cases_merge_link", LinkDecisionInput, 200,
        "Same incident: merge the suggested linked case into this one (cases_merge). Its "
        "sources are attached here; it is marked merged and stays readable. If-Match is "
        "this case's version."))
    def post(self, request, case_id: uuid.UUID, link_id: uuid.UUID):
        return run_versioned(request, cases_merge, LinkDecisionInput, case_id=case_id,
                             link_id=link_id)


class LinkDismissView(APIView):
    @extend_schema(**_versioned(
        "cases_dismiss_link", LinkDecisionInput, 200,
        "Not the same incident: dismiss the suggested link (link_dismiss), on both "
        "cases. If-Match is this case's version."))
    def post(self, request, case_id: uuid.UUID, link_id: uuid.UUID):
        return run_versioned(request, link_dismiss, LinkDecisionInput, case_id=case_id,
                             link_id=link_id)
