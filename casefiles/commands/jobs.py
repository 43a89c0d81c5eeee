"""Background jobs whose message was lost: queued again from the database's record.

The job rows (Ingestion, ExportJob) are the authority on what is still to do; the
broker's message is only the nudge. Redis as a broker can lose a message outright: the
worker pops it (RPOP) and only then files it as unacknowledged (MULTI; ZADD; HSET), so a
worker killed between the two loses it, and the visibility timeout never brings it back
(celery/kombu issue #305, seen in tests/reliability/test_worker_kill.py: one document in
200 stayed "queued" after a kill -9). Celery beat runs `jobs_requeue_stalled` every
CASEFILES_REQUEUE_AFTER; a job still queued that long gets a new message. A job whose
first message was not lost, only slow, gets a second one, which is harmless: the tasks
lock their job row and return a finished job as it is.
"""

from datetime import UTC, datetime, timedelta

from casefiles.commands import ports
from casefiles.models import ExportJob, Ingestion

# At most this many jobs of each kind per sweep, oldest first: a backlog drains through
# the workers, not through one sweep flooding the broker.
BATCH = 500


def jobs_requeue_stalled(*, older_than: timedelta) -> dict[str, int]:
    """Queue again every job still queued `older_than` after it was submitted; returns
    how many of each kind."""
    cutoff = datetime.now(UTC) - older_than
    ingestions = list(
        Ingestion.objects.filter(status=Ingestion.QUEUED, submitted_at__lt=cutoff)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    exports = list(
        ExportJob.objects.filter(status=ExportJob.QUEUED, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for job_id in ingestions:
        ports.enqueue_on_commit(ports.INGEST_DOCUMENT, str(job_id))
    for job_id in exports:
        ports.enqueue_on_commit(ports.EXPORT_BUNDLE, str(job_id))
    return {"ingestions": len(ingestions), "exports": len(exports)}
