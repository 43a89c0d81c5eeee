"""The export's API: the public signing key and the asynchronous export jobs. Exporting
changes nothing but the record of who exported: each export is a CaseExported event on
the case (casefiles.commands.exports)."""

import uuid

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles.api import problems
from casefiles.api.base import validated
from casefiles.api.sources import AnyMediaType
from casefiles.commands.exports import bundle_path, export_job_get, export_request
from casefiles.models import ExportJob
from casefiles.signing import SigningKeyError, signing_key
from casefiles.verify_export import KINDS


class SigningKeyUnavailable(APIException):
    status_code = 503
    default_code = "signing_key_unavailable"


class SigningKeyView(APIView):
    """The key that signs case exports; compare its fingerprint with a bundle's."""

    @extend_schema(
        operation_id="signing_key",
        responses=inline_serializer(
            "SigningKey",
            {
                "algorithm": serializers.CharField(),
                "vkey": serializers.CharField(
                    help_text="the key as verify_export --public-key, "
                    "trust files and witnesses take it (C2SP vkey)"
                ),
                "public_key": serializers.CharField(help_text="base64 of the raw 32-byte key"),
                "key_id": serializers.CharField(help_text="first 16 hex digits of its SHA-256"),
                "fingerprint": serializers.CharField(help_text="SHA-256 of the raw key, grouped"),
            },
        ),
    )
    def get(self, request):
        try:
            return Response(signing_key().public.as_json())
        except SigningKeyError as exc:
            raise SigningKeyUnavailable(str(exc)) from None


class ExportRequest(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=KINDS,
        required=False,
        help_text="default: complete for exporters cleared for protected identities, "
        "redacted otherwise; complete needs clearance",
    )


class ExportJobOut(serializers.Serializer):
    id = serializers.UUIDField()
    case_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=KINDS)
    status = serializers.ChoiceField(choices=[c for c, _ in ExportJob.STATUS_CHOICES])
    reason = serializers.CharField(help_text="why the export failed; empty otherwise")
    requested_by = serializers.CharField(source="requested_by.username")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(
        help_text="where to fetch the ZIP once the status is ready; null before"
    )

    def get_status_url(self, job: ExportJob) -> str:
        return reverse("export", kwargs={"export_id": job.id})

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.READY:
            return None
        return reverse("export-download", kwargs={"export_id": job.id})


JOB_PROBLEMS = problems.responses(401, 403, 404, 429)


class CaseExportsView(APIView):
    @extend_schema(
        operation_id="cases_export",
        request=ExportRequest,
        responses={202: ExportJobOut, **problems.responses(400, 401, 403, 404, 415, 422, 429)},
        description="Queue a signed bundle of the case's history (casefile-export/1), for "
        "auditors and supervisors. 202: poll Location; once ready, download it. The "
        "export is recorded on the case as a CaseExported event when the bundle is built.",
    )
    def post(self, request, case_id: uuid.UUID):
        kind = validated(ExportRequest, request).get("kind")
        job = export_request(actor=request.actor, case_id=case_id, kind=kind)
        body = ExportJobOut(job).data
        return Response(body, status=202, headers={"Location": body["status_url"]})


class ExportJobView(APIView):
    @extend_schema(
        operation_id="exports_read",
        responses={200: ExportJobOut, **JOB_PROBLEMS},
        description="An export job's status (queued, ready, failed), for its "
        "requester and auditors.",
    )
    def get(self, request, export_id: uuid.UUID):
        return Response(ExportJobOut(export_job_get(actor=request.actor, export_id=export_id)).data)


class ExportDownloadView(APIView):
    content_negotiation_class = AnyMediaType

    @extend_schema(
        operation_id="exports_download",
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            **problems.responses(401, 403, 404, 409, 410, 429),
        },
        description="The bundle, once the job is ready (409 before, or if it failed), for "
        "its requester and auditors. Verify it with python -m casefiles.verify_export.",
    )
    def get(self, request, export_id: uuid.UUID):
        job = export_job_get(actor=request.actor, export_id=export_id)
        if job.status != ExportJob.READY:
            detail = (
                f"export {job.id} failed: {job.reason}"
                if job.status == ExportJob.FAILED
                else f"export {job.id} is still queued; poll "
                f"{reverse('export', kwargs={'export_id': job.id})}"
            )
            return problems.problem_response(
                409,
                detail,
                kind="export-not-ready",
                title="Export not ready",
                instance=request.path,
            )
        path = bundle_path(job)
        if not path.is_file():
            return problems.problem_response(
                410,
                f"the bundle of export {job.id} is no longer stored; request a new export",
                kind="export-gone",
                title="Export no longer stored",
                instance=request.path,
            )
        # FileResponse streams the file and closes it.
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"export-{job.id}.zip",
            content_type="application/zip",
        )
