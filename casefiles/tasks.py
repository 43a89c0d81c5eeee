"""Celery tasks: thin, idempotent, safe to run twice. They take ids and call one command;
the command re-checks state (a finished ingestion is returned as it is)."""

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from casefiles.commands import ports
from casefiles.commands.exports import export_job_fail, export_job_run
from casefiles.commands.ingestion import document_ingest, ingestion_fail
from casefiles.commands.jobs import jobs_requeue_stalled

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, BrokerError)


class JobTask(Task):
    """A task working one job row: when retries are exhausted or an unexpected error
    ends it, the job is marked failed with the reason instead of staying "queued"."""

    job_kind = ""

    def record_failure(self, job_id: str, reason: str) -> None:
        raise NotImplementedError

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_id = args[0] if args else next(iter(kwargs.values()), None)
        log.error("%s %s failed: %r", self.job_kind, job_id, exc)
        try:
            self.record_failure(
                job_id,
                f"{self.job_kind} failed after "
                f"{self.request.retries} retries: "
                f"{type(exc).__name__}: {exc}",
            )
        except Exception:  # noqa: BLE001 - the database itself may be what is down
            log.exception("could not record the failure of %s %s", self.job_kind, job_id)


class IngestTask(JobTask):
    job_kind = "ingestion"

    def record_failure(self, job_id: str, reason: str) -> None:
        ingestion_fail(ingestion_id=job_id, reason=reason)


RETRYING = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(base=IngestTask, **RETRYING)
def ingest_document(self, ingestion_id: str) -> str:
    return document_ingest(ingestion_id=ingestion_id).status


@shared_task
def requeue_stalled_jobs() -> str:
    """Every CASEFILES_REQUEUE_AFTER (Celery beat): a job still queued that long has
    lost its message (casefiles/commands/jobs.py says how); queue it again."""
    from django.conf import settings

    counts = jobs_requeue_stalled(older_than=timedelta(seconds=settings.CASEFILES_REQUEUE_AFTER))
    if any(counts.values()):
        log.warning("queued again after their message was lost: %s", counts)
    return f"{counts['ingestions']} ingestion(s), {counts['exports']} export(s) queued again"


@shared_task(acks_late=True)
def verify_chains() -> str:
    """Nightly (Celery beat): every chain, then the whole log against every signed tree
    head; anything broken becomes an alert and an error log line, never a repair."""
    from casefiles import integrity, transparency

    summary = integrity.nightly()
    if summary.broken:
        return str(summary.broken)
    report = transparency.verify_log(case_versions=integrity.case_versions())
    if not report.ok:
        transparency.alert(report)
        return str(report)
    head = transparency.publish()
    return f"{report}; tree head {head.size}"


@shared_task
def publish_tree_head() -> str:
    """Every CASEFILES_TREE_HEAD_INTERVAL seconds (Celery beat): sequence the new events
    and sign a tree head, which witnesses then fetch and cosign."""
    from casefiles import transparency
    from casefiles.timestamps import stamp_tree_head

    try:
        head = transparency.publish()
    except transparency.LogInconsistent as exc:
        report = transparency.LogReport(problems=[str(exc)])
        transparency.alert(report)
        return f"REFUSED: {exc}"
    # A head published while the time-stamping authority was down gets its time-stamp
    # on a later round, even if the log has not grown since (a no-op once it has one).
    stamp_tree_head(head)
    return f"tree head {head.size}"


class ExportTask(JobTask):
    job_kind = "export"

    def record_failure(self, job_id: str, reason: str) -> None:
        export_job_fail(export_id=job_id, reason=reason)


@shared_task(base=ExportTask, **RETRYING)
def export_bundle(self, export_id: str) -> str:
    """Build an API export job's bundle and record the export; idempotent by export id."""
    return export_job_run(export_id=export_id).status


# Commands queue these by name (casefiles.commands.ports), never importing this module.
ports.register(ports.INGEST_DOCUMENT, lambda job_id: ingest_document.delay(job_id))
ports.register(ports.EXPORT_BUNDLE, lambda job_id: export_bundle.delay(job_id))
