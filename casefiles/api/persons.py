"""Persons linked to a case, and the audited reveal of a protected identity."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles.api import problems
from casefiles.api.base import refuse_idempotency_key, run_versioned, validated
from casefiles.api.cases import versioned_schema
from casefiles.api.serializers import PersonInput, RevealedIdentity, RevealInput
from casefiles.commands.persons import identity_reveal, person_add

NO_STORE = OpenApiParameter(
    "Cache-Control",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="no-store: the name must not be kept by any cache",
)


class PersonsView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_add_person",
            PersonInput,
            201,
            "Link a person to the case (person_add). For a protected person the name goes "
            "to the protected store only; the event and every response carry the pseudonym.",
        )
    )
    def post(self, request, case_id: uuid.UUID):
        return run_versioned(request, person_add, PersonInput, status=201, case_id=case_id)


class PersonRevealView(APIView):
    @extend_schema(
        operation_id="cases_reveal_person",
        request=RevealInput,
        parameters=[NO_STORE],
        responses={200: RevealedIdentity, **problems.responses(400, 401, 403, 404, 415, 422, 429)},
        description="A protected person's real name, for users cleared with the "
        "permission casefiles.reveal_identity (403 otherwise). Every look appends an "
        "IdentityRevealed event with the reason, so the case's version moves on. No "
        "If-Match (looking changes nothing in the record) and no Idempotency-Key.",
    )
    def post(self, request, case_id: uuid.UUID, person_id: uuid.UUID):
        refuse_idempotency_key(request)
        reason = validated(RevealInput, request)["reason"]
        name = identity_reveal(
            actor=request.actor, case_id=case_id, person_id=person_id, reason=reason
        )
        return Response(
            {"person_id": str(person_id), "name": name}, headers={"Cache-Control": "no-store"}
        )
