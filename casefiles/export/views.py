"""Web entry points of the export: the public signing key (API) and the auditors'
download (admin). Both only read; exporting changes nothing."""

import tempfile

from django.http import FileResponse, HttpResponse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles.domain.actors import Actor
from casefiles.errors import NotFound, PermissionDenied
from casefiles.export.bundle import ExportError, bundle_filename, export_case, require_exporter
from casefiles.export.signing import SigningKeyError, signing_key
from casefiles.selectors import get_case


class SigningKeyUnavailable(APIException):
    status_code = 503
    default_code = "signing_key_unavailable"


class SigningKeyView(APIView):
    """The key that signs case exports; compare its fingerprint with a bundle's."""

    @extend_schema(
        operation_id="signing_key",
        responses=inline_serializer("SigningKey", {
            "algorithm": serializers.CharField(),
            "public_key": serializers.CharField(help_text="base64 of the raw 32-byte key"),
            "key_id": serializers.CharField(help_text="first 16 hex digits of its SHA-256"),
            "fingerprint": serializers.CharField(help_text="SHA-256 of the raw key, grouped"),
        }),
    )
    def get(self, request):
        try:
            return Response(signing_key().public.as_json())
        except SigningKeyError as exc:
            raise SigningKeyUnavailable(str(exc)) from None


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@require_safe
def export_download(request, case_id):
    """The bundle as a download, for auditors and supervisors (admin site)."""
    try:
        actor = Actor.for_user(request.user)
        require_exporter(actor)
        case = get_case(case_id)
    except PermissionDenied as exc:
        return _text(exc.message, 403)
    except NotFound as exc:
        return _text(exc.message, 404)
    # Spooled to a temporary file: the bundle may be large, and it must be complete
    # (signed) before the first byte is sent.
    spool = tempfile.TemporaryFile()
    try:
        manifest = export_case(case.pk, exported_by=actor.username, out=spool)
    except ExportError as exc:
        spool.close()
        return _text(exc.message, 409)
    except SigningKeyError as exc:
        spool.close()
        return _text(f"exports cannot be signed: {exc}", 503)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=bundle_filename(manifest),
                        content_type="application/zip")
