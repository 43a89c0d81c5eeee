"""A job whose broker message was lost is queued again from its row (casefiles/commands/
jobs.py): the sweep Celery beat runs. The real broker losing a message under kill -9 is
tests/reliability/test_worker_kill.py; here the loss is a transaction that never commits
its on_commit hook, which is exactly what the row looks like afterwards."""

from datetime import timedelta

import pytest
from django.db import transaction

from casefiles.commands.exports import export_request
from casefiles.commands.ingestion import ingestion_submit
from casefiles.models import ExportJob, Ingestion
from casefiles.tasks import requeue_stalled_jobs
from tests.factories import SUBMITTER, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(monkeypatch):
    """From here on, queued work runs (eagerly) where its transaction would commit."""

    def start():
        monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())

    return start


def age(model, job, seconds: int) -> None:
    field = "submitted_at" if model is Ingestion else "created_at"
    value = getattr(job, field) - timedelta(seconds=seconds)
    model.objects.filter(pk=job.pk).update(**{field: value})


def test_an_ingestion_whose_message_was_lost_is_queued_again_and_ingested(settings, deliver):
    settings.CASEFILES_REQUEUE_AFTER = 600
    lost = ingestion_submit(
        data=b"Shelling of a school in Kharkiv was reported.",
        filename="lost.txt",
        actor=SUBMITTER,
    )
    recent = ingestion_submit(
        data=b"A second report, submitted a moment ago.", filename="recent.txt", actor=SUBMITTER
    )
    age(Ingestion, lost, 601)
    deliver()

    assert requeue_stalled_jobs() == "1 ingestion(s), 0 export(s) queued again"

    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.status == Ingestion.INGESTED and lost.attempts == 1
    # Younger than the threshold: its message may still be on its way.
    assert recent.status == Ingestion.QUEUED
    # Finished jobs are left alone: a second sweep queues nothing.
    age(Ingestion, recent, 601)
    requeue_stalled_jobs()
    assert requeue_stalled_jobs() == "0 ingestion(s), 0 export(s) queued again"


def test_an_export_whose_message_was_lost_is_built(settings, actors, deliver, tmp_path):
    settings.CASEFILES_SIGNING_KEY = tmp_path / "ed25519.key"
    settings.CASEFILES_REQUEUE_AFTER = 600
    case_id = open_case(actors["documenter"], title="Shelling of Irpin")
    job = export_request(actor=actors["auditor"], case_id=case_id)
    age(ExportJob, job, 601)
    deliver()

    assert requeue_stalled_jobs() == "0 ingestion(s), 1 export(s) queued again"

    job.refresh_from_db()
    assert job.status == ExportJob.READY, job.reason
