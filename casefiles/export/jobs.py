"""Building the bundle of an API export job (run by the Celery task export_bundle).

Safe to run twice: a finished job is returned as it is, and the job row is locked
while the export is recorded, so one run wins and the other's bundle is discarded.
"""

import uuid

from django.conf import settings

from casefiles.commands.exports import (
    export_job_fail,
    export_job_finish,
    export_kind,
    export_role,
)
from casefiles.domain.actors import Actor
from casefiles.errors import CaseFileError, NotFound
from casefiles.export.bundle import export_case
from casefiles.export.signing import SigningKeyError
from casefiles.models import ExportJob


def bundle_path(job: ExportJob):
    return settings.CASEFILES_EXPORT_DIR / f"{job.id}.zip"


def run(export_id: str) -> ExportJob:
    job = ExportJob.objects.select_related("requested_by").filter(pk=export_id).first()
    if job is None:
        raise NotFound(f"no export {export_id}")
    if job.status != ExportJob.QUEUED:
        return job
    target = bundle_path(job)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Each run builds under its own name; only the run that records the export moves
    # its file into place.
    built = target.with_name(f".{job.id}.{uuid.uuid4().hex}.partial")
    try:
        # Roles and clearance are those of now, not of the request.
        actor = Actor.for_user(job.requested_by)
        export_role(actor)
        kind = export_kind(actor, job.kind)
        with open(built, "wb") as out:
            manifest = export_case(job.case_id, exported_by=actor.username, out=out,
                                   kind=kind, export_id=str(job.id))
        return export_job_finish(actor=actor, manifest=manifest, built=built, target=target)
    except CaseFileError as exc:
        return export_job_fail(export_id=export_id, reason=exc.message)
    except SigningKeyError as exc:
        return export_job_fail(export_id=export_id, reason=f"exports cannot be signed: {exc}")
    finally:
        built.unlink(missing_ok=True)
