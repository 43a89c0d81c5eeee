"""Ingested sources (read models), their stored originals, document uploads, and the
judging of a source attached to a case (grade, provenance, verification steps)."""

import base64
import uuid
from urllib.parse import quote

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles import blobs
from casefiles.api import problems
from casefiles.api.base import run_versioned, validated
from casefiles.api.cases import versioned_schema
from casefiles.api.filters import SourceFilter
from casefiles.api.selectors import get_ingestion, get_source, source_detail
from casefiles.api.serializers import (
    GradeInput,
    IngestionOut,
    IngestionUpload,
    ProvenanceInput,
    SourceDetail,
    SourceSummary,
    VerificationInput,
)
from casefiles.commands.ingestion import ingestion_submit
from casefiles.commands.sources import provenance_record, source_grade, verification_record
from casefiles.compartments import visible_cases
from casefiles.ingestion.decode import MAX_BYTES
from casefiles.models import Ingestion, Source

READ_PROBLEMS = problems.responses(401, 403, 404, 429)


class SourceListView(ListAPIView):
    serializer_class = SourceSummary
    filterset_class = SourceFilter
    queryset = Source.objects.all()

    @extend_schema(
        operation_id="sources_list",
        responses={200: SourceSummary(many=True), **READ_PROBLEMS, **problems.responses(422)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SourceView(APIView):
    @extend_schema(operation_id="sources_read", responses={200: SourceDetail, **READ_PROBLEMS})
    def get(self, request, source_id: uuid.UUID):
        return Response(SourceDetail(source_detail(source_id, request.user)).data)


class AnyMediaType(BaseContentNegotiation):
    """The original is served as it was received, whatever the client's Accept says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _content_type(source: Source) -> str:
    media_type = source.media_type or "application/octet-stream"
    if media_type.startswith("text/") and source.encoding and "charset" not in media_type:
        return f"{media_type}; charset={source.encoding}"
    return media_type


class SourceOriginalView(APIView):
    content_negotiation_class = AnyMediaType

    @extend_schema(
        operation_id="sources_original",
        parameters=[
            OpenApiParameter(
                "X-Content-SHA256",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description="lowercase hex SHA-256 of the bytes (the chain-of-custody hash)",
            )
        ],
        responses={(200, "*/*"): OpenApiTypes.BINARY, **READ_PROBLEMS, **problems.responses(500)},
        description="The original bytes as received, with their stored media type. Always "
        "an attachment: a received web page is never rendered by the API's origin.",
    )
    def get(self, request, source_id: uuid.UUID):
        source = get_source(source_id)
        data = blobs.read(source.content_sha256)  # verifies the bytes against the hash
        response = HttpResponse(data, content_type=_content_type(source))
        response["X-Content-SHA256"] = source.content_sha256
        digest = base64.b64encode(bytes.fromhex(source.content_sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        response["Content-Disposition"] = (
            f"attachment; filename*=UTF-8''{quote(source.filename or str(source.pk))}"
        )
        response["Content-Security-Policy"] = "sandbox"
        return response


class IngestionCreateView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="ingestions_submit",
        request={"multipart/form-data": IngestionUpload},
        responses={202: IngestionOut, **problems.responses(400, 401, 403, 413, 415, 422, 429)},
        description="Upload a document (field `file`). 202: the original is stored and "
        "queued; poll Location. Identical bytes give a `duplicate` job.",
    )
    def post(self, request):
        upload = validated(IngestionUpload, request)["file"]
        oversized = upload.size > MAX_BYTES
        job = ingestion_submit(
            data=None if oversized else upload.read(),
            size=upload.size,
            filename=upload.name or "upload",
            actor=request.actor,
        )
        if oversized:
            return problems.problem_response(
                413,
                job.reason,
                kind="document-too-large",
                title="Document too large",
                instance=request.path,
                ingestion=str(job.id),
            )
        return Response(
            IngestionOut(job).data,
            status=202,
            headers={"Location": reverse("api:ingestion", kwargs={"ingestion_id": job.id})},
        )


class IngestionView(APIView):
    @extend_schema(
        operation_id="ingestions_read",
        responses={200: IngestionOut, **READ_PROBLEMS},
        description="Status (queued, ingested, duplicate, near_duplicate, "
        "failed), the failure reason, and the source and cases it produced.",
    )
    def get(self, request, ingestion_id: uuid.UUID):
        job: Ingestion = get_ingestion(ingestion_id)
        # A case it produced may have been restricted since: named only to who may see it.
        shown = set(
            visible_cases(request.user)
            .filter(reference__in=job.case_references)
            .values_list("reference", flat=True)
        )
        job.case_references = [ref for ref in job.case_references if ref in shown]
        return Response(IngestionOut(job).data)


class SourceGradeView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_grade_source",
            GradeInput,
            200,
            "Grade an attached source, Admiralty style (source_grade). A new grade replaces "
            "the shown one; every grade stays in the history.",
        )
    )
    def post(self, request, case_id: uuid.UUID, source_id: uuid.UUID):
        return run_versioned(
            request, source_grade, GradeInput, case_id=case_id, source_id=source_id
        )


class SourceProvenanceView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_record_provenance",
            ProvenanceInput,
            200,
            "Record the source's chain of origin (provenance_record); it replaces the chain "
            "shown and decides which origins the source counts for. 422 without an origin.",
        )
    )
    def post(self, request, case_id: uuid.UUID, source_id: uuid.UUID):
        return run_versioned(
            request, provenance_record, ProvenanceInput, case_id=case_id, source_id=source_id
        )


class SourceVerificationsView(APIView):
    @extend_schema(
        **versioned_schema(
            "cases_record_verification",
            VerificationInput,
            201,
            "Record a verification step on an attached source (verification_record).",
        )
    )
    def post(self, request, case_id: uuid.UUID, source_id: uuid.UUID):
        return run_versioned(
            request,
            verification_record,
            VerificationInput,
            status=201,
            case_id=case_id,
            source_id=source_id,
        )
