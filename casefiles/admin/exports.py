"""The auditors' and supervisors' download of a case's bundle from the admin site."""

import tempfile

from django.http import FileResponse, HttpResponse
from django.views.decorators.http import require_POST

from casefiles.commands.exports import export_recorded, export_role
from casefiles.compartments import check_visible
from casefiles.domain.actors import Actor
from casefiles.errors import CaseFileError, ConcurrencyError, NotFound, PermissionDenied
from casefiles.export.bundle import ExportError, bundle_filename
from casefiles.selectors import get_case
from casefiles.signing import SigningKeyError


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@require_POST
def export_download(request, case_id):
    """The bundle as a download, for auditors and supervisors (admin site); the export is
    recorded on the case before the first byte is sent, so it takes a POST (a form with
    the CSRF token): a GET, from a prefetching browser or a link checker, must not add a
    CaseExported event to the case's history. `kind=redacted` lets a cleared exporter
    leave the protected identities out."""
    try:
        actor = Actor.for_user(request.user)
        export_role(actor)
        check_visible(actor, case_id)
        case = get_case(case_id)
    except PermissionDenied as exc:
        return _text(exc.message, 403)
    except NotFound as exc:
        return _text(exc.message, 404)
    # Spooled to a temporary file: the bundle may be large, and it must be complete
    # (signed, recorded) before the first byte is sent.
    spool = tempfile.TemporaryFile()
    try:
        manifest = export_recorded(actor, case.pk, out=spool, kind=request.POST.get("kind"))
    except PermissionDenied as exc:
        spool.close()
        return _text(exc.message, 403)
    except CaseFileError as exc:
        spool.close()
        conflict = isinstance(exc, ExportError | ConcurrencyError)
        return _text(exc.message, 409 if conflict else 400)
    except SigningKeyError as exc:
        spool.close()
        return _text(f"exports cannot be signed: {exc}", 503)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=bundle_filename(manifest),
        content_type="application/zip",
    )
