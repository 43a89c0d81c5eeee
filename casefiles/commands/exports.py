"""Exports: building a bundle and recording it on the case, and the API's export jobs.

Exporting reads; it changes nothing but the record of who read. So auditors, whom
`Actor.role_for` refuses for every change, may export: the rule is checked here, as
`identity_reveal` does for looking at a protected identity.
"""

import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from casefiles.commands import ports
from casefiles.commands.base import Id, Outcome, begin, command
from casefiles.compartments import check_visible
from casefiles.domain.actors import AUDITOR, PERMISSIONS, Actor
from casefiles.domain.events import CASE_EXPORTED
from casefiles.errors import CaseFileError, InvalidCommand, NotFound, PermissionDenied
from casefiles.eventstore import NewEvent
from casefiles.export.bundle import export_case
from casefiles.models import Event, ExportJob
from casefiles.selectors import case_head
from casefiles.signing import SigningKeyError
from casefiles.verify_export import COMPLETE, FORMAT, KINDS, REDACTED


def export_role(actor: Actor) -> str:
    """The role an export is recorded under: auditor before supervisor."""
    for role in PERMISSIONS["case_export"].roles:
        if role in actor.roles:
            return role
    held = ", ".join(sorted(actor.roles)) or "no role"
    raise PermissionDenied(
        f"{actor.username} ({held}) may not export a case: needs the role auditor or supervisor"
    )


def export_kind(actor: Actor, requested: str | None = None) -> str:
    """Complete (with protected identities) for cleared exporters, redacted otherwise;
    a cleared exporter may ask for a redacted bundle."""
    if requested is None:
        return COMPLETE if actor.cleared else REDACTED
    if requested not in KINDS:
        raise InvalidCommand(f"kind must be one of {', '.join(KINDS)}")
    if requested == COMPLETE and not actor.cleared:
        raise PermissionDenied(
            f"{actor.username} has no clearance for protected identities: only a redacted "
            "export is possible"
        )
    return requested


@command
def case_export_record(
    *,
    actor: Actor,
    case_id: Id,
    export_id: Id,
    kind: str | None,
    exported_version: int,
    head_hash: str,
) -> Outcome:
    """Record that `actor` exported versions 1..exported_version (ending in head_hash).

    Idempotent by export id: recording the same export again returns the first event."""
    role = export_role(actor)
    kind = export_kind(actor, kind)
    export_id = str(export_id)
    # A restricted case is exported only by whoever may see it; to anyone else it does
    # not exist (the bundle built before this record is never sent: the record comes first).
    check_visible(actor, case_id)
    change = begin(actor, "case_export", case_id, role=role, read=case_head, writable=False)
    head = change.head
    if (
        isinstance(exported_version, bool)
        or not isinstance(exported_version, int)
        or not (1 <= exported_version <= head.version)
    ):
        raise InvalidCommand(
            f"exported_version must be a version of {head.reference} (1 to {head.version})"
        )
    stored = (
        Event.objects.filter(case_id=head.case_id, version=exported_version)
        .values_list("hash", flat=True)
        .first()
    )
    if stored != head_hash:
        # The record must describe a bundle the store can vouch for.
        raise InvalidCommand(
            f"head_hash {head_hash} is not the hash of version "
            f"{exported_version} of {head.reference}"
        )
    # Idempotent by export id: the event store returns the first record of a repeat.
    recording = replace(
        change,
        idempotency_key=f"case-export:{export_id}",
        request=(head.case_id, export_id, kind, exported_version, head_hash),
    )
    return recording.write(
        NewEvent(
            CASE_EXPORTED.name,
            {
                "export_id": export_id,
                "kind": kind,
                "exported_version": exported_version,
                "head_hash": head_hash,
                "format": FORMAT,
            },
        )
    )


def record_bundle(actor: Actor, manifest: dict[str, Any]) -> Outcome:
    """Record the export a bundle's manifest describes."""
    return case_export_record(
        actor=actor,
        case_id=manifest["case"]["id"],
        export_id=manifest["export_id"],
        kind=manifest["kind"],
        exported_version=manifest["case"]["version"],
        head_hash=manifest["events"]["head_hash"],
    )


def export_recorded(
    actor: Actor,
    case_id: Id,
    *,
    out: IO[bytes],
    kind: str | None = None,
    export_id: str | None = None,
) -> dict[str, Any]:
    """Build the bundle for `actor` and record the export on the case; returns the
    manifest. Nothing may leave unrecorded: if recording fails, so does the export."""
    export_role(actor)  # refused before any work, and re-checked by the command
    kind = export_kind(actor, kind)
    export_id = export_id or str(uuid.uuid4())
    manifest = export_case(
        str(case_id), exported_by=actor.username, out=out, kind=kind, export_id=export_id
    )
    record_bundle(actor, manifest)
    return manifest


def _now() -> datetime:
    return datetime.now(UTC)


@command
def export_request(*, actor: Actor, case_id: Id, kind: str | None = None) -> ExportJob:
    """Queue a bundle for the API; the task builds it after commit."""
    export_role(actor)
    kind = export_kind(actor, kind)
    check_visible(actor, case_id)
    head = case_head(case_id)
    if actor.user_id is None:
        raise PermissionDenied("an export job is requested by a person, who may fetch it")
    job = ExportJob.objects.create(
        id=uuid.uuid4(),
        case_id=head.case_id,
        requested_by_id=actor.user_id,
        kind=kind,
        status=ExportJob.QUEUED,
        created_at=_now(),
    )
    ports.enqueue_on_commit(ports.EXPORT_BUNDLE, str(job.id))
    return job


def export_job_get(*, actor: Actor, export_id: Id) -> ExportJob:
    """A job as its requester or an auditor may see it; nobody else."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=export_id).first()
    if job is None:
        raise NotFound(f"no export {export_id}")
    check_visible(actor, job.case_id)
    if job.requested_by_id != actor.user_id and AUDITOR not in actor.roles:
        raise PermissionDenied(
            f"export {export_id} was requested by {job.requested_by.get_username()}; only "
            "they and auditors may see it"
        )
    return job


def _locked_job(export_id: Id) -> ExportJob:
    try:
        # Lock the job: a redelivered task waits for the first run and then sees it done.
        return ExportJob.objects.select_for_update().get(pk=export_id)
    except (ExportJob.DoesNotExist, ValueError):
        raise NotFound(f"no export {export_id}") from None


@command
def export_job_finish(
    *, actor: Actor, manifest: dict[str, Any], built: Path, target: Path
) -> ExportJob:
    """Record the export on the case, put the built bundle in place and mark the job
    ready, together; a job finished meanwhile (a redelivered task) is left as it is."""
    job = _locked_job(manifest["export_id"])
    if job.status != ExportJob.QUEUED:
        return job
    record_bundle(actor, manifest)
    # Renamed inside the transaction: whoever commits the job also placed its file.
    os.replace(built, target)
    job.status, job.finished_at = ExportJob.READY, _now()
    job.save(update_fields=["status", "finished_at"])
    return job


@command
def export_job_fail(*, export_id: Id, reason: str) -> ExportJob:
    job = _locked_job(export_id)
    if job.status != ExportJob.QUEUED:
        return job
    job.status, job.reason, job.finished_at = ExportJob.FAILED, reason, _now()
    job.save(update_fields=["status", "reason", "finished_at"])
    return job


def bundle_path(job: ExportJob) -> Path:
    return settings.CASEFILES_EXPORT_DIR / f"{job.id}.zip"


def export_job_run(*, export_id: Id) -> ExportJob:
    """Build an API export job's bundle (the Celery task export_bundle runs this).

    Safe to run twice: a finished job is returned as it is, and the job row is locked
    while the export is recorded, so one run wins and the other's bundle is discarded."""
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
            manifest = export_case(
                str(job.case_id),
                exported_by=actor.username,
                out=out,
                kind=kind,
                export_id=str(job.id),
            )
        return export_job_finish(actor=actor, manifest=manifest, built=built, target=target)
    except CaseFileError as exc:
        return export_job_fail(export_id=export_id, reason=exc.message)
    except SigningKeyError as exc:
        return export_job_fail(export_id=export_id, reason=f"exports cannot be signed: {exc}")
    finally:
        built.unlink(missing_ok=True)
